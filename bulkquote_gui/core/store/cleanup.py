"""Clean-up owed to the account: DELETEs that did not get through, POSTs whose answer was lost.

Kept in the store so a restart does not forget it: one of our quotes left in flight would block
the account (one quote in flight) until the server expires it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from bulkquote_gui.core.store.models import BatchJob, BatchQuote, CleanupOwed, utcnow

__all__ = ["Owed", "owe_delete", "owe_deletes", "owe_replays", "owed_count", "owed_count_subquery",
           "owed_items", "owed_settled", "take_back_owed"]


@dataclass(frozen=True)
class Owed:
    """One piece of clean-up owed to the account (see models.CleanupOwed)."""

    id: int
    remote_id: str | None            # DELETE this quote
    row_id: int | None               # the row it belongs to, if known
    idempotency_key: str | None      # no remote id: replay this key to find the quote
    request: dict[str, Any] | None   # the body to replay it with


def owe_delete(session: Session, remote_id: str, row_id: int | None) -> None:
    session.connection().execute(insert(CleanupOwed), {
        "remote_id": remote_id, "row_id": row_id, "idempotency_key": None, "created_at": utcnow()})


def owe_replays(session: Session, rows: Any) -> None:
    """Owe a replay of the key of each (id, idempotency_key) row selected by `rows`."""
    now = utcnow()
    owed = [{"remote_id": None, "row_id": r.id, "idempotency_key": r.idempotency_key,
             "created_at": now} for r in session.execute(rows)]
    if owed:
        session.connection().execute(insert(CleanupOwed), owed)


def owe_deletes(session: Session, rows: Any) -> None:
    """Owe a DELETE of the quote of each (id, remote_id) row selected by `rows`."""
    now = utcnow()
    owed = [{"remote_id": r.remote_id, "row_id": r.id, "idempotency_key": None,
             "created_at": now} for r in session.execute(rows)]
    if owed:
        session.connection().execute(insert(CleanupOwed), owed)


def _of_account(job: Any = BatchJob) -> ColumnElement[bool]:
    """Owed by the account `p_account`: the item's row is of one of its batches (or of a batch
    no account claimed yet, stored by an older version), or the item names no row. Another
    account's quote is DELETEd only with that account's key: with ours the server would
    answer 404, and the item would be settled while the quote still blocks its account."""
    return or_(CleanupOwed.row_id.is_(None), job.account_id.is_(None),
               job.account_id == bindparam("p_account"))


def _owed_join(row: Any = BatchQuote, job: Any = BatchJob) -> Any:
    """Each owed item with its row and that row's batch (if any)."""
    return CleanupOwed.__table__.outerjoin(row, row.id == CleanupOwed.row_id).outerjoin(
        job, job.id == row.batch_id)


_OWED_JOIN = _owed_join()
_OWED = (select(CleanupOwed.id, CleanupOwed.remote_id, CleanupOwed.row_id,
                CleanupOwed.idempotency_key).select_from(_OWED_JOIN).order_by(CleanupOwed.id))
_OWED_OF_ACCOUNT = _OWED.where(_of_account())
_OWED_COUNT = select(func.count()).select_from(CleanupOwed)
_OWED_COUNT_OF_ACCOUNT = select(func.count()).select_from(_OWED_JOIN).where(_of_account())


def owed_count_subquery() -> Any:
    """owed_count(session, p_account) as a scalar subquery, for a statement that reads it along
    with something else (work.line_ahead); its own aliases, so it never correlates."""
    row, job = aliased(BatchQuote), aliased(BatchJob)
    return (select(func.count()).select_from(_owed_join(row, job)).where(_of_account(job))
            .correlate(None).scalar_subquery())


def owed_items(session: Session, account_id: int | None = None) -> list[Owed]:
    """What is owed (by `account_id`, or by anyone), oldest first, without the bodies to replay
    lost POSTs with (work.owed_cleanup adds those: the body is the engine's reading of a row)."""
    if account_id is None:
        rows = session.connection().execute(_OWED)
    else:
        rows = session.connection().execute(_OWED_OF_ACCOUNT, {"p_account": account_id})
    return [Owed(r.id, r.remote_id, r.row_id, r.idempotency_key, None) for r in rows]


def owed_count(session: Session, account_id: int | None = None) -> int:
    if account_id is None:
        return int(session.connection().scalar(_OWED_COUNT) or 0)
    return int(session.connection().scalar(_OWED_COUNT_OF_ACCOUNT, {"p_account": account_id}) or 0)


def owed_settled(session: Session, owed_id: int, *, now_delete: str | None = None) -> None:
    """The owed item is done; or, for a replayed lost POST, became a quote to DELETE.

    In the second case the quote's id is also stored with its row (if the row still has that
    key), so whatever the DELETE then finds, even after a restart, is matched to the row by id.
    """
    if now_delete is None:
        session.connection().execute(delete(CleanupOwed).where(CleanupOwed.id == owed_id))
        return
    item = session.connection().execute(
        select(CleanupOwed.row_id, CleanupOwed.idempotency_key)
        .where(CleanupOwed.id == owed_id)).first()
    if item is not None and item.row_id is not None and item.idempotency_key:
        session.connection().execute(update(BatchQuote).where(
            BatchQuote.id == item.row_id,
            BatchQuote.idempotency_key == item.idempotency_key)
            .values(remote_id=now_delete))
    session.connection().execute(update(CleanupOwed).where(CleanupOwed.id == owed_id)
                                 .values(remote_id=now_delete, idempotency_key=None))


def take_back_owed(session: Session, batch_id: int, row_ids: set[int]) -> set[int]:
    """Of the batch's rows `row_ids`, asked again, those whose quote is still owed clean-up (a
    DELETE of their remote id, a replay of their key): the items are dropped, in the caller's
    transaction, and those row ids returned.

    Such a quote's fate is unknown: it may be priced, or still in flight. Its row keeps its key
    and asks with it again (the API answers with that quote): a DELETE sent now would throw the
    quote away, and a new key would pay for a second one.
    """
    found = [r for r in session.connection().execute(
        select(CleanupOwed.id, CleanupOwed.row_id)
        .join(BatchQuote, BatchQuote.id == CleanupOwed.row_id)
        .where(BatchQuote.batch_id == batch_id,
               or_(CleanupOwed.idempotency_key == BatchQuote.idempotency_key,
                   CleanupOwed.remote_id == BatchQuote.remote_id)))
        if r.row_id in row_ids]
    if found:
        session.connection().execute(
            delete(CleanupOwed).where(CleanupOwed.id.in_([r.id for r in found])))
    return {r.row_id for r in found}
