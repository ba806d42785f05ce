"""Batches as a whole: storing one from an import, the rep's commands (cancel, pause, resume,
retry), and the engine's start and finish of a batch.

Each function takes the caller's Session and never commits: the caller opens the transaction
(`engine_store.in_transaction(sf)`), one per call unless it says otherwise.

Every change is a conditional UPDATE, so the engine and a command from the window or another
process can never both win.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any, Iterable, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.reasons import is_retryable
from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store.cleanup import owe_deletes, owe_replays, take_back_owed
from bulkquote_gui.core.store.models import (
    BATCH_CANCELLED,
    BATCH_COMPLETE,
    BATCH_PAUSED,
    BATCH_PENDING,
    BATCH_RUNNING,
    ROW_ACTIVE,
    ROW_CANCELLED,
    ROW_FAILED,
    ROW_OPEN,
    ROW_PENDING,
    ROW_SUBMITTING,
    BatchJob,
    BatchQuote,
    Lead,
    Quote,
    StoreMeta,
    row_reference,
    utcnow,
)

__all__ = ["NothingToQuote", "cancel_abandoned_rows", "cancel_open_rows", "create_batch",
           "disown_batch", "finish_batch", "mark_paused", "quote_fields", "quote_rest",
           "request_cancel", "resume_batch", "retry_failed", "set_priority", "skipped_rows",
           "start_batch"]


class _ImportResultLike(Protocol):
    columns: Any
    mapping: Any

    def quotable_rows(self) -> Iterable[Any]: ...


class NothingToQuote(ValueError):
    """The import has no quotable row, so no batch was stored."""


def skipped_rows(result: Any) -> list[dict[str, Any]]:
    """The rows an import will not quote (invalid, duplicate): row number, verdict, reason (the
    import check's words), its categories (as `check` counts them), the columns at fault (the
    preview's highlighted cells; the fix list marks them), the original cells, the address as
    the sheet wrote it (`address`, from the row's own set), and with two or more address sets
    the set the verdict is for (`address_set`, as `check --rows`).

    Read through the ImportResult's per-row accessors; an import object without them (a test's
    fake) has no skipped rows.
    """
    if not all(hasattr(result, a) for a in ("status_at", "problems_at", "row_number_at", "cell")):
        return []
    columns = [str(c) for c in (result.columns or [])]
    set_at = getattr(result, "address_set_at", None)
    written = getattr(result, "written_address_at", None)  # from the row's own set's columns
    issues = getattr(getattr(result, "_checked", None), "issues", {})  # the check's categories
    out = []
    for i in range(len(result)):
        status = str(result.status_at(i))
        if status not in ("invalid", "duplicate"):
            continue
        problems = result.problems_at(i)
        if status == "duplicate":
            problems = [p for p in problems if p.message.startswith("duplicate of row")] or problems
            categories = ["Duplicate"]
        else:
            categories = list(dict.fromkeys(
                issue.reason for issue in issues.get(i, ()) if getattr(issue, "is_error", True)))
        at_fault = getattr(result, "invalid_columns_at", lambda _i: ())(i)
        out.append({"row": int(result.row_number_at(i)), "status": status,
                    "reason": "; ".join(dict.fromkeys(p.message for p in problems)),
                    "categories": categories or ["Invalid"],
                    "columns": [str(c) for c in columns if c in at_fault],  # the fix list's marks
                    **({"address_set": name} if set_at is not None and (name := set_at(i)) else {}),
                    **({"address": written(i)} if written is not None else {}),
                    "original": {c: "" if (v := result.cell(i, c)) is None else str(v)
                                 for c in columns}})
    return out


def quote_fields(location: dict, service: dict, defaults: BatchDefaults) -> dict:
    """The Quote columns stored for one row: its site and service, defaults filling the gaps
    (also what the preview compares with earlier quotes, store.reusable_for_rows)."""
    return dict(
        street=location.get("street") or "", unit=location.get("unit") or "",
        city=location.get("city") or "", state=location.get("state") or "",
        postal_code=location.get("postal_code") or "",
        product=str(service.get("product") or defaults.product),
        bandwidth_mbps=int(service.get("bandwidth_mbps") or defaults.bandwidth_mbps),
        term_months=int(service.get("term_months") or defaults.term_months))


def create_batch(session: Session, result: _ImportResultLike, *,
                 defaults: BatchDefaults, source_name: str, account_id: int | None = None,
                 owner: str = "", provider_name: str | None = None) -> int:
    """Store a batch (job, one BatchQuote + Lead + Quote per quotable row) in one transaction.

    `account_id`: whose quotes these are (None: the first engine to run it claims it);
    `owner`: the rep who submitted it, shown to the team; `provider_name`: the named provider
    it is sent to (None: the unnamed Momentum of --api-url, or demo mode).

    All or nothing: on any error nothing is stored. Company fallback per row: the row's own
    company, else `defaults.company`, else the file's stem. Each row gets its idempotency key
    (uuid4) now, before anything is sent, and the address set its location came from
    (`row.address_set`; none for a sheet with one set). Raises NothingToQuote when no row is
    quotable.
    """
    rows = list(result.quotable_rows())
    if not rows:
        raise NothingToQuote(f"{source_name}: no quotable rows")
    skipped = skipped_rows(result)
    fallback_company = defaults.company.strip() or Path(source_name).stem
    install = _install_id(session)
    batch = BatchJob(
        source_name=source_name,
        columns=[str(c) for c in (result.columns or [])],
        mapping={str(k): str(v) for k, v in dict(result.mapping or {}).items()},
        bandwidth_mbps=defaults.bandwidth_mbps, term_months=defaults.term_months,
        product=defaults.product, company=defaults.company,
        status=BATCH_PENDING, total=len(rows), created_at=utcnow(),
        account_id=account_id, owner=owner.strip()[:200], skipped=skipped,
        provider_name=provider_name)
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
        quotes.append(quote_fields(location, service, defaults))
        batch_rows_.append(dict(
            batch_id=batch.id, position=position, row_number=int(row.row_number),
            site_id=str(getattr(row, "site_id", "") or ""),
            original={str(k): "" if v is None else str(v) for k, v in dict(row.original).items()},
            status=ROW_PENDING, idempotency_key=str(uuid.uuid4()),
            reference_text=row_reference(install, batch.id, int(row.row_number)),
            address_set=str(getattr(row, "address_set", "") or "")[:200] or None))
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


def _install_id(session: Session) -> str:
    """The database's install id (accounts.install_id), made in the caller's transaction by the
    first batch stored; ON CONFLICT: a process storing its first batch at once keeps the other's."""
    value = session.scalar(select(StoreMeta.value).where(StoreMeta.key == "install_id"))
    if value is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(StoreMeta).values(
            key="install_id", value="bq-" + secrets.token_hex(3)).on_conflict_do_nothing())
        value = session.scalar(select(StoreMeta.value).where(StoreMeta.key == "install_id"))
    return str(value)


def request_cancel(session: Session, batch_id: int, *,
                   include_active: bool = True) -> list[tuple[str, int]]:
    """Cancel a batch: it becomes `cancelled`, its never-submitted rows too.

    With `include_active` (nobody is processing the batch right now) rows already submitted
    are cancelled as well, and their quotes, still in flight on the server, owed a DELETE in
    the same transaction; (remote id, row id) of those are returned. Without it, the running
    processor finishes the job for its in-flight row. A finished batch is left as it is.
    """
    changed = session.execute(
        update(BatchJob).where(BatchJob.id == batch_id,
                               BatchJob.status.in_(BatchStatus.allowed_from(BATCH_CANCELLED)))
        .values(status=BATCH_CANCELLED, finished_at=utcnow(),
                status_message="cancelled by the user"))
    if changed.rowcount == 0:
        return []
    return _cancel_rows(session, batch_id, ROW_OPEN if include_active else (ROW_PENDING,))


def cancel_open_rows(session: Session, batch_id: int) -> list[tuple[str, int]]:
    """Cancel every row of the batch still open, their quotes owed a DELETE (see _cancel_rows);
    returns (remote id, row id) of those quotes."""
    return _cancel_rows(session, batch_id, ROW_OPEN)


def _cancel_rows(session: Session, batch_id: int, states: tuple[str, ...]) -> list[tuple[str, int]]:
    """Rows in `states` cancelled, and what their quotes need owed in the same transaction: a
    process killed right after the cancel must leave the quote's clean-up in the store (a
    quote left unowed blocks the account, and a row asked again would not know that its
    quote may be priced: store/batches._requeue keeps the key only while something is owed)."""
    in_flight_rows = select(BatchQuote.id, BatchQuote.remote_id).where(
        BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states),
        BatchQuote.status.in_(ROW_ACTIVE), BatchQuote.remote_id.is_not(None))
    in_flight = [(r.remote_id, r.id) for r in session.execute(in_flight_rows)]
    owe_deletes(session, in_flight_rows)
    # A row left `submitting` with no remote id (paused, stopped or killed while its POST was
    # out) may have a quote behind its key that nobody will ask about again: a replay is owed.
    owe_replays(session, select(BatchQuote.id, BatchQuote.idempotency_key).where(
        BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states),
        BatchQuote.status == ROW_SUBMITTING, BatchQuote.remote_id.is_(None)))
    session.execute(
        update(BatchQuote).where(BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states))
        .values(status=ROW_CANCELLED, finished_at=utcnow(), error_code=ROW_CANCELLED,
                error_message="cancelled by the user"))
    return in_flight


def cancel_abandoned_rows(session: Session, account_id: int) -> int:
    """Rows left in flight in a cancelled batch of the account (or of no account yet): the
    cancel came while the engine had the row in hand, and the engine stopped or died before
    its DELETE. They are cancelled now, with their quotes' clean-up owed in the same
    transaction (settled before the next POST). Returns how many batches had such rows."""
    batch_ids = session.scalars(
        select(BatchJob.id).where(
            BatchJob.status == BATCH_CANCELLED,
            (BatchJob.account_id == account_id) | BatchJob.account_id.is_(None),
            select(BatchQuote.id).where(BatchQuote.batch_id == BatchJob.id,
                                        BatchQuote.status.in_(ROW_ACTIVE)).exists())).all()
    for batch_id in batch_ids:
        _cancel_rows(session, batch_id, ROW_ACTIVE)
    return len(batch_ids)


def mark_paused(session: Session, batch_id: int, message: str = "") -> bool:
    """Pause a pending/running batch; its rows keep their state (an in-flight one stays polling)."""
    return session.execute(
        update(BatchJob).where(BatchJob.id == batch_id,
                               BatchJob.status.in_(BatchStatus.allowed_from(BATCH_PAUSED)))
        .values(status=BATCH_PAUSED, status_message=message)).rowcount > 0


def resume_batch(session: Session, batch_id: int) -> bool:
    """A paused batch becomes unfinished again (pending), to be picked up by the processor."""
    return session.execute(
        update(BatchJob).where(BatchJob.id == batch_id, BatchJob.status == BATCH_PAUSED)
        .values(status=BATCH_PENDING, status_message="")).rowcount > 0


def retry_failed(session: Session, batch_id: int) -> int:
    """Queue the batch's failed rows that a retry can change (timeouts, the API busy or losing
    the quote: core/output/reasons.RETRYABLE) again; returns how many. No coverage, manual pricing or
    an unknown address would come back the same, so they stay failed.

    Each gets a NEW idempotency key (the old one would replay the failed quote), its remote id,
    error and result are cleared, its attempts kept; a timed-out row whose quote's DELETE is
    still owed keeps its key instead (see _requeue: the quote may have been priced). A finished or paused batch becomes pending.
    A cancelled batch is left alone: "quote the rest" (quote_rest) takes its unsent rows and
    these failures together, so it never ends "complete" with rows still unsent.
    """
    status = session.scalar(select(BatchJob.status).where(BatchJob.id == batch_id))
    if status == BATCH_CANCELLED:
        return 0
    return _requeue(session, batch_id, (ROW_FAILED,))


def quote_rest(session: Session, batch_id: int) -> int:
    """A cancelled batch goes on: its cancelled rows (never priced) and its retryable failures
    are pending again, the batch pending (the engine takes it in its turn); returns how many
    rows. A batch that is not cancelled is left alone (0)."""
    status = session.scalar(select(BatchJob.status).where(BatchJob.id == batch_id))
    if status != BATCH_CANCELLED:
        return 0
    return _requeue(session, batch_id, (ROW_CANCELLED, ROW_FAILED))


def _requeue(session: Session, batch_id: int, states: tuple[str, ...]) -> int:
    """Rows in `states` (failed ones only if retryable) asked again, the batch pending.

    A row whose quote's fate is unknown (its DELETE or replay still owed: cancelled while
    paused, or by another process) keeps its key and remote id and goes back to `submitting`:
    the engine takes it as a row in flight and POSTs its key again (or, meeting its quote in
    a 409, finishes it for the row), and the API answers with that quote,
    priced or still in flight, never a second one (core/engine/quote_run.py gives it a new
    key only if that quote was cancelled). Every other row had its quote ended (or never
    sent one): pending, with a NEW key (the old one would replay the old quote).
    """
    rows = [row for row in session.scalars(select(BatchQuote).where(
        BatchQuote.batch_id == batch_id, BatchQuote.status.in_(states))).all()
        if row.status != ROW_FAILED or is_retryable(row.error_code)]
    unsettled = take_back_owed(session, batch_id, {row.id for row in rows}) if rows else set()
    for row in rows:
        if row.id in unsettled:
            row.status = ROW_SUBMITTING   # in flight again: the engine re-POSTs its key
        else:
            row.status = ROW_PENDING
            row.idempotency_key = str(uuid.uuid4())
            row.remote_id = None
        row.error_code = row.error_message = None
        row.submitted_at = row.finished_at = None
        _clear_result(row.quote)
    if rows:
        session.execute(
            update(BatchJob).where(BatchJob.id == batch_id)
            .where(BatchJob.status.in_(BatchStatus.allowed_from(BATCH_PENDING)))
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


def start_batch(session: Session, batch_id: int,
                account_id: int | None = None) -> str | None:
    """pending -> running (started_at set once); returns the batch status afterwards.

    With `account_id`, a batch no account has claimed yet becomes that account's.
    """
    if account_id is not None:
        session.connection().execute(update(BatchJob).where(
            BatchJob.id == batch_id, BatchJob.account_id.is_(None)).values(account_id=account_id))
    session.connection().execute(
        update(BatchJob).where(BatchJob.id == batch_id,
                               BatchJob.status.in_(BatchStatus.allowed_from(BATCH_RUNNING)))
        .values(status=BATCH_RUNNING, status_message=""))
    session.connection().execute(
        update(BatchJob).where(BatchJob.id == batch_id, BatchJob.started_at.is_(None))
        .values(started_at=utcnow()))
    return session.connection().scalar(select(BatchJob.status).where(BatchJob.id == batch_id))


def finish_batch(session: Session, batch_id: int) -> bool:
    """running -> complete, once no row is left open."""
    open_rows = session.connection().scalar(select(func.count()).where(
        BatchQuote.batch_id == batch_id, BatchQuote.status.in_(ROW_OPEN)))
    if open_rows:
        return False
    return session.connection().execute(
        update(BatchJob).where(BatchJob.id == batch_id,
                               BatchJob.status.in_(BatchStatus.allowed_from(BATCH_COMPLETE)))
        .values(status=BATCH_COMPLETE, finished_at=utcnow())).rowcount > 0


def set_priority(session: Session, batch_id: int, rush: bool) -> bool:
    """Rush a batch to the front of its account's line (or back in line); True if it changed."""
    return session.execute(update(BatchJob).where(BatchJob.id == batch_id)
                           .values(priority=1 if rush else 0)).rowcount > 0


def disown_batch(session: Session, batch_id: int) -> None:
    """The batch's key was refused: it belongs to no account until a key that works runs it
    (the rep fixes the key, and the fingerprint, hence the account, changes with it)."""
    session.execute(update(BatchJob).where(BatchJob.id == batch_id).values(account_id=None))
