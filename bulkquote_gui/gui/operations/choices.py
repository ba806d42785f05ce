"""Operations on a deal's choices (issue 18): read each site's offers and choice, set the deal's
rule, take or clear the rep's own pick for a site. Each command hands back the deal as the store
has it right after (read in the same trip to the worker thread), so the window shows what is true
without a second read."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.rules import Rule
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.gui.operations import Operation

Deal = choice_store.DealChoices


def _read(sf: Any, batch_id: int) -> Deal | None:
    with sf() as session:
        return choice_store.read_deal(session, batch_id)


def read(parent: QObject, sessions: Any, batch_id: int) -> Operation[Deal | None]:
    """The deal of the batch with each site's offers and choice (None: no such batch)."""
    return Operation(parent, lambda sf: _read(sf, batch_id), sessions)


def _command(parent: QObject, sessions: Any, deal_id: int,
             change: Callable[[Any], object]) -> Operation[Deal | None]:
    def work(sf: Any) -> Deal | None:
        with engine_store.in_transaction(sf) as session:
            change(session)
        return _read(sf, deal_id)

    return Operation(parent, work, sessions, command=True)


def set_rule(parent: QObject, sessions: Any, deal_id: int, rule: Rule,
             set_by: str) -> Operation[Deal | None]:
    return _command(parent, sessions, deal_id,
                    lambda session: choice_store.set_rule(session, deal_id, rule, set_by))


def choose_offer(parent: QObject, sessions: Any, deal_id: int, row_number: int, option_id: int,
                 chosen_by: str) -> Operation[Deal | None]:
    return _command(parent, sessions, deal_id, lambda session: choice_store.set_override(
        session, deal_id, row_number, option_id, chosen_by))


def clear_choice(parent: QObject, sessions: Any, deal_id: int,
                 row_number: int) -> Operation[Deal | None]:
    return _command(parent, sessions, deal_id,
                    lambda session: choice_store.clear_override(session, deal_id, row_number))
