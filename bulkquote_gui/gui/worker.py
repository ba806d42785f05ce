"""The bridge between the Qt window and the core Processor, which runs on its own QThread.

`BatchWorker` lives on the worker thread and owns one Processor (one account). One run serves the
account's whole line: every unfinished batch in fair turns, rushed ones first; a batch submitted
or resumed meanwhile is taken in its turn (the run is nudged, or run once more if it was ending).
The processor's events come back as Qt signals carrying the frozen event dataclasses. Commands
(pause, cancel, stop) call the processor's thread-safe methods, so they take effect within a
second even while the worker thread is busy quoting.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from bulkquote_gui.core.events import BatchEvent, Event, QuoteEvent, WaitEvent
from bulkquote_gui.gui.qt_compat import emit

log = logging.getLogger(__name__)

# Builds the processor; receives the callback that must get every engine event.
ProcessorFactory = Callable[[Callable[[Event], None]], Any]
RESUME_ALL = -1  # run request meaning "every unfinished batch" (start-up resume)


class BatchWorker(QObject):
    quote_event = Signal(object)   # QuoteEvent
    batch_event = Signal(object)   # BatchEvent
    wait_event = Signal(object)    # WaitEvent: the account waits (another client, the API, the lease)
    run_started = Signal(int)      # RESUME_ALL: the engine took up the account's line
    run_finished = Signal(int, str)  # RESUME_ALL, "" once the line is empty (or stopped)
    run_failed = Signal(int, str)  # RESUME_ALL, message: the engine raised (a bug or a broken store)

    _run_requested = Signal(int)

    def __init__(self, make_processor: ProcessorFactory) -> None:
        super().__init__()
        self._processor = make_processor(self._deliver)
        self._lock = threading.Lock()
        self._running = False
        self._again = False       # work arrived while a run was ending: run once more
        self._stopping = False
        self._run_requested.connect(self._run, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ called from the GUI thread
    @property
    def processor(self) -> Any:
        return self._processor

    def start_batch(self, batch_id: int) -> None:
        """A batch is ready (submitted, resumed, retried): the account's line takes it in its
        turn. One run serves every batch of the account, fairly (core/engine/account_runner.py)."""
        self.resume_unfinished()

    def resume_unfinished(self) -> None:
        with self._lock:
            if self._stopping:
                return
            if self._running:
                self._again = True
                self._processor.nudge()
                return
            self._running = True
        emit(self._run_requested, RESUME_ALL)

    def is_busy(self) -> bool:
        with self._lock:
            return self._running

    def current_batch(self) -> int | None:
        """The batch whose row the engine has in hand now (it changes turn by turn)."""
        return self._processor.current_batch if self.is_busy() else None

    def pause(self, batch_id: int | None = None) -> None:
        """Pause `batch_id` (None: the one in hand); the other batches go on."""
        self._processor.pause(batch_id)

    def cancel(self, batch_id: int) -> None:
        self._processor.cancel(batch_id)

    def stop(self) -> None:
        """The app is closing: stop the current run, leaving it resumable, and run nothing more."""
        with self._lock:
            self._stopping = True
        self._processor.stop()

    def release(self) -> None:
        """Forget the processor (after the thread ended); commands become no-ops."""
        self._processor = _Stopped()

    # ------------------------------------------------------------ on the worker thread
    def _deliver(self, event: Event) -> None:
        if isinstance(event, QuoteEvent):
            emit(self.quote_event, event)
        elif isinstance(event, BatchEvent):
            emit(self.batch_event, event)
        elif isinstance(event, WaitEvent):
            emit(self.wait_event, event)

    @Slot(int)
    def _run(self, batch_id: int) -> None:
        emit(self.run_started, RESUME_ALL)
        while True:
            with self._lock:
                self._again = False
                if self._stopping:
                    self._running = False
                    break
            try:
                self._processor.run_unfinished()
            except Exception as exc:  # keep the thread alive; the window shows the message
                log.exception("batch run failed")
                with self._lock:
                    self._running = False
                emit(self.run_failed, RESUME_ALL, f"{type(exc).__name__}: {exc}")
                return
            with self._lock:
                if not self._again or self._stopping:
                    self._running = False
                    break
        emit(self.run_finished, RESUME_ALL, "")


class WorkerThread:
    """Owns the QThread and the worker on it; `shutdown()` stops both cleanly."""

    def __init__(self, make_processor: ProcessorFactory, on_close: Callable[[], None] | None = None) -> None:
        self.thread = QThread()
        self.thread.setObjectName("batch-worker")
        self.worker = BatchWorker(make_processor)
        self.worker.moveToThread(self.thread)
        self._on_close = on_close
        self.thread.start()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop the engine, end the thread; True if it ended within the timeout."""
        self.worker.stop()
        self.thread.quit()
        ended = self.thread.wait(timeout_ms)
        if not ended:
            log.warning("batch worker did not stop within %d ms", timeout_ms)
        if ended:
            # The processor holds the worker's callback: break that cycle so the worker is freed
            # now, on this (the GUI) thread, not later by a garbage collection on another thread.
            self.worker.release()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
        return bool(ended)


class _StoppedCommands:
    current_batch = None


class _Stopped:
    """Stands in for the processor once the worker thread has ended."""

    commands = _StoppedCommands()

    def pause(self, batch_id: int | None = None) -> None:
        pass

    def nudge(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def cancel(self, batch_id: int) -> None:
        pass
