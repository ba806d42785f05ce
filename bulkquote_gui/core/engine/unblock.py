"""The rep's explicit decision to cancel the quote that blocks the account (`bulkquote unblock`,
the banner's "Cancel the blocking quote" button). Never done by the engine on its own."""

from __future__ import annotations


from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.quoting.provider import QuoteProvider, RemoteQuote
from bulkquote_gui.core.states import RowState


class NotABlocker(ValueError):
    """The quote is one of our own rows' (cancel its batch instead), or nothing to cancel."""


def cancel_blocking_quote(client: QuoteProvider, session_factory: sessionmaker[Session],
                          quote_id: str) -> RemoteQuote:
    """DELETE another client's quote; returns it as the API left it (cancelled, or already over).

    Refuses a quote one of our rows is still waiting for: that is cancelled with its batch.
    """
    quote_id = quote_id.strip()
    if not quote_id:
        raise NotABlocker("no quote id given")
    with session_factory() as session:
        owner = work_store.find_row_for_remote(session, quote_id)
    if owner is not None and owner.status in (RowState.SUBMITTING, RowState.POLLING):
        raise NotABlocker(f"quote {quote_id} is row {owner.row_number} of batch {owner.batch_id} "
                          f"(ours): cancel that batch instead")
    return client.cancel(quote_id).quote
