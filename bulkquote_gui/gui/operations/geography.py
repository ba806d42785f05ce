"""Where a batch's sites are on the map, found off the GUI thread: the first look-up reads the
ZIP table's centres (0.2-0.6 s) and 20,000 rows take about as long again to place."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from bulkquote_gui.core.geo.site_points import site_point
from bulkquote_gui.gui.operations import Operation

Point = tuple[float, float] | None


def places(parent: QObject, rows: list[tuple[int, dict[str, Any], str]]) -> Operation[dict[int, Point]]:
    """Row number -> its map point (None: not on the map), for (row number, the sheet's
    cells, ZIP) of each row."""
    def work(_sessions: Any) -> dict[int, Point]:
        return {number: site_point(cells, zip_code) for number, cells, zip_code in rows}

    return Operation(parent, work)
