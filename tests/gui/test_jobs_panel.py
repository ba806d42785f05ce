"""Recent jobs: long file names are shortened at their end, counts and dates never."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyleOptionViewItem

from bulkquote_gui.gui.jobs_panel import JobsPanel

LONG = "Northeast expansion - customer sites for renewal (final v3).xlsx"


def batch(id_: int, name: str, counts: dict[str, int], days_ago: int = 0) -> SimpleNamespace:
    created = datetime.now(timezone.utc) - timedelta(days=days_ago)
    return SimpleNamespace(id=id_, source_name=name, created_at=created, status="complete",
                           counts=counts, finished_at=created)


def row_layout(panel: JobsPanel, row: int):
    view = panel.view
    index = panel.model.index(row, 0)
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.font = view.font()
    return view.itemDelegateForColumn(0).layout_row(option, index), option


def test_long_names_are_cut_at_their_end_and_counts_and_dates_stay_whole(qtbot, window):
    panel = window.upload_page.jobs_panel  # in the real window, at its real width
    panel.show_batches([
        batch(1234, LONG, {"total": 1250, "complete": 1234, "failed": 16}, days_ago=3),
        batch(2, "sites.csv", {"total": 21, "complete": 21, "failed": 0}),
    ])
    long_row, option = row_layout(panel, 0)
    assert long_row.title.startswith("#1234  Northeast") and long_row.title.endswith("…")
    assert long_row.counts == "1,234/1,250 priced, 16 failed"
    assert "," in long_row.when  # "Nov 26, 09:12": an older batch shows its day too
    used = QFontMetrics(long_row.bold).horizontalAdvance(long_row.title) \
        + QFontMetrics(long_row.small).horizontalAdvance(long_row.when)
    assert used <= long_row.top.width()  # the title stops before the date
    short_row, _ = row_layout(panel, 1)
    assert short_row.title == "#2  sites.csv" and short_row.counts == "21/21 priced"
    assert short_row.badge == "Complete" and short_row.status == "complete"
    assert LONG in panel.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)  # ToolTipRole: the whole name
