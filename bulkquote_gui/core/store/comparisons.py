"""A batch's sites as a comparison of two batches reads them (`bulkquote diff`, the export's
Changes sheet, the window's "Compare with…"): each row's address, normalised as reuse matches
sites, its site id, and the offer its deal chose for it (the deal's rule, or the rep's pick:
store.choices.read_deal), the one a proposal sells it at, from any batch of the deal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.store.choices import read_deal
from bulkquote_gui.core.store.models import (
    BatchJob,
    BatchQuote,
    Quote,
    one_line_address,
)
from bulkquote_gui.core.store.reuse import address_key_of

__all__ = ["SiteRow", "batch_sites", "earlier_batches"]


@dataclass(frozen=True)
class SiteRow:
    """One row of a batch, as a site with its answer."""

    row_number: int
    site_id: str
    address: str                 # one line, as the rep reads it
    key: tuple[str, ...]         # the normalised address (store.reuse.address_key_of)
    chosen: Offer | None         # the deal's choice for the row; None: nothing chosen
    valid_until: date | None     # the chosen offer's (else the row's own quote's)


def batch_sites(session: Session, batch_id: int) -> list[SiteRow]:
    """Every row of the batch, in sheet order, each with its deal's choice."""
    stmt = (select(BatchQuote.row_number, BatchQuote.site_id, Quote.street, Quote.unit,
                   Quote.city, Quote.state, Quote.postal_code, Quote.valid_until)
            .join(Quote, BatchQuote.quote_id == Quote.id)
            .where(BatchQuote.batch_id == batch_id).order_by(BatchQuote.position))
    deal = read_deal(session, batch_id)
    chosen = {n: c.offer for n, c in (deal.choices.items() if deal else ())}
    return [SiteRow(row_number=r.row_number, site_id=r.site_id or "",
                    address=one_line_address(r.street, r.unit, r.city, r.state, r.postal_code),
                    key=address_key_of(r.street, r.unit, r.city, r.state, r.postal_code),
                    chosen=chosen.get(r.row_number),
                    valid_until=(chosen[r.row_number].valid_until
                                 if chosen.get(r.row_number) else r.valid_until))
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
