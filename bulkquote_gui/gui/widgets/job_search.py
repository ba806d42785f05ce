"""Search over the recent jobs: past batches by address, company, site id or ZIP.

What `bulkquote find TEXT` finds (core/store/search.py `find_rows`), listed under the field;
choosing a result opens its batch at that row. Typing is debounced (a search starts once the rep pauses),
the search itself runs off the GUI thread (the window's finder makes an operation), at most one
at a time (`operations.Coalescing`): text typed meanwhile is searched once that one is back,
and an answer for an older text is never shown.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from bulkquote_gui.core.output.reasons import status_word
from bulkquote_gui.core.states import RowState
from bulkquote_gui.gui.models.results_model import format_money
from bulkquote_gui.gui.operations import Coalescing, Operation
from bulkquote_gui.gui.qt_compat import emit

DEBOUNCE_MS = 300
MIN_CHARS = 2
BATCH_ROLE = int(Qt.ItemDataRole.UserRole) + 20
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 21

# finder(text): the operation that searches; its value has the `text` searched and its `rows`.
Finder = Callable[[str], Operation[Any]]


def describe(found: Any) -> tuple[str, str, str]:
    """Three lines for one result: which batch and row; whose site; what it costs. The file's
    name comes last on its line: the panel is narrow, and a long name is cut, not the row."""
    first = f"#{found.batch_id}  ·  row {found.row_number}  ·  {found.source_name}"
    if found.site_id:
        first += f"  ·  {found.site_id}"
    if found.status == RowState.COMPLETE and found.mrc is not None:
        outcome = f"{found.carrier or status_word(found.status)} {format_money(found.mrc, None)}/mo"
        if found.valid_until is not None:
            outcome += f", until {found.valid_until:%b} {found.valid_until.day}, {found.valid_until.year}"
    else:
        outcome = status_word(found.status)
    company = f"{found.company} — " if found.company else ""
    return first, f"{company}{found.address}", outcome


class JobSearch(QWidget):
    row_chosen = Signal(int, int)    # batch, sheet row: sent just before batch_chosen
    batch_chosen = Signal(int)
    active_changed = Signal(bool)    # a search is shown instead of the recent jobs (or not)
    results_shown = Signal(str)      # the text whose results are now listed
    failed = Signal(str)             # the search could not be done: why
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finder: Finder | None = None
        self.searches = 0          # searches started (tests: typing fast starts one)
        self._searching = Coalescing(self._search)
        self._shown_text = ""
        self.field = QLineEdit()
        self.field.setObjectName("jobSearch")
        self.field.setPlaceholderText("Find a site: address, company, site ID, ZIP")
        self.field.setClearButtonEnabled(True)
        self.field.setToolTip("Search every batch's rows (as `bulkquote find` does); choose a "
                              "result to open its batch")
        self.field.textChanged.connect(self._typed)
        self.field.returnPressed.connect(self._search_now)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._search_now)
        self.state = QLabel("")
        self.state.setObjectName("hint")
        self.state.setWordWrap(True)
        self.state.hide()
        self.results = QListWidget()
        self.results.setObjectName("searchResults")
        self.results.setWordWrap(False)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setUniformItemSizes(True)
        self.results.setSpacing(4)
        self.results.setAlternatingRowColors(True)
        self.results.itemClicked.connect(self._chosen)
        self.results.itemActivated.connect(self._chosen)
        self.results.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.field)
        layout.addWidget(self.state)
        layout.addWidget(self.results, 1)
        layout.addStretch(0)   # nothing found: the sentence stays under the field

    def is_active(self) -> bool:
        return bool(self.field.text().strip())

    def _typed(self, text: str) -> None:
        active = bool(text.strip())
        if not active:
            self._timer.stop()
            self.results.clear()
            self.results.hide()
            self.state.hide()
            self._shown_text = ""
        else:
            self._timer.start()   # restarted per key: one search once the rep pauses
            if len(text.strip()) < MIN_CHARS:
                self._say(f"Type at least {MIN_CHARS} characters.")
            elif not self._shown_text:
                self._say("Searching…")
        emit(self.active_changed, active)

    def _search_now(self) -> None:
        self._timer.stop()
        self._searching.request()   # one in flight: asked meanwhile, searched again once back

    def _search(self) -> Operation[Any] | None:
        text = self.field.text().strip()
        if len(text) < MIN_CHARS or self.finder is None:
            return None
        self.searches += 1

        def failed(message: str) -> None:
            if text == self.field.text().strip():
                self._say("The search could not be done; see the status bar.")
            emit(self.failed, message)

        return self.finder(text).success(self._answered).failure(failed)

    def _answered(self, found: Any) -> None:
        if found.text == self.field.text().strip():   # else typed on: that text is searched next
            self.show_results(found.text, found.rows)

    def show_results(self, text: str, rows: list[Any]) -> None:
        self.results.clear()
        self._shown_text = text
        for found in rows:
            lines = describe(found)
            item = QListWidgetItem("\n".join(lines))
            item.setData(BATCH_ROLE, int(found.batch_id))
            item.setData(ROW_ROLE, int(found.row_number))
            item.setToolTip("\n".join(lines) + f"\nClick to open batch #{found.batch_id} "
                            f"at row {found.row_number}")
            self.results.addItem(item)
        if rows:
            n = len(rows)
            self._say(f"{n:,} row{'s' if n != 1 else ''} found" + (" (the newest 50)" if n >= 50 else "")
                      + ": click one to open its batch at that row.")
        else:
            self._say(f"Nothing found for “{text}”.")
        self.results.setVisible(bool(rows))
        emit(self.results_shown, text)

    def _say(self, text: str) -> None:
        self.state.setText(text)
        self.state.show()

    def _chosen(self, item: QListWidgetItem) -> None:
        batch_id, row = item.data(BATCH_ROLE), item.data(ROW_ROLE)
        if batch_id is not None:
            if row is not None:
                emit(self.row_chosen, int(batch_id), int(row))
            emit(self.batch_chosen, int(batch_id))
