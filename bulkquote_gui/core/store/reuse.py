"""Never paying twice: a row whose site and service were quoted before, and whose quote is still
valid, is filled from that quote instead of asking the API again.

Only the same account's quotes serve (its prices are its own). Same site and service = the same
normalised address (case, spacing and punctuation aside; ZIP
to five digits) and the same product, bandwidth and term. Valid = a complete quote whose
`valid_until` is today or later (a quote without one is never reused: nobody said how long it
holds). The filled row is `complete` with `reused_from` naming the row it came from; its options
are copied too, so exports and summaries read it like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bulkquote_gui.core.quoting.provider import offer_values
from bulkquote_gui.core.quoting.provider import QuoteStatus
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

__all__ = ["Reusable", "address_key_of", "requote_stale", "reusable_for_rows", "reuse_valid_quotes", "stale_row_ids"]

_PUNCTUATION = re.compile(r"[.,#'\"]")
_SPACES = re.compile(r"\s+")


def _norm(text: str | None) -> str:
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", (text or "").upper())).strip()


def site_key(q: Any) -> tuple[str, ...]:
    """What makes two requests the same site and service (`q`: a Quote, or a row of its columns)."""
    return site_key_of(q.street, q.unit, q.city, q.state, q.postal_code, q.product,
                       q.bandwidth_mbps, q.term_months)


def site_key_of(street: str | None, unit: str | None, city: str | None, state: str | None,
                postal_code: str | None, product: str | None, bandwidth_mbps: object,
                term_months: object) -> tuple[str, ...]:
    return (*address_key_of(street, unit, city, state, postal_code),
            (product or "").upper(), str(bandwidth_mbps), str(term_months))


def address_key_of(street: str | None, unit: str | None, city: str | None, state: str | None,
                   postal_code: str | None) -> tuple[str, ...]:
    """The site alone, normalised as reuse matches it (a comparison of two batches matches
    sites by it, whatever service each asked for)."""
    return (_norm(street), _norm(unit), _norm(city), _norm(state), (postal_code or "")[:5])


@dataclass(frozen=True)
class Reused:
    """A row filled from an earlier quote: where from, and what it costs."""

    row_id: int
    row_number: int
    from_batch: int
    from_row: int
    mrc: object
    valid_until: date


def reuse_valid_quotes(session: Session, batch_id: int, *,
                       today: date | None = None, now: datetime | None = None) -> list[Reused]:
    """Fill the batch's pending rows from still-valid earlier quotes (in the caller's
    transaction: one for the whole batch)."""
    today = today or utcnow().date()
    now = now or utcnow()
    reused: list[Reused] = []
    # Columns, not ORM objects: every row of a new batch is read here, on a thread that
    # shares the interpreter lock with the window.
    pending = session.execute(
        select(BatchQuote.id.label("row_id"), BatchQuote.row_number,
               Quote.id.label("quote_id"), Quote.street, Quote.unit, Quote.city, Quote.state,
               Quote.postal_code, Quote.product, Quote.bandwidth_mbps, Quote.term_months)
        .join(Quote, BatchQuote.quote_id == Quote.id)
        .where(BatchQuote.batch_id == batch_id, BatchQuote.status == ROW_PENDING)).all()
    if not pending:
        return []
    zips = {(q.postal_code or "")[:5] for q in pending}
    account_id = session.scalar(select(BatchJob.account_id).where(BatchJob.id == batch_id))
    earlier = _valid_earlier(session, zips, account_id, today, not_batch=batch_id)
    for q in pending if earlier else ():
        found = earlier.get(site_key(q))
        if found is None:
            continue
        source_row, source = found
        _copy_answer(session, source, q.quote_id)
        session.execute(update(BatchQuote).where(BatchQuote.id == q.row_id).values(
            status=ROW_COMPLETE, finished_at=now, reused_from=source_row.id,
            remote_id=source_row.remote_id, error_code=None, error_message=None))
        reused.append(Reused(q.row_id, q.row_number, source_row.batch_id, source_row.row_number,
                             source.mrc, source.valid_until))
    if reused and not session.scalar(select(BatchQuote.id).where(
            BatchQuote.batch_id == batch_id, BatchQuote.status == ROW_PENDING).limit(1)):
        # Every row was filled: nothing to send, the batch is done as it is stored.
        session.execute(update(BatchJob).where(BatchJob.id == batch_id)
                        .values(status=BATCH_COMPLETE, started_at=now, finished_at=now))
    return reused


ZIP_CHUNK = 500   # ZIPs per query: a 100,000-row file stays under any backend's parameter limit


def _valid_earlier(session: Session, zips: set[str], account_id: int | None, today: date, *,
                   not_batch: int | None = None) -> dict[tuple[str, ...], tuple[BatchQuote, Quote]]:
    """Still-valid priced rows of the account in these ZIPs, by site key (the newest wins)."""
    # Prices are the account's (its contract with the carriers): only its own quotes serve.
    same_account = (BatchJob.account_id.is_(None) if account_id is None
                    else BatchJob.account_id == account_id)
    found: list[tuple[BatchQuote, Quote]] = []
    ordered = sorted(zips)
    for start in range(0, len(ordered), ZIP_CHUNK):
        stmt = (select(BatchQuote, Quote).join(Quote, BatchQuote.quote_id == Quote.id)
                .join(BatchJob, BatchJob.id == BatchQuote.batch_id)
                .where(same_account, BatchQuote.status == ROW_COMPLETE,
                       Quote.valid_until.is_not(None), Quote.valid_until >= today,
                       func.substr(Quote.postal_code, 1, 5).in_(ordered[start:start + ZIP_CHUNK])))
        if not_batch is not None:
            stmt = stmt.where(BatchQuote.batch_id != not_batch)
        found.extend(session.execute(stmt).all())
    earlier: dict[tuple[str, ...], tuple[BatchQuote, Quote]] = {}
    for bq, q in sorted(found, key=lambda pair: pair[0].id):
        earlier[site_key(q)] = (bq, q)   # the newest quote of a site wins
    return earlier


@dataclass(frozen=True)
class Reusable:
    """A still-valid earlier quote a row of a file not yet submitted would be filled from."""

    from_batch: int
    from_row: int
    carrier: str | None
    mrc: object
    currency: str | None
    valid_until: date


def reusable_for_rows(session: Session, rows: Iterable, defaults: object, *,
                      account_id: int | None, today: date | None = None) -> dict[int, Reusable]:
    """Which of an import's quotable rows (row number -> Reusable) reuse_valid_quotes would fill
    if they were submitted now for this account: the same site key, the same valid quotes."""
    from bulkquote_gui.core.store.batches import quote_fields

    today = today or utcnow().date()
    keys: dict[int, tuple[str, ...]] = {}
    for row in rows:
        fields = quote_fields(dict(row.location or {}), dict(row.service or {}), defaults)
        keys[int(row.row_number)] = site_key_of(**fields)
    if not keys:
        return {}
    earlier = _valid_earlier(session, {k[4] for k in keys.values()}, account_id, today)
    out: dict[int, Reusable] = {}
    for row_number, key in keys.items():
        found = earlier.get(key)
        if found is not None:
            bq, q = found
            out[row_number] = Reusable(bq.batch_id, bq.row_number, q.carrier, q.mrc, q.currency,
                                       q.valid_until)
    return out


def _copy_answer(session: Session, source: Quote, target_quote_id: int) -> None:
    session.execute(update(Quote).where(Quote.id == target_quote_id).values(
        status=QuoteStatus.COMPLETE, carrier=source.carrier, mrc=source.mrc, nrc=source.nrc,
        currency=source.currency, install_days=source.install_days, access=source.access,
        is_estimate=source.is_estimate, valid_until=source.valid_until))
    options = session.execute(select(QuoteOption).where(QuoteOption.quote_id == source.id)
                              .order_by(QuoteOption.position)).scalars().all()
    if options:
        session.execute(insert(QuoteOption), [
            {"quote_id": target_quote_id, "position": o.position, "recommended": o.recommended,
             **offer_values(o)}
            for o in options])


# --------------------------------------------------------------------------- stale quotes

@dataclass(frozen=True)
class _StoredRow:
    """A stored row as create_batch reads an import's rows."""

    row_number: int
    original: dict
    location: dict
    customer: dict
    service: dict
    site_id: str
    address_set: str = ""


@dataclass(frozen=True)
class _StaleRows:
    columns: list
    mapping: dict
    rows: list

    def quotable_rows(self) -> list:
        return self.rows


def stale_row_ids(session: Session, batch_id: int, today: date) -> list[int]:
    """The batch's priced rows whose quote's valid-until date has passed."""
    return list(session.scalars(
        select(BatchQuote.id).join(Quote, BatchQuote.quote_id == Quote.id)
        .where(BatchQuote.batch_id == batch_id, BatchQuote.status == ROW_COMPLETE,
               Quote.valid_until.is_not(None), Quote.valid_until < today)
        .order_by(BatchQuote.position)))


def requote_stale(session: Session, batch_id: int, *, today: date | None = None, owner: str = "",
                  account_id: int | None = None) -> int | None:
    """A new batch asking again for the batch's stale rows (each row remembers the one it
    re-quotes, so the export can set the new price beside the old); None when none is stale.
    Read, stored and linked in the caller's one transaction: a batch is never left unlinked."""
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store.batches import create_batch

    today = today or utcnow().date()
    stale = stale_row_ids(session, batch_id, today)
    if not stale:
        return None
    batch = session.get(BatchJob, batch_id)
    assert batch is not None
    rows = []
    for bq, q in session.execute(
            select(BatchQuote, Quote).join(Quote, BatchQuote.quote_id == Quote.id)
            .where(BatchQuote.id.in_(stale)).order_by(BatchQuote.position)):
        lead = q.lead
        rows.append(_StoredRow(
            row_number=bq.row_number, original=dict(bq.original or {}), site_id=bq.site_id or "",
            address_set=bq.address_set or "",
            location={"street": q.street, "unit": q.unit, "city": q.city, "state": q.state,
                      "postal_code": q.postal_code},
            customer={"company": lead.company, "contact_name": lead.contact_name,
                      "email": lead.email, "phone": lead.phone},
            service={"product": q.product, "bandwidth_mbps": q.bandwidth_mbps,
                     "term_months": q.term_months}))
    source = _StaleRows(list(batch.columns or []), dict(batch.mapping or {}), rows)
    defaults = BatchDefaults(bandwidth_mbps=batch.bandwidth_mbps, term_months=batch.term_months,
                             product=batch.product, company=batch.company)
    name = f"{batch.source_name} (re-quote of #{batch_id})"
    new_id = create_batch(session, source, defaults=defaults, source_name=name[:500],
                          owner=owner, account_id=account_id,
                          provider_name=batch.provider_name)   # asked again of the same seller
    if batch.terms:   # a Sonata batch of a deal asks every term again, not its first alone
        session.execute(update(BatchJob).where(BatchJob.id == new_id)
                        .values(terms=list(batch.terms)))
    new_rows = list(session.scalars(select(BatchQuote.id).where(BatchQuote.batch_id == new_id)
                                    .order_by(BatchQuote.position)))
    for new_row, old_row in zip(new_rows, stale, strict=True):
        session.execute(update(BatchQuote).where(BatchQuote.id == new_row)
                        .values(requote_of=old_row))
    return new_id
