"""The two state machines (core/states.py) hold the store to them: every function of the store
that changes a row's or a batch's status is run on a row (a batch) in every state, against a
temp SQLite database, and the moves it made must be exactly moves the tables allow; and every
move the tables allow is made by some function (a table that lists a move nobody writes lies)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable

import pytest
from sqlalchemy import select, update

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.provider import QuoteResult, RemoteQuote
from bulkquote_gui.core.states import (
    BATCH_FINISHED,
    BATCH_OPEN,
    BATCH_TRANSITIONS,
    BATCH_UNFINISHED,
    ROW_ACTIVE,
    ROW_OPEN,
    ROW_TERMINAL,
    ROW_TRANSITIONS,
    BatchStatus,
    RowState,
)
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.store.models import BatchJob, BatchQuote
from bulkquote_gui.core.store.safety import resume_store_paused, store_pause_messages
from tests.helpers.fakes import default_options, fake_import

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _priced(remote_id: str) -> RemoteQuote:
    result = QuoteResult(default_options("650.00"), 0, date(2026, 6, 1))
    return RemoteQuote(remote_id, "complete", None, result, None, None, NOW, NOW)


def _batch(sf, batch_status: BatchStatus, row_states: tuple[RowState, ...]) -> tuple[int, list[int]]:
    """A batch in `batch_status` with one row in each of `row_states` (as a process left them:
    an active row has its remote id, a failed one timed out, so every way out is open)."""
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(len(row_states)), defaults=BatchDefaults(),
                                      source_name="states.csv")
    with sf.begin() as session:
        row_ids = list(session.scalars(select(BatchQuote.id).where(BatchQuote.batch_id == batch_id)
                                       .order_by(BatchQuote.position)))
        for row_id, state in zip(row_ids, row_states, strict=True):
            session.execute(update(BatchQuote).where(BatchQuote.id == row_id).values(
                status=state, remote_id=f"q_{row_id}" if state != RowState.PENDING else None,
                error_code="timeout" if state == RowState.FAILED else None))
        session.execute(update(BatchJob).where(BatchJob.id == batch_id).values(status=batch_status))
    return batch_id, row_ids


def _row_states(sf, row_ids: list[int]) -> list[str]:
    with sf() as session:
        by_id = dict(session.execute(select(BatchQuote.id, BatchQuote.status)
                                     .where(BatchQuote.id.in_(row_ids))).all())
    return [by_id[i] for i in row_ids]


def _batch_status(sf, batch_id: int) -> str:
    with sf() as session:
        return session.scalar(select(BatchJob.status).where(BatchJob.id == batch_id))


def _work(sf, row_id: int) -> work_store.RowWork:
    with sf() as session:
        return work_store.load_row(session, row_id)


# Each function that writes a row's status, run on one row (id given) of a batch.
ROW_WRITES: dict[str, Callable] = {
    "mark_submitting": lambda s, b, r: row_store.mark_submitting(s, work_store.load_row(s, r), NOW),
    "mark_polling": lambda s, b, r: row_store.mark_polling(s, r, f"q_{r}"),
    "mark_polling(posted)": lambda s, b, r: row_store.mark_polling(s, r, f"q_new{r}", posted_at=NOW),
    "mark_complete": lambda s, b, r: row_store.mark_complete(s, r, _priced(f"q_{r}"), NOW),
    "mark_failed": lambda s, b, r: row_store.mark_failed(s, r, "no_coverage", "none", NOW),
    "mark_cancelled": lambda s, b, r: row_store.mark_cancelled(s, r, NOW),
    "reopen_for_late_answer": lambda s, b, r: row_store.reopen_for_late_answer(s, r, remote_id=f"q_{r}"),
}

def _committed(write: Callable) -> Callable:
    """A store writer run in a transaction of its own, as its callers open it."""
    def run(sf, batch_id):
        with engine_store.in_transaction(sf) as session:
            return write(session, batch_id)
    return run


# Each function that writes the statuses of a batch's rows as a whole, with the batch status
# it works from.
BATCH_ROW_WRITES: dict[str, tuple[BatchStatus, Callable]] = {
    "request_cancel": (BatchStatus.RUNNING, _committed(lambda s, b: batch_store.request_cancel(s, b))),
    "request_cancel(not active)": (BatchStatus.RUNNING,
                                   _committed(lambda s, b: batch_store.request_cancel(s, b, include_active=False))),
    "cancel_open_rows": (BatchStatus.CANCELLED, _committed(lambda s, b: batch_store.cancel_open_rows(s, b))),
    "cancel_abandoned_rows": (BatchStatus.CANCELLED,
                              _committed(lambda s, b: batch_store.cancel_abandoned_rows(s, 1))),
    "retry_failed": (BatchStatus.COMPLETE, _committed(lambda s, b: batch_store.retry_failed(s, b))),
    "quote_rest": (BatchStatus.CANCELLED, _committed(lambda s, b: batch_store.quote_rest(s, b))),
}

# Each function that writes a batch's status (on a batch with one row in each state).
BATCH_WRITES: dict[str, Callable] = {
    "request_cancel": _committed(lambda s, b: batch_store.request_cancel(s, b)),
    "mark_paused": _committed(lambda s, b: batch_store.mark_paused(s, b, "paused")),
    "resume_batch": _committed(lambda s, b: batch_store.resume_batch(s, b)),
    "retry_failed": _committed(lambda s, b: batch_store.retry_failed(s, b)),
    "quote_rest": _committed(lambda s, b: batch_store.quote_rest(s, b)),
    "start_batch": _committed(lambda s, b: batch_store.start_batch(s, b)),
    "finish_batch": _committed(lambda s, b: batch_store.finish_batch(s, b)),
    "resume_store_paused": lambda sf, b: resume_store_paused(sf, None),
}


def _moves(before: list[str], after: list[str]) -> set[tuple[RowState, RowState]]:
    return {(RowState(a), RowState(b)) for a, b in zip(before, after, strict=True)
            if a != b}


def _allowed_rows() -> set[tuple[RowState, RowState]]:
    return {(a, b) for a, targets in ROW_TRANSITIONS.items() for b in targets}


def _allowed_batches() -> set[tuple[BatchStatus, BatchStatus]]:
    return {(a, b) for a, targets in BATCH_TRANSITIONS.items() for b in targets}


def _row_moves_of_each_function(sf) -> dict[str, set[tuple[RowState, RowState]]]:
    made: dict[str, set[tuple[RowState, RowState]]] = {}
    for name, write in ROW_WRITES.items():
        batch_id, row_ids = _batch(sf, BatchStatus.RUNNING, tuple(RowState))
        before = _row_states(sf, row_ids)
        for row_id in row_ids:
            with engine_store.in_transaction(sf) as session:   # the caller opens it (store doc)
                write(session, batch_id, row_id)
        # mark_polling on a polling row: a new remote id adopted is a move polling -> polling
        moved = _moves(before, _row_states(sf, row_ids))
        if name.startswith("mark_polling"):
            moved |= {(RowState.POLLING, RowState.POLLING)}
        made[name] = moved
    for name, (status, write) in BATCH_ROW_WRITES.items():
        # every state, and a cancelled and a failed row whose quote's fate is unknown (its
        # DELETE owed): asked again, those go back in flight, the others wait their turn
        batch_id, row_ids = _batch(sf, status, (*RowState, RowState.CANCELLED, RowState.FAILED))
        before = _row_states(sf, row_ids)
        for unsettled in row_ids[-2:]:
            with engine_store.in_transaction(sf) as session:
                cleanup_store.owe_delete(session, f"q_{unsettled}", unsettled)
        write(sf, batch_id)
        made[name] = _moves(before, _row_states(sf, row_ids))
    return made


def test_every_row_write_of_the_store_keeps_to_the_row_table(sf):
    made = _row_moves_of_each_function(sf)
    for name, moves in made.items():
        assert moves <= _allowed_rows(), f"{name} writes {moves - _allowed_rows()}"
    # and no move of the table is one the store never writes
    assert set().union(*made.values()) == _allowed_rows()


def test_each_row_write_moves_exactly_the_states_the_table_allows(sf):
    """Where an UPDATE reads its from-states from the table, it moves all of them, no other."""
    made = _row_moves_of_each_function(sf)
    for name, to in (("mark_complete", RowState.COMPLETE), ("mark_failed", RowState.FAILED),
                     ("mark_cancelled", RowState.CANCELLED)):
        assert {a for a, _ in made[name]} == set(RowState.allowed_from(to)), name
    assert {a for a, _ in made["mark_polling"]} == set(RowState.allowed_from(RowState.POLLING))


def test_every_batch_write_of_the_store_keeps_to_the_batch_table(sf):
    made: dict[str, set[tuple[BatchStatus, BatchStatus]]] = {}
    for name, write in BATCH_WRITES.items():
        made[name] = set()
        for status in BatchStatus:
            rows = {"retry_failed": (RowState.FAILED, RowState.CANCELLED),
                    "quote_rest": (RowState.FAILED, RowState.CANCELLED),
                    "finish_batch": (RowState.COMPLETE,)}.get(name, tuple(RowState))
            batch_id, _ = _batch(sf, status, rows)
            if name == "resume_store_paused":
                with sf.begin() as session:
                    session.execute(update(BatchJob).where(BatchJob.id == batch_id).values(
                        status_message=store_pause_messages()[0]))
            write(sf, batch_id)
            after = BatchStatus(_batch_status(sf, batch_id))
            if after != status:
                made[name].add((status, after))
    for name, moves in made.items():
        assert moves <= _allowed_batches(), f"{name} writes {moves - _allowed_batches()}"
    assert set().union(*made.values()) == _allowed_batches()


def test_a_reused_quote_moves_a_pending_row_and_its_batch_to_complete(sf):
    """reuse_valid_quotes fills pending rows from an earlier priced row of the same site (its
    UPDATEs take the rows it read as pending in the same transaction, and the batch it stored)."""
    earlier, (earlier_row,) = _batch(sf, BatchStatus.RUNNING, (RowState.PENDING,))
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, work_store.load_row(session, earlier_row), NOW)
        row_store.mark_complete(session, earlier_row, _priced("q_earlier"), NOW)
    batch_id, row_ids = _batch(sf, BatchStatus.PENDING, (RowState.PENDING,))
    with engine_store.in_transaction(sf) as session:
        reuse_store.reuse_valid_quotes(session, batch_id, today=date(2026, 3, 2), now=NOW)
    assert _row_states(sf, row_ids) == [RowState.COMPLETE]
    assert _batch_status(sf, batch_id) == BatchStatus.COMPLETE   # every row filled: nothing to send
    assert RowState.PENDING in RowState.allowed_from(RowState.COMPLETE)
    assert BatchStatus.PENDING in BatchStatus.allowed_from(BatchStatus.COMPLETE)


@pytest.mark.parametrize("state", list(RowState))
def test_a_row_state_answers_the_questions_of_the_groups(state):
    assert state.active == (state in ROW_ACTIVE)
    assert state.open == (state in ROW_OPEN) == (not state.terminal)
    assert state.terminal == (state in ROW_TERMINAL)
    assert all((after in ROW_TRANSITIONS[state]) == (state in RowState.allowed_from(after))
               for after in RowState)


@pytest.mark.parametrize("status", list(BatchStatus))
def test_a_batch_status_answers_the_questions_of_the_groups(status):
    assert status.unfinished == (status in BATCH_UNFINISHED)
    assert status.open == (status in BATCH_OPEN) == (not status.finished)
    assert status.finished == (status in BATCH_FINISHED)
    assert all((after in BATCH_TRANSITIONS[status]) == (status in BatchStatus.allowed_from(after))
               for after in BatchStatus)


def test_the_enums_are_their_stored_text():
    """The database, events and `status --json` carry the text: a member is equal to it, hashes
    like it (a counts dict keyed by text is read by member) and prints as it."""
    assert RowState.COMPLETE == "complete" and f"{BatchStatus.PAUSED}" == "paused"
    assert {"complete": 3}[RowState.COMPLETE] == 3
