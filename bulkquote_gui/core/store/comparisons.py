"""A batch's sites as a comparison of two batches reads them (`bulkquote diff`, the export's
Changes sheet, the window's "Compare with…"): each row's address, normalised as reuse matches
sites, its site id, and its recommended offer when it was priced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulkquote_gui.core.quoting.provider import QuoteOption as Offer
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store.models import (
    BatchJob,
    BatchQuote,
    Quote,
    QuoteOption,
    one_line_address,
)
from bulkquote_gui.core.store.reuse import address_key_of
from bulkquote_gui.core.store.views import OFFER_COLUMNS, recommended_offer

__all__ = ["SiteRow", "batch_sites", "earlier_batches"]


@dataclass(frozen=True)
class SiteRow:
    """One row of a batch, as a site with its answer."""

    row_number: int
    site_id: str
    address: str                 # one line, as the rep reads it
    key: tuple[str, ...]         # the normalised address (store.reuse.address_key_of)
    recommended: Offer | None    # the recommended option; None unless the row was priced
    valid_until: date | None


def batch_sites(session: Session, batch_id: int) -> list[SiteRow]:
    """Every row of the batch, in sheet order."""
    stmt = (select(BatchQuote.row_number, BatchQuote.site_id, BatchQuote.status, Quote.street,
                   Quote.unit, Quote.city, Quote.state, Quote.postal_code, Quote.valid_until,
                   QuoteOption.id.label("offered"), *OFFER_COLUMNS)
            .join(Quote, BatchQuote.quote_id == Quote.id)
            .outerjoin(QuoteOption, (QuoteOption.quote_id == Quote.id) & QuoteOption.recommended)
            .where(BatchQuote.batch_id == batch_id).order_by(BatchQuote.position))
    return [SiteRow(row_number=r.row_number, site_id=r.site_id or "",
                    address=one_line_address(r.street, r.unit, r.city, r.state, r.postal_code),
                    key=address_key_of(r.street, r.unit, r.city, r.state, r.postal_code),
                    recommended=recommended_offer(r) if r.status == RowState.COMPLETE else None,
                    valid_until=r.valid_until)
            for r in session.execute(stmt)]


def earlier_batches(session: Session, batch_id: int, limit: int = 20) -> list[int]:
    """Batches stored before this one from a file of the same name, newest first: what a rep
    compares a batch with first."""
    name = session.scalar(select(BatchJob.source_name).where(BatchJob.id == batch_id))
    if name is None:
        return []
    return list(session.scalars(select(BatchJob.id).where(BatchJob.source_name == name,
                                                          BatchJob.id < batch_id)
                                .order_by(BatchJob.id.desc()).limit(limit)))
