"""Every carrier option the API returned for a batch's rows (not only the recommended one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulkquote_gui.core.quoting.provider import QuoteOption as Offer
from bulkquote_gui.core.quoting.provider import offer_values
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store.models import BatchQuote, QuoteOption

__all__ = ["OptionView", "batch_options", "batches_options"]


@dataclass(frozen=True)
class OptionView:
    """An option as the provider offered it (`offer`), and where it sits in the batch; reads
    as the offer too (`view.mrc` is `view.offer.mrc`), so a field the seam adds is here at once."""

    row_id: int              # BatchQuote.id
    row_number: int
    position: int
    recommended: bool
    offer: Offer
    option_id: int = 0       # QuoteOption.id: how a deal's choice names it (issue 18)
    batch_id: int = 0

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):   # copy/pickle probe before `offer` is set
            raise AttributeError(name)
        return getattr(self.offer, name)


def batch_options(session: Session, batch_id: int) -> list[OptionView]:
    """The options of every priced row, in row order then the API's order."""
    return batches_options(session, [batch_id])


def batches_options(session: Session, batch_ids: list[int]) -> list[OptionView]:
    """batch_options of several batches (a deal's), batch by batch in the order given."""
    order = {batch_id: i for i, batch_id in enumerate(batch_ids)}
    stmt = (select(BatchQuote.id, BatchQuote.batch_id, BatchQuote.row_number, QuoteOption)
            .join(QuoteOption, QuoteOption.quote_id == BatchQuote.quote_id)
            .where(BatchQuote.batch_id.in_(batch_ids), BatchQuote.status == RowState.COMPLETE)
            .order_by(BatchQuote.position, QuoteOption.position))
    views = [OptionView(row_id=row_id, row_number=n, position=o.position,
                        recommended=o.recommended, offer=Offer(**offer_values(o)),
                        option_id=o.id, batch_id=batch_id)
             for row_id, batch_id, n, o in session.execute(stmt)]
    return sorted(views, key=lambda v: order[v.batch_id])   # stable: row order kept within
