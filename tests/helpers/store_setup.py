"""Store states that only tests set up or look for: the app never needs these, so they live here,
written with the store's public API and its tables."""

from __future__ import annotations

from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.store.models import (
    ROW_ACTIVE,
    ROW_OPEN,
    BatchJob,
    BatchQuote,
    CleanupOwed,
    utcnow,
)


def next_open_row(session: Session, batch_id: int) -> work_store.RowWork | None:
    """The batch's row to work on: one already in flight (after a crash), else the first pending."""
    row_id = session.scalar(
        select(BatchQuote.id)
        .where(BatchQuote.batch_id == batch_id, BatchQuote.status.in_(ROW_OPEN))
        .order_by(case((BatchQuote.status.in_(ROW_ACTIVE), 0), else_=1), BatchQuote.position)
        .limit(1))
    return None if row_id is None else work_store.load_row(session, row_id)


def owe_lost_post(session_factory: sessionmaker[Session], row_id: int, key: str) -> None:
    """A POST of the row with `key` whose answer was lost: a replay of the key is owed."""
    with session_factory.begin() as session:
        session.execute(insert(CleanupOwed).values(
            remote_id=None, row_id=row_id, idempotency_key=key, created_at=utcnow()))


def claim_unassigned_batches(session_factory: sessionmaker[Session], account_id: int) -> int:
    """Batches stored before accounts existed join the account: how many did."""
    with session_factory.begin() as session:
        return session.execute(update(BatchJob).where(BatchJob.account_id.is_(None))
                               .values(account_id=account_id)).rowcount
