"""Operations on the list of batches: the recent jobs, and what is left from last time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from bulkquote_gui.core.store import search as search_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.operations import Operation

RECENT = 10


@dataclass(frozen=True)
class Recent:
    owner: str | None     # the filter it was read with (None: the whole team)
    batches: list[Any]    # store.BatchSummary, newest first


@dataclass(frozen=True)
class Unfinished:
    ids: list[int]        # oldest first
    names: dict[int, str]  # batch id -> file name, for the ones among the recent


def recent(parent: QObject, sessions: Any, *, owner: str | None = None, limit: int = RECENT) -> Operation[Recent]:
    """The newest batches; `owner` keeps one rep's (Mine), None keeps everyone's (Team).

    On a personal database Mine also keeps the batches without a name: the rep made them before
    entering a name in Settings. On a team's, a batch without a name could be anyone's."""
    def work(sf: Any) -> Recent:
        with sf() as session:
            return Recent(owner, view_store.list_batches(session, limit=limit, owner=owner,
                                                    unnamed_too=view_store.is_personal(session)))

    return Operation(parent, work, sessions)


def unfinished(parent: QObject, sessions: Any) -> Operation[Unfinished]:
    """The batches to resume at start-up, with their names for the banner."""
    def work(sf: Any) -> Unfinished:
        with sf() as session:
            ids = view_store.unfinished_batch_ids(session)
            names = {b.id: b.source_name for b in view_store.list_batches(session, limit=50)} if ids else {}
            return Unfinished(ids, names)

    return Operation(parent, work, sessions)


@dataclass(frozen=True)
class Found:
    text: str             # what was searched for (an answer for an older text is dropped)
    rows: list[Any]       # store.Found, newest batch first


def find(parent: QObject, sessions: Any, text: str, *, limit: int = 50) -> Operation[Found]:
    """Rows of past batches by address, company, site id or ZIP (`bulkquote find`)."""
    def work(sf: Any) -> Found:
        with sf() as session:
            return Found(text, search_store.find_rows(session, text, limit=limit))

    return Operation(parent, work, sessions)
