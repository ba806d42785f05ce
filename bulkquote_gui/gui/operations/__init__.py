"""The window's one way to the store and the network: operations that run off the GUI thread.

Modelled on Anki's QueryOp / CollectionOp. A noun module (batches, jobs, account, connection)
builds the operation, the caller says what to do with its answer and starts it:

    batches.pause(self, sessions, batch_id).success(self._show_summary).failure(shown).run()

`Operation(parent, fn, session_factory)` runs `fn(session_factory)` on a worker thread; back on
the GUI thread it calls `success(value)`, or `failure(message)` with a sentence for the rep.
With `reports_progress=True` the fn is called as `fn(session_factory, progress)`:
`progress(done, total, text)` may be called from the worker thread as often as it likes, and
`.progress(callback)` gets the newest report on the GUI thread (one delivery queued at a time).
A view that wants only its newest answer (a load, a lookup) starts its operations through a
`Latest`; one that wants one read in flight and one more when asked meanwhile, a `Coalescing`.
`run()` returns at once: nothing here ever waits. Commands (writes) run one after another on
one thread in the order asked, so a Resume clicked after a Pause is carried out after it;
queries run side by side on the app's I/O pool. An answer is dropped when its parent widget is
gone or the operation was cancelled (the window closing).

Only this package imports `bulkquote_gui.core.store` (tests/gui/test_boundaries.py).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Generic, NamedTuple, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from bulkquote_gui.core.store.safety import classify
from bulkquote_gui.gui.background import run_blocking
from bulkquote_gui.gui.qt_compat import emit

log = logging.getLogger(__name__)
T = TypeVar("T")

# Started operations (and so their tasks), kept alive until their answer is handed back.
_running: set[Operation[Any]] = set()
_command_lane: ThreadPoolExecutor | None = None


def _commands() -> ThreadPoolExecutor:
    """One thread for every command, in the order asked."""
    global _command_lane
    if _command_lane is None:
        _command_lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulkquote-command")
    return _command_lane


def running() -> int:
    """How many operations have not handed their answer back yet (tests wait for 0). One of
    an event loop that has closed (a window's run that ended) never will: not counted."""
    return sum(1 for op in _running if op._task is None or not op._task.get_loop().is_closed())


def cancel_all(parent: QObject) -> None:
    """Drop the answers of every running operation of `parent` (it is closing)."""
    for operation in list(_running):
        if operation.parent is parent:
            operation.cancel()


def error_message(exc: BaseException) -> str:
    """A sentence for the rep: the database's trouble in the store's words when it is one it
    knows (out of reach, locked, full, read-only: not "consuming input failed: server closed
    the connection unexpectedly"), else the driver's own words for a database error
    (SQLAlchemy wraps them in SQL text and a link), the message of our own errors, the type
    when there is none."""
    trouble = classify(exc)
    if trouble is not None:
        return trouble.sentence
    orig = getattr(exc, "orig", None)
    text = str(orig if isinstance(orig, BaseException) else exc).strip()
    text = text.splitlines()[0] if text else ""
    return text or type(exc).__name__


class Progress(NamedTuple):
    done: int
    total: int
    text: str = ""


class _Hop(QObject):
    """Carries a relay from a worker thread to the GUI thread (created on the GUI thread)."""

    arrived = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.arrived.connect(self.hand_over, Qt.ConnectionType.QueuedConnection)

    def hand_over(self, relay: _ProgressRelay) -> None:
        relay.hand_over()


_hop: _Hop | None = None


class _ProgressRelay:
    """Reports from the worker thread to the GUI thread, throttled to the GUI's pace: at most
    one delivery is queued at a time, and it hands over the newest report (a reader reporting
    every row costs the window one repaint per turn of its event loop, not one per row).
    Plain Python, so whichever thread lets go of it last may free it."""

    def __init__(self, deliver: Callable[[Progress], None]) -> None:
        global _hop
        if _hop is None:
            _hop = _Hop()
        self._hop = _hop
        self._deliver = deliver
        self._lock = threading.Lock()
        self._latest: Progress | None = None
        self._queued = False

    def report(self, done: int, total: int, text: str = "") -> None:
        """Any thread."""
        with self._lock:
            self._latest = Progress(done, total, text)
            if self._queued:
                return
            self._queued = True
        emit(self._hop.arrived, self)

    def hand_over(self) -> None:
        """GUI thread: the newest report, if one is waiting."""
        with self._lock:
            latest, self._latest, self._queued = self._latest, None, False
        if latest is not None:
            self._deliver(latest)


class Operation(Generic[T]):
    """`fn(session_factory)` on a worker thread; its value or error back on the GUI thread."""

    def __init__(self, parent: QObject, fn: Callable[..., T], session_factory: Any = None, *,
                 command: bool = False, expected: tuple[type[BaseException], ...] = (),
                 reports_progress: bool = False,
                 describe: Callable[[BaseException], str] = error_message) -> None:
        self.parent = parent
        self._fn = fn
        self._session_factory = session_factory
        self._command = command
        self._expected = expected  # errors that are the rep's news, not bugs: not logged
        self._reports_progress = reports_progress
        self._describe = describe  # the error as the sentence `failure` gets
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[str], None] | None = None
        self._on_progress: Callable[[Progress], None] | None = None
        self._on_settled: Callable[[], None] | None = None
        self._cancelled = False
        self._task: asyncio.Future[None] | None = None
        self._relay: _ProgressRelay | None = None

    def success(self, callback: Callable[[T], None]) -> Operation[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[str], None]) -> Operation[T]:
        self._on_failure = callback
        return self

    def progress(self, callback: Callable[[Progress], None]) -> Operation[T]:
        """`callback(Progress(done, total, text))` on the GUI thread as the fn reports."""
        self._on_progress = callback
        return self

    def settled(self, callback: Callable[[], None]) -> Operation[T]:
        """`callback()` once success or failure was handed over (not when the answer is dropped)."""
        self._on_settled = callback
        return self

    def run(self) -> Operation[T]:
        """Start it; returns at once."""
        if self._task is not None:
            raise RuntimeError("an operation runs once")
        _running.add(self)
        self._task = asyncio.ensure_future(self._run())  # held here: the loop holds tasks weakly
        return self

    def cancel(self) -> None:
        """Its answer (and progress) will be dropped (the work itself, already on its thread,
        ends by itself)."""
        self._cancelled = True

    def _wanted(self) -> bool:
        return not self._cancelled and shiboken6.isValid(self.parent)

    def _show_progress(self, report: Progress) -> None:
        if self._on_progress is not None and self._wanted():
            self._on_progress(report)

    async def _run(self) -> None:
        args: tuple[Any, ...] = (self._session_factory,)
        if self._reports_progress:
            self._relay = _ProgressRelay(self._show_progress)
            args += (self._relay.report,)
        try:
            value, error = await run_blocking(self._fn, *args, expected=self._expected,
                                              executor=_commands() if self._command else None)
        finally:
            _running.discard(self)
        if not self._wanted():
            return
        if self._relay is not None:
            self._relay.hand_over()   # the last report before the answer, never after it
        try:
            if error is not None:
                message = self._describe(error)
                if self._on_failure is not None:
                    self._on_failure(message)
                else:
                    log.warning("operation %s failed: %s", getattr(self._fn, "__name__", self._fn), message)
            elif self._on_success is not None:
                self._on_success(value)
        except Exception:  # a bug in a callback: reported like one in a Qt slot, never swallowed
            sys.excepthook(*sys.exc_info())
        finally:
            if self._on_settled is not None:
                self._on_settled()


class Latest:
    """A view's "only the newest answer counts" (a file load, a lookup for what is shown):
    `run(op)` starts `op` and drops the answer of the one it started before."""

    def __init__(self) -> None:
        self._current: Operation[Any] | None = None

    def run(self, operation: Operation[T]) -> Operation[T]:
        self.cancel()
        self._current = operation
        return operation.run()

    def cancel(self) -> None:
        """Nothing started so far is answered (the view moved on: cleared, another file)."""
        if self._current is not None:
            self._current.cancel()
            self._current = None


class Coalescing:
    """One view's refresh (the recent jobs, the search): at most one read in flight; asked again
    meanwhile, it reads once more when that one is back, so the view ends up current without a
    pile-up of reads on a slow store."""

    def __init__(self, make: Callable[[], Operation[Any] | None]) -> None:
        self._make = make  # the read to start now (None: nothing to read)
        self._busy = False
        self._again = False

    def request(self) -> None:
        if self._busy:
            self._again = True
            return
        operation = self._make()
        if operation is None:
            return
        self._busy = True
        operation.settled(self._over).run()

    def _over(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.request()
