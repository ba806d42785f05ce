"""Never paying twice: a row whose site and service were quoted before, and whose quote is still
valid, is filled from that quote instead of asking the API again.

Same site and service = the same normalised address (case, spacing and punctuation aside; ZIP
to five digits) and the same product, bandwidth and term. Valid = a complete quote whose
`valid_until` is today or later (a quote without one is never reused: nobody said how long it
holds). The filled row is `complete` with `reused_from` naming the row it came from; its options
are copied too, so exports and summaries read it like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store.models import (
    BATCH_COMPLETE,
    ROW_COMPLETE,
    ROW_PENDING,
    BatchJob,
    BatchQuote,
    Quote,
    QuoteOption,
    utcnow,
)

_PUNCTUATION = re.compile(r"[.,#'\"]")
_SPACES = re.compile(r"\s+")


def _norm(text: str | None) -> str:
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", (text or "").upper())).strip()


def site_key(q: Quote) -> tuple[str, ...]:
    """What makes two requests the same site and service."""
    return (_norm(q.street), _norm(q.unit), _norm(q.city), _norm(q.state),
            (q.postal_code or "")[:5], (q.product or "").upper(), str(q.bandwidth_mbps),
            str(q.term_months))


@dataclass(frozen=True)
class Reused:
    """A row filled from an earlier quote: where from, and what it costs."""

    row_id: int
    row_number: int
    from_batch: int
    from_row: int
    mrc: object
    valid_until: date


def reuse_valid_quotes(session_factory: sessionmaker[Session], batch_id: int, *,
                       today: date | None = None, now: datetime | None = None) -> list[Reused]:
    """Fill the batch's pending rows from still-valid earlier quotes, in one transaction."""
    today = today or utcnow().date()
    now = now or utcnow()
    reused: list[Reused] = []
    with session_factory.begin() as session:
        pending = session.execute(
            select(BatchQuote, Quote).join(Quote, BatchQuote.quote_id == Quote.id)
            .where(BatchQuote.batch_id == batch_id, BatchQuote.status == ROW_PENDING)).all()
        if not pending:
            return []
        zips = {(q.postal_code or "")[:5] for _, q in pending}
        earlier: dict[tuple[str, ...], tuple[BatchQuote, Quote]] = {}
        for bq, q in session.execute(
                select(BatchQuote, Quote).join(Quote, BatchQuote.quote_id == Quote.id)
                .where(BatchQuote.batch_id != batch_id, BatchQuote.status == ROW_COMPLETE,
                       Quote.valid_until.is_not(None), Quote.valid_until >= today,
                       func.substr(Quote.postal_code, 1, 5).in_(sorted(zips)))
                .order_by(BatchQuote.id)):
            earlier[site_key(q)] = (bq, q)   # the newest quote of a site wins
        for bq, q in pending:
            found = earlier.get(site_key(q))
            if found is None:
                continue
            source_row, source = found
            _copy_answer(session, source, q.id)
            session.execute(update(BatchQuote).where(BatchQuote.id == bq.id).values(
                status=ROW_COMPLETE, finished_at=now, reused_from=source_row.id,
                remote_id=source_row.remote_id, error_code=None, error_message=None))
            reused.append(Reused(bq.id, bq.row_number, source_row.batch_id, source_row.row_number,
                                 source.mrc, source.valid_until))
        if reused and not session.scalar(select(BatchQuote.id).where(
                BatchQuote.batch_id == batch_id, BatchQuote.status == ROW_PENDING).limit(1)):
            # Every row was filled: nothing to send, the batch is done as it is stored.
            session.execute(update(BatchJob).where(BatchJob.id == batch_id)
                            .values(status=BATCH_COMPLETE, started_at=now, finished_at=now))
    return reused


def _copy_answer(session: Session, source: Quote, target_quote_id: int) -> None:
    session.execute(update(Quote).where(Quote.id == target_quote_id).values(
        status="complete", carrier=source.carrier, mrc=source.mrc, nrc=source.nrc,
        currency=source.currency, install_days=source.install_days, access=source.access,
        is_estimate=source.is_estimate, valid_until=source.valid_until))
    options = session.execute(select(QuoteOption).where(QuoteOption.quote_id == source.id)
                              .order_by(QuoteOption.position)).scalars().all()
    if options:
        session.execute(insert(QuoteOption), [
            {"quote_id": target_quote_id, "position": o.position, "recommended": o.recommended,
             "carrier": o.carrier, "product": o.product, "bandwidth_mbps": o.bandwidth_mbps,
             "term_months": o.term_months, "mrc": o.mrc, "nrc": o.nrc, "currency": o.currency,
             "install_days": o.install_days, "access": o.access, "is_estimate": o.is_estimate}
            for o in options])
