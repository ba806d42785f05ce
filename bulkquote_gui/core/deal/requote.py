"""A deal's stale quotes asked again (`bulkquote requote`, the window's "Re-quote stale rows…"):
every batch of the deal, not only the one named, each of its own provider and for every term it
asked, the new batches one deal again.

A deal of Momentum terms 36 and 60 is two batches, one per term; a Sonata batch asks both terms
in one quote (its `terms`). Re-quoting only the named batch asked one term again, so a deal
re-quoted lost its other terms' prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.orm import Session

from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import reuse as reuse_store

__all__ = ["requote_deal"]


def requote_deal(session: Session, batch_id: int, *, today: date | None = None, owner: str = "",
                 accounts: Mapping[str | None, int | None] | None = None) -> list[int]:
    """New batches asking again for the stale rows of every batch of `batch_id`'s deal (one per
    batch with a stale row: the same provider, the same terms), linked as one deal; their ids,
    the new deal's first ([] when no quote is stale). `accounts`: the account to quote each
    provider's new batches with (by provider name, None the unnamed Momentum); a provider not
    in it is asked with the account that quoted its old batch. In the caller's transaction."""
    accounts = accounts or {}
    new_ids = []
    for batch in deal_store.deal_batches(session, batch_id):
        account = accounts.get(batch.provider_name, batch.account_id)
        new_id = reuse_store.requote_stale(session, batch.id, today=today, owner=owner,
                                           account_id=account)
        if new_id is not None:
            new_ids.append(new_id)
    deal_store.link_deal(session, new_ids)
    return new_ids
