"""Blocking work off the GUI thread, as a coroutine on the qasync loop.

`run_blocking` never raises the worker's exception into the awaiting coroutine: it returns
`(value, error)`, with the error's traceback dropped in the worker thread. A traceback re-raised
in a coroutine would link the GUI's frames (and their widgets) to an object that any thread's
garbage collector may free later, and a widget freed off the GUI thread crashes Qt.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from typing import Any, Callable

from bulkquote_gui.gui.qt_compat import compensate_foreign_emit

log = logging.getLogger(__name__)


async def run_blocking(fn: Callable[..., Any], *args: Any,
                       expected: tuple[type[BaseException], ...] = (),
                       executor: Executor | None = None) -> tuple[Any, Exception | None]:
    """Run fn(*args) on `executor` (default: the loop's); `expected` errors are not logged as bugs."""

    def guarded() -> tuple[Any, Exception | None]:
        try:
            return fn(*args), None
        except Exception as exc:
            if not isinstance(exc, expected):
                log.exception("background job %s failed", getattr(fn, "__name__", fn))
            return None, exc.with_traceback(None)

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        # A step run as the loop stops (qasync still delivers Qt events: an engine event at
        # quit asks for a refresh): the app is closing, so the work is not started, and the
        # task ends cancelled rather than as "Task exception was never retrieved" on stderr.
        log.info("background job %s not started: the event loop has stopped",
                 getattr(fn, "__name__", fn))
        raise asyncio.CancelledError from None
    outcome = await loop.run_in_executor(executor, guarded)
    # qasync handed the result back with one Signal.emit() of its own: undo that emit's stray
    # decrement on PySide6 6.12.0 (see qt_compat).
    compensate_foreign_emit()
    return outcome
