"""What the window, the CLI and the exports read: batch summaries, rows with their answers, counts.

Nothing here returns an ORM object, only frozen dataclasses and plain values, so results can
cross threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from bulkquote_gui.core.quoting.provider import OFFER_FIELDS, ReadsOffer
from bulkquote_gui.core.quoting.provider import QuoteOption as Offer
from bulkquote_gui.core.states import ROW_TERMINAL, RowState
from bulkquote_gui.core.store.models import (
    BATCH_PAUSED,
    BATCH_UNFINISHED,
    DEFAULT_PROVIDER_KIND,
    ROW_ACTIVE,
    Account,
    BatchJob,
    BatchQuote,
    Quote,
    QuoteOption,
    one_line_address,
)

__all__ = ["COUNT_KEYS", "OFFER_COLUMNS", "BatchSummary", "RowView", "SkippedRow", "batch_columns", "batch_counts",
           "batch_mapping", "batch_rows", "batch_skipped", "batch_status", "batches_named",
           "counts_of", "get_batch", "is_personal", "list_batches", "paused_batch_ids",
           "recommended_offer", "unfinished_batch_ids"]

# "active" counts both ROW_ACTIVE states
COUNT_KEYS = ("total", RowState.PENDING, "active", *ROW_TERMINAL)


@dataclass(frozen=True)
class BatchSummary:
    id: int
    source_name: str
    created_at: datetime
    status: str
    counts: dict[str, int]
    finished_at: datetime | None
    started_at: datetime | None = None
    status_message: str = ""
    owner: str = ""                  # the rep who submitted it (Settings' name)
    account_id: int | None = None
    priority: int = 0                # > 0: rushed to the front of its account's line


@dataclass(frozen=True)
class RowView(ReadsOffer):
    """One batch row as the views and exports show it; reads as its recommended option too
    (`view.mrc` is `view.offer.mrc`, None while the row is not priced)."""

    quote_id: int            # BatchQuote.id
    row_number: int
    address: str             # one line
    status: str
    offer: Offer | None      # the recommended option, as stored (quote_option.recommended)
    error_code: str | None
    error_message: str | None
    attempts: int
    valid_until: date | None = None
    option_count: int = 0
    site_id: str = ""
    original: dict[str, str] = field(default_factory=dict, compare=False)
    reused_from: int | None = None   # the earlier row whose still-valid quote filled this one
    requote_of: int | None = None    # the earlier row whose stale quote this one asks again for
    previous_mrc: Decimal | None = None  # that earlier row's monthly price
    address_set: str = ""            # the sheet's address set it was quoted from (schema v6;
                                     # "" with one set, and for rows stored before v6)
    quoted: tuple[str, str, str, str] = ("", "", "", "")   # street (with unit), city, state, ZIP
                                     # as sent: the cleaned address, a repaired ZIP's zero too
    provider: str = ""               # who quotes it: the batch's provider, else its account's
                                     # kind ("Momentum")
    remote_id: str | None = None     # the provider's id of the quote

    def stale(self, today: date) -> bool:
        """Priced, but the quote's valid-until date has passed: ask again before selling it."""
        return self.status == RowState.COMPLETE and self.valid_until is not None and self.valid_until < today


@dataclass(frozen=True)
class SkippedRow:
    """A row of the sheet that was not quoted (the import's verdict), kept for the export."""

    row_number: int
    status: str              # "invalid" | "duplicate"
    reason: str              # the import check's words ("duplicate of row 4 (same address…)")
    categories: tuple[str, ...] = ()   # as `bulkquote check` counts them ("PO box")
    original: dict[str, str] = field(default_factory=dict, compare=False)
    columns: tuple[str, ...] = ()      # the rep's columns at fault (none stored before the fix list)
    address_set: str = ""    # the address set its verdict is for ("" with one set)
    address: str = ""        # as the sheet wrote it, from that set ("" stored before it was kept)


# The engine's hot statements are built once (bound parameters p_*): building a statement
# costs more than running it on SQLite, and the engine runs a dozen per quote.
_COUNTS = (select(BatchQuote.status, func.count()).where(BatchQuote.batch_id == bindparam("p_batch"))
           .group_by(BatchQuote.status))
_BATCH_STATUS = select(BatchJob.status).where(BatchJob.id == bindparam("p_batch"))


def batch_counts(session: Session, batch_id: int) -> dict[str, int]:
    """Rows per state, derived by COUNT ... GROUP BY: total, pending, active, complete, failed, cancelled."""
    return counts_of(session.connection().execute(_COUNTS, {"p_batch": batch_id}))


def counts_of(status_counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    """batch_counts' dict from (row status, rows) pairs."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for status, n in status_counts:
        key = "active" if status in ROW_ACTIVE else status
        counts[key] = counts.get(key, 0) + n
        counts["total"] += n
    return counts


def _summary(session: Session, batch: BatchJob) -> BatchSummary:
    return BatchSummary(id=batch.id, source_name=batch.source_name, created_at=batch.created_at,
                        status=batch.status, counts=batch_counts(session, batch.id),
                        finished_at=batch.finished_at, started_at=batch.started_at,
                        status_message=batch.status_message or "", owner=batch.owner or "",
                        account_id=batch.account_id, priority=batch.priority or 0)


def get_batch(session: Session, batch_id: int) -> BatchSummary | None:
    batch = session.get(BatchJob, batch_id, populate_existing=True)
    return None if batch is None else _summary(session, batch)


def is_personal(session: Session) -> bool:
    """A SQLite file is one rep's database; a server (PostgreSQL) is a team's."""
    return session.get_bind().dialect.name == "sqlite"


def list_batches(session: Session, limit: int = 10, *, owner: str | None = None,
                 unnamed_too: bool = False) -> list[BatchSummary]:
    """The most recent batches, newest first; with `owner`, only that rep's (as create_batch
    stored the name: stripped, at most 200 characters; "" = batches submitted without a name),
    and with `unnamed_too` also those submitted without a name (on a personal database they
    are the rep's, made before a name was entered in Settings)."""
    stmt = select(BatchJob)
    if owner is not None:
        names = {owner.strip()[:200], ""} if unnamed_too else {owner.strip()[:200]}
        stmt = stmt.where(func.coalesce(BatchJob.owner, "").in_(names))
    batches = session.scalars(stmt.order_by(BatchJob.id.desc()).limit(limit)).all()
    return [_summary(session, b) for b in batches]


# The recommended option's fields, labelled o_<field> beside the row's own columns.
OFFER_COLUMNS = tuple(getattr(QuoteOption, name).label(f"o_{name}") for name in OFFER_FIELDS)


def recommended_offer(r: Any) -> Offer | None:
    """The offer of a result row read with OFFER_COLUMNS, outer-joined to the quote's
    recommended option (`offered`: that option's id; None while the row is not priced)."""
    if r.offered is None:
        return None
    return Offer(**{name: getattr(r, f"o_{name}") for name in OFFER_FIELDS})


def batch_rows(session: Session, batch_id: int) -> list[RowView]:
    """Every row of the batch in processing (spreadsheet) order."""
    option_counts = (select(QuoteOption.quote_id, func.count().label("n"))
                     .group_by(QuoteOption.quote_id).subquery())
    # Columns, not ORM objects: a 20,000-row batch is read to open it, on a thread that shares
    # the interpreter lock with the window (two ORM objects a row took most of that time).
    stmt = (select(BatchQuote.id, BatchQuote.row_number, BatchQuote.status, BatchQuote.error_code,
                   BatchQuote.error_message, BatchQuote.attempts, BatchQuote.site_id,
                   BatchQuote.original, BatchQuote.reused_from, BatchQuote.requote_of,
                   BatchQuote.address_set, Quote.street, Quote.unit, Quote.city, Quote.state,
                   Quote.postal_code, Quote.valid_until, option_counts.c.n,
                   QuoteOption.id.label("offered"), *OFFER_COLUMNS,
                   BatchQuote.remote_id)
            .join(Quote, BatchQuote.quote_id == Quote.id)
            .outerjoin(option_counts, option_counts.c.quote_id == Quote.id)
            .outerjoin(QuoteOption, (QuoteOption.quote_id == Quote.id) & QuoteOption.recommended)
            .where(BatchQuote.batch_id == batch_id).order_by(BatchQuote.position))
    provider = _batch_provider(session, batch_id)
    out = []
    for r in session.execute(stmt):
        out.append(RowView(
            quote_id=r.id, row_number=r.row_number,
            address=one_line_address(r.street, r.unit, r.city, r.state, r.postal_code),
            status=r.status, offer=recommended_offer(r), error_code=r.error_code,
            error_message=r.error_message, attempts=r.attempts,
            valid_until=r.valid_until, option_count=int(r.n or 0),
            site_id=r.site_id, original=dict(r.original or {}), reused_from=r.reused_from,
            requote_of=r.requote_of, address_set=r.address_set or "",
            quoted=(f"{r.street} {r.unit}".strip() if r.unit else r.street, r.city, r.state,
                    r.postal_code),
            provider=provider, remote_id=r.remote_id))
    earlier = [r.requote_of for r in out if r.requote_of is not None]
    if earlier:
        prices = dict(session.execute(select(BatchQuote.id, Quote.mrc).join(
            Quote, BatchQuote.quote_id == Quote.id).where(BatchQuote.id.in_(earlier))).all())
        out = [replace(r, previous_mrc=prices.get(r.requote_of)) if r.requote_of else r for r in out]
    return out


def _batch_provider(session: Session, batch_id: int) -> str:
    """Who quotes the batch's rows, as the rep reads it: the provider it was submitted to
    (`batch_job.provider_name`), else its account's kind ("Momentum"; the default kind while
    no account has taken the batch)."""
    r = session.execute(select(BatchJob.provider_name, Account.provider)
                        .select_from(BatchJob).outerjoin(Account, Account.id == BatchJob.account_id)
                        .where(BatchJob.id == batch_id)).first()
    if r is None:
        return ""
    return str(r[0] or (r[1] or DEFAULT_PROVIDER_KIND).capitalize())


def batch_skipped(session: Session, batch_id: int) -> list[SkippedRow]:
    """The rows the batch did not quote, in sheet order (none for batches stored before v4)."""
    raw = session.scalar(select(BatchJob.skipped).where(BatchJob.id == batch_id)) or []
    return [SkippedRow(row_number=int(r.get("row", 0)), status=str(r.get("status", "invalid")),
                       reason=str(r.get("reason", "")),
                       categories=tuple(str(c) for c in r.get("categories") or ()),
                       address_set=str(r.get("address_set") or ""),
                       address=str(r.get("address") or ""),
                       original={str(k): str(v) for k, v in dict(r.get("original") or {}).items()},
                       columns=tuple(str(c) for c in r.get("columns") or ()))
            for r in raw if isinstance(r, dict)]


def batches_named(session: Session, source_name: str, limit: int = 5) -> list[BatchSummary]:
    """Earlier batches stored from a file of this name, newest first (a second submit warns)."""
    batches = session.scalars(select(BatchJob).where(BatchJob.source_name == source_name)
                              .order_by(BatchJob.id.desc()).limit(limit)).all()
    return [_summary(session, b) for b in batches]


def batch_mapping(session: Session, batch_id: int) -> dict[str, str]:
    """The column mapping the batch was stored with (field -> the rep's column)."""
    mapping = session.scalar(select(BatchJob.mapping).where(BatchJob.id == batch_id))
    return {str(k): str(v) for k, v in dict(mapping or {}).items()}


def batch_columns(session: Session, batch_id: int) -> list[str]:
    """The spreadsheet's own header order, as imported."""
    batch = session.get(BatchJob, batch_id)
    return list(batch.columns or []) if batch else []


def unfinished_batch_ids(session: Session, *, account_id: int | None = None) -> list[int]:
    """Batches still to process (pending or running; not paused, cancelled or complete), oldest
    first; with `account_id`, that account's (and those no account has claimed yet)."""
    stmt = select(BatchJob.id).where(BatchJob.status.in_(BATCH_UNFINISHED)).order_by(BatchJob.id)
    if account_id is not None:
        stmt = stmt.where(or_(BatchJob.account_id == account_id, BatchJob.account_id.is_(None)))
    return list(session.scalars(stmt))


def paused_batch_ids(session: Session) -> list[int]:
    stmt = select(BatchJob.id).where(BatchJob.status == BATCH_PAUSED).order_by(BatchJob.id)
    return list(session.scalars(stmt))


def batch_status(session: Session, batch_id: int) -> str | None:
    return session.connection().scalar(_BATCH_STATUS, {"p_batch": batch_id})

