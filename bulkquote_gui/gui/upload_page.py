"""The upload page: drop or open a spreadsheet, check the preview, fix rows, pick defaults, submit.

Reading a file, re-mapping columns and changing defaults all run off the GUI thread
(`asyncio.to_thread` on the qasync loop) with a progress bar, so a 100,000-row file never freezes
the window. Signals `loaded` / `load_failed` tell the window (and tests) when a load is done.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QFrame, QHBoxLayout,
                               QCheckBox, QHeaderView, QLabel, QProgressBar, QPushButton, QSizePolicy,
                               QTableView, QVBoxLayout, QWidget)

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.gui import focus
from bulkquote_gui.gui.background import run_blocking
from bulkquote_gui.gui.defaults_panel import DefaultsPanel
from bulkquote_gui.gui.delegates import StatusBadgeDelegate
from bulkquote_gui.gui.drop_zone import DropZone
from bulkquote_gui.gui.frozen_column import FrozenColumn
from bulkquote_gui.gui.jobs_panel import JobsPanel
from bulkquote_gui.gui.mapping_panel import MappingPanel
from bulkquote_gui.gui.models.preview_model import STATUS_COLUMN, PreviewModel
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.remembered_mapping import Loaded, apply_remembered, remember_after_submit
from bulkquote_gui.gui.widgets import CurrentPageStack, FilterPill, StackPage
from bulkquote_gui.services.paths import is_database_path

log = logging.getLogger(__name__)


def _importer():
    from bulkquote_gui.core import importer  # heavy (pandas): loaded on first use, not at start-up
    return importer


def summary_text(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    parts = [f"{counts.get('rows', 0):,} rows", f"{counts.get('valid', 0):,} valid"]
    for key, word in (("repaired", "repaired"), ("invalid", "invalid"), ("duplicates", "duplicate")):
        if counts.get(key):
            parts.append(f"{counts[key]:,} {word}")
    return "  ·  ".join(parts)


class _SidePanel(QFrame):
    """The recent-jobs card: asks for its full width, takes less on a small screen."""

    def sizeHint(self) -> QSize:
        return QSize(self.maximumWidth(), super().sizeHint().height())


class UploadPage(StackPage):
    loaded = Signal(object)          # ImportResult now shown
    load_failed = Signal(str)        # a sentence naming the file
    database_url: str | None = None  # the store's URL: its files are never read as a sheet
    busy_changed = Signal(bool)
    submit_requested = Signal(object, object)  # ImportResult, BatchDefaults
    browse_requested = Signal()
    export_cleaned_requested = Signal(object)   # ImportResult: write what would be sent, per row
    export_fix_list_requested = Signal(object)  # ImportResult: its invalid rows, to fix in Excel
    _progress = Signal(int, int)     # generation, percent: from the import thread, queued to us

    def __init__(self, defaults: BatchDefaults, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._generation = 0  # a newer load/remap makes older ones' answers stale
        self._task: asyncio.Task | None = None
        self._busy = False
        self._enable: Callable[[], None] | None = None   # ends the busy state's disabling
        self._loaded: Loaded | None = None   # the file's automatic mapping, and a remembered one
        self._progress.connect(self._show_progress)

        empty = self._build_empty()
        head = self._build_head()
        self.mapping_panel = MappingPanel()
        self.mapping_panel.mapping_changed.connect(self.apply_mapping)
        self.mapping_panel.remembered_note.automatic_requested.connect(
            lambda: self._loaded is not None and self.apply_mapping(dict(self._loaded.automatic)))
        self.defaults_panel = DefaultsPanel(defaults)
        self.defaults_panel.defaults_changed.connect(self.apply_defaults)

        filters = self._build_preview()
        bottom = self._build_actions()

        loaded = StackPage()
        loaded_layout = QVBoxLayout(loaded)
        loaded_layout.setContentsMargins(0, 0, 0, 0)
        loaded_layout.setSpacing(10)
        loaded_layout.addLayout(head)
        loaded_layout.addWidget(self.mapping_panel)
        loaded_layout.addWidget(self.defaults_panel)
        loaded_layout.addLayout(filters)
        loaded_layout.addWidget(self.view, 1)
        loaded_layout.addWidget(self.reasons_label)
        loaded_layout.addWidget(self.reuse_label)
        loaded_layout.addWidget(self.summary)
        loaded_layout.addLayout(bottom)

        self.stack = CurrentPageStack()
        self.stack.addWidget(empty)
        self.stack.addWidget(loaded)

        self._build_busy_row()
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(self.stack, 1)
        left.addWidget(self.busy_row)

        side = self._build_side()
        self.side = side
        self._left = left
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(16)
        layout.addLayout(left, 1)
        layout.addWidget(side)

    def _build_empty(self) -> StackPage:
        """The start: the big drop zone under a title."""
        self.drop_zone = DropZone()
        self.drop_zone.file_dropped.connect(lambda path: self.load_file(path))
        self.drop_zone.browse_requested.connect(self.browse_requested)
        empty = StackPage()
        empty_layout = QVBoxLayout(empty)
        empty_layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel("Quote every site in a spreadsheet")
        intro.setObjectName("pageTitle")
        sub = QLabel("BulkQuote checks each address, sends them to Momentum one at a time and keeps "
                     "the prices, even if you close the app.")
        sub.setObjectName("muted")
        sub.setWordWrap(True)
        empty_layout.addWidget(intro)
        empty_layout.addWidget(sub)
        empty_layout.addSpacing(12)
        empty_layout.addWidget(self.drop_zone, 1)
        return empty

    def _build_head(self) -> QHBoxLayout:
        """The loaded file's name, its sheet and "Open another…"."""
        self.file_label = QLabel("")
        self.file_label.setObjectName("pageTitle")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sheet_label = QLabel("Sheet")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setMinimumContentsLength(12)
        self.sheet_combo.currentTextChanged.connect(self._sheet_chosen)
        self.open_other = QPushButton("Open another…")
        self.open_other.clicked.connect(self.browse_requested)
        head = QHBoxLayout()
        head.addWidget(self.file_label, 1)
        head.addWidget(self.sheet_label)
        head.addWidget(self.sheet_combo)
        head.addWidget(self.open_other)
        return head

    def _build_preview(self) -> QHBoxLayout:
        """The preview table (editable cells) and the All/Valid/Problems filters (returned)."""
        self.model = PreviewModel(self)
        self.model.counts_changed.connect(self._show_counts)
        # Cells the rep fixed in this file: kept nowhere else until it is submitted.
        self.has_fixes = False
        self.model.edited.connect(self._cell_fixed)
        self.view = QTableView()
        self.view.setObjectName("previewView")
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(STATUS_COLUMN, StatusBadgeDelegate(self.view))
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.view.verticalHeader().setDefaultSectionSize(30)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setDefaultSectionSize(140)
        self.view.horizontalHeader().setStretchLastSection(False)
        self.view.setTabKeyNavigation(False)  # one tab stop: Tab goes on to Submit, arrows move inside
        # Ten rows at least, whatever the mapping and defaults above take (the page scrolls).
        header = self.view.horizontalHeader().sizeHint().height()
        scroll = self.view.horizontalScrollBar().sizeHint().height()
        self.view.setMinimumHeight(max(header, 34) + 10 * 30 + max(scroll, 14) + 6)
        self.frozen = FrozenColumn(self.view)  # Status stays in sight on a wide sheet

        self.filter_buttons: dict[str, FilterPill] = {}
        self.filter_group = QButtonGroup(self)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        tips = {"all": "Every row of the file",
                "valid": "The rows that will be quoted: valid ones and those BulkQuote repaired",
                "problems": "Invalid and duplicate rows: these are not quoted until fixed"}
        for kind, caption in (("all", "All"), ("valid", "Valid"), ("problems", "Problems")):
            button = FilterPill(caption)
            button.setToolTip(tips[kind])
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

    def _build_actions(self) -> QHBoxLayout:
        """The counts and reasons, the exports, Reuse and Submit (the row returned)."""
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)  # a long file's counts wrap; the buttons beside keep their text
        # Why rows are not quoted, counted as `bulkquote check` prints them.
        self.reasons_label = QLabel("")
        self.reasons_label.setObjectName("hint")
        self.reasons_label.setWordWrap(True)
        self.submit_button = QPushButton("&Submit 0 quotes")
        self.submit_button.setObjectName("primary")
        self.submit_button.setEnabled(False)
        self.submit_button.setMinimumWidth(180)
        self.submit_button.clicked.connect(self._submit)
        self.export_cleaned_button = QPushButton("Export &cleaned addresses…")
        self.export_cleaned_button.setToolTip(
            "A CSV with one line per row: its status and reason, and the street, unit, city, "
            "state and ZIP that would be sent (bulkquote check --rows)")
        self.export_cleaned_button.clicked.connect(
            lambda: self.result is not None and emit(self.export_cleaned_requested, self.result))
        self.reuse_box = QCheckBox("&Reuse valid quotes")
        self.reuse_box.setChecked(True)
        self.reuse_box.setToolTip("Sites this account quoted before, whose price is still valid, "
                                  "are filled from that quote with no API call; untick to ask "
                                  "the API again for every site")
        self.reuse_box.toggled.connect(self._reuse_toggled)
        self.reuse_label = QLabel("")
        self.reuse_label.setObjectName("hint")
        self.reuse_label.setWordWrap(True)
        self.reuse_label.hide()
        self.fix_list_button = QPushButton("Export f&ix list…")
        self.fix_list_button.setToolTip(
            "An Excel file of the invalid rows, their own columns as in the file, the reason first "
            "and the cells at fault in red: fix them in Excel and drop the file back in "
            "(bulkquote check --fix-list)")
        self.fix_list_button.setEnabled(False)
        self.fix_list_button.clicked.connect(
            lambda: self.result is not None and emit(self.export_fix_list_requested, self.result))
        # The counts on a line of their own (they are long on a big file), then the actions:
        # the two exports on the left, what the submit does and Submit on the right.
        bottom = QHBoxLayout()
        bottom.addWidget(self.fix_list_button)
        bottom.addWidget(self.export_cleaned_button)
        bottom.addStretch(1)
        bottom.addWidget(self.reuse_box)
        bottom.addWidget(self.submit_button)
        return bottom

    def _build_busy_row(self) -> None:
        """The busy indicator while a file is read or checked again."""
        self.busy_label = QLabel("")
        self.busy_label.setObjectName("muted")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(320)
        busy = QHBoxLayout()
        busy.addWidget(self.busy_label)
        busy.addWidget(self.progress)
        busy.addStretch()
        self.busy_row = QWidget()
        self.busy_row.setLayout(busy)
        busy.setContentsMargins(0, 0, 0, 0)
        self.busy_row.setVisible(False)

    def _build_side(self) -> _SidePanel:
        """The recent jobs, on the right."""
        self.jobs_panel = JobsPanel()
        side = _SidePanel()
        side.setObjectName("card")
        # Wide enough to read file names and counts; gives a little on a small laptop screen.
        side.setMinimumWidth(300)
        side.setMaximumWidth(360)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(12, 14, 12, 12)
        side_layout.addWidget(self.jobs_panel)
        side.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        return side

    # ------------------------------------------------------------ small screens
    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """The left column's needs only: on a narrow window the recent jobs make way (below)."""
        hint = super().minimumSizeHint()
        if hint.isNull():
            return hint  # not the page shown (StackPage)
        return QSize(self._left.minimumSize().width() + 40, hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_side(event.size().width())

    def _fit_side(self, width: int | None = None) -> None:
        """With a file loaded on a narrow window (1280x720 at 150 %), the grid and the mapping
        get the width and the recent jobs step aside; they are back on the start page."""
        width = self.width() if width is None else width
        room = self._left.minimumSize().width() + self.side.minimumWidth() + 16 + 40
        self.side.setVisible(self.stack.currentIndex() == 0 or width >= room)

    # ------------------------------------------------------------ state
    @property
    def result(self) -> Any:
        return self.model.result

    def is_busy(self) -> bool:
        return self._busy

    def quotable_count(self) -> int:
        return int(self.model.counts().get("quotable", 0))

    def defaults(self) -> BatchDefaults:
        return self.defaults_panel.defaults()

    def set_filter(self, kind: str) -> None:
        self.model.set_filter(kind)
        self.filter_buttons[kind].setChecked(True)

    def _cell_fixed(self) -> None:
        self.has_fixes = True

    def clear(self) -> None:
        """Back to the empty drop zone (after a submit)."""
        self._generation += 1
        self.model.set_result(None)
        self.has_fixes = False
        self._loaded = None
        self.reuse_box.setChecked(True)   # the next file reuses valid quotes unless told not to
        self._sync_reuse_label()
        self.stack.setCurrentIndex(0)
        self._show_counts({})
        self._fit_side()

    # ------------------------------------------------------------ loading off the GUI thread
    def load_file(self, path: str | Path, sheet: str | None = None) -> None:
        path = Path(path)
        if is_database_path(path, self.database_url):
            # Reading it would close a descriptor of the database in this process, and with it
            # every lock SQLite holds on it (see services/paths.py): refused before any open.
            emit(self.load_failed, f"{path.name} is BulkQuote's own database, not a spreadsheet: "
                                   "choose a spreadsheet somewhere else")
            return
        defaults = self.defaults()

        def work(progress: Callable[[float], None]) -> tuple[Any, list[str], Loaded]:
            importer = _importer()
            sheets = importer.list_sheets(path)
            result = importer.import_file(path, sheet=sheet, defaults=defaults, progress=progress)
            result, loaded = apply_remembered(result)   # a mapping the rep chose for these headers
            return result, sheets, loaded

        self._start(f"Reading {path.name}…", work, self._show_loaded)

    def apply_mapping(self, mapping: dict[str, str]) -> None:
        result = self.result
        if result is None or mapping == dict(result.mapping):
            return
        self._start("Checking rows with the new mapping…", lambda _p: result.with_mapping(mapping),
                    self._show_remapped)

    def apply_defaults(self, defaults: BatchDefaults) -> None:
        result = self.result
        if result is None:
            return
        self._start("Applying the defaults…", lambda _p: result.with_defaults(defaults), self._show_remapped)

    def _start(self, label: str, work: Callable[[Callable[[float], None]], Any],
               done: Callable[[Any], None]) -> None:
        self._generation += 1
        generation = self._generation
        self._set_busy(True, label)
        self._task = asyncio.ensure_future(self._run(generation, work, done))

    async def _run(self, generation: int, work, done) -> None:
        last = [-1]

        def progress(fraction: float) -> None:  # called on the import thread
            percent = max(0, min(100, int(fraction * 100)))
            if percent != last[0]:
                last[0] = percent
                emit(self._progress, generation, percent)  # a queued call into the GUI thread

        spreadsheet_error = _importer().SpreadsheetError
        value, error = await run_blocking(work, progress, expected=(spreadsheet_error,))
        if generation != self._generation:
            return  # the rep asked for something newer meanwhile
        self._set_busy(False)
        if error is not None:
            message = str(error) if isinstance(error, spreadsheet_error) else \
                f"Could not read the file: {type(error).__name__}: {error}"
            emit(self.load_failed, message)
            return
        done(value)

    def _show_progress(self, generation: int, percent: int) -> None:
        if generation == self._generation and self._busy:
            self.progress.setRange(0, 100)
            self.progress.setValue(percent)

    def _set_busy(self, busy: bool, label: str = "") -> None:
        self._busy = busy
        self.busy_label.setText(label)
        self.progress.setRange(0, 0 if busy else 100)  # indeterminate until the importer reports
        self.busy_row.setVisible(busy)
        if busy and self._enable is None:   # the focus comes back to the box the rep changed
            self._enable = focus.disable((self.mapping_panel, self.defaults_panel, self.drop_zone,
                                          self.sheet_combo))
        elif not busy and self._enable is not None:
            self._enable()
            self._enable = None
        self._sync_submit()
        emit(self.busy_changed, busy)

    # ------------------------------------------------------------ showing results
    def _show_loaded(self, value: tuple[Any, list[str], Loaded]) -> None:
        result, sheets, self._loaded = value
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(sheets)
        if result.sheet:
            self.sheet_combo.setCurrentText(result.sheet)
        self.sheet_combo.blockSignals(False)
        several = len(sheets) > 1
        self.sheet_label.setVisible(several)
        self.sheet_combo.setVisible(several)
        name = Path(result.path).name
        self.has_fixes = False   # a file read afresh
        self.file_label.setText(name)
        self.set_filter("all")   # a new file shows every row, whatever the last one was left on
        self.file_label.setToolTip(str(result.path))
        self._show_result(result, fresh=True)
        self.stack.setCurrentIndex(1)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)   # not wherever the drop zone's left it
        self._fit_side()
        emit(self.loaded, result)

    def _show_remapped(self, result: Any) -> None:
        self._show_result(result)
        emit(self.loaded, result)

    def _show_result(self, result: Any, *, fresh: bool = False) -> None:
        if not fresh:
            self._fit_side()
        self.mapping_panel.show_mapping(list(result.columns), dict(result.mapping), fresh=fresh)
        remembered = self._loaded.remembered if self._loaded is not None else None
        self.mapping_panel.remembered_note.show_entry(
            remembered if remembered is not None and dict(result.mapping) == remembered.mapping else None)
        self.show_reuse({})   # the window reads which rows a submit would reuse for this result
        empty = len(result) == 0
        if empty:  # a header and nothing under it: no column to pick, nothing to quote
            self.mapping_panel.set_expanded(False)
        self.mapping_panel.setVisible(not empty)
        self.defaults_panel.setVisible(not empty)
        self.model.set_result(result)
        self._size_columns()
        self._address_first(result)
        if fresh:  # a new file starts at its first row and column, not where the last one was
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

    def _show_reasons(self, result: Any) -> None:
        if len(result) == 0:
            self.reasons_label.setText("")
            self.reasons_label.setVisible(False)
            return
        counts = result.counts()
        parts = [f"{n:,} {reason}" for reason, n in result.invalid_by_reason().items()]
        if counts.get("duplicates"):
            parts.append(f"{counts['duplicates']:,} duplicate")
        self.reasons_label.setText("Not quoted: " + "  ·  ".join(parts) if parts else "")
        self.reasons_label.setVisible(bool(parts))

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

    def _show_counts(self, counts: dict[str, int]) -> None:
        result = self.result
        if counts and result is not None and len(result) == 0:
            self.summary.setText(f"No data rows: {Path(result.path).name} has a header row and "
                                 "nothing under it.")
        else:
            self.summary.setText(summary_text(counts))
        if counts:
            problems = counts.get("invalid", 0) + counts.get("duplicates", 0)
            self.filter_buttons["all"].setText(f"All {counts.get('rows', 0):,}")
            self.filter_buttons["valid"].setText(f"Valid {counts.get('quotable', 0):,}")
            self.filter_buttons["problems"].setText(f"Problems {problems:,}")
        if result is not None:
            self._show_reasons(result)   # an inline fix takes its problem off the line
        self._sync_submit()

    # ------------------------------------------------------------ reusing valid quotes
    def reuse(self) -> bool:
        """Whether the submit fills rows from still-valid earlier quotes (the checkbox)."""
        return self.reuse_box.isChecked()

    def show_reuse(self, reusable: dict[int, Any]) -> None:
        """The rows (row number -> store.Reusable) a submit would fill from earlier quotes."""
        self.model.set_reuse(reusable, self.reuse())
        self._sync_reuse_label()

    def _reuse_toggled(self, on: bool) -> None:
        self.model.set_reuse(self.model.reusable(), on)
        self._sync_reuse_label()

    def _sync_reuse_label(self) -> None:
        found = self.model.reusable()
        n = len(found)
        if not n:
            self.reuse_label.hide()
            return
        batches = sorted({r.from_batch for r in found.values()})
        listed = ", ".join(f"#{b}" for b in batches[:3]) + (" and more" if len(batches) > 3 else "")
        rows = f"{n:,} row{'s' if n != 1 else ''}"
        if self.reuse():
            text = (f"{rows} {'have' if n != 1 else 'has'} a still-valid price from batch {listed}: "
                    "filled from it at submit, with no API call (\"Reuse\" in Status; its "
                    "tooltip says which quote).")
        else:
            text = (f"{rows} {'have' if n != 1 else 'has'} a still-valid price from batch {listed}, "
                    "but will be asked again: \"Reuse valid quotes\" is off.")
        self.reuse_label.setText(text)
        self.reuse_label.show()

    def remember_mapping(self, result: Any) -> None:
        """After a submit: a mapping the rep corrected is offered again for the same headers."""
        try:
            remember_after_submit(result, self._loaded)
        except OSError as exc:   # a read-only config folder costs the memory, not the batch
            log.warning("could not remember the column mapping: %s", exc)

    def refresh_submit(self) -> None:
        """Submit enabled again as the counts say (after a failed attempt to store the batch)."""
        self._sync_submit()

    def _sync_submit(self) -> None:
        n = self.quotable_count()
        self.submit_button.setText(f"&Submit {n:,} quote" + ("" if n == 1 else "s"))
        self.submit_button.setEnabled(n > 0 and not self._busy)
        result = self.result
        invalid = result.counts()["invalid"] if result is not None else 0
        self.fix_list_button.setEnabled(invalid > 0 and not self._busy)

    def _sheet_chosen(self, name: str) -> None:
        result = self.result
        if name and result is not None and name != result.sheet:
            self.load_file(result.path, sheet=name)

    def _submit(self) -> None:
        if self.result is not None and self.quotable_count() > 0 and not self._busy:
            emit(self.submit_requested, self.result, self.defaults())
