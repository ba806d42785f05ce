"""Deals (schema v9, issue 18): what one submit asks for, kept as ordinary batches.

A deal is a file's sites sent to one or more providers for one or more terms. Each provider
gets its own batch (a Sonata batch asks every term as the items of one quote per site; a
Momentum provider gets one batch per term, each term being its own quote), so the engine,
lanes, leases, resume and export stay as they are. The batches share `deal_id`, the id of the
deal's first batch; a batch whose `deal_id` is NULL is a deal by itself. A batch's `terms` are
the terms it asks (NULL: its `term_months` alone).

Each function takes the caller's Session and never commits (the store's convention).
Callers import the module: `from bulkquote_gui.core.store import deals as deal_store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import null, or_, select, update
from sqlalchemy.orm import Session

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store.batches import create_batch
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store.models import BatchJob, BatchQuote, Quote

__all__ = ["Ask", "QUOTE_TIMES_READ", "batch_terms", "create_deal", "deal_batches", "deal_of",
           "link_deal", "quote_seconds"]


@dataclass(frozen=True)
class Ask:
    """One batch of a deal: the provider it goes to (None: the unnamed Momentum of --api-url),
    the terms it asks (the first is its `term_months`) and whose quotes they are (None: the
    first engine to run it claims it)."""

    provider_name: str | None
    terms: tuple[int, ...]
    account_id: int | None = None


def batch_terms(batch: BatchJob) -> list[int]:
    """The terms a batch asks: its `terms`, or its `term_months` alone (stored before v9, or
    asked for one term)."""
    return list(batch.terms) if batch.terms else [batch.term_months]


def deal_of(session: Session, batch_id: int) -> int | None:
    """The id of the deal `batch_id` belongs to (its first batch's id), None for no such batch."""
    row = session.execute(select(BatchJob.id, BatchJob.deal_id)
                          .where(BatchJob.id == batch_id)).first()
    if row is None:
        return None
    return row.deal_id if row.deal_id is not None else row.id


def deal_batches(session: Session, batch_id: int) -> list[BatchJob]:
    """Every batch of the deal `batch_id` belongs to, the first first ([] for no such batch)."""
    deal_id = deal_of(session, batch_id)
    if deal_id is None:
        return []
    return list(session.scalars(select(BatchJob)
                                .where(or_(BatchJob.id == deal_id, BatchJob.deal_id == deal_id))
                                .order_by(BatchJob.id)))


def create_deal(session: Session, result: Any, *, defaults: BatchDefaults, source_name: str,
                asks: Sequence[Ask], owner: str = "") -> list[int]:
    """Store one batch per ask, all of the same import, in the caller's transaction; returns
    their ids, the deal's (the first's) first.

    A single ask is a batch as `create_batch` stores it (deal_id NULL; terms NULL for one
    term). Otherwise every batch gets deal_id = the first batch's id. An ask of two or more
    terms keeps them in `terms`. Every row asks the ask's first term, even a row whose sheet
    gives its own: the terms asked for the deal are the rep's choice for every site (two
    Momentum batches would otherwise ask the same row's term twice). All or nothing, as
    `create_batch`.
    """
    if not asks or any(not ask.terms for ask in asks):
        raise ValueError("a deal asks at least one provider for at least one term")
    ids: list[int] = []
    for ask in asks:
        batch_id = create_batch(session, result, source_name=source_name, owner=owner,
                                defaults=defaults, account_id=ask.account_id,
                                provider_name=ask.provider_name)
        ids.append(batch_id)
        # The term is set here, not through BatchDefaults: those are Momentum's four terms, and
        # a Sonata seller may be asked any (48 months).
        asked = select(BatchQuote.quote_id).where(BatchQuote.batch_id == batch_id)
        session.execute(update(Quote).where(Quote.id.in_(asked))
                        .values(term_months=ask.terms[0]))
        session.execute(update(BatchJob).where(BatchJob.id == batch_id).values(
            term_months=ask.terms[0],
            terms=list(ask.terms) if len(ask.terms) > 1 else null()))   # SQL NULL, not JSON null
    link_deal(session, ids)
    return ids


def link_deal(session: Session, ids: Sequence[int]) -> None:
    """Make the batches `ids` one deal, named by the first (one batch stays a deal by itself)."""
    if len(ids) > 1:
        session.execute(update(BatchJob).where(BatchJob.id.in_(ids)).values(deal_id=ids[0]))


# The recent quotes a provider's quote time is read from: enough for a steady median, recent
# enough to be today's pace, and a bounded read however long the store's history.
QUOTE_TIMES_READ = 500


def quote_seconds(session: Session, provider_name: str | None, *,
                  limit: int = QUOTE_TIMES_READ) -> list[float]:
    """How long the provider's most recent priced quotes took, submitted to answered, in seconds
    (None: the unnamed Momentum). A row filled from an earlier quote asked nothing: left out."""
    provider = (BatchJob.provider_name.is_(None) if provider_name is None
                else BatchJob.provider_name == provider_name)
    found = session.execute(
        select(BatchQuote.submitted_at, BatchQuote.finished_at)
        .join(BatchJob, BatchJob.id == BatchQuote.batch_id)
        .where(provider, BatchQuote.status == RowState.COMPLETE,
               BatchQuote.reused_from.is_(None), BatchQuote.submitted_at.is_not(None),
               BatchQuote.finished_at.is_not(None))
        .order_by(BatchQuote.finished_at.desc()).limit(limit)).all()
    return [(finished - submitted).total_seconds() for submitted, finished in found]
