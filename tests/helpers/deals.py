"""A deal's rows priced directly in the store (no engine): each row ends as the engine would end
it (`row_store.mark_complete` with a provider's answer), with the options a test names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.provider import QuoteOption, QuoteResult, RemoteQuote
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store.models import BatchQuote, utcnow
from tests.helpers.fakes import fake_import


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


def make_deal(sf) -> list[int]:
    """Rows 2..4 asked of a Sonata seller for 12 and 36 months and of Momentum for 36 months.
    Row 2: Sonata budgetary 12 and 36 months, Momentum Lumen 36 (on-net) and Spectrum (an
    estimate); row 3: Momentum alone; row 4: not priced."""
    with engine_store.in_transaction(sf) as session:
        ids = deal_store.create_deal(session, fake_import(3), defaults=BatchDefaults(),
                                     source_name="sites.csv",
                                     asks=[deal_store.Ask("Acme Sonata", (12, 36)),
                                           deal_store.Ask(None, (36,))])
        sonata, momentum = ids
        price_row(session, sonata, 2, [option("Acme", "700.00", "100.00", 12, quote_level="budgetary"),
                                       option("Acme", "600.00", "0.00", 36, quote_level="budgetary")],
                  valid_until=date(2027, 2, 1))
        price_row(session, momentum, 2, [option("Lumen", "650.00", "0.00", access="on_net"),
                                         option("Spectrum", "500.00", "500.00", is_estimate=True)])
        price_row(session, momentum, 3, [option("Lumen", "899.10", "250.05")])
    return ids
