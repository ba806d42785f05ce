"""Operations on a deal (issue 18) from the upload page: store one provider's batches for several
terms, and say beforehand what asking them will cost, each off the GUI thread."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.asks import PlannedBatch, plan_batches
from bulkquote_gui.core.deal.estimate import estimate, estimate_lines
from bulkquote_gui.core.quoting.factory import MOMENTUM
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.gui.operations import Operation


def _planned(session: Any, provider_name: str | None,
             terms: tuple[int, ...]) -> tuple[list[PlannedBatch], int]:
    """The provider's batches for these terms, and its lanes (the unnamed Momentum: one)."""
    stored = provider_store.get_provider(session, provider_name) if provider_name else None
    kind = stored.kind if stored is not None else MOMENTUM
    return plan_batches([(provider_name, kind)], terms), stored.lanes if stored is not None else 1


def submit(parent: QObject, sessions: Any, result: Any, *, defaults: Any, source_name: str,
           terms: tuple[int, ...], owner: str = "",
           account_id: Callable[[], int | None] = lambda: None, reuse: bool = True,
           provider_name: str | None = None) -> Operation[list[int]]:
    """Store the deal (one batch, or one per term for Momentum) in one transaction; hands back
    its batches' ids, the deal's first. Rows are reused only in a batch asking one term."""
    def work(sf: Any) -> list[int]:
        with engine_store.in_transaction(sf) as session:
            planned, _lanes = _planned(session, provider_name, terms)
            asks = [deal_store.Ask(b.provider_name, b.terms, account_id=account_id())
                    for b in planned]
            ids = deal_store.create_deal(session, result, defaults=defaults,
                                         source_name=source_name, asks=asks, owner=owner)
        for batch_id, ask in zip(ids, asks):
            if reuse and len(ask.terms) == 1:
                with engine_store.in_transaction(sf) as session:
                    reuse_store.reuse_valid_quotes(session, batch_id)
        return ids

    return Operation(parent, work, sessions, command=True,
                     expected=(batch_store.NothingToQuote, ValueError))


def cost(parent: QObject, sessions: Any, *, provider_name: str | None, sites: int,
         terms: tuple[int, ...]) -> Operation[list[str]]:
    """What asking these terms of the provider would cost, in the rep's words
    (core/deal/estimate.py): its quotes and time from its quote times here."""
    def work(sf: Any) -> list[str]:
        with sf() as session:
            planned, lanes = _planned(session, provider_name, terms)
            history = {provider_name: deal_store.quote_seconds(session, provider_name)}
        return estimate_lines(sites, estimate(sites, planned, {provider_name: lanes}, history))

    return Operation(parent, work, sessions, expected=(ValueError,))
