"""Every carrier option the API returned for a batch's rows (not only the recommended one)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulkquote_gui.core.store.models import BatchQuote, QuoteOption

__all__ = ["OptionView", "batch_options"]


@dataclass(frozen=True)
class OptionView:
    row_id: int              # BatchQuote.id
    row_number: int
    position: int
    recommended: bool
    carrier: str
    product: str
    bandwidth_mbps: int
    term_months: int
    mrc: Decimal
    nrc: Decimal
    currency: str
    install_days: int | None
    access: str | None
    is_estimate: bool | None


def batch_options(session: Session, batch_id: int) -> list[OptionView]:
    """The options of every priced row, in row order then the API's order."""
    stmt = (select(BatchQuote.id, BatchQuote.row_number, QuoteOption)
            .join(QuoteOption, QuoteOption.quote_id == BatchQuote.quote_id)
            .where(BatchQuote.batch_id == batch_id, BatchQuote.status == "complete")
            .order_by(BatchQuote.position, QuoteOption.position))
    return [OptionView(row_id=row_id, row_number=n, position=o.position, recommended=o.recommended,
                       carrier=o.carrier, product=o.product, bandwidth_mbps=o.bandwidth_mbps,
                       term_months=o.term_months, mrc=o.mrc, nrc=o.nrc, currency=o.currency,
                       install_days=o.install_days, access=o.access, is_estimate=o.is_estimate)
            for row_id, n, o in session.execute(stmt)]
