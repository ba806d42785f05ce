"""Work-arounds for bugs in the Qt bindings we run on.

PySide6 6.12.0: `SignalInstance.emit()` returns `True` without taking a reference, so every
emit from Python drops the interpreter's count on `True` by one; after some thousands of emits
(a long batch, a 20,000-row cancel) Python aborts with "bool_dealloc: deallocating True".
6.11 and earlier are fine. `emit()` below keeps the returned object when, and only when, the
running binding has the bug (probed once), gives the reference back (Py_IncRef), which cancels
the stray decrement. Use it for every emit in this package; the real fix is a binding without the
bug.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal()


def _emit_leaks_true() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        _give_back(True)  # what the probe itself took
    return lost > 0


def _give_back(obj: object) -> None:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


EMIT_LEAKS_TRUE = _emit_leaks_true()


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, without the stray decrement of PySide6 6.12.0."""
    result = signal.emit(*args)
    if EMIT_LEAKS_TRUE and result is True:
        _give_back(result)


def compensate_foreign_emit(count: int = 1) -> None:
    """Undo the stray decrement of emits made by code we do not own (qasync's thread-safe call)."""
    if EMIT_LEAKS_TRUE:
        for _ in range(count):
            _give_back(True)
