"""The store: engine and sessions, storing a batch, the queries the views need, and the row
state transitions the processor writes.

Threads: one short-lived Session per unit of work, never shared; nothing here returns an ORM
object, only frozen dataclasses and plain values, so results can cross threads.
Every row transition is a conditional UPDATE (`... WHERE status IN (...)`), so two writers (the
engine and a cancel from the GUI or another process) can never both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Protocol

from sqlalchemy import (
    Engine,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.models import (
    BATCH_CANCELLED,
    BATCH_COMPLETE,
    BATCH_PAUSED,
    BATCH_PENDING,
    BATCH_RUNNING,
    BATCH_UNFINISHED,
    ROW_ACTIVE,
    ROW_CANCELLED,
    ROW_COMPLETE,
    ROW_FAILED,
    ROW_OPEN,
    ROW_PENDING,
    ROW_POLLING,
    ROW_SUBMITTING,
    BatchJob,
    BatchQuote,
    CleanupOwed,
    Lead,
    Quote,
    QuoteOption,
    utcnow,
)
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.schema import ensure_schema

SQLITE_BUSY_TIMEOUT_MS = 10_000
COUNT_KEYS = ("total", "pending", "active", "complete", "failed", "cancelled")


# --------------------------------------------------------------------------- engine, sessions

def make_engine(url: str) -> Engine:
    """An engine for `url`, with the schema created or upgraded.

    SQLite gets WAL (readers never block the engine's writes), a busy timeout (a second
    process or thread waits instead of failing) and enforced foreign keys.
    """
    sa_url = make_url(url)
    is_sqlite = sa_url.get_backend_name() == "sqlite"
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        database = sa_url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(sa_url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _configure_sqlite)
    ensure_schema(engine)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
    finally:
        cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded values stay readable after commit (expire_on_commit=False)."""
    return sessionmaker(engine, expire_on_commit=False)


# --------------------------------------------------------------------------- creating a batch

class _ImportResultLike(Protocol):
    columns: Any
    mapping: Any

    def quotable_rows(self) -> Iterable[Any]: ...


class NothingToQuote(ValueError):
    """The import has no quotable row, so no batch was stored."""


def create_batch(session_factory: sessionmaker[Session], result: _ImportResultLike, *,
                 defaults: BatchDefaults, source_name: str) -> int:
    """Store a batch (job, one BatchQuote + Lead + Quote per quotable row) in one transaction.

    All or nothing: on any error nothing is stored. Company fallback per row: the row's own
    company, else `defaults.company`, else the file's stem. Each row gets its idempotency key
    (uuid4) now, before anything is sent. Raises NothingToQuote when no row is quotable.
    """
    rows = list(result.quotable_rows())
    if not rows:
        raise NothingToQuote(f"{source_name}: no quotable rows")
    fallback_company = defaults.company.strip() or Path(source_name).stem
    with session_factory.begin() as session:
        batch = BatchJob(
            source_name=source_name,
            columns=[str(c) for c in (result.columns or [])],
            mapping={str(k): str(v) for k, v in dict(result.mapping or {}).items()},
            bandwidth_mbps=defaults.bandwidth_mbps, term_months=defaults.term_months,
            product=defaults.product, company=defaults.company,
            status=BATCH_PENDING, total=len(rows), created_at=utcnow())
        session.add(batch)
        session.flush()
        # Bulk INSERT ... RETURNING (three statements, not three ORM objects per row): a
        # 20,000-row batch is stored in a fraction of the time, so the window stays fluid.
        leads, quotes, batch_rows_ = [], [], []
        for position, row in enumerate(rows):
            customer = dict(row.customer or {})
            location = dict(row.location or {})
            service = dict(row.service or {})
            leads.append(dict(company=(customer.get("company") or "").strip() or fallback_company,
                              contact_name=customer.get("contact_name") or "",
                              email=customer.get("email") or "", phone=customer.get("phone") or ""))
            quotes.append(dict(
                street=location.get("street") or "", unit=location.get("unit") or "",
                city=location.get("city") or "", state=location.get("state") or "",
                postal_code=location.get("postal_code") or "",
                product=str(service.get("product") or defaults.product),
                bandwidth_mbps=int(service.get("bandwidth_mbps") or defaults.bandwidth_mbps),
                term_months=int(service.get("term_months") or defaults.term_months)))
            batch_rows_.append(dict(
                batch_id=batch.id, position=position, row_number=int(row.row_number),
                site_id=str(getattr(row, "site_id", "") or ""),
                original={str(k): "" if v is None else str(v) for k, v in dict(row.original).items()},
                status=ROW_PENDING, idempotency_key=str(uuid.uuid4())))
        lead_ids = session.scalars(
            insert(Lead).returning(Lead.id, sort_by_parameter_order=True), leads).all()
        for quote, lead_id in zip(quotes, lead_ids, strict=True):
            quote["lead_id"] = lead_id
        quote_ids = session.scalars(
            insert(Quote).returning(Quote.id, sort_by_parameter_order=True), quotes).all()
        for batch_row, quote_id in zip(batch_rows_, quote_ids, strict=True):
            batch_row["quote_id"] = quote_id
        session.execute(insert(BatchQuote), batch_rows_)
        session.flush()
        return batch.id


# --------------------------------------------------------------------------- queries for views

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


@dataclass(frozen=True)
class RowView:
    """One batch row as the views and exports show it."""

    quote_id: int            # BatchQuote.id
    row_number: int
    address: str             # one line
    status: str
    carrier: str | None
    mrc: Decimal | None
    nrc: Decimal | None
    currency: str | None
    install_days: int | None
    error_code: str | None
    error_message: str | None
    attempts: int
    access: str | None = None
    is_estimate: bool | None = None
    valid_until: date | None = None
    option_count: int = 0
    site_id: str = ""
    original: dict[str, str] = field(default_factory=dict, compare=False)


# The engine's hot statements are built once (bound parameters p_*): building a statement
# costs more than running it on SQLite, and the engine runs a dozen per quote.
_COUNTS = (select(BatchQuote.status, func.count()).where(BatchQuote.batch_id == bindparam("p_batch"))
           .group_by(BatchQuote.status))
_BATCH_STATUS = select(BatchJob.status).where(BatchJob.id == bindparam("p_batch"))


def batch_counts(session: Session, batch_id: int) -> dict[str, int]:
    """Rows per state, derived by COUNT ... GROUP BY: total, pending, active, complete, failed, cancelled."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for status, n in session.connection().execute(_COUNTS, {"p_batch": batch_id}):
        key = "active" if status in ROW_ACTIVE else status
        counts[key] = counts.get(key, 0) + n
        counts["total"] += n
    return counts


def _summary(session: Session, batch: BatchJob) -> BatchSummary:
    return BatchSummary(id=batch.id, source_name=batch.source_name, created_at=batch.created_at,
                        status=batch.status, counts=batch_counts(session, batch.id),
                        finished_at=batch.finished_at, started_at=batch.started_at,
                        status_message=batch.status_message or "")


def get_batch(session: Session, batch_id: int) -> BatchSummary | None:
    batch = session.get(BatchJob, batch_id, populate_existing=True)
    return None if batch is None else _summary(session, batch)


def list_batches(session: Session, limit: int = 10) -> list[BatchSummary]:
    """The most recent batches, newest first."""
    batches = session.scalars(select(BatchJob).order_by(BatchJob.id.desc()).limit(limit)).all()
    return [_summary(session, b) for b in batches]


def batch_rows(session: Session, batch_id: int) -> list[RowView]:
    """Every row of the batch in processing (spreadsheet) order."""
    option_counts = (select(QuoteOption.quote_id, func.count().label("n"))
                     .group_by(QuoteOption.quote_id).subquery())
    stmt = (select(BatchQuote, Quote, option_counts.c.n)
            .join(Quote, BatchQuote.quote_id == Quote.id)
            .outerjoin(option_counts, option_counts.c.quote_id == Quote.id)
            .where(BatchQuote.batch_id == batch_id).order_by(BatchQuote.position))
    out = []
    for bq, q, n in session.execute(stmt):
        out.append(RowView(
            quote_id=bq.id, row_number=bq.row_number, address=q.one_line_address(),
            status=bq.status, carrier=q.carrier, mrc=q.mrc, nrc=q.nrc, currency=q.currency,
            install_days=q.install_days, error_code=bq.error_code,
            error_message=bq.error_message, attempts=bq.attempts, access=q.access,
            is_estimate=q.is_estimate, valid_until=q.valid_until, option_count=int(n or 0),
            site_id=bq.site_id, original=dict(bq.original or {})))
    return out


def batch_columns(session: Session, batch_id: int) -> list[str]:
    """The spreadsheet's own header order, as imported."""
    batch = session.get(BatchJob, batch_id)
    return list(batch.columns or []) if batch else []


def unfinished_batch_ids(session: Session) -> list[int]:
    """Batches still to process (pending or running; not paused, cancelled or complete), oldest first."""
    stmt = select(BatchJob.id).where(BatchJob.status.in_(BATCH_UNFINISHED)).order_by(BatchJob.id)
    return list(session.scalars(stmt))


def paused_batch_ids(session: Session) -> list[int]:
    stmt = select(BatchJob.id).where(BatchJob.status == BATCH_PAUSED).order_by(BatchJob.id)
    return list(session.scalars(stmt))


def batch_status(session: Session, batch_id: int) -> str | None:
    return session.connection().scalar(_BATCH_STATUS, {"p_batch": batch_id})


# --------------------------------------------------------------------------- batch commands

def request_cancel(session_factory: sessionmaker[Session], batch_id: int, *,
                   include_active: bool = True) -> list[tuple[str, int]]:
    """Cancel a batch: it becomes `cancelled`, its never-submitted rows too.

    With `include_active` (nobody is processing the batch right now) rows already submitted
    are cancelled as well, and (remote id, row id) of those quotes are returned: they are still
    in flight on the server and must be DELETEd by the caller. Without it, the running processor
    finishes the job for its in-flight row. A finished batch is left as it is.
    """
    with session_factory.begin() as session:
        changed = session.execute(
            update(BatchJob).where(BatchJob.id == batch_id,
                                   BatchJob.status.in_((BATCH_PENDING, BATCH_RUNNING, BATCH_PAUSED)))
            .values(status=BATCH_CANCELLED, finished_at=utcnow(),
                    status_message="cancelled by the user"))
        if changed.rowcount == 0:
            return []
        return _cancel_rows(session, batch_id, ROW_OPEN if include_active else (ROW_PENDING,))


def cancel_open_rows(session_factory: sessionmaker[Session], batch_id: int) -> list[tuple[str, int]]:
    """Cancel every row of the batch still open; returns (remote id, row id) of quotes in flight."""
    with session_factory.begin() as session:
        return _cancel_rows(session, batch_id, ROW_OPEN)


def _cancel_rows(session: Session, batch_id: int, states: tuple[str, ...]) -> list[tuple[str, int]]:
    in_flight = [(r.remote_id, r.id) for r in session.execute(
        select(BatchQuote.remote_id, BatchQuote.id).where(
            BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states),
            BatchQuote.status.in_(ROW_ACTIVE), BatchQuote.remote_id.is_not(None)))]
    # A row left `submitting` with no remote id (paused, stopped or killed while its POST was
    # out) may have a quote behind its key that nobody will ask about again: a replay is owed,
    # in the same transaction as the cancel.
    _owe_replays(session, select(BatchQuote.id, BatchQuote.idempotency_key).where(
        BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states),
        BatchQuote.status == ROW_SUBMITTING, BatchQuote.remote_id.is_(None)))
    session.execute(
        update(BatchQuote).where(BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states))
        .values(status=ROW_CANCELLED, finished_at=utcnow(), error_code="cancelled",
                error_message="cancelled by the user"))
    return in_flight


def mark_paused(session_factory: sessionmaker[Session], batch_id: int, message: str = "") -> bool:
    """Pause a pending/running batch; its rows keep their state (an in-flight one stays polling)."""
    with session_factory.begin() as session:
        return session.execute(
            update(BatchJob).where(BatchJob.id == batch_id,
                                   BatchJob.status.in_(BATCH_UNFINISHED))
            .values(status=BATCH_PAUSED, status_message=message)).rowcount > 0


def resume_batch(session_factory: sessionmaker[Session], batch_id: int) -> bool:
    """A paused batch becomes unfinished again (pending), to be picked up by the processor."""
    with session_factory.begin() as session:
        return session.execute(
            update(BatchJob).where(BatchJob.id == batch_id, BatchJob.status == BATCH_PAUSED)
            .values(status=BATCH_PENDING, status_message="")).rowcount > 0


def retry_failed(session_factory: sessionmaker[Session], batch_id: int) -> int:
    """Queue the batch's failed rows again; returns how many.

    Each gets a NEW idempotency key (the old one would replay the failed quote), its remote id,
    error and result are cleared, its attempts kept. A finished or paused batch becomes pending.
    """
    with session_factory.begin() as session:
        rows = session.scalars(select(BatchQuote).where(
            BatchQuote.batch_id == batch_id, BatchQuote.status == ROW_FAILED)).all()
        for row in rows:
            row.status = ROW_PENDING
            row.idempotency_key = str(uuid.uuid4())
            row.remote_id = None
            row.error_code = row.error_message = None
            row.submitted_at = row.finished_at = None
            _clear_result(row.quote)
        if rows:
            session.execute(
                update(BatchJob).where(BatchJob.id == batch_id)
                .where(BatchJob.status.in_((BATCH_COMPLETE, BATCH_PAUSED, BATCH_CANCELLED)))
                .values(status=BATCH_PENDING, finished_at=None, status_message=""))
        return len(rows)


def _clear_result(quote: Quote) -> None:
    quote.status = "requested"
    quote.carrier = quote.currency = quote.access = None
    quote.mrc = quote.nrc = None
    quote.install_days = None
    quote.is_estimate = None
    quote.valid_until = None
    quote.options.clear()


# --------------------------------------------------------------------------- processor's writes

@dataclass(frozen=True)
class RowWork:
    """What the processor needs to work on one row, detached from any session."""

    id: int
    batch_id: int
    row_number: int
    status: str
    idempotency_key: str
    remote_id: str | None
    submitted_at: datetime | None
    attempts: int
    request: dict[str, Any]

    @property
    def reference(self) -> str:
        return f"batch-{self.batch_id}/row-{self.row_number}"


# One joined SELECT per row (no lazy loads): the engine reads rows many times per quote.
_WORK_COLUMNS = (
    BatchQuote.id, BatchQuote.batch_id, BatchQuote.row_number, BatchQuote.status,
    BatchQuote.idempotency_key, BatchQuote.remote_id, BatchQuote.submitted_at, BatchQuote.attempts,
    Quote.street, Quote.unit, Quote.city, Quote.state, Quote.postal_code, Quote.product,
    Quote.bandwidth_mbps, Quote.term_months,
    Lead.company, Lead.contact_name, Lead.email, Lead.phone,
)


def _work_select() -> Any:
    return (select(*_WORK_COLUMNS).join(Quote, BatchQuote.quote_id == Quote.id)
            .join(Lead, Quote.lead_id == Lead.id))


def _work(r: Any) -> RowWork:
    """RowWork from a _work_select() row, with the POST body: same row, same body, every time."""
    customer = {"company": r.company}
    for key in ("contact_name", "email", "phone"):
        if getattr(r, key):
            customer[key] = getattr(r, key)
    location = {"street": r.street, "city": r.city, "state": r.state,
                "postal_code": r.postal_code, "country": "US"}
    if r.unit:
        location["unit"] = r.unit
    request = {"reference": f"batch-{r.batch_id}/row-{r.row_number}", "customer": customer,
               "location": location,
               "service": {"product": r.product, "bandwidth_mbps": r.bandwidth_mbps,
                           "term_months": r.term_months}}
    return RowWork(id=r.id, batch_id=r.batch_id, row_number=r.row_number, status=r.status,
                   idempotency_key=r.idempotency_key, remote_id=r.remote_id,
                   submitted_at=r.submitted_at, attempts=r.attempts, request=request)


def next_open_row(session: Session, batch_id: int) -> RowWork | None:
    """The row to work on: one already in flight (after a crash), else the first pending one."""
    r = session.connection().execute(_NEXT_OPEN_ROW, {"p_batch": batch_id}).first()
    return None if r is None else _work(r)


def load_row(session: Session, row_id: int) -> RowWork | None:
    r = session.connection().execute(_LOAD_ROW, {"p_row": row_id}).first()
    return None if r is None else _work(r)


_NEXT_OPEN_ROW = (
    _work_select()
    .where(BatchQuote.batch_id == bindparam("p_batch"), BatchQuote.status.in_(ROW_OPEN))
    .order_by(case((BatchQuote.status.in_(ROW_ACTIVE), 0), else_=1), BatchQuote.position)
    .limit(1))
_LOAD_ROW = _work_select().where(BatchQuote.id == bindparam("p_row"))


@dataclass(frozen=True)
class RowOwner:
    """Which of our rows a remote quote belongs to."""

    row_id: int
    batch_id: int
    row_number: int
    status: str
    batch_status: str
    submitted_at: datetime | None


def find_row_for_remote(session: Session, remote_id: str) -> RowOwner | None:
    """Our row for a remote quote, by the remote id stored with it.

    Never by the request's `reference` text alone: another BulkQuote install on the same
    account numbers its batches from 1 too, so "batch-1/row-2" may well be a colleague's.
    """
    bq = session.scalars(select(BatchQuote).where(BatchQuote.remote_id == remote_id)
                         .order_by(BatchQuote.id.desc()).limit(1)).first()
    if bq is None:
        return None
    return RowOwner(row_id=bq.id, batch_id=bq.batch_id, row_number=bq.row_number,
                    status=bq.status, batch_status=bq.batch.status, submitted_at=bq.submitted_at)


def start_batch(session_factory: sessionmaker[Session], batch_id: int) -> str | None:
    """pending -> running (started_at set once); returns the batch status afterwards."""
    with session_factory.begin() as session:
        session.connection().execute(update(BatchJob).where(BatchJob.id == batch_id,
                                               BatchJob.status == BATCH_PENDING)
                        .values(status=BATCH_RUNNING, status_message=""))
        session.connection().execute(update(BatchJob).where(BatchJob.id == batch_id,
                                               BatchJob.started_at.is_(None))
                        .values(started_at=utcnow()))
        return session.connection().scalar(select(BatchJob.status).where(BatchJob.id == batch_id))


def finish_batch(session_factory: sessionmaker[Session], batch_id: int) -> bool:
    """running -> complete, once no row is left open."""
    with session_factory.begin() as session:
        open_rows = session.connection().scalar(select(func.count()).where(
            BatchQuote.batch_id == batch_id, BatchQuote.status.in_(ROW_OPEN)))
        if open_rows:
            return False
        return session.connection().execute(
            update(BatchJob).where(BatchJob.id == batch_id,
                                   BatchJob.status.in_(BATCH_UNFINISHED))
            .values(status=BATCH_COMPLETE, finished_at=utcnow())).rowcount > 0


_MARK_SUBMITTING = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), BatchQuote.status == ROW_PENDING)
    .values(status=ROW_SUBMITTING, attempts=BatchQuote.attempts + 1,
            submitted_at=bindparam("p_now", type_=BatchQuote.submitted_at.type)))
_MARK_POLLING = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), BatchQuote.status.in_(ROW_ACTIVE))
    .values(status=ROW_POLLING, remote_id=bindparam("p_remote")))
_MARK_POSTED = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), BatchQuote.status.in_(ROW_ACTIVE))
    .values(status=ROW_POLLING, remote_id=bindparam("p_remote"),
            submitted_at=bindparam("p_now", type_=BatchQuote.submitted_at.type)))
_MARK_COMPLETE = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), BatchQuote.status.in_(ROW_OPEN))
    .values(status=ROW_COMPLETE, remote_id=bindparam("p_remote"),
            finished_at=bindparam("p_now", type_=BatchQuote.finished_at.type),
            error_code=None, error_message=None))
_QUOTE_ID_OF_ROW = select(BatchQuote.quote_id).where(BatchQuote.id == bindparam("p_row"))


def _run_write(session_factory: sessionmaker[Session], stmt: Any, params: dict[str, Any]) -> bool:
    with session_factory.begin() as session:
        return session.connection().execute(stmt, params).rowcount > 0


def mark_submitting(session_factory: sessionmaker[Session], row: RowWork, now: datetime) -> bool:
    """pending -> submitting, committed BEFORE the POST (attempt counted, submit time stored)."""
    return _run_write(session_factory, _MARK_SUBMITTING, {"p_row": row.id, "p_now": now})


def mark_polling(session_factory: sessionmaker[Session], row_id: int, remote_id: str, *,
                 posted_at: datetime | None = None) -> bool:
    """submitting -> polling with the remote id (or a new remote id adopted for a polling row).

    `posted_at`: when the POST that made the quote was answered; the quote's timeout then
    runs from there (submitted_at), not from the first attempt to send it.
    """
    if posted_at is None:
        return _run_write(session_factory, _MARK_POLLING, {"p_row": row_id, "p_remote": remote_id})
    return _run_write(session_factory, _MARK_POSTED,
                      {"p_row": row_id, "p_remote": remote_id, "p_now": posted_at})


def mark_failed(session_factory: sessionmaker[Session], row_id: int, code: str, message: str,
                now: datetime, remote_status: str | None = None, *,
                owe_replay: bool = False) -> bool:
    """An open row fails. `owe_replay`: as for mark_cancelled (a POST went unanswered)."""
    with session_factory.begin() as session:
        ok = session.connection().execute(
            update(BatchQuote).where(BatchQuote.id == row_id, BatchQuote.status.in_(ROW_OPEN))
            .values(status=ROW_FAILED, error_code=code, error_message=message,
                    finished_at=now)).rowcount > 0
        if ok and owe_replay:
            _owe_replays(session, select(BatchQuote.id, BatchQuote.idempotency_key)
                         .where(BatchQuote.id == row_id))
        if ok and remote_status:
            session.connection().execute(update(Quote).where(
                Quote.id == select(BatchQuote.quote_id).where(BatchQuote.id == row_id).scalar_subquery())
                .values(status=remote_status))
        return ok


def reopen_for_late_answer(session_factory: sessionmaker[Session], row_id: int, *,
                           remote_id: str | None = None, key: str | None = None) -> bool:
    """A row that ended without its quote's answer (failed as `timeout`, or cancelled) goes back
    to `submitting` so the answer learnt later can be recorded on it. Only when the quote is
    this row's: same remote id, or same idempotency key (not retried since)."""
    if (remote_id is None) == (key is None):
        raise ValueError("give exactly one of remote_id and key")
    same_quote = (BatchQuote.remote_id == remote_id) if remote_id is not None \
        else (BatchQuote.idempotency_key == key)
    ended_unanswered = or_(BatchQuote.status == ROW_CANCELLED,
                           (BatchQuote.status == ROW_FAILED) & (BatchQuote.error_code == "timeout"))
    with session_factory.begin() as session:
        return session.connection().execute(
            update(BatchQuote).where(BatchQuote.id == row_id, ended_unanswered, same_quote)
            .values(status=ROW_SUBMITTING, error_code=None, error_message=None,
                    finished_at=None)).rowcount > 0


def mark_cancelled(session_factory: sessionmaker[Session], row_id: int, now: datetime,
                   message: str = "cancelled by the user", *, owe_replay: bool = False) -> bool:
    """An open row becomes cancelled. `owe_replay`: a POST of its key went unanswered, so a
    quote may exist behind the key; its replay (then DELETE) is owed, written in the same
    transaction, and only if this call is the one that cancelled the row."""
    with session_factory.begin() as session:
        changed = session.connection().execute(
            update(BatchQuote).where(BatchQuote.id == row_id, BatchQuote.status.in_(ROW_OPEN))
            .values(status=ROW_CANCELLED, error_code="cancelled", error_message=message,
                    finished_at=now)).rowcount > 0
        if changed and owe_replay:
            _owe_replays(session, select(BatchQuote.id, BatchQuote.idempotency_key)
                         .where(BatchQuote.id == row_id))
        return changed


def mark_complete(session_factory: sessionmaker[Session], row_id: int, remote: Any,
                  now: datetime) -> bool:
    """An open row gets the remote quote's result: recommended option + every option."""
    with session_factory.begin() as session:
        changed = session.connection().execute(
            _MARK_COMPLETE, {"p_row": row_id, "p_remote": remote.id, "p_now": now})
        if changed.rowcount == 0:
            return False
        quote_id = session.connection().scalar(_QUOTE_ID_OF_ROW, {"p_row": row_id})
        _store_result(session, quote_id, remote)
        return True


def _store_result(session: Session, quote_id: int, remote: Any) -> None:
    result = remote.result
    session.connection().execute(delete(QuoteOption).where(QuoteOption.quote_id == quote_id))
    if result is None or not result.options:
        session.connection().execute(update(Quote).where(Quote.id == quote_id).values(status=remote.status))
        return
    best_at = result.recommended if 0 <= result.recommended < len(result.options) else 0
    session.connection().execute(insert(QuoteOption), [
        {"quote_id": quote_id, "position": i, "recommended": i == best_at, "carrier": o.carrier,
         "product": o.product, "bandwidth_mbps": o.bandwidth_mbps, "term_months": o.term_months,
         "mrc": Decimal(o.mrc), "nrc": Decimal(o.nrc), "currency": o.currency,
         "install_days": o.install_days, "access": o.access, "is_estimate": o.is_estimate}
        for i, o in enumerate(result.options)])
    best = result.options[best_at]
    session.connection().execute(update(Quote).where(Quote.id == quote_id).values(
        status=remote.status, carrier=best.carrier, currency=best.currency,
        mrc=Decimal(best.mrc), nrc=Decimal(best.nrc), install_days=best.install_days,
        access=best.access, is_estimate=best.is_estimate, valid_until=result.valid_until))


_ROW_EVENT = (
    select(BatchQuote.batch_id, BatchQuote.id, BatchQuote.row_number, BatchQuote.status,
           BatchQuote.error_code, BatchQuote.error_message, Quote.carrier, Quote.mrc, Quote.nrc,
           Quote.currency, Quote.install_days)
    .join(Quote, BatchQuote.quote_id == Quote.id).where(BatchQuote.id == bindparam("p_row")))


def row_event_fields(session: Session, row_id: int) -> dict[str, Any]:
    """What a QuoteEvent carries about a row, as plain values."""
    r = session.connection().execute(_ROW_EVENT, {"p_row": row_id}).first()
    if r is None:
        return {}
    return {"batch_id": r.batch_id, "quote_id": r.id, "row_number": r.row_number,
            "status": r.status, "carrier": r.carrier,
            "mrc": None if r.mrc is None else str(r.mrc), "nrc": None if r.nrc is None else str(r.nrc),
            "currency": r.currency, "install_days": r.install_days,
            "error_code": r.error_code, "error_message": r.error_message}


# --------------------------------------------------------------------------- clean-up owed

@dataclass(frozen=True)
class Owed:
    """One piece of clean-up owed to the account (see models.CleanupOwed)."""

    id: int
    remote_id: str | None            # DELETE this quote
    row_id: int | None               # the row it belongs to, if known
    idempotency_key: str | None      # no remote id: replay this key to find the quote
    request: dict[str, Any] | None   # the body to replay it with


def owe_delete(session_factory: sessionmaker[Session], remote_id: str, row_id: int | None) -> None:
    with session_factory.begin() as session:
        session.connection().execute(insert(CleanupOwed), {
            "remote_id": remote_id, "row_id": row_id, "idempotency_key": None, "created_at": utcnow()})


def owe_lost_post(session_factory: sessionmaker[Session], row_id: int, key: str) -> None:
    with session_factory.begin() as session:
        session.connection().execute(insert(CleanupOwed), {
            "remote_id": None, "row_id": row_id, "idempotency_key": key, "created_at": utcnow()})


def _owe_replays(session: Session, rows: Any) -> None:
    """Owe a replay of the key of each (id, idempotency_key) row selected by `rows`."""
    now = utcnow()
    owed = [{"remote_id": None, "row_id": r.id, "idempotency_key": r.idempotency_key,
             "created_at": now} for r in session.execute(rows)]
    if owed:
        session.connection().execute(insert(CleanupOwed), owed)


_OWED = select(CleanupOwed.id, CleanupOwed.remote_id, CleanupOwed.row_id,
               CleanupOwed.idempotency_key).order_by(CleanupOwed.id)


def owed_cleanup(session: Session) -> list[Owed]:
    """Everything owed, oldest first; a lost POST comes with the body to replay it with."""
    out = []
    for r in session.connection().execute(_OWED):
        request = None
        if r.remote_id is None:
            row = load_row(session, r.row_id) if r.row_id is not None else None
            if row is None:
                continue  # its batch was deleted: nothing left to replay
            request = row.request
        out.append(Owed(r.id, r.remote_id, r.row_id, r.idempotency_key, request))
    return out


def owed_count(session: Session) -> int:
    return int(session.connection().scalar(select(func.count()).select_from(CleanupOwed)) or 0)


def owed_settled(session_factory: sessionmaker[Session], owed_id: int, *,
                 now_delete: str | None = None) -> None:
    """The owed item is done; or, for a replayed lost POST, became a quote to DELETE.

    In the second case the quote's id is also stored with its row (if the row still has that
    key), so whatever the DELETE then finds, even after a restart, is matched to the row by id.
    """
    with session_factory.begin() as session:
        if now_delete is None:
            session.connection().execute(delete(CleanupOwed).where(CleanupOwed.id == owed_id))
        else:
            item = session.connection().execute(
                select(CleanupOwed.row_id, CleanupOwed.idempotency_key)
                .where(CleanupOwed.id == owed_id)).first()
            if item is not None and item.row_id is not None and item.idempotency_key:
                session.connection().execute(update(BatchQuote).where(
                    BatchQuote.id == item.row_id,
                    BatchQuote.idempotency_key == item.idempotency_key)
                    .values(remote_id=now_delete))
            session.connection().execute(update(CleanupOwed).where(CleanupOwed.id == owed_id)
                                         .values(remote_id=now_delete, idempotency_key=None))
