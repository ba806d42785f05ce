"""The rows of a batch as the map's sites: where each is (found once per row) and its legend
group, a status while the batch runs and, when it is done, the price band of the offer the
row shows (core/geo/price_bands) or its carrier, as the rep picks.

Rows the batch did not quote (invalid, duplicate) and rows with no known place (no ZIP centre,
no coordinates of their own, or off the map) are not drawn; `unplaced` counts the latter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from bulkquote_gui.core.geo.price_bands import OTHER_CURRENCY, price_bands
from bulkquote_gui.core.geo.site_points import MapSite, site_point
from bulkquote_gui.core.states import RowState
from bulkquote_gui.gui.models.results_model import ResultRow

RUNNING_GROUPS = {str(k): v for k, v in {RowState.COMPLETE: "Priced", RowState.FAILED: "Failed",
                  RowState.PENDING: "Waiting", RowState.SUBMITTING: "Quoting",
                  RowState.POLLING: "Quoting", RowState.CANCELLED: "Not sent"}.items()}
TOP_CARRIERS = 7   # more colours than that cannot be told apart: the rest are "Other carriers"
BY_PRICE, BY_CARRIER = "Price", "Carrier"   # what a done batch's dots are coloured by


class MapSites:
    """The rows' places, found once (`unplaced_rows`, then `add`), and the sites drawn."""

    def __init__(self) -> None:
        self._points: dict[int, tuple[float, float] | None] = {}   # row number -> map point
        self.unplaced = 0

    def clear(self) -> None:
        self._points.clear()
        self.unplaced = 0

    def unplaced_rows(self, rows: Iterable[ResultRow]) -> list[tuple[int, dict[str, str], str]]:
        """(row number, the sheet's cells, ZIP) of the quoted rows not placed yet."""
        return [(r.row_number, r.cells, r.zip_code) for r in rows
                if not r.skipped and r.row_number not in self._points]

    def add(self, points: dict[int, tuple[float, float] | None]) -> None:
        self._points.update(points)

    def place_all(self, rows: Iterable[ResultRow]) -> None:
        """Place the rows not placed yet, here and now (the window does it off its thread)."""
        self.add({n: site_point(cells, zip_code) for n, cells, zip_code in self.unplaced_rows(rows)})

    def sites(self, rows: Iterable[ResultRow], finished: bool, colour_by: str = BY_PRICE,
              shown: Callable[[ResultRow], bool] | None = None) -> list[MapSite]:
        """The drawn sites of the placed `rows`, grouped by status (`finished` False), else by
        price band or carrier (`colour_by`); only the rows `shown` accepts are drawn (the
        table's filter), though the bands are the quartiles of every row's price.
        `unplaced` counts the rows known to have no place."""
        placed: list[tuple[ResultRow, tuple[float, float]]] = []
        self.unplaced = 0
        for row in rows:
            if row.skipped or row.row_number not in self._points:
                continue
            point = self._points[row.row_number]
            if point is None:
                self.unplaced += 1
            else:
                placed.append((row, point))
        if not finished:
            group = _status_group
        else:
            group = (_band_groups if colour_by == BY_PRICE else _carrier_groups)(
                [r for r, _ in placed])
        return [MapSite(r.row_number, x, y, *group(r)) for r, (x, y) in placed
                if shown is None or shown(r)]


def _status_group(row: ResultRow) -> tuple[str]:
    return (RUNNING_GROUPS.get(row.status, "Waiting"),)


def _band_groups(rows: list[ResultRow]):
    # The MRC of the offer the table shows: the deal's chosen one, else the recommended one.
    # Each price read once: a row reads its offer's fields through __getattr__ (20,000 rows).
    prices = {r.row_number: ((r.chosen or r).mrc, (r.chosen or r).currency or "USD")
              for r in rows if r.status == RowState.COMPLETE}
    bands = price_bands({n: p for n, p in prices.items() if p[0] is not None})
    unique = {id(b): b for b in bands.values()}.values()   # three bands, 20,000 sites
    groups = {id(b): (b.label, b.rank) for b in unique}    # a label made once per band

    def group(row: ResultRow) -> tuple[str, int | None]:
        band = bands.get(row.row_number)
        if band is not None:
            return groups[id(band)]
        if row.row_number not in prices:
            return ("Not priced", None)
        return ("Priced" if prices[row.row_number][0] is None else OTHER_CURRENCY, None)
    return group


def _carrier_groups(rows: list[ResultRow]):
    # The carrier of the offer the table shows: the deal's chosen one, else the recommended one.
    carrier_of = {r.row_number: (r.chosen or r).carrier or "" for r in rows
                  if r.status == RowState.COMPLETE}
    counts = Counter(c for c in carrier_of.values() if c)
    named = {c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CARRIERS]}

    def group(row: ResultRow) -> tuple[str]:
        carrier = carrier_of.get(row.row_number)
        if carrier is None:
            return ("Not priced",)
        if not carrier:
            return ("Priced",)
        return (carrier if carrier in named else "Other carriers",)
    return group
