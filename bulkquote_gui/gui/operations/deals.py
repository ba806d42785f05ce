"""Operations on a deal (issue 18) from the upload page: store its batches (several providers,
several terms), and say beforehand what asking them will cost, each off the GUI thread."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.asks import plan_batches
from bulkquote_gui.core.deal.estimate import estimate, estimate_lines
from bulkquote_gui.core.quoting.factory import MOMENTUM
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.gui.context import ProviderLine
from bulkquote_gui.gui.operations import Operation


def _lines(session: Any, providers: Sequence[ProviderLine], provider_name: str | None,
           account_id: Callable[[], int | None]) -> list[ProviderLine]:
    """The providers asked: those given (the chosen one first), else the chosen one alone, its
    kind and lanes read from the store (the unnamed Momentum: one lane)."""
    if providers:
        return list(providers)
    stored = provider_store.get_provider(session, provider_name) if provider_name else None
    return [ProviderLine(provider_name or "Momentum", provider_name,
                         stored.kind if stored is not None else MOMENTUM,
                         stored.lanes if stored is not None else 1, account_id)]


def submit(parent: QObject, sessions: Any, result: Any, *, defaults: Any, source_name: str,
           terms: tuple[int, ...], owner: str = "",
           account_id: Callable[[], int | None] = lambda: None, reuse: bool = True,
           provider_name: str | None = None,
           providers: Sequence[ProviderLine] = ()) -> Operation[list[int]]:
    """Store the deal (one batch per Sonata provider, one per term for each Momentum one) in one
    transaction through the CLI's deal_store.create_deal; hands back its batches' ids, the
    deal's first. Each batch is its provider's account's, so that provider's engine takes it.
    Rows are reused only in a batch asking one term."""
    def work(sf: Any) -> list[int]:
        with engine_store.in_transaction(sf) as session:
            lines = _lines(session, providers, provider_name, account_id)
            planned = plan_batches([(p.provider_name, p.kind) for p in lines], terms)
            accounts = {p.provider_name: p.account_id() for p in lines}
            asks = [deal_store.Ask(b.provider_name, b.terms, account_id=accounts[b.provider_name])
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
         terms: tuple[int, ...], providers: Sequence[ProviderLine] = ()
         ) -> Operation[tuple[list[str], list[str]]]:
    """What asking these terms of the providers would cost, in the rep's words
    (core/deal/estimate.py): each one's quotes and time from its quote times here, brief and
    in full."""
    def work(sf: Any) -> tuple[list[str], list[str]]:
        with sf() as session:
            lines = _lines(session, providers, provider_name, lambda: None)
            planned = plan_batches([(p.provider_name, p.kind) for p in lines], terms)
            history = {p.provider_name: deal_store.quote_seconds(session, p.provider_name)
                       for p in lines}
        lanes = {p.provider_name: p.lanes for p in lines}
        shown = {p.provider_name: p.shown for p in lines}   # as "Quote through" names them
        costs = [replace(c, provider=shown[c.provider])
                 for c in estimate(sites, planned, lanes, history)]
        return estimate_lines(sites, costs, brief=True), estimate_lines(sites, costs)

    return Operation(parent, work, sessions, expected=(ValueError,))   # BadAsk is one
