"""The upload page's preview: the sheet's rows in a grid (cells editable, Status kept in sight on
a wide sheet, the address columns first) under the All / Valid / Problems filters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QHBoxLayout, QHeaderView, QLabel,
                               QTableView, QVBoxLayout, QWidget)

from bulkquote_gui.gui.widgets.delegates import StatusBadgeDelegate
from bulkquote_gui.gui.widgets.frozen_column import FrozenColumn
from bulkquote_gui.gui.models.preview_model import STATUS_COLUMN, PreviewModel
from bulkquote_gui.gui.widgets.blocks import FilterPill

FILTER_TIPS = {"all": "Every row of the file",
               "valid": "The rows that will be quoted: valid ones and those BulkQuote repaired",
               "problems": "Invalid and duplicate rows: these are not quoted until fixed"}


class PreviewTable(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PreviewModel(self)
        # Cells the rep fixed in this file: kept nowhere else until it is submitted.
        self.has_fixes = False
        self.model.edited.connect(self._cell_fixed)
        self.view = self._build_view()
        self.frozen = FrozenColumn(self.view)  # Status stays in sight on a wide sheet
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(self._build_filters())
        layout.addWidget(self.view, 1)

    def _build_view(self) -> QTableView:
        view = QTableView()
        view.setObjectName("previewView")
        view.setModel(self.model)
        view.setItemDelegateForColumn(STATUS_COLUMN, StatusBadgeDelegate(view))
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        view.verticalHeader().setDefaultSectionSize(30)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.horizontalHeader().setDefaultSectionSize(140)
        view.horizontalHeader().setStretchLastSection(False)
        view.setTabKeyNavigation(False)  # one tab stop: Tab goes on to Submit, arrows move inside
        # Ten rows at least, whatever the mapping and defaults above take (the page scrolls).
        header = view.horizontalHeader().sizeHint().height()
        scroll = view.horizontalScrollBar().sizeHint().height()
        view.setMinimumHeight(max(header, 34) + 10 * 30 + max(scroll, 14) + 6)
        return view

    def _build_filters(self) -> QHBoxLayout:
        self.filter_buttons: dict[str, FilterPill] = {}
        self.filter_group = QButtonGroup(self)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        for kind, caption in (("all", "All"), ("valid", "Valid"), ("problems", "Problems")):
            button = FilterPill(caption)
            button.setToolTip(FILTER_TIPS[kind])
            button.setChecked(kind == "all")
            button.clicked.connect(lambda _=False, k=kind: self.set_filter(k))
            self.filter_group.addButton(button)
            self.filter_buttons[kind] = button
            filters.addWidget(button)
        filters.addStretch()
        edit_hint = QLabel("Double-click a cell to fix it; the row is checked again at once.")
        edit_hint.setObjectName("hint")
        filters.addWidget(edit_hint)
        return filters

    def _cell_fixed(self) -> None:
        self.has_fixes = True

    def set_filter(self, kind: str) -> None:
        self.model.set_filter(kind)
        self.filter_buttons[kind].setChecked(True)

    def show_counts(self, counts: dict[str, int]) -> None:
        """The filters' captions count their rows."""
        if not counts:
            return
        problems = counts.get("invalid", 0) + counts.get("duplicates", 0)
        self.filter_buttons["all"].setText(f"All {counts.get('rows', 0):,}")
        self.filter_buttons["valid"].setText(f"Valid {counts.get('quotable', 0):,}")
        self.filter_buttons["problems"].setText(f"Problems {problems:,}")

    def show_result(self, result: Any, *, fresh: bool = False) -> None:
        """The rows of `result`; a `fresh` file (not one re-checked) starts at its first cell."""
        if fresh:
            self.has_fixes = False
        self.model.set_result(result)
        self._size_columns()
        self._address_first(result)
        if fresh:
            self.view.horizontalScrollBar().setValue(0)
            self.view.verticalScrollBar().setValue(0)

    def _address_first(self, result: Any) -> None:
        """The mapped address columns right after Status (and the address set's columns):
        shown there, the file keeps its order."""
        header = self.view.horizontalHeader()
        for logical in range(header.count()):  # back to the file's order first
            header.moveSection(header.visualIndex(logical), logical)
        columns = list(result.columns)
        mapping = dict(result.mapping)
        wanted = [mapping[f] for f in ("full_address", "street", "unit", "city", "state",
                                       "postal_code") if mapping.get(f) in columns]
        first = self.model.first_sheet_column
        for place, name in enumerate(dict.fromkeys(wanted), start=first):
            header.moveSection(header.visualIndex(self.model.column_of(name)), place)

    def _size_columns(self) -> None:
        """Fit columns to a sample of rows (not all 100,000), within sensible bounds."""
        header = self.view.horizontalHeader()
        metrics = self.view.fontMetrics()
        sample = min(self.model.rowCount(), 60)
        header.resizeSection(STATUS_COLUMN, 118)
        for column in range(1, self.model.columnCount()):
            texts = [str(self.model.headerData(column, Qt.Orientation.Horizontal))]
            texts += [str(self.model.index(r, column).data() or "") for r in range(sample)]
            width = max(metrics.horizontalAdvance(t) for t in texts) + 28
            header.resizeSection(column, max(70, min(width, 320)))
