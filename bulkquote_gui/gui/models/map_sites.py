"""The rows of a batch as the map's sites: where each is (found once per row) and its legend
group, a status while the batch runs and the carrier when it is done.

Rows the batch did not quote (invalid, duplicate) and rows with no known place (no ZIP centre,
no coordinates of their own, or off the map) are not drawn; `unplaced` counts the latter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bulkquote_gui.core.geo.site_points import MapSite, site_point
from bulkquote_gui.core.states import RowState
from bulkquote_gui.gui.models.results_model import ResultRow

RUNNING_GROUPS = {str(k): v for k, v in {RowState.COMPLETE: "Priced", RowState.FAILED: "Failed",
                  RowState.PENDING: "Waiting", RowState.SUBMITTING: "Quoting",
                  RowState.POLLING: "Quoting", RowState.CANCELLED: "Not sent"}.items()}
TOP_CARRIERS = 7   # more colours than that cannot be told apart: the rest are "Other carriers"


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

    def sites(self, rows: Iterable[ResultRow], finished: bool) -> list[MapSite]:
        """The drawn sites of the placed `rows`, grouped by status (`finished` False) or
        carrier; `unplaced` counts the rows known to have no place."""
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
        group = _carrier_groups([r for r, _ in placed]) if finished else _status_group
        return [MapSite(r.row_number, x, y, group(r)) for r, (x, y) in placed]


def _status_group(row: ResultRow) -> str:
    return RUNNING_GROUPS.get(row.status, "Waiting")


def _carrier_groups(rows: list[ResultRow]):
    # The carrier of the offer the table shows: the deal's chosen one, else the recommended one.
    carrier_of = {r.row_number: (r.chosen or r).carrier or "" for r in rows
                  if r.status == RowState.COMPLETE}
    counts = Counter(c for c in carrier_of.values() if c)
    named = {c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CARRIERS]}

    def group(row: ResultRow) -> str:
        carrier = carrier_of.get(row.row_number)
        if carrier is None:
            return "Not priced"
        if not carrier:
            return "Priced"
        return carrier if carrier in named else "Other carriers"
    return group
