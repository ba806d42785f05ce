"""Comparing a finished batch with an earlier one ("Compare with…"): the batches to pick from,
and the per-site changes (core/deal/changes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.changes import Changes, compare_batches
from bulkquote_gui.core.store import comparisons as comparison_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.operations import Operation

RECENT = 20   # other recent batches offered after those of the same file


@dataclass(frozen=True)
class Candidate:
    """An earlier batch the rep may compare with."""

    batch_id: int
    source_name: str
    created_at: datetime
    same_file: bool


def candidates(parent: QObject, sessions: Any, batch_id: int) -> Operation[list[Candidate]]:
    """The batches stored before this one: those of the same file first (newest first), then
    the other recent ones."""
    def work(sf: Any) -> list[Candidate]:
        with sf() as session:
            same = comparison_store.earlier_batches(session, batch_id)
            found = [view_store.get_batch(session, b) for b in same]
            others = [b for b in view_store.list_batches(session, RECENT)
                      if b.id < batch_id and b.id not in same]
        return ([Candidate(b.id, b.source_name, b.created_at, True) for b in found if b]
                + [Candidate(b.id, b.source_name, b.created_at, False) for b in others])

    return Operation(parent, work, sessions)


@dataclass(frozen=True)
class Compared:
    old_batch: int
    new_batch: int
    changes: Changes


def compare(parent: QObject, sessions: Any, old_batch: int, new_batch: int, *,
            today: date | None = None) -> Operation[Compared]:
    """What changed from `old_batch` to `new_batch`, site by site."""
    def work(sf: Any) -> Compared:
        with sf() as session:
            return Compared(old_batch, new_batch, compare_batches(
                session, old_batch, new_batch, today=today or date.today()))

    return Operation(parent, work, sessions)
