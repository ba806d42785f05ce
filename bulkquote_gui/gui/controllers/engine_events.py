"""The engine's events on the pages: each quote and batch event on the progress page (replayed
for a batch still being opened), the account's waits on the banner, and the rep alerted when a
batch finishes. Opening a batch lives here because its replay is part of showing events."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from bulkquote_gui.core.states import ROW_TERMINAL, BatchStatus, RowState
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.operations import batches
from bulkquote_gui.gui.pages.progress_page import ProgressPage, finished_summary
from bulkquote_gui.gui.qt_compat import emit


class EngineEvents(QObject):
    batch_opened = Signal(int)           # the progress page now shows this batch
    batch_finished = Signal(int, str)    # complete or cancelled (the rep was alerted)
    quote_shown = Signal(object)         # a QuoteEvent, after the page showed it (GUI thread)
    wait_shown = Signal(object)          # a WaitEvent, after the page showed (or hid) it
    run_over = Signal()                  # the worker's run ended (finished or failed)
    changed = Signal()                   # what the window's actions apply to may have changed
    jobs_stale = Signal()                # the recent jobs' counts moved

    def __init__(self, progress_page: ProgressPage, show_page: Callable[[], None], dialogs: Any,
                 feedback: Feedback, session_factory: Any, tray: QSystemTrayIcon | None,
                 alert_widget: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._page = progress_page
        self._show_page = show_page
        self._dialogs = dialogs
        self._feedback = feedback
        self._sessions = session_factory
        self._tray = tray
        self._alert_widget = alert_widget
        self._waits: dict[int, WaitEvent] = {}  # account id -> its current wait
        # Events for a batch whose rows are being read to open it: replayed once it is shown,
        # so nothing the engine says between the read and the display is lost.
        self._opening: dict[int, list[QuoteEvent | BatchEvent]] = {}
        self.last_alert = ""
        progress_page.finished.connect(self._batch_finished)

    def attach(self, worker: Any) -> None:
        """A new worker (at start, after a reconnect): its events come here."""
        worker.quote_event.connect(self._on_quote_event)
        worker.batch_event.connect(self._on_batch_event)
        worker.wait_event.connect(self._on_wait_event)
        worker.run_finished.connect(self._on_run_finished)
        worker.run_failed.connect(self._on_run_failed)

    # ------------------------------------------------------------------ opening a batch
    def open_batch(self, batch_id: int, then: Callable[[], None] | None = None) -> None:
        """Show one batch: its rows are read once, off the GUI thread; events keep it current.
        `then` runs once it shows (or could not be read)."""
        self._opening.setdefault(batch_id, [])
        then = then or (lambda: None)

        def done(opened: batches.Opened) -> None:
            summary, rows = opened.summary, opened.rows
            missed = self._opening.pop(batch_id, [])
            if summary is None:
                then()
                self._dialogs.error("Batch not found", f"Batch #{batch_id} is not in the database.")
                return
            self._page.show_batch(summary.id, summary.source_name, summary.status,
                                  summary.counts, rows, priority=summary.priority,
                                  skipped=opened.skipped, mapping=opened.mapping,
                                  deal=opened.deal)
            self._page.show_wait(self._wait_for(summary.id))
            if summary.status_message and summary.status == BatchStatus.PAUSED:
                self._page.show_message(summary.status_message)
            # Every change since the read started, in order: the last word per row is the latest.
            for event in missed:
                if isinstance(event, QuoteEvent):
                    self._page.apply_quote_event(event)
                else:
                    self._show_batch_event(event)
            self._show_page()
            then()
            emit(self.changed)
            emit(self.batch_opened, batch_id)

        def failed() -> None:
            self._opening.pop(batch_id, None)
            then()

        batches.load(self, self._sessions, batch_id).success(done) \
            .failure(self._feedback.failed(f"Opening batch #{batch_id}", failed)).run()

    # ------------------------------------------------------------------ the worker's events
    def _on_quote_event(self, event: QuoteEvent) -> None:
        if event.batch_id in self._opening:
            self._opening[event.batch_id].append(event)
        self._page.apply_quote_event(event)
        emit(self.changed)
        if event.status in ROW_TERMINAL:
            emit(self.jobs_stale)  # the recent jobs' counts move with the batch (coalesced reads)
        emit(self.quote_shown, event)

    def _on_batch_event(self, event: BatchEvent) -> None:
        if event.batch_id in self._opening:
            self._opening[event.batch_id].append(event)
        self._show_batch_event(event)
        if event.status == BatchStatus.COMPLETE and event.batch_id != self._page.batch_id \
                and event.batch_id not in self._opening:
            self._alert(event.batch_id, event.status, event.counts)
        if event.status == BatchStatus.PAUSED and event.message and event.batch_id != self._page.batch_id:
            self._feedback.say(f"Batch #{event.batch_id} paused: {event.message}", 15000)
        emit(self.jobs_stale)
        emit(self.changed)

    def _show_batch_event(self, event: BatchEvent) -> None:
        if event.status == BatchStatus.CANCELLED and event.batch_id == self._page.batch_id:
            self._page.model.close_open_rows(RowState.CANCELLED, event.message or "cancelled by the user")
        self._page.apply_batch_event(event)

    def _batch_finished(self, batch_id: int, status: str) -> None:
        self._alert(batch_id, status, self._page.counts)

    def _alert(self, batch_id: int, status: str, counts: dict[str, int]) -> None:
        text = finished_summary(status, counts)
        deal = self._page.deal
        # Another batch of the deal shown: named as part of it (its rows are not the page's)
        whose = (f"Deal #{deal.deal_id}, batch #{batch_id}" if deal is not None
                 and batch_id in deal.batch_ids and batch_id != self._page.batch_id
                 else f"Batch #{batch_id}")
        self.last_alert = f"{whose}: {text}"
        self._feedback.say(self.last_alert, 15000)
        if self._tray is not None and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage(f"BulkQuote — {whose[0].lower()}{whose[1:]} {status}", text,
                                   QSystemTrayIcon.MessageIcon.Information, 10000)
        else:
            QApplication.alert(self._alert_widget)
        emit(self.batch_finished, batch_id, status)

    def _on_run_finished(self, batch_id: int, status: str) -> None:
        emit(self.run_over)
        emit(self.changed)

    def _on_run_failed(self, batch_id: int, message: str) -> None:
        text = f"The batch stopped because of an unexpected error: {message}"
        if batch_id == self._page.batch_id:
            self._page.show_message(text)
        self._feedback.report(text, 15000)

    # ------------------------------------------------------------------ the account's waits
    def _on_wait_event(self, event: WaitEvent) -> None:
        if event.reason:
            self._waits[event.account_id] = event
        else:
            self._waits.pop(event.account_id, None)
        self._page.show_wait(self._wait_for(self._page.batch_id))
        emit(self.wait_shown, event)

    def _wait_for(self, batch_id: int | None) -> WaitEvent | None:
        """The wait that holds up this batch, if any."""
        return next((w for w in self._waits.values() if batch_id in w.batch_ids), None)
