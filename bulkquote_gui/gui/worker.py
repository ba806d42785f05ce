"""The bridge between the Qt window and the core Processor, which runs on its own QThread.

`BatchWorker` lives on the worker thread and owns one Processor. Starting a run is a queued signal
(so runs execute one after another, in the order asked: the API allows one quote in flight), and
the processor's events come back as Qt signals carrying the frozen event dataclasses. Commands
(pause, cancel, stop) call the processor's thread-safe methods straight from the GUI thread, so
they take effect within a second even while the worker thread is busy inside `run_batch`.
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
    wait_event = Signal(object)    # WaitEvent: the account's line waits (or goes on)
    run_started = Signal(int)      # batch id, or RESUME_ALL
    run_finished = Signal(int, str)  # batch id (or RESUME_ALL), final status ("" for RESUME_ALL)
    run_failed = Signal(int, str)  # batch id, message: the engine raised (a bug or a broken store)

    _run_requested = Signal(int)

    def __init__(self, make_processor: ProcessorFactory) -> None:
        super().__init__()
        self._processor = make_processor(self._deliver)
        self._lock = threading.Lock()
        self._queued: list[int] = []
        self._current: int | None = None
        self._engine_batch: int | None = None  # the batch the engine said it is running
        self._stopping = False
        self._run_requested.connect(self._run, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ called from the GUI thread
    @property
    def processor(self) -> Any:
        return self._processor

    def start_batch(self, batch_id: int) -> None:
        """Queue a run of one batch (after any run in progress)."""
        with self._lock:
            if self._stopping or batch_id in self._queued or batch_id == self._current:
                return
            self._queued.append(batch_id)
        emit(self._run_requested, batch_id)

    def resume_unfinished(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._queued.append(RESUME_ALL)
        emit(self._run_requested, RESUME_ALL)

    def is_busy(self) -> bool:
        with self._lock:
            return self._current is not None or bool(self._queued)

    def current_batch(self) -> int | None:
        """The batch being processed now (also inside a start-up resume of several batches)."""
        with self._lock:
            if self._current == RESUME_ALL:
                return self._engine_batch
            return self._current

    def is_scheduled(self, batch_id: int) -> bool:
        with self._lock:
            return batch_id == self._current or batch_id in self._queued

    def pause(self) -> None:
        self._processor.pause()

    def unschedule(self, batch_id: int) -> bool:
        """Drop a batch still waiting in the queue (paused before its turn); True if it was there."""
        with self._lock:
            if batch_id in self._queued:
                self._queued.remove(batch_id)
                return True
            return False

    def cancel(self, batch_id: int) -> None:
        self.unschedule(batch_id)
        self._processor.cancel(batch_id)

    def stop(self) -> None:
        """The app is closing: stop the current run, leaving it resumable, and run nothing more."""
        with self._lock:
            self._stopping = True
            self._queued.clear()
        self._processor.stop()

    def release(self) -> None:
        """Forget the processor (after the thread ended); commands become no-ops."""
        self._processor = _Stopped()

    # ------------------------------------------------------------ on the worker thread
    def _deliver(self, event: Event) -> None:
        if isinstance(event, QuoteEvent):
            emit(self.quote_event, event)
        elif isinstance(event, BatchEvent):
            with self._lock:
                if event.status == "running":
                    self._engine_batch = event.batch_id
                elif event.batch_id == self._engine_batch:
                    self._engine_batch = None
            emit(self.batch_event, event)
        elif isinstance(event, WaitEvent):
            emit(self.wait_event, event)

    @Slot(int)
    def _run(self, batch_id: int) -> None:
        with self._lock:
            if self._stopping or batch_id not in self._queued:
                return  # cancelled or stopped while it waited in the queue
            self._queued.remove(batch_id)
            self._current = batch_id
        emit(self.run_started, batch_id)
        try:
            if batch_id == RESUME_ALL:
                self._processor.run_unfinished()
                status = ""
            else:
                status = str(self._processor.run_batch(batch_id))
        except Exception as exc:  # keep the thread alive; the window shows the message
            log.exception("batch run %s failed", batch_id)
            with self._lock:
                self._current = None
            emit(self.run_failed, batch_id, f"{type(exc).__name__}: {exc}")
            return
        with self._lock:
            self._current = None
        emit(self.run_finished, batch_id, status)


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


class _Stopped:
    """Stands in for the processor once the worker thread has ended."""

    def pause(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def cancel(self, batch_id: int) -> None:
        pass
