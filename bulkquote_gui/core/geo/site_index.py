"""Which site is under the pointer, without looking at all 20,000: the sites bucketed in a grid
of square cells, so a look-up reads the few cells around the point."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bulkquote_gui.core.geo.site_points import MapSite


class SiteIndex:
    def __init__(self, sites: Sequence[MapSite], cell: float = 8.0) -> None:
        self._cell = cell
        self._grid: dict[tuple[int, int], list[MapSite]] = defaultdict(list)
        for site in sites:
            self._grid[self._key(site.x, site.y)].append(site)

    def _key(self, x: float, y: float) -> tuple[int, int]:
        return int(x // self._cell), int(y // self._cell)

    def nearest(self, x: float, y: float, radius: float) -> MapSite | None:
        """The site nearest (x, y) within `radius` (map units), or None; of two at the same
        place, the one drawn last (on top)."""
        (x0, y0), (x1, y1) = self._key(x - radius, y - radius), self._key(x + radius, y + radius)
        best, best_d = None, radius * radius
        for gx in range(x0, x1 + 1):
            for gy in range(y0, y1 + 1):
                for site in self._grid.get((gx, gy), ()):
                    d = (site.x - x) ** 2 + (site.y - y) ** 2
                    if d <= best_d:
                        best, best_d = site, d
        return best
