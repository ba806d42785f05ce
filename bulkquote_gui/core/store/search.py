"""Search across past batches: by address, company or site id (`bulkquote find`, the jobs search).

Case-insensitive substring match on the stored street, city, company and site id; newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bulkquote_gui.core.store.models import BatchJob, BatchQuote, Lead, Quote

__all__ = ["Found", "find_rows"]


@dataclass(frozen=True)
class Found:
    batch_id: int
    source_name: str
    created_at: datetime
    row_number: int
    site_id: str
    company: str
    address: str
    status: str
    carrier: str | None
    mrc: Decimal | None
    valid_until: date | None


def find_rows(session: Session, text: str, *, limit: int = 50) -> list[Found]:
    """Rows of any batch whose address, company or site id contains `text` (any case)."""
    needle = text.strip().lower()
    if not needle:
        return []
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def like(column):  # lower() on both sides: the same on SQLite and PostgreSQL
        return func.lower(column).like(pattern, escape="\\")

    stmt = (select(BatchQuote, Quote, Lead.company, BatchJob.source_name, BatchJob.created_at)
            .join(Quote, BatchQuote.quote_id == Quote.id)
            .join(Lead, Quote.lead_id == Lead.id)
            .join(BatchJob, BatchJob.id == BatchQuote.batch_id)
            .where(or_(like(Quote.street), like(Quote.city), like(Lead.company),
                       like(BatchQuote.site_id), like(Quote.postal_code)))
            .order_by(BatchJob.id.desc(), BatchQuote.position).limit(limit))
    return [Found(batch_id=bq.batch_id, source_name=source, created_at=created,
                  row_number=bq.row_number, site_id=bq.site_id or "", company=company,
                  address=q.one_line_address(), status=bq.status, carrier=q.carrier, mrc=q.mrc,
                  valid_until=q.valid_until)
            for bq, q, company, source, created in session.execute(stmt)]
