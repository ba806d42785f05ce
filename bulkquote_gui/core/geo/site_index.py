"""Which site is under the pointer, without measuring the distance to all 20,000: the sites
sorted by the square cell of a grid they fall in, so a look-up reads only the few cells around
the point (a binary search for each)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bulkquote_gui.core.geo.site_points import MapSite

_ROW = 1 << 20   # cells per grid row in a cell's number: far more than a map has


class SiteIndex:
    def __init__(self, sites: Sequence[MapSite], cell: float = 8.0) -> None:
        self._sites = list(sites)
        self._cell = cell
        xs = np.fromiter((s.x for s in self._sites), float, len(self._sites))
        ys = np.fromiter((s.y for s in self._sites), float, len(self._sites))
        keys = self._keys(xs, ys)
        self._order = np.argsort(keys, kind="stable")   # sites in one cell: in drawing order
        self._keys_sorted = keys[self._order]
        self._xs, self._ys = xs[self._order], ys[self._order]

    def _keys(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        gx = np.floor(xs / self._cell).astype(np.int64) + _ROW // 2
        gy = np.floor(ys / self._cell).astype(np.int64) + _ROW // 2
        return gy * _ROW + gx

    def nearest(self, x: float, y: float, radius: float) -> MapSite | None:
        """The site nearest (x, y) within `radius` (map units), or None; of two at the same
        place, the one drawn last (on top)."""
        if not self._sites:
            return None
        cells = np.arange(np.floor((x - radius) / self._cell), np.floor((x + radius) / self._cell) + 1)
        best, best_d = None, radius * radius
        for row in np.arange(np.floor((y - radius) / self._cell), np.floor((y + radius) / self._cell) + 1):
            first = (int(row) + _ROW // 2) * _ROW + int(cells[0]) + _ROW // 2
            last = first + len(cells) - 1   # a run of cells in one grid row is a run of keys
            lo, hi = np.searchsorted(self._keys_sorted, [first, last + 1])
            if lo == hi:
                continue
            d = (self._xs[lo:hi] - x) ** 2 + (self._ys[lo:hi] - y) ** 2
            at = hi - 1 - int(np.argmin(d[::-1]))   # the last of equals: drawn on top
            if d[at - lo] <= best_d:
                best, best_d = self._sites[int(self._order[at])], float(d[at - lo])
        return best
