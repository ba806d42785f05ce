"""A deal's rows priced directly in the store (no engine): each row ends as the engine would end
it (`row_store.mark_complete` with a provider's answer), with the options a test names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulkquote_gui.core.quoting.provider import QuoteOption, QuoteResult, RemoteQuote
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store.models import BatchQuote, utcnow


def option(carrier: str, mrc: str, nrc: str = "0.00", term: int = 36, **kw) -> QuoteOption:
    """An option as a provider answers it (DIA 1 Gbps, USD unless told)."""
    return QuoteOption(carrier, "DIA", 1000, term, Decimal(mrc), Decimal(nrc),
                       kw.pop("currency", "USD"), **kw)


def price_row(session: Session, batch_id: int, row_number: int, options: Sequence[QuoteOption],
              valid_until: date | None = date(2027, 1, 31)) -> None:
    """The row of the batch gets these options (the first recommended), as a finished quote."""
    row_id = session.scalar(select(BatchQuote.id).where(BatchQuote.batch_id == batch_id,
                                                        BatchQuote.row_number == row_number))
    remote = RemoteQuote(id=f"q_{batch_id}_{row_number}", status="complete", reference=None,
                         result=QuoteResult(tuple(options), 0, valid_until), error_code=None,
                         error_message=None, created_at=None, updated_at=None)
    assert row_store.mark_complete(session, row_id, remote, utcnow())
