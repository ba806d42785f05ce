"""The window's one way to the store and the network: operations that run off the GUI thread.

Modelled on Anki's QueryOp / CollectionOp. A noun module (batches, jobs, account, connection)
builds the operation, the caller says what to do with its answer and starts it:

    batches.pause(self, sessions, batch_id).success(self._show_summary).failure(shown).run()

`Operation(parent, fn, session_factory)` runs `fn(session_factory)` on a worker thread; back on
the GUI thread it calls `success(value)`, or `failure(message)` with a sentence for the rep.
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
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject

from bulkquote_gui.core.store.safety import classify
from bulkquote_gui.gui.background import run_blocking

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


class Operation(Generic[T]):
    """`fn(session_factory)` on a worker thread; its value or error back on the GUI thread."""

    def __init__(self, parent: QObject, fn: Callable[[Any], T], session_factory: Any = None, *,
                 command: bool = False, expected: tuple[type[BaseException], ...] = ()) -> None:
        self.parent = parent
        self._fn = fn
        self._session_factory = session_factory
        self._command = command
        self._expected = expected  # errors that are the rep's news, not bugs: not logged
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[str], None] | None = None
        self._cancelled = False
        self._task: asyncio.Future[None] | None = None

    def success(self, callback: Callable[[T], None]) -> Operation[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[str], None]) -> Operation[T]:
        self._on_failure = callback
        return self

    def run(self) -> Operation[T]:
        """Start it; returns at once."""
        if self._task is not None:
            raise RuntimeError("an operation runs once")
        _running.add(self)
        self._task = asyncio.ensure_future(self._run())  # held here: the loop holds tasks weakly
        return self

    def cancel(self) -> None:
        """Its answer will be dropped (the work itself, already on its thread, ends by itself)."""
        self._cancelled = True

    async def _run(self) -> None:
        try:
            value, error = await run_blocking(self._fn, self._session_factory, expected=self._expected,
                                              executor=_commands() if self._command else None)
        finally:
            _running.discard(self)
        if self._cancelled or not shiboken6.isValid(self.parent):
            return
        try:
            if error is not None:
                message = error_message(error)
                if self._on_failure is not None:
                    self._on_failure(message)
                else:
                    log.warning("operation %s failed: %s", getattr(self._fn, "__name__", self._fn), message)
            elif self._on_success is not None:
                self._on_success(value)
        except Exception:  # a bug in a callback: reported like one in a Qt slot, never swallowed
            sys.excepthook(*sys.exc_info())


class Coalescing:
    """One view's refresh (the recent jobs): at most one read in flight; asked again meanwhile,
    it reads once more when that one is back, so the view ends up current without a pile-up of
    reads on a slow store."""

    def __init__(self, start: Callable[[Callable[[], None]], None]) -> None:
        self._start = start  # starts one read; calls the given function once it is over
        self._busy = False
        self._again = False

    def request(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        self._start(self._over)

    def _over(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.request()
