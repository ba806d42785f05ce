"""The engine's reading of rows: one row's work item (with the exact POST body) and which row is next.

Same row, same body, every time: the idempotency key only protects a replay whose body is
byte-for-byte the request the first POST sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from bulkquote_gui.core.states import BatchStatus, RowState
from bulkquote_gui.core.store.models import (
    BATCH_UNFINISHED,
    ROW_ACTIVE,
    ROW_OPEN,
    ROW_PENDING,
    BatchJob,
    BatchQuote,
    Lead,
    Quote,
    legacy_reference,
    one_of,
)
from bulkquote_gui.core.store.cleanup import Owed, owed_count, owed_count_subquery, owed_items
from bulkquote_gui.core.store.views import COUNT_KEYS

__all__ = ["LINE_PARTS", "LineAhead", "RowOwner", "RowWork", "find_row_for_remote", "line_ahead",
           "line_params", "load_row", "next_row_for_account", "open_row_count", "owed_cleanup",
           "pending_ahead_of"]


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

    account_id: int | None = None
    # False when no other batch of the account waits for a turn: taking one would change
    # nothing (mark_submitting then leaves batch_job alone, one statement less per quote).
    takes_turn: bool = True
    # Its batch's counts (as batch_counts gives them), read with the row by line_ahead: the
    # event announcing its start is then known without reading them again. None: not read.
    counts: dict[str, int] | None = field(default=None, compare=False)

    @property
    def reference(self) -> str:
        return str(self.request["reference"])


# One joined SELECT per row (no lazy loads): the engine reads rows many times per quote.
_WORK_COLUMNS = (
    BatchQuote.id, BatchQuote.batch_id, BatchQuote.row_number, BatchQuote.status,
    BatchQuote.idempotency_key, BatchQuote.remote_id, BatchQuote.submitted_at, BatchQuote.attempts,
    BatchQuote.reference_text.label("reference"), BatchJob.account_id, BatchJob.terms,
    Quote.street, Quote.unit, Quote.city, Quote.state, Quote.postal_code, Quote.product,
    Quote.bandwidth_mbps, Quote.term_months,
    Lead.company, Lead.contact_name, Lead.email, Lead.phone,
)


def _work_select() -> Any:
    return (select(*_WORK_COLUMNS).join(Quote, BatchQuote.quote_id == Quote.id)
            .join(Lead, Quote.lead_id == Lead.id).join(BatchJob, BatchJob.id == BatchQuote.batch_id))


def _work(r: Any, *, takes_turn: bool = True, counts: dict[str, int] | None = None) -> RowWork:
    """RowWork from a _work_select() row, with the POST body: same row, same body, every time."""
    customer = {"company": r.company}
    for key in ("contact_name", "email", "phone"):
        if getattr(r, key):
            customer[key] = getattr(r, key)
    location = {"street": r.street, "city": r.city, "state": r.state,
                "postal_code": r.postal_code, "country": "US"}
    if r.unit:
        location["unit"] = r.unit
    reference = r.reference or legacy_reference(r.batch_id, r.row_number)
    request = {"reference": reference, "customer": customer,
               "location": location,
               "service": {"product": r.product, "bandwidth_mbps": r.bandwidth_mbps,
                           "term_months": r.term_months}}
    if r.terms and len(r.terms) > 1:   # a deal's batch asking several terms in one quote (v9)
        request["service"]["terms"] = [int(t) for t in r.terms]
    return RowWork(id=r.id, batch_id=r.batch_id, row_number=r.row_number, status=r.status,
                   idempotency_key=r.idempotency_key, remote_id=r.remote_id,
                   submitted_at=r.submitted_at, attempts=r.attempts, request=request,
                   account_id=r.account_id, takes_turn=takes_turn, counts=counts)


def load_row(session: Session, row_id: int) -> RowWork | None:
    r = session.connection().execute(_LOAD_ROW, {"p_row": row_id}).first()
    return None if r is None else _work(r)


_LOAD_ROW = _work_select().where(BatchQuote.id == bindparam("p_row"))


def owed_cleanup(session: Session, account_id: int | None = None) -> list[Owed]:
    """What is owed (by `account_id`, or by anyone), oldest first; a lost POST comes with the
    body to replay it with (its row's exact body), and is dropped if its row is gone."""
    out = []
    for item in owed_items(session, account_id):
        if item.remote_id is None:
            row = load_row(session, item.row_id) if item.row_id is not None else None
            if row is None:
                continue  # its batch was deleted: nothing left to replay
            item = replace(item, request=row.request)
        out.append(item)
    return out


@dataclass(frozen=True)
class RowOwner:
    """Which of our rows a remote quote belongs to."""

    row_id: int
    batch_id: int
    row_number: int
    status: RowState
    batch_status: BatchStatus
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
                    status=RowState(bq.status), batch_status=BatchStatus(bq.batch.status),
                    submitted_at=bq.submitted_at)



# Built once, with bound parameters (p_account, p_only): building a statement costs more than
# running it, and the engine reads the next row once per quote.
def _of_account(job: Any = BatchJob) -> Any:
    """A batch of the account `p_account`, or one no account has claimed yet, not finished."""
    return and_(or_(job.account_id == bindparam("p_account"), job.account_id.is_(None)),
                one_of(job.status, BATCH_UNFINISHED))


# A row in flight is resumed by its own lane's holder; lane 0 also takes those of lanes the
# provider no longer has (its lanes made fewer) and of rows stored before lanes (None).
_LANE = func.coalesce(BatchQuote.lane, 0)
_OF_THIS_LANE = or_(_LANE == bindparam("p_lane", type_=Integer),
                    and_(bindparam("p_lane", type_=Integer) == 0,
                         _LANE >= bindparam("p_lanes", type_=Integer)))
_ACTIVE_ROW = (_work_select().where(_of_account(), one_of(BatchQuote.status, ROW_ACTIVE),
                                    _OF_THIS_LANE)
               .order_by(BatchQuote.id).limit(1))
_ACTIVE_ROW_OF = _ACTIVE_ROW.where(BatchQuote.batch_id == bindparam("p_only"))


def _next_pending(only: bool, counted: bool = True) -> Any:
    """The first pending row (by position) of the batch whose turn it is: rushed batches first,
    then the oldest turn. One statement, O(log n) through ix_batch_quote_line, that also says
    whether a second batch waits for a turn (`contenders`) and how much clean-up is owed to
    the account (`owed`): the engine's one read between two quotes. `counted`: with the
    batch's counts too (n_<key>), which are O(n): every row of the batch is counted."""
    job, waiting = aliased(BatchJob), aliased(BatchQuote)
    has_pending = (select(waiting.id).where(waiting.batch_id == job.id,
                                            waiting.status == ROW_PENDING).exists())
    contenders = select(job.id).where(_of_account(job), has_pending)
    if only:
        contenders = contenders.where(job.id == bindparam("p_only"))
    first = (contenders.order_by(job.priority.desc(), job.turn, job.id).limit(1)
             .correlate(None).scalar_subquery())
    how_many = (select(func.count()).select_from(contenders.limit(2).subquery())
                .correlate(None).scalar_subquery())
    stmt = (_work_select()
            .add_columns(how_many.label("contenders"), owed_count_subquery().label("owed"))
            .where(BatchQuote.batch_id == first, BatchQuote.status == ROW_PENDING)
            .order_by(BatchQuote.position).limit(1))
    if not counted:
        return stmt
    row = aliased(BatchQuote)
    tally = (select(*(func.count(case((one_of(row.status, states), 1))).label(f"n_{key}")
                      for key, states in _COUNTED), func.count().label("n_total"))
             .where(row.batch_id == first).subquery())
    return stmt.add_columns(*tally.c).join(tally, true())


# batch_counts' keys, each with the row states it counts (as views.counts_of folds them)
_COUNTED = tuple((key, ROW_ACTIVE if key == "active" else (key,))
                 for key in COUNT_KEYS if key != "total")


# (only one batch, with its counts) -> the statement
_NEXT_PENDING = {(only, counted): _next_pending(only, counted)
                 for only in (False, True) for counted in (False, True)}


@dataclass(frozen=True)
class LineAhead:
    """The account's next row (None: none left) and how many clean-up items are owed to it."""

    row: RowWork | None
    owed: int


# The line's read as part of another statement: on PostgreSQL the result's write reads the
# next pending row in its own round trip (rows.complete), its columns labelled a_<name>.
LINE_PARTS = {only: _NEXT_PENDING[only, False].subquery("ahead") for only in (False, True)}


def line_params(account_id: int, only_batch: int | None) -> dict[str, Any]:
    """A line part's bound parameters."""
    return {"p_account": account_id, "p_only": only_batch}


def pending_ahead_of(r: Any, only: bool) -> LineAhead | None:
    """The pending row a line part found (its a_<name> columns in `r`), without counts; None
    when it found none (then line_ahead looks for a row in flight, and what is owed)."""
    if r.a_id is None:
        return None
    work = SimpleNamespace(**{c.key: getattr(r, f"a_{c.key}") for c in LINE_PARTS[only].c})
    return LineAhead(_work(work, takes_turn=work.contenders > 1), int(work.owed or 0))


def next_row_for_account(session: Session, account_id: int, *, only_batch: int | None = None,
                         lane: int = 0, lanes: int = 1) -> RowWork | None:
    """The account's next row: one already in flight on this `lane` (of `lanes`; after a crash
    or a takeover) first, else the first pending row of the batch whose turn is oldest, rushed
    batches before the rest (which lane gets it is mark_submitting's claim).

    Batches no account has claimed yet (stored by an older version) count as this account's.
    """
    params = {"p_account": account_id, "p_only": only_batch, "p_lane": lane, "p_lanes": lanes}
    return _row_in_flight(session, params) or _pending_ahead(session, params).row


def line_ahead(session: Session, account_id: int, *, only_batch: int | None = None,
               lane: int = 0, lanes: int = 1, counts: bool = True) -> LineAhead:
    """What the engine reads after a row ended: the next pending row, and what is owed; with
    its batch's counts unless `counts` is False (the engine knows them already).

    Rows in flight are left to next_row_for_account, which a run (and every new holder of the
    lease) starts with: only a holder starts rows, so none can appear behind its back. Were one
    there all the same, it is found here when no pending row is left.
    """
    params = {"p_account": account_id, "p_only": only_batch, "p_lane": lane, "p_lanes": lanes}
    ahead = _pending_ahead(session, params, counts)
    if ahead.row is not None:
        return ahead
    return LineAhead(_row_in_flight(session, params), owed_count(session, account_id))


def _row_in_flight(session: Session, params: dict[str, Any]) -> RowWork | None:
    r = session.connection().execute(
        _ACTIVE_ROW if params["p_only"] is None else _ACTIVE_ROW_OF, params).first()
    return None if r is None else _work(r)


def _pending_ahead(session: Session, params: dict[str, Any], counted: bool = True) -> LineAhead:
    r = session.connection().execute(
        _NEXT_PENDING[params["p_only"] is not None, counted], params).first()
    if r is None:
        return LineAhead(None, 0)
    counts = {"total": r.n_total, **{key: getattr(r, f"n_{key}") for key, _ in _COUNTED}} \
        if counted else None
    return LineAhead(_work(r, takes_turn=r.contenders > 1, counts=counts), int(r.owed or 0))


def open_row_count(session: Session, batch_id: int) -> int:
    return int(session.connection().scalar(select(func.count()).where(
        BatchQuote.batch_id == batch_id, BatchQuote.status.in_(ROW_OPEN))) or 0)
