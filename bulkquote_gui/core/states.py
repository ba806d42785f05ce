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
       any open state --> cancelled (the rep), or failed      timeout --> failed (DELETE sent)
       pending --> complete (a still-valid earlier quote is reused)
    failed (retry) | cancelled (quote the rest) --> pending;  failed(timeout) | cancelled -->
    submitting (a late answer, or asked again while the quote's fate is unknown: its key is
    POSTed again, never a new one)

StrEnum members compare equal to their text, which is what the database stores, so a status read
back from any backend or sent in an event can be compared with the enum directly. Every layer
asks its questions here (`RowState.terminal`, `BatchStatus.finished`, the groups below); the store
reads each UPDATE's from-states from the tables (`RowState.allowed_from`). A new state: see
docs/architecture.md, "Where a new row state goes".
"""

from __future__ import annotations

from enum import StrEnum


class BatchStatus(StrEnum):
    PENDING = "pending"        # stored, waiting for its turn (or resumed, retried)
    RUNNING = "running"        # the engine has started it; rows are being quoted
    PAUSED = "paused"          # the rep (or a refused key) stopped it; nothing new is sent
    CANCELLED = "cancelled"    # the rep gave it up; unsent rows are cancelled
    COMPLETE = "complete"      # no row is open any more (whatever the rows' outcomes)

    @property
    def unfinished(self) -> bool:
        """Pending or running: the engine takes it up (a paused batch waits for the rep)."""
        return self in BATCH_UNFINISHED

    @property
    def open(self) -> bool:
        """Not finished: the rep can still pause, resume or cancel it."""
        return self in BATCH_OPEN

    @property
    def finished(self) -> bool:
        """Complete or cancelled: nothing more is sent unless the rep asks again."""
        return self in BATCH_FINISHED

    @classmethod
    def allowed_from(cls, after: str) -> tuple[BatchStatus, ...]:
        """The statuses a batch may move to `after` from (a conditional UPDATE's WHERE)."""
        return tuple(s for s in cls if BatchStatus(after) in BATCH_TRANSITIONS[s])


class RowState(StrEnum):
    """Where one batch row is in quoting (not core/intake/rows.RowStatus: the import check's verdict)."""

    PENDING = "pending"        # not sent yet
    SUBMITTING = "submitting"  # committed before the POST; a restart re-POSTs with the same key
    POLLING = "polling"        # the API made the quote (its id is stored); asking until it ends
    COMPLETE = "complete"      # priced
    FAILED = "failed"          # the API could not price it, or it timed out
    CANCELLED = "cancelled"    # the rep cancelled it

    @property
    def active(self) -> bool:
        """Its quote is (or may be) in flight at the API."""
        return self in ROW_ACTIVE

    @property
    def open(self) -> bool:
        """Not ended yet: waiting its turn or in flight."""
        return self in ROW_OPEN

    @property
    def terminal(self) -> bool:
        return self in ROW_TERMINAL

    @classmethod
    def allowed_from(cls, after: str) -> tuple[RowState, ...]:
        """The states a row may move to `after` from (a conditional UPDATE's WHERE)."""
        return tuple(s for s in cls if RowState(after) in ROW_TRANSITIONS[s])


class WaitReason(StrEnum):
    """Why an account's line is stopped, though no row is at fault (see events.WaitEvent)."""

    NONE = ""
    ACCOUNT = "account"        # another client's quote is in flight on the account
    API = "api"                # the API cannot be reached
    LEASE = "lease"            # another BulkQuote holds the account's lease
    STORE = "store"            # the database cannot be reached, or refuses writes


# The groups every layer asks about, once. Tuples in the enums' order, so that a statement built
# from one (`status IN (...)`) reads the same in every process.
BATCH_UNFINISHED = (BatchStatus.PENDING, BatchStatus.RUNNING)
BATCH_OPEN = (*BATCH_UNFINISHED, BatchStatus.PAUSED)
BATCH_FINISHED = (BatchStatus.CANCELLED, BatchStatus.COMPLETE)
ROW_ACTIVE = (RowState.SUBMITTING, RowState.POLLING)
ROW_OPEN = (RowState.PENDING, *ROW_ACTIVE)
ROW_TERMINAL = (RowState.COMPLETE, RowState.FAILED, RowState.CANCELLED)

# Every move the store writes, and nothing else (tests/unit/test_states.py runs each of the store's
# transition functions on a row in every state and holds them to these tables).
BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.PENDING: frozenset({BatchStatus.RUNNING, BatchStatus.PAUSED, BatchStatus.CANCELLED,
                                    BatchStatus.COMPLETE}),
    BatchStatus.RUNNING: frozenset({BatchStatus.PAUSED, BatchStatus.CANCELLED, BatchStatus.COMPLETE}),
    BatchStatus.PAUSED: frozenset({BatchStatus.PENDING, BatchStatus.CANCELLED}),
    BatchStatus.CANCELLED: frozenset({BatchStatus.PENDING}),   # retry / quote the rest
    BatchStatus.COMPLETE: frozenset({BatchStatus.PENDING}),    # retry failed rows
}

ROW_TRANSITIONS: dict[RowState, frozenset[RowState]] = {
    # pending -> complete: a still-valid earlier quote fills it (store/reuse.py); pending -> failed:
    # the store ends any open row the engine gives up on (mark_failed)
    RowState.PENDING: frozenset({RowState.SUBMITTING, RowState.COMPLETE, RowState.FAILED,
                                 RowState.CANCELLED}),
    RowState.SUBMITTING: frozenset({RowState.POLLING, RowState.COMPLETE, RowState.FAILED,
                                     RowState.CANCELLED}),
    RowState.POLLING: frozenset({RowState.POLLING, RowState.COMPLETE, RowState.FAILED,
                                  RowState.CANCELLED}),
    RowState.COMPLETE: frozenset(),
    RowState.FAILED: frozenset({RowState.PENDING, RowState.SUBMITTING}),
    RowState.CANCELLED: frozenset({RowState.PENDING, RowState.SUBMITTING}),
}
