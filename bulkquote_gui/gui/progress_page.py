"""One batch: progress, stat cards, ETA, live results table and the batch's commands.

The page is a view: it loads the batch's rows once (`show_batch`), then patches one row per
QuoteEvent (`apply_quote_event`) and its header per BatchEvent; a WaitEvent shows why the
account's line stands still (`show_wait`). Button clicks become signals that the main window
carries out (it owns the worker, the operations on the store and the dialogs).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from bulkquote_gui.gui.delegates import StatusBadgeDelegate
from bulkquote_gui.gui.eta import EtaEstimator
from bulkquote_gui.gui.models.results_model import COLUMNS, STATUS_COLUMN, ResultsModel
from bulkquote_gui.gui.roles import status_label
from bulkquote_gui.gui.style import current_theme
from bulkquote_gui.gui.wait_banner import WaitBanner
from bulkquote_gui.gui.widgets import Banner, StatCard
from bulkquote_gui.gui.qt_compat import emit

ACTIVE = ("pending", "running")
TERMINAL_ROWS = ("complete", "failed", "cancelled")
ERROR_MIN = 320  # px: room for the gist of a failure ("manual pricing required: the carriers…")


def finished_summary(status: str, counts: dict[str, int]) -> str:
    done, failed = counts.get("complete", 0), counts.get("failed", 0)
    cancelled = counts.get("cancelled", 0)
    text = f"{done:,} of {counts.get('total', 0):,} sites priced"
    if failed:
        text += f", {failed:,} failed"
    if cancelled:
        text += f", {cancelled:,} not sent"
    if status == "cancelled":
        return f"Batch cancelled: {text}."
    return f"Batch finished: {text}. Export the prices to Excel or CSV."


class ProgressPage(QWidget):
    back_requested = Signal()
    pause_requested = Signal(int)
    resume_requested = Signal(int)
    cancel_requested = Signal(int)
    retry_requested = Signal(int)
    export_requested = Signal(int)
    rush_requested = Signal(int)
    unblock_requested = Signal(str)  # the id of another client's quote that blocks the account
    finished = Signal(int, str)  # batch id, status: the batch reached complete/cancelled while shown

    def __init__(self, monotonic: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batch_id: int | None = None
        self.source_name = ""
        self.status = ""
        self.priority = 0  # > 0: rushed to the front of its account's line
        self._address_width = 380  # what the addresses need (fitted when a batch opens)
        self._rep_paused = False  # the rep pressed Pause: the engine's "paused by the user" adds nothing
        self.counts: dict[str, int] = {}
        self.eta = EtaEstimator(monotonic)

        back = QPushButton("← New batch")
        back.setObjectName("link")
        back.clicked.connect(self.back_requested)
        self.title = QLabel("")
        self.title.setObjectName("pageTitle")
        self.badge = QLabel("")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rush_badge = QLabel("Rush")
        self.rush_badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rush_badge.setToolTip("Rushed: this batch goes before the account's other batches")
        self.rush_badge.hide()
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.badge)
        head.addWidget(self.rush_badge)
        head.addStretch()
        head.addWidget(back)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.percent_label = QLabel("0%")
        self.percent_label.setObjectName("sectionTitle")
        self.percent_label.setMinimumWidth(56)
        self.percent_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.eta_label = QLabel("")
        self.eta_label.setObjectName("muted")
        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.percent_label)
        eta_row = QHBoxLayout()
        eta_row.addWidget(self.eta_label)
        eta_row.addStretch()

        self.cards = {key: StatCard(caption, tone) for key, caption, tone in
                      (("total", "Total", ""), ("succeeded", "Succeeded", "ok"), ("failed", "Failed", "bad"),
                       ("remaining", "Remaining", ""))}
        cards = QHBoxLayout()
        cards.setSpacing(12)
        for card in self.cards.values():
            cards.addWidget(card, 1)

        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.rush_button = QPushButton("Rush")
        self.rush_button.setToolTip("Send this batch's quotes before the account's other batches")
        self.rush_button.clicked.connect(lambda: self._emit(self.rush_requested))
        self.cancel_button = QPushButton("Cancel batch")
        self.cancel_button.setObjectName("danger")
        self.cancel_button.clicked.connect(lambda: self._emit(self.cancel_requested))
        self.retry_button = QPushButton("Retry failed")
        self.retry_button.clicked.connect(lambda: self._emit(self.retry_requested))
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("primary")
        self.export_button.clicked.connect(lambda: self._emit(self.export_requested))
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.rush_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch()
        buttons.addWidget(self.export_button)

        self.message_banner = Banner("infoBanner")
        self.message_banner.hide()
        self.done_banner = Banner("doneBanner")
        self.done_banner.hide()
        self.wait_banner = WaitBanner()
        self.wait_banner.unblock_requested.connect(self.unblock_requested)

        self.model = ResultsModel(self)
        self.view = QTableView()
        self.view.setObjectName("resultsView")
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(STATUS_COLUMN, StatusBadgeDelegate(self.view))
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(32)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.view.horizontalHeader()
        widths = {"Row": 64, "Status": 124, "Carrier": 150, "MRC": 110, "NRC": 110, "Install": 90, "Error": 260}
        for column, name in enumerate(COLUMNS):
            if name in widths:
                header.resizeSection(column, widths[name])
        header.resizeSection(COLUMNS.index("Address"), 380)
        header.setStretchLastSection(False)
        # Error takes the width left over, but never less than ERROR_MIN: on a narrow window the
        # table scrolls sideways instead of squeezing the reason a quote failed to "manual …".
        self.view.viewport().installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(head)
        layout.addLayout(bar)
        layout.addLayout(eta_row)
        layout.addLayout(cards)
        layout.addWidget(self.wait_banner)
        layout.addWidget(self.message_banner)
        layout.addWidget(self.done_banner)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)

    # ------------------------------------------------------------ showing a batch
    def show_batch(self, batch_id: int, source_name: str, status: str, counts: dict[str, int],
                   rows: list[Any], *, priority: int = 0) -> None:
        """Load a batch once (RowView list from the store); events keep it current from then on."""
        self.batch_id = batch_id
        self.source_name = source_name
        self.priority = priority
        self._rep_paused = False
        self.wait_banner.show_wait(None)  # the window shows the new batch's wait, if any
        self.title.setText(f"Batch #{batch_id}  ·  {source_name}")
        self.eta.reset()
        self.message_banner.hide()
        self.model.load(rows)
        self._fit_address_column()
        self._set_status(status)
        self._set_counts(counts)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_error_column()
        return super().eventFilter(watched, event)

    def _fit_error_column(self) -> None:
        """Error gets what is left. Addresses stay whole: they say which site a row is."""
        header = self.view.horizontalHeader()
        error, address = COLUMNS.index("Error"), COLUMNS.index("Address")
        header.resizeSection(address, self._address_width)
        others = sum(header.sectionSize(c) for c in range(len(COLUMNS)) if c != error)
        header.resizeSection(error, max(ERROR_MIN, self.view.viewport().width() - others))

    def _fit_address_column(self) -> None:
        """Addresses as wide as the longest of the first rows need, so Error gets the rest."""
        column = COLUMNS.index("Address")
        metrics = self.view.fontMetrics()
        texts = [str(self.model.index(r, column).data() or "") for r in range(min(self.model.rowCount(), 200))]
        widest = max((metrics.horizontalAdvance(t) for t in texts), default=0) + 28
        self._address_width = max(240, min(widest, 420))
        self._fit_error_column()

    def apply_quote_event(self, event: QuoteEvent) -> None:
        if event.batch_id != self.batch_id:
            return
        self.model.apply(event)
        if event.status in TERMINAL_ROWS:
            self.eta.quote_finished()
        if event.counts:
            self._set_counts(event.counts)
        if self.status not in ("running", "paused"):
            self._set_status("running")

    def apply_batch_event(self, event: BatchEvent) -> None:
        if event.batch_id != self.batch_id:
            return
        previous = self.status
        if event.counts:
            self.counts = dict(event.counts)
        self._set_status(event.status)
        self._set_counts(self.counts)
        rep_paused = event.status == "paused" and self._rep_paused
        if event.status != "paused":
            self._rep_paused = False
        if rep_paused:
            self.message_banner.hide()  # their own pause: the line under the bar says it already
        elif event.message and event.status not in ("complete",):
            self.show_message(event.message)
        elif event.status == "running":
            self.message_banner.hide()
        if event.status in ("complete", "cancelled") and previous != event.status:
            emit(self.finished, event.batch_id, event.status)

    def show_message(self, text: str) -> None:
        self.message_banner.set_text(text[:1].upper() + text[1:])  # the engine's messages are clauses
        self.message_banner.show()

    def set_status(self, status: str) -> None:
        self._set_status(status)

    def set_priority(self, priority: int) -> None:
        self.priority = priority
        self._sync()

    def show_wait(self, event: WaitEvent | None) -> None:
        """Why the account's line stands still (None: it does not); not for a finished batch."""
        self.wait_banner.show_wait(event if self.status not in ("complete", "cancelled") else None)
        self._sync()  # the ETA line says the batch is on hold

    # ------------------------------------------------------------ internals
    def _set_status(self, status: str) -> None:
        self.status = status
        colours = current_theme().badge(status)
        self.badge.setText(status_label(status))
        self.badge.setStyleSheet(f"background: {colours.fill}; color: {colours.text}; border-radius: 11px;"
                                 " padding: 3px 14px; font-weight: 600;")
        rush = current_theme().badge("rush")
        self.rush_badge.setStyleSheet(f"background: {rush.fill}; color: {rush.text}; border-radius: 11px;"
                                      " padding: 3px 12px; font-weight: 600;")
        if status in ("complete", "cancelled"):
            self.wait_banner.show_wait(None)  # a finished batch waits for nothing
        self._sync()

    def _set_counts(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)
        total = counts.get("total", 0)
        done = sum(counts.get(k, 0) for k in TERMINAL_ROWS)
        remaining = counts.get("pending", 0) + counts.get("active", 0)
        self.progress.setValue(int(1000 * done / total) if total else 0)
        self.percent_label.setText(f"{(100 * done // total) if total else 0}%")
        self.cards["total"].set_value(total)
        self.cards["succeeded"].set_value(counts.get("complete", 0))
        self.cards["failed"].set_value(counts.get("failed", 0))
        self.cards["remaining"].set_value(remaining)
        self._sync()

    def _sync(self) -> None:
        """Buttons enabled only when they apply; the ETA and the finished summary."""
        status, counts = self.status, self.counts
        remaining = counts.get("pending", 0) + counts.get("active", 0)
        active = status in ACTIVE
        self.pause_button.setText("Resume" if status == "paused" else "Pause")
        self.pause_button.setEnabled(active or status == "paused")
        self.cancel_button.setEnabled(active or status == "paused")
        rushed = self.priority > 0
        self.rush_badge.setVisible(rushed)
        self.rush_button.setText("Rushed" if rushed else "Rush")
        self.rush_button.setEnabled((active or status == "paused") and not rushed)
        self.retry_button.setEnabled(counts.get("failed", 0) > 0 and not active)
        self.export_button.setEnabled(counts.get("total", 0) > 0)
        if status == "paused":
            self.eta_label.setText("Paused. Resume to carry on where it stopped.")
        elif active and self.wait_banner.event is not None:
            self.eta_label.setText("On hold: nothing is sent until the wait below is over.")
        elif active:
            self.eta_label.setText(self.eta.describe(remaining) or "Finishing…")
        else:
            self.eta_label.setText("")
        self.eta_label.setVisible(bool(self.eta_label.text()))
        if status in ("complete", "cancelled"):
            self.done_banner.set_text(finished_summary(status, counts))
            self.done_banner.show()
        else:
            self.done_banner.hide()

    def _pause_or_resume(self) -> None:
        self._rep_paused = self.status != "paused"
        self._emit(self.resume_requested if self.status == "paused" else self.pause_requested)

    def _emit(self, signal) -> None:
        if self.batch_id is not None:
            emit(signal, self.batch_id)
