"""The upload page: drop or open a spreadsheet, check the preview, fix rows, pick defaults, submit.

Reading a file, re-mapping columns and changing defaults all run off the GUI thread (an
`Operation` through `file_loading.LoadingRow`, the newest asked winning) with a progress bar, so
a 100,000-row file never freezes the window. Signals `loaded` / `load_failed` tell the window
(and tests) when a load is done. The preview grid is `preview_table`, the foot with the counts
and Submit `upload_actions`.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QSizePolicy, QVBoxLayout, QWidget)

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.gui import focus
from bulkquote_gui.gui.widgets.defaults_panel import DefaultsPanel
from bulkquote_gui.gui.widgets.drop_zone import DropZone
from bulkquote_gui.gui.pages.file_loading import LoadingRow, spreadsheet_reader
from bulkquote_gui.gui.widgets.jobs_panel import JobsPanel
from bulkquote_gui.gui.widgets.mapping_panel import MappingPanel
from bulkquote_gui.gui.pages.preview_table import PreviewTable
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.controllers.remembered_mapping import Loaded, apply_remembered, remember_after_submit
from bulkquote_gui.gui.pages.upload_actions import UploadActions
from bulkquote_gui.gui.widgets.blocks import CurrentPageStack, StackPage
from bulkquote_gui.services.paths import is_database_path

log = logging.getLogger(__name__)


class _SidePanel(QFrame):
    """The recent-jobs card: asks for its full width, takes less on a small screen."""

    def sizeHint(self) -> QSize:
        return QSize(self.maximumWidth(), super().sizeHint().height())


class _DownScroll(QScrollArea):
    """Scrolls down only, and asks for the width its content needs: the page decides the width
    (and whether the recent jobs fit beside), as it did before the preview scrolled on its own."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(self.widget().minimumSizeHint().width() + bar, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # Asks no height: the window's scroll area sizes the page by what it prefers, and this
        # part takes whatever the actions below leave (its stretch), scrolling past that.
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())


class UploadPage(StackPage):
    loaded = Signal(object)          # ImportResult now shown
    load_failed = Signal(str)        # a sentence naming the file
    database_url: str | None = None  # the store's URL: its files are never read as a sheet
    busy_changed = Signal(bool)
    submit_requested = Signal(object, object)  # ImportResult, BatchDefaults
    browse_requested = Signal()
    export_cleaned_requested = Signal(object)   # ImportResult: write what would be sent, per row
    export_fix_list_requested = Signal(object)  # ImportResult: its invalid rows, to fix in Excel

    def __init__(self, defaults: BatchDefaults, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._enable: Callable[[], None] | None = None   # ends the busy state's disabling
        self._loaded: Loaded | None = None   # the file's automatic mapping, and a remembered one
        self.loading = LoadingRow()
        self.loading.busy_changed.connect(self._busy_changed)
        self.stack = CurrentPageStack()
        self.stack.addWidget(self._build_empty())
        self.stack.addWidget(self._build_loaded(defaults))
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(self.stack, 1)
        left.addWidget(self.loading)
        self.side = self._build_side()
        self._left = left
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(16)
        layout.addLayout(left, 1)
        layout.addWidget(self.side)

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

    def _build_loaded(self, defaults: BatchDefaults) -> StackPage:
        """A file loaded: its name, the mapping, the defaults, the preview and the actions."""
        self.mapping_panel = MappingPanel()
        self.mapping_panel.mapping_changed.connect(self.apply_mapping)
        self.mapping_panel.remembered_note.automatic_requested.connect(
            lambda: self._loaded is not None and self.apply_mapping(dict(self._loaded.automatic)))
        self.defaults_panel = DefaultsPanel(defaults)
        self.defaults_panel.defaults_changed.connect(self.apply_defaults)
        self.preview = PreviewTable()
        self.model, self.view = self.preview.model, self.preview.view
        self.filter_buttons, self.frozen = self.preview.filter_buttons, self.preview.frozen
        self.model.counts_changed.connect(self._show_counts)
        self.actions = UploadActions(self.model)
        self.actions.deal_terms.set_default_term(defaults.term_months)
        self.defaults_panel.defaults_changed.connect(
            lambda chosen: self.actions.deal_terms.set_default_term(chosen.term_months))
        self.submit_button = self.actions.submit_button
        self.fix_list_button = self.actions.fix_list_button
        self.export_cleaned_button = self.actions.export_cleaned_button
        self.reuse_box, self.reuse_label = self.actions.reuse_box, self.actions.reuse_label
        self.summary, self.reasons_label = self.actions.summary, self.actions.reasons_label
        self.actions.submit_clicked.connect(self._submit)
        self.actions.export_cleaned_clicked.connect(
            lambda: self.result is not None and emit(self.export_cleaned_requested, self.result))
        self.actions.fix_list_clicked.connect(
            lambda: self.result is not None and emit(self.export_fix_list_requested, self.result))
        above = QWidget()
        above_layout = QVBoxLayout(above)
        above_layout.setContentsMargins(0, 0, 0, 0)
        above_layout.setSpacing(10)
        above_layout.addLayout(self._build_head())
        above_layout.addWidget(self.mapping_panel)
        above_layout.addWidget(self.defaults_panel)
        above_layout.addWidget(self.preview, 1)
        # On a short screen (1280x720 at 125 %) what is above the actions scrolls, and Submit
        # stays in sight under it: the whole page scrolling left Submit below the window's edge.
        self.above_scroll = _DownScroll(above)
        loaded = StackPage()
        layout = QVBoxLayout(loaded)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.above_scroll, 1)
        layout.addWidget(self.actions)
        return loaded

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
        return self.loading.is_busy()

    def quotable_count(self) -> int:
        return int(self.model.counts().get("quotable", 0))

    def defaults(self) -> BatchDefaults:
        return self.defaults_panel.defaults()

    def set_filter(self, kind: str) -> None:
        self.preview.set_filter(kind)

    def clear(self) -> None:
        """Back to the empty drop zone (after a submit)."""
        self.loading.cancel()
        self.model.set_result(None)
        self.preview.has_fixes = False
        self._loaded = None
        self.actions.reset()
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
            importer = spreadsheet_reader()
            sheets = importer.list_sheets(path)
            result = importer.import_file(path, sheet=sheet, defaults=defaults, progress=progress)
            result, loaded = apply_remembered(result)   # a mapping the rep chose for these headers
            return result, sheets, loaded

        self.loading.start(f"Reading {path.name}…", work, self._show_loaded,
                           partial(emit, self.load_failed))

    def apply_mapping(self, mapping: dict[str, str]) -> None:
        result = self.result
        if result is None or mapping == dict(result.mapping):
            return
        self.loading.start("Checking rows with the new mapping…", lambda _p: result.with_mapping(mapping),
                           self._show_remapped, partial(emit, self.load_failed))

    def apply_defaults(self, defaults: BatchDefaults) -> None:
        result = self.result
        if result is None:
            return
        self.loading.start("Applying the defaults…", lambda _p: result.with_defaults(defaults),
                           self._show_remapped, partial(emit, self.load_failed))

    def _busy_changed(self, busy: bool) -> None:
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
        self.file_label.setText(name)
        self.set_filter("all")   # a new file shows every row, whatever the last one was left on
        self.file_label.setToolTip(str(result.path))
        self._show_result(result, fresh=True)   # a file read afresh: no fixes yet
        self.stack.setCurrentIndex(1)
        self.above_scroll.verticalScrollBar().setValue(0)   # a new file starts at its name
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
        self.preview.show_result(result, fresh=fresh)

    def _show_counts(self, counts: dict[str, int]) -> None:
        self.actions.show_counts(counts, self.result)
        self.preview.show_counts(counts)
        self._sync_submit()

    # ------------------------------------------------------------ reuse and submit
    def reuse(self) -> bool:
        """Whether the submit fills rows from still-valid earlier quotes (the checkbox)."""
        return self.actions.reuse()

    def show_reuse(self, reusable: dict[int, Any]) -> None:
        """The rows (row number -> store.Reusable) a submit would fill from earlier quotes."""
        self.actions.show_reuse(reusable)

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
        result = self.result
        invalid = result.counts()["invalid"] if result is not None else 0
        self.actions.sync(self.quotable_count(), invalid, self.is_busy())

    def _sheet_chosen(self, name: str) -> None:
        result = self.result
        if name and result is not None and name != result.sheet:
            self.load_file(result.path, sheet=name)

    def _submit(self) -> None:
        if self.result is not None and self.quotable_count() > 0 and not self.is_busy():
            emit(self.submit_requested, self.result, self.defaults())
