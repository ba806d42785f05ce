"""The two state machines of BulkQuote, as enums with their allowed transitions.

A batch (what the rep sees as one job):

    pending --> running --> complete
       |  ^        |  ^
       |  +--------+  |  (resume: paused -> pending; retry / quote the rest: -> pending)
       v     pause    |
    paused ----------+
       any unfinished --> cancelled (the rep)

One row of a batch (one quote), each state committed BEFORE the side effect it announces:

    pending --> submitting --> polling --> complete | failed
       any open state --> cancelled (the rep)      timeout --> failed (DELETE sent)
    failed (retry) --> pending;  failed(timeout) | cancelled --> submitting (a late answer, or
    asked again while the quote's fate is unknown: its key is POSTed again, never a new one)

StrEnum members compare equal to their text, which is what the database stores, so a status read
back from any backend or sent in an event can be compared with the enum directly.
"""

from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    PENDING = "pending"        # stored, waiting for its turn (or resumed, retried)
    RUNNING = "running"        # the engine has started it; rows are being quoted
    PAUSED = "paused"          # the rep (or a refused key) stopped it; nothing new is sent
    CANCELLED = "cancelled"    # the rep gave it up; unsent rows are cancelled
    COMPLETE = "complete"      # no row is open any more (whatever the rows' outcomes)


class RowState(StrEnum):
    """Where one batch row is in quoting (not core/rows.RowStatus: the import check's verdict)."""

    PENDING = "pending"        # not sent yet
    SUBMITTING = "submitting"  # committed before the POST; a restart re-POSTs with the same key
    POLLING = "polling"        # the API made the quote (its id is stored); asking until it ends
    COMPLETE = "complete"      # priced
    FAILED = "failed"          # the API could not price it, or it timed out
    CANCELLED = "cancelled"    # the rep cancelled it


class WaitReason(StrEnum):
    """Why an account's line is stopped, though no row is at fault (see events.WaitEvent)."""

    NONE = ""
    ACCOUNT = "account"        # another client's quote is in flight on the account
    API = "api"                # the API cannot be reached
    LEASE = "lease"            # another BulkQuote holds the account's lease
    STORE = "store"            # the database cannot be reached, or refuses writes


BATCH_UNFINISHED = frozenset({BatchStatus.PENDING, BatchStatus.RUNNING})
ROW_ACTIVE = frozenset({RowState.SUBMITTING, RowState.POLLING})
ROW_OPEN = frozenset({RowState.PENDING, *ROW_ACTIVE})
ROW_TERMINAL = frozenset({RowState.COMPLETE, RowState.FAILED, RowState.CANCELLED})

BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.PENDING: frozenset({BatchStatus.RUNNING, BatchStatus.PAUSED, BatchStatus.CANCELLED,
                                    BatchStatus.COMPLETE}),
    BatchStatus.RUNNING: frozenset({BatchStatus.PAUSED, BatchStatus.CANCELLED, BatchStatus.COMPLETE}),
    BatchStatus.PAUSED: frozenset({BatchStatus.PENDING, BatchStatus.CANCELLED}),
    BatchStatus.CANCELLED: frozenset({BatchStatus.PENDING}),   # retry / quote the rest
    BatchStatus.COMPLETE: frozenset({BatchStatus.PENDING}),    # retry failed rows
}

ROW_TRANSITIONS: dict[RowState, frozenset[RowState]] = {
    RowState.PENDING: frozenset({RowState.SUBMITTING, RowState.CANCELLED}),
    RowState.SUBMITTING: frozenset({RowState.POLLING, RowState.COMPLETE, RowState.FAILED,
                                     RowState.CANCELLED}),
    RowState.POLLING: frozenset({RowState.POLLING, RowState.COMPLETE, RowState.FAILED,
                                  RowState.CANCELLED}),
    RowState.COMPLETE: frozenset(),
    RowState.FAILED: frozenset({RowState.PENDING, RowState.SUBMITTING}),
    RowState.CANCELLED: frozenset({RowState.PENDING, RowState.SUBMITTING}),
}


def row_can_move(before: str, after: str) -> bool:
    """True if a row may go from `before` to `after` (the store's conditional UPDATEs keep to it)."""
    return RowState(after) in ROW_TRANSITIONS[RowState(before)]


def batch_can_move(before: str, after: str) -> bool:
    return BatchStatus(after) in BATCH_TRANSITIONS[BatchStatus(before)]
