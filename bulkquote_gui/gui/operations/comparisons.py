"""Comparing a finished batch with an earlier one ("Compare with…"): the batches to pick from,
and the per-site changes (core/deal/changes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.changes import (
    Changes,
    Side,
    compare_batches,
    earlier_sides,
    side_of,
)
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.operations import Operation

RECENT = 20   # other recent batches offered after those of the same file


@dataclass(frozen=True)
class Candidate:
    """An earlier batch the rep may compare with."""

    batch_id: int         # a deal's first batch, for a deal
    source_name: str
    created_at: datetime
    same_file: bool
    deal: bool = False    # a deal of several batches, offered once


def candidates(parent: QObject, sessions: Any, batch_id: int) -> Operation[list[Candidate]]:
    """The batches stored before this one's deal: those of the same file first (newest first),
    then the other recent ones; a deal once, and never this one's own."""
    def work(sf: Any) -> list[Candidate]:
        with sf() as session:
            same = earlier_sides(session, batch_id)
            own = {b.id for b in deal_store.deal_batches(session, batch_id)}
            seen = {s.batch_id for s in same}
            others = []
            for b in view_store.list_batches(session, RECENT):
                side = side_of(session, b.id)
                first = side.deal_id if side.deal_id is not None else b.id
                if b.id < min(own, default=batch_id) and first not in seen:
                    seen.add(first)
                    others.append(Side(first, side.deal_id))
            found = [(view_store.get_batch(session, s.batch_id), s, True) for s in same] \
                + [(view_store.get_batch(session, s.batch_id), s, False) for s in others]
        return [Candidate(b.id, b.source_name, b.created_at, same_file, side.deal_id is not None)
                for b, side, same_file in found if b]

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
