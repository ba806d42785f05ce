"""One row's state transitions, as the engine writes them.

Each is a conditional UPDATE (`... WHERE status IN (...)`) committed BEFORE the side effect it
announces; `submitting` is also fenced by the account's lease token (see accounts.py), so a
holder that lost its lease can never start another row.

A writer takes the caller's open session and never commits: the caller opens the transaction
at the call site (`with engine_store.in_transaction(sf) as session:`, or the engine's own, which
reads the event announcing the change in the same one: on a server every transaction costs
round trips), so where the commit falls before the side effect is seen where the side effect is.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (bindparam, cast, delete, func, insert, literal_column, null, or_, select,
                        true, union_all, update)
from sqlalchemy.orm import Session, aliased

from bulkquote_gui.core.quoting.provider import OFFER_FIELDS, offer_values
from bulkquote_gui.core.states import RowState
from bulkquote_gui.core.store.cleanup import owe_replays
from bulkquote_gui.core.store.models import (
    ROW_CANCELLED,
    ROW_COMPLETE,
    ROW_FAILED,
    ROW_PENDING,
    ROW_POLLING,
    ROW_SUBMITTING,
    BatchJob,
    BatchQuote,
    Quote,
    QuoteOption,
    one_of,
)
from bulkquote_gui.core.store.accounts import LEASE_IS_OURS, Fence
from bulkquote_gui.core.store.views import OFFER_COLUMNS, counts_of, recommended_offer
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.store.work import RowWork

__all__ = ["complete", "mark_cancelled", "mark_complete", "mark_failed", "mark_polling",
           "mark_submitting", "renew_key", "reopen_for_late_answer", "row_event_fields",
           "shift_polling_deadlines"]


# Each UPDATE below moves a row only from the states core/states.py's ROW_TRANSITIONS allows
# (tests/unit/test_states.py runs every one on a row in every state).
_TO_POLLING = RowState.allowed_from(ROW_POLLING)   # submitting (the POST answered) or polling
_MARK_SUBMITTING = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), BatchQuote.status == ROW_PENDING)
    .values(status=ROW_SUBMITTING, attempts=BatchQuote.attempts + 1, lane=bindparam("p_lane"),
            submitted_at=bindparam("p_now", type_=BatchQuote.submitted_at.type)))
# The fence in the same statement: the row changes only while the lease's token is ours.
_MARK_SUBMITTING_FENCED = _MARK_SUBMITTING.where(LEASE_IS_OURS)
_MARK_POLLING = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), one_of(BatchQuote.status, _TO_POLLING))
    .values(status=ROW_POLLING, remote_id=bindparam("p_remote")))
_MARK_POSTED = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), one_of(BatchQuote.status, _TO_POLLING))
    .values(status=ROW_POLLING, remote_id=bindparam("p_remote"),
            submitted_at=bindparam("p_now", type_=BatchQuote.submitted_at.type)))
_MARK_COMPLETE = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"),
           one_of(BatchQuote.status, RowState.allowed_from(ROW_COMPLETE)))
    .values(status=ROW_COMPLETE, remote_id=bindparam("p_remote"),
            finished_at=bindparam("p_now", type_=BatchQuote.finished_at.type),
            error_code=None, error_message=None))
# An open row's quote has no options (every way back to open clears them); were some there,
# they are replaced. The UPDATE says which, so the DELETE is only sent when it has work.
# (Written out: in RETURNING, SQLAlchemy would leave both quote_id columns unqualified.)
_HAS_OPTIONS = literal_column("EXISTS (SELECT 1 FROM quote_option AS o "
                              "WHERE o.quote_id = batch_quote.quote_id)")
_MARK_COMPLETE_RETURNING = _MARK_COMPLETE.returning(BatchQuote.quote_id,
                                                    _HAS_OPTIONS.label("has_options"))
_QUOTE_ID_OF_ROW = select(BatchQuote.quote_id).where(BatchQuote.id == bindparam("p_row"))


def _run_write(session: Session, stmt: Any, params: dict[str, Any]) -> bool:
    return session.connection().execute(stmt, params).rowcount > 0


_TAKE_TURN = (
    update(BatchJob).where(BatchJob.id == bindparam("p_batch"))
    .values(turn=select(func.coalesce(func.max(BatchJob.turn), 0) + 1).scalar_subquery()))


def mark_submitting(session: Session, row: RowWork, now: datetime, *,
                    fence: Fence | None = None) -> bool:
    """pending -> submitting, committed BEFORE the POST (attempt counted, submit time stored).

    The row's batch takes its turn (round-robin among the account's batches), unless the row
    says no other batch waits for one. With `fence`, the write holds only while the lease's
    token is still ours, checked in the same statement: LeaseLost is raised otherwise, and
    nothing is written. The row keeps the fence's lane: that lane's holder resumes it.

    The status in the WHERE makes the claim: of two lanes (or processes) that read the same
    pending row, one UPDATE changes it and the other's changes nothing (SQLite writes one at a
    time; PostgreSQL re-reads the row after the first commits) and it takes the next row.
    """
    params = {"p_row": row.id, "p_now": now, "p_lane": fence.lane if fence else 0}
    conn = session.connection()
    if fence is None:
        changed = conn.execute(_MARK_SUBMITTING, params).rowcount
    else:
        changed = conn.execute(_MARK_SUBMITTING_FENCED, {**params, **fence.params()}).rowcount
        if not changed:
            fence.check(session, now)   # lost the lease? LeaseLost; else the row changed
    if not changed:
        return False
    if row.takes_turn:
        conn.execute(_TAKE_TURN, {"p_batch": row.batch_id})
    return True


def shift_polling_deadlines(session: Session, account_id: int, seconds: float,
                            lane: int | None = None) -> int:
    """Move the submit time of the account's polling rows (of `lane`, if given: each lane waits
    out an outage on its own) forward by `seconds`: time the API could not be reached does not
    count against any row's timeout (kept across restarts)."""
    if seconds <= 0:
        return 0
    query = select(BatchQuote.id, BatchQuote.submitted_at).join(
        BatchJob, BatchJob.id == BatchQuote.batch_id).where(
        BatchJob.account_id == account_id, BatchQuote.status == ROW_POLLING,
        BatchQuote.submitted_at.is_not(None))
    if lane is not None:
        query = query.where(func.coalesce(BatchQuote.lane, 0) == lane)
    rows = session.execute(query).all()
    for r in rows:
        session.execute(update(BatchQuote).where(BatchQuote.id == r.id).values(
            submitted_at=r.submitted_at + timedelta(seconds=seconds)))
    return len(rows)


def mark_polling(session: Session, row_id: int, remote_id: str, *,
                 posted_at: datetime | None = None) -> bool:
    """submitting -> polling with the remote id (or a new remote id adopted for a polling row).

    `posted_at`: when the POST that made the quote was answered; the quote's timeout then
    runs from there (submitted_at), not from the first attempt to send it.
    """
    if posted_at is None:
        return _run_write(session, _MARK_POLLING, {"p_row": row_id, "p_remote": remote_id})
    return _run_write(session, _MARK_POSTED,
                      {"p_row": row_id, "p_remote": remote_id, "p_now": posted_at})


_NEW_KEY = (
    update(BatchQuote)
    .where(BatchQuote.id == bindparam("p_row"), BatchQuote.status == ROW_SUBMITTING,
           BatchQuote.idempotency_key == bindparam("p_old"))
    .values(idempotency_key=bindparam("p_new"), remote_id=None))


def renew_key(session: Session, row_id: int, old_key: str) -> str | None:
    """A `submitting` row's key replays a quote cancelled at the API (the row was asked again
    after a cancel): it gets a new key, committed before the POST that sends it. The new key,
    or None when the row moved on (or has another key already)."""
    new_key = str(uuid.uuid4())
    if _run_write(session, _NEW_KEY, {"p_row": row_id, "p_old": old_key, "p_new": new_key}):
        return new_key
    return None


def mark_failed(session: Session, row_id: int, code: str, message: str,
                now: datetime, remote_status: str | None = None, *,
                owe_replay: bool = False) -> bool:
    """An open row fails. `owe_replay`: as for mark_cancelled (a POST went unanswered)."""
    ok = _end_open_row(session, row_id, ROW_FAILED, code, message, now, owe_replay=owe_replay)
    if ok and remote_status:
        session.connection().execute(update(Quote).where(
            Quote.id == select(BatchQuote.quote_id).where(BatchQuote.id == row_id)
            .scalar_subquery()).values(status=remote_status))
    return ok


def _end_open_row(session: Session, row_id: int, state: RowState, code: str, message: str,
                  now: datetime, *, owe_replay: bool) -> bool:
    """An open row moves to a terminal `state` if the state table allows it from where it is;
    a replay is owed only by the call that moved it (same transaction)."""
    moved = session.connection().execute(
        update(BatchQuote)
        .where(BatchQuote.id == row_id, BatchQuote.status.in_(RowState.allowed_from(state)))
        .values(status=state, error_code=code, error_message=message,
                finished_at=now)).rowcount > 0
    if moved and owe_replay:
        owe_replays(session, select(BatchQuote.id, BatchQuote.idempotency_key)
                    .where(BatchQuote.id == row_id))
    return moved


def reopen_for_late_answer(session: Session, row_id: int, *,
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
    return session.connection().execute(
        update(BatchQuote).where(BatchQuote.id == row_id, ended_unanswered, same_quote)
        .values(status=ROW_SUBMITTING, error_code=None, error_message=None,
                finished_at=None)).rowcount > 0


def mark_cancelled(session: Session, row_id: int, now: datetime,
                   message: str = "cancelled by the user", *, owe_replay: bool = False) -> bool:
    """An open row becomes cancelled. `owe_replay`: a POST of its key went unanswered, so a
    quote may exist behind the key; its replay (then DELETE) is owed, written in the same
    transaction, and only if this call is the one that cancelled the row."""
    return _end_open_row(session, row_id, ROW_CANCELLED, ROW_CANCELLED, message, now,
                         owe_replay=owe_replay)


def mark_complete(session: Session, row_id: int, remote: Any, now: datetime) -> bool:
    """An open row gets the remote quote's result: recommended option + every option."""
    if _writes_in_with(session):
        return _complete_in_one_statement(session, row_id, remote, now, {}, None) is not None
    params = {"p_row": row_id, "p_remote": remote.id, "p_now": now}
    conn = session.connection()
    if conn.dialect.update_returning:   # SQLite >= 3.35: two statements less
        changed = conn.execute(_MARK_COMPLETE_RETURNING, params).first()
        if changed is None:
            return False
        quote_id, has_options = changed.quote_id, bool(changed.has_options)
    else:
        if conn.execute(_MARK_COMPLETE, params).rowcount == 0:
            return False
        quote_id, has_options = conn.scalar(_QUOTE_ID_OF_ROW, params), True
    _store_result(session, quote_id, remote, has_options=has_options)
    return True


def complete(session: Session, row_id: int, remote: Any, now: datetime, *,
             counts: dict[str, int] | None = None,
             line: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """mark_complete, and the fields of the event announcing it (as row_event_fields gives
    them); None when the row had moved on and nothing was written. `counts`: the batch's
    counts once the row is complete, when the caller knows them: not read (counting a batch's
    rows is the largest part of the work on a large batch). `line`: the account's line
    (work.line_params), read in the same statement where the write is one (PostgreSQL):
    its next pending row is then the fields' "ahead" (a work.LineAhead, None: not found)."""
    if _writes_in_with(session):
        return _complete_in_one_statement(session, row_id, remote, now, counts, line)
    if not mark_complete(session, row_id, remote, now):
        return None
    return row_event_fields(session, row_id, counts=counts)


def _writes_in_with(session: Session) -> bool:
    """PostgreSQL: `complete` is one statement (engine_store.writes_inside_with)."""
    return session.get_bind().dialect.name == "postgresql"


def _bound(column: Any) -> Any:
    """A bound parameter typed as `column` (p_<name>), for the statements built once below."""
    return bindparam(f"p_{column.key}", type_=column.type)


_DELETE_OPTIONS = delete(QuoteOption).where(QuoteOption.quote_id == bindparam("p_quote"))
_QUOTE_STATUS = update(Quote).where(Quote.id == bindparam("p_quote")).values(
    status=_bound(Quote.status))
_QUOTE_RESULT_VALUES = {c: _bound(c) for c in (Quote.status, Quote.carrier, Quote.currency,
                                                 Quote.mrc, Quote.nrc, Quote.install_days,
                                                 Quote.access, Quote.is_estimate, Quote.valid_until)}
_QUOTE_RESULT = update(Quote).where(Quote.id == bindparam("p_quote")).values(_QUOTE_RESULT_VALUES)


def _quote_result_params(best: Any, valid_until: Any) -> dict[str, Any]:
    """The quote's columns from its recommended option (_QUOTE_RESULT's parameters but status)."""
    return {"p_carrier": best.carrier, "p_currency": best.currency, "p_mrc": Decimal(best.mrc),
            "p_nrc": Decimal(best.nrc), "p_install_days": best.install_days,
            "p_access": best.access, "p_is_estimate": best.is_estimate,
            "p_valid_until": valid_until}


def _store_result(session: Session, quote_id: int, remote: Any, *,
                  has_options: bool = True) -> None:
    result = remote.result
    conn = session.connection()
    if has_options:
        conn.execute(_DELETE_OPTIONS, {"p_quote": quote_id})
    if result is None or not result.options:
        conn.execute(_QUOTE_STATUS, {"p_quote": quote_id, "p_status": remote.status})
        return
    best_at = result.recommended if 0 <= result.recommended < len(result.options) else 0
    conn.execute(insert(QuoteOption), [
        {"quote_id": quote_id, "position": i, "recommended": i == best_at, **offer_values(o)}
        for i, o in enumerate(result.options)])
    conn.execute(_QUOTE_RESULT, {"p_quote": quote_id, "p_status": remote.status,
                                 **_quote_result_params(result.options[best_at], result.valid_until)})


# The row and its batch's counts in one statement (one row per status present): every state
# change is announced, three times a quote, and on a server each statement is a round trip.
_counted = aliased(BatchQuote)
_BATCH_OF_ROW = (select(BatchQuote.batch_id).where(BatchQuote.id == bindparam("p_row"))
                 .correlate(None).scalar_subquery())
_COUNTS_OF_ROW = (select(_counted.status.label("c_status"), func.count().label("c_n"))
                  .where(_counted.batch_id == _BATCH_OF_ROW).group_by(_counted.status).subquery())
_ROW_AND_OFFER = (
    select(BatchQuote.batch_id, BatchQuote.id, BatchQuote.row_number, BatchQuote.status,
           BatchQuote.error_code, BatchQuote.error_message, QuoteOption.id.label("offered"),
           *OFFER_COLUMNS)
    .select_from(BatchQuote)
    .outerjoin(QuoteOption, (QuoteOption.quote_id == BatchQuote.quote_id) & QuoteOption.recommended)
    .where(BatchQuote.id == bindparam("p_row")))
_ROW_EVENT = (_ROW_AND_OFFER.add_columns(_COUNTS_OF_ROW.c.c_status, _COUNTS_OF_ROW.c.c_n)
              .join(_COUNTS_OF_ROW, true()))


def row_event_fields(session: Session, row_id: int, *,
                     counts: dict[str, int] | None = None) -> dict[str, Any]:
    """What a QuoteEvent carries about a row, as plain values, with its batch's `counts`
    (as batch_counts gives them; given: not read); {} for a row that is gone."""
    statement = _ROW_EVENT if counts is None else _ROW_AND_OFFER
    rows = session.connection().execute(statement, {"p_row": row_id}).all()
    if not rows:
        return {}
    r = rows[0]
    return {"batch_id": r.batch_id, "quote_id": r.id, "row_number": r.row_number,
            "status": r.status, "offer": recommended_offer(r),
            "error_code": r.error_code, "error_message": r.error_message,
            "counts": counts_of((c.c_status, c.c_n) for c in rows) if counts is None else counts}


# ---------------------------------------------------------------- a result in one statement

# PostgreSQL runs writes inside WITH: the row complete, its quote's options replaced, its quote
# priced, and the event's read are one statement, one round trip where the transaction took six
# (BEGIN, four statements, COMMIT). Every part sees the database as it was before the statement
# (one snapshot): the counts read are those before, adjusted for the row it moved from `was`;
# the offer is the recommended option as it inserted it (RETURNING: as stored).
_OPTION_FIELDS = ("position", "recommended", *OFFER_FIELDS)


@functools.lru_cache(maxsize=32)
def _complete_statement(options: int, counted: bool, line_of: bool | None) -> Any:
    """The statement for a result of `options` options, built once per count (each option's
    fields are bound parameters p<i>_<field>, cast to their column's type: a NULL alone must
    not make a column text); `counted`: it reads the batch's counts too; `line_of`: it reads
    the account's line too (None: not; else whether of one batch only, work.LINE_PARTS)."""
    return _with_line(_complete_write(options, counted), line_of)


def _with_line(stmt: Any, line_of: bool | None) -> Any:
    if line_of is None:
        return stmt
    part = work_store.LINE_PARTS[line_of]
    return stmt.add_columns(*(c.label(f"a_{c.key}") for c in part.c)).outerjoin(part, true())


def _complete_write(options: int, counted: bool) -> Any:
    done = _MARK_COMPLETE.returning(BatchQuote.quote_id, BatchQuote.batch_id,
                                    BatchQuote.row_number).cte("done")
    of_done = select(done.c.quote_id)
    cleared = delete(QuoteOption).where(QuoteOption.quote_id.in_(of_done)).cte("cleared")
    priced = update(Quote).where(Quote.id.in_(of_done))
    was = select(BatchQuote.status).where(BatchQuote.id == bindparam("p_row")).scalar_subquery()
    row = aliased(BatchQuote)
    counts = (select(row.status.label("c_status"), func.count().label("c_n"))
              .where(row.batch_id == select(done.c.batch_id).scalar_subquery())
              .group_by(row.status).subquery())
    counted_columns = (counts.c.c_status, counts.c.c_n) if counted else ()
    if not options:
        stmt = (select(done.c.batch_id, done.c.row_number, was.label("was"),
                       null().label("offered"), *counted_columns).select_from(done)
                .add_cte(cleared, priced.values(status=_bound(Quote.status)).cte("priced")))
        return stmt.join(counts, true()) if counted else stmt
    types = {name: getattr(QuoteOption, name).type for name in _OPTION_FIELDS}
    # SELECTs of the parameters, not VALUES: SQLAlchemy caches the compiled statement then
    rows = [select(*(cast(bindparam(f"p{i}_{name}", type_=types[name]), types[name]).label(name)
                     for name in _OPTION_FIELDS)) for i in range(options)]
    given = (union_all(*rows) if options > 1 else rows[0]).subquery("given")
    offered = (insert(QuoteOption)
               .from_select(["quote_id", *_OPTION_FIELDS],
                            select(done.c.quote_id, *given.c).join_from(done, given, true()))
               .returning(QuoteOption.id, QuoteOption.recommended,
                          *(getattr(QuoteOption, name) for name in OFFER_FIELDS))
               .cte("offered"))
    stmt = select(done.c.batch_id, done.c.row_number, was.label("was"),
                  offered.c.id.label("offered"),
                  *(offered.c[name].label(f"o_{name}") for name in OFFER_FIELDS),
                  *counted_columns).select_from(done)
    if counted:
        stmt = stmt.join(counts, true())
    return (stmt.outerjoin(offered, offered.c.recommended)
            .add_cte(cleared, priced.values(_QUOTE_RESULT_VALUES).cte("priced")))


def _complete_in_one_statement(session: Session, row_id: int, remote: Any, now: datetime,
                               counts: dict[str, int] | None,
                               line: dict[str, Any] | None) -> dict[str, Any] | None:
    result = remote.result
    options = result.options if result is not None else ()
    params: dict[str, Any] = {"p_row": row_id, "p_remote": remote.id, "p_now": now,
                              "p_status": remote.status}
    if options:
        best_at = result.recommended if 0 <= result.recommended < len(options) else 0
        params.update(_quote_result_params(options[best_at], result.valid_until))
        for i, option in enumerate(options):
            fields = {"position": i, "recommended": i == best_at, **offer_values(option)}
            params.update({f"p{i}_{name}": value for name, value in fields.items()})
    line_of = None if line is None else line["p_only"] is not None
    statement = _complete_statement(len(options), counts is None, line_of)
    rows = session.connection().execute(statement, {**params, **(line or {})}).all()
    if not rows:
        return None
    r = rows[0]
    if counts is None:
        moved = [(r.was, -1), (ROW_COMPLETE, 1)]   # the counts were read before the row moved
        counts = counts_of([*((c.c_status, c.c_n) for c in rows), *moved])
    fields = {"batch_id": r.batch_id, "quote_id": row_id, "row_number": r.row_number,
              "status": ROW_COMPLETE, "offer": recommended_offer(r),
              "error_code": None, "error_message": None, "counts": counts}
    if line_of is not None:
        fields["ahead"] = work_store.pending_ahead_of(r, line_of)
    return fields
