"""One account's line: hold its lease, take its rows one at a time, fairly, until there are none.

    wait for the lease --> holder --> next row (in flight first, rush first, oldest turn) --> run it
         ^                  |  ^                                                              |
         |                  |  +--------------------- batch ended? settle, finish it <--------+
         +-- lease lost ----+---> no row left: release the lease (or, as a worker, wait for more)

One quote in flight per lane, whoever else uses the account: only the lane's lease holder sends,
every POST is fenced by its token, and a 409 naming a quote none of our rows stored is waited
for, never cancelled. A provider that allows N quotes in progress has N lanes, each a runner of
its own on the same line (the Processor runs them); a lane's claim of a row is mark_submitting's
conditional UPDATE, so two lanes never take the same row, and a row in flight is resumed only by
its own lane. Clean-up owed to the account is lane 0's, so no quote is withdrawn twice.
Different accounts each have runners of their own, on threads of their own.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field, replace
from typing import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import safety as safety_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.engine.api_gate import ApiGate
from bulkquote_gui.core.engine.cleanup import OwedCalls
from bulkquote_gui.core.engine.commands import Commands, Interrupted, StepResult
from bulkquote_gui.core.engine.lease import LeaseKeeper, holder_stopped, waiting_message
from bulkquote_gui.core.engine.outcomes import Outcomes, auth_message
from bulkquote_gui.core.engine.policy import EngineConfig, Timing
from bulkquote_gui.core.engine.quote_run import AuthRefused, QuoteRun
from bulkquote_gui.core.engine.store_gate import StoreGate
from bulkquote_gui.core.events import Event
from bulkquote_gui.core.quoting.provider import QuoteProvider, name_of
from bulkquote_gui.core.states import BatchStatus, WaitReason
from bulkquote_gui.core.store.accounts import Holder, LeaseLost
from bulkquote_gui.core.store.safety import StoreUnavailable, classify

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """How a run ended: every batch it touched with its status afterwards, and why it stopped."""

    statuses: dict[int, str] = field(default_factory=dict)
    stopped: bool = False        # stop() (the app closing, a signal): unfinished work resumes later
    auth_failed: bool = False    # the key was refused: nothing more can be sent with it


class AccountRunner:
    """Runs one account's batches (engine thread). Commands come through `commands` (any thread)."""

    def __init__(self, session_factory: sessionmaker[Session], client: QuoteProvider, account_id: int,
                 holder: Holder, *, clock: Clock, config: EngineConfig, commands: Commands,
                 on_event: Callable[[Event], None], rng: random.Random | None = None,
                 claims: bool = True, lane: int = 0, lanes: int = 1) -> None:
        self._sf = session_factory
        self.account_id = account_id
        self.lane, self._lanes = lane, lanes
        self._claims = claims   # batches no account owns yet become this one's when run
        self._clock = clock
        self._config = config
        self.commands = commands
        self.timing = Timing(config, rng)
        self.lease = LeaseKeeper(session_factory, account_id, holder, clock, ttl_s=config.lease_ttl_s,
                                 lane=lane)
        self.outcomes = Outcomes(session_factory, clock, on_event, alone=lanes == 1)
        self.owed = OwedCalls(session_factory, client, clock, self.timing, commands, self.outcomes,
                              fence_check=self._fence_if_held, account_id=account_id)
        self.gate = ApiGate(client, clock, self.timing, commands, report=self._report_api_wait,
                            give_back=self._give_back)
        self.store_gate = StoreGate(session_factory, account_id, clock, self.timing, commands,
                                    report=self._report_store_wait)
        self.quotes = QuoteRun(session_factory, self.gate, clock, self.timing, commands,
                               self.outcomes, self.owed, fence=lambda: self.lease.fence,
                               check_fence=self.lease.check_fence,
                               report_wait=self._report_account_wait)
        self._announced: set[int] = set()
        self._next: work_store.RowWork | None = None   # the next row, when already read
        self._only_batch: int | None = None
        commands.heartbeat = self.lease.heartbeat

    # ------------------------------------------------------------------ the line

    def run(self, *, only_batch: int | None = None, until_idle: bool = True,
            idle_poll_s: float = 2.0) -> RunResult:
        """Work until no row of the account (or of `only_batch`) is left, stop(), or a 401.

        With until_idle=False (the headless worker) an empty line is waited on, not left.
        """
        result = RunResult()
        self._announced = set()
        self._next = None
        self._only_batch = only_batch
        self.outcomes.line = work_store.line_params(self.account_id, only_batch)
        try:
            while not self.commands.stopped:
                try:
                    self._resume_store_paused()
                    with engine_store.in_transaction(self._sf) as session:
                        batch_store.cancel_abandoned_rows(session, self.account_id)   # their DELETEs owed
                    if not self._has_work(only_batch):
                        if until_idle:
                            break
                        self.lease.release()  # nothing to do: let a laptop with work have it
                        self.commands.idle_wait(idle_poll_s)
                        continue
                    held = self._hold_lease(only_batch)
                    if held == StepResult.STOPPED:
                        break
                    if held == StepResult.IDLE:
                        continue  # the work was done by the holder meanwhile: look again
                    outcome = self._run_line(only_batch, result)
                except (SQLAlchemyError, StoreUnavailable) as exc:
                    problem = classify(exc)
                    if problem is None:
                        raise   # a bug, not the environment
                    outcome = self._store_failed(problem, None, result)
                if outcome in (StepResult.STOPPED, StepResult.AUTH):
                    break
                if outcome == StepResult.IDLE and until_idle:
                    break
                # LEASE_LOST (the lease, or the store, was lost): step back and hold it again
        finally:
            self._release_at_the_end()
        result.stopped = self.commands.stopped
        try:
            for batch_id in result.statuses:   # as the store has them now (another holder may
                result.statuses[batch_id] = self.status(batch_id)   # have finished them)
        except (SQLAlchemyError, StoreUnavailable) as exc:
            if classify(exc) is None:
                raise
            log.info("account %s: the batches' statuses are as last seen", self.account_id)
        return result

    def _release_at_the_end(self) -> None:
        try:
            self.lease.release()
        except (SQLAlchemyError, StoreUnavailable) as exc:
            problem = classify(exc)
            if problem is None:
                log.exception("could not release the lease of account %s", self.account_id)
                return
            # Stopped while the store was away: the lease expires by itself.
            log.warning("account %s: %s; its lease lapses by itself", self.account_id,
                        problem.sentence)
        except Exception:  # a broken store at the end must not hide what went before
            log.exception("could not release the lease of account %s", self.account_id)

    def _run_line(self, only_batch: int | None, result: RunResult) -> StepResult:
        while True:
            try:
                self.commands.check()        # stop, lease renewal
                if self._cleans:
                    self.owed.run_once()     # before the next POST: our quotes off the account
            except Interrupted as stop:
                return self._line_interrupted(stop, result)
            except LeaseLost:
                self.lease.lost()
                return StepResult.LEASE_LOST
            row, self._next = self._next, None
            if row is None:
                with self._sf() as session:
                    row = self._own_counts(work_store.next_row_for_account(
                        session, self.account_id, only_batch=only_batch, lane=self.lane,
                        lanes=self._lanes), read=True)
            if row is None:
                return self._finish_idle(only_batch, result)
            batch_id = row.batch_id
            if not self._announce(batch_id, result):
                continue
            self.commands.working_on(batch_id)
            try:
                self.quotes.run(row)
                if not self._more_in(batch_id, row.id):
                    self._finish_if_done(batch_id, result)   # a pause still cuts its clean-up short
            except AuthRefused as refused:
                self._refused(batch_id, refused.message, result)
                return StepResult.AUTH
            except Interrupted as stop:
                outcome = self._row_interrupted(stop, batch_id, result)
                if outcome is not None:
                    return outcome
            except (SQLAlchemyError, StoreUnavailable) as exc:
                problem = classify(exc)
                if problem is None:
                    raise   # a bug, not the environment
                self.commands.working_on(None)   # the rep's pause/cancel meanwhile go to the store
                return self._store_failed(problem, batch_id, result)
            finally:
                self.commands.working_on(None)

    def _announce(self, batch_id: int, result: RunResult) -> bool:
        """Start the batch (pending -> running) the first time this run takes a row of it."""
        if self.commands.take_pause(batch_id):   # paused while it waited for its turn
            self._pause(batch_id, "paused by the user", result)
            return False
        if batch_id in self._announced:
            return True
        self.commands.forget(batch_id)
        with engine_store.in_transaction(self._sf) as session:
            status = batch_store.start_batch(session, batch_id, self.account_id if self._claims else None)
        result.statuses[batch_id] = str(status)
        if status != BatchStatus.RUNNING:
            return False
        self._announced.add(batch_id)
        self.outcomes.emit_batch(batch_id, BatchStatus.RUNNING)
        return True

    def _row_interrupted(self, stop: Interrupted, batch_id: int,
                         result: RunResult) -> StepResult | None:
        if stop.kind == BatchStatus.CANCELLED:
            self.cancel_in_hand(batch_id, stop.message or "cancelled by the user", result)
            return None
        if stop.kind == BatchStatus.PAUSED:
            self._pause(batch_id, stop.message, result)
            return None
        return self._line_interrupted(stop, result)

    def _line_interrupted(self, stop: Interrupted, result: RunResult) -> StepResult:
        if stop.kind == StepResult.LEASE_LOST:
            log.warning("account %s: %s; stepping back", self.account_id, stop.message)
            self.lease.lost()
            return StepResult.LEASE_LOST
        for batch_id in self._announced:
            status = self.status(batch_id)
            result.statuses[batch_id] = status
            if status in (BatchStatus.PENDING, BatchStatus.RUNNING):
                self.outcomes.emit_batch(batch_id, status,
                                         "stopped; the batch resumes on the next start")
        return StepResult.STOPPED

    def _pause(self, batch_id: int, message: str, result: RunResult) -> None:
        self.commands.take_pause(batch_id)   # done: the flag must not pause the next batch
        with engine_store.in_transaction(self._sf) as session:
            batch_store.mark_paused(session, batch_id, message)
        self._announced.discard(batch_id)
        result.statuses[batch_id] = BatchStatus.PAUSED
        self.outcomes.emit_batch(batch_id, BatchStatus.PAUSED, message)

    def _refused(self, batch_id: int, message: str, result: RunResult) -> None:
        """401: the batch pauses with the reason, and leaves this key's account for whichever
        key works next; nothing more is sent with this one."""
        self._pause(batch_id, message, result)
        with engine_store.in_transaction(self._sf) as session:
            batch_store.disown_batch(session, batch_id)
        result.auth_failed = True

    def cancel_in_hand(self, batch_id: int, message: str, result: RunResult | None = None) -> None:
        """The batch whose row was in hand was cancelled: its open rows too, their quotes DELETEd."""
        self.commands.take_cancel(batch_id)
        with engine_store.in_transaction(self._sf) as session:
            batch_store.request_cancel(session, batch_id, include_active=False)
        # Rows still in flight are cancelled with their DELETEs owed (one transaction); the
        # settling below sends them, and keeps a price a DELETE finds.
        with engine_store.in_transaction(self._sf) as session:
            batch_store.cancel_open_rows(session, batch_id)
        self._announced.discard(batch_id)
        if result is not None:
            result.statuses[batch_id] = BatchStatus.CANCELLED
        self.outcomes.emit_batch(batch_id, BatchStatus.CANCELLED, message)
        refused = self.owed.settle(yield_to_commands=False) if self._cleans else None
        if refused is not None:
            log.warning("cancelled batch %s: its quote could not be cancelled on the server: %s",
                        batch_id, refused)

    def _more_in(self, batch_id: int, row_id: int) -> bool:
        """The line's next row (read now, kept for the next turn) is of this batch: not done.
        One statement serves both questions and says how much is owed to the account (settled
        before the next POST): on a server each statement is a round trip. The batch's counts
        come with it only when not known from moments ago (they are O(n): every row counted).
        On PostgreSQL the row's result read the next pending row already, in its statement."""
        ahead = self.outcomes.line_read_with(row_id)
        read = ahead is None and self._lanes == 1 and self.outcomes.counts_known(batch_id) is None
        owed: list = []
        if ahead is None or ahead.owed:
            with engine_store.autocommit(self._sf) as session:
                if ahead is None:
                    ahead = work_store.line_ahead(session, self.account_id, lane=self.lane,
                                                  only_batch=self._only_batch, lanes=self._lanes,
                                                  counts=read)
                owed = work_store.owed_cleanup(session, self.account_id) if ahead.owed else []
        self.owed.remember(owed)
        self._next = self._own_counts(ahead.row, read=read)
        if ahead.owed and self._next is not None:   # the clean-up may change the counts first
            self._next = replace(self._next, counts=None)
        return self._next is not None and self._next.batch_id == batch_id

    @property
    def _cleans(self) -> bool:
        """Lane 0 settles the clean-up owed to the account: one lane, so none is sent twice."""
        return self.lane == 0

    def _own_counts(self, row: work_store.RowWork | None, *,
                    read: bool) -> work_store.RowWork | None:
        """The row with its batch's counts for its event: as `read` with it, else as known
        from moments ago (None: its event reads them). With other lanes at work the counts
        read with the row are soon stale: its event reads them again."""
        if row is None:
            return row
        if self._lanes > 1:
            return replace(row, counts=None)
        if read:
            self.outcomes.counts_read(row.batch_id, row.counts)
            return row
        return replace(row, counts=self.outcomes.counts_known(row.batch_id))

    def _finish_if_done(self, batch_id: int, result: RunResult) -> None:
        with self._sf() as session:
            if work_store.open_row_count(session, batch_id):
                return
        self._finish(batch_id, result)

    def _finish(self, batch_id: int, result: RunResult) -> None:
        """No row of the batch is open: clear the account of our quotes, then it is complete."""
        refused = self.owed.settle(yield_to_commands=True) if self._cleans else None
        if refused is not None:
            self._refused(batch_id, auth_message(refused, name_of(self.gate.client)), result)
            return
        # No row is left to pause or cancel: a command that cut the clean-up short is spent.
        self.commands.take_pause(batch_id)
        cancelled = self.commands.take_cancel(batch_id)
        with engine_store.in_transaction(self._sf) as session:
            finished = batch_store.finish_batch(session, batch_id)
        if finished:
            self.outcomes.emit_batch(batch_id, BatchStatus.COMPLETE)
        elif cancelled and self.status(batch_id) == BatchStatus.CANCELLED:
            # Cancelled as its last row in hand ended: the store has it, nothing was left to
            # interrupt, and the flag's cancel says nothing by itself (the window waits for it).
            self.outcomes.emit_batch(batch_id, BatchStatus.CANCELLED, "cancelled by the user")
        self._announced.discard(batch_id)
        result.statuses[batch_id] = self.status(batch_id)

    def _finish_idle(self, only_batch: int | None, result: RunResult) -> StepResult:
        """No row left to take: finish what this run started (a batch whose last row ended in
        another process, or a batch that never had an open row)."""
        for batch_id in sorted(self._announced | ({only_batch} if only_batch else set())):
            if self.status(batch_id) in (BatchStatus.PENDING, BatchStatus.RUNNING):
                with self._sf() as session:
                    if work_store.open_row_count(session, batch_id):
                        continue
                if batch_id not in self._announced:
                    with engine_store.in_transaction(self._sf) as session:
                        batch_store.start_batch(session, batch_id, self.account_id if self._claims else None)
                self._finish(batch_id, result)
            result.statuses[batch_id] = self.status(batch_id)
        return StepResult.IDLE

    # ------------------------------------------------------------------ a store that refuses writes

    def _store_failed(self, problem: StoreUnavailable, batch_id: int | None,
                      result: RunResult) -> StepResult:
        """The store cannot be reached, or refuses writes: wait for it (store_gate), then take
        the lease again and go on. A full disk, a read-only or locked database first pause the
        batch in hand with the sentence (if even that write fails, an event says so); a lost
        connection pauses nothing: nothing could record it, and the line goes on by itself.

        Nothing recorded is lost: every state was committed before its side effect."""
        held_up = tuple(sorted(self._announced | {b for b in (batch_id, self._only_batch) if b}))
        if batch_id is not None and not problem.outage:
            message = problem.pause_message()
            self._announced.discard(batch_id)
            result.statuses[batch_id] = BatchStatus.PAUSED
            try:
                with engine_store.in_transaction(self._sf) as session:
                    batch_store.mark_paused(session, batch_id, message)
            except (SQLAlchemyError, StoreUnavailable) as again:
                if classify(again) is None:
                    raise
                log.warning("batch %s could not be marked paused either", batch_id)
            self._emit_safely(lambda: self.outcomes.emit_batch(batch_id, BatchStatus.PAUSED,
                                                               message))
        if not self.store_gate.wait(problem, held_up):
            return StepResult.STOPPED
        return StepResult.LEASE_LOST   # the lease may have lapsed meanwhile: take it again, then go on

    def _resume_store_paused(self) -> None:
        """Batches paused because the store refused writes go on once it takes them again
        (also those left so by an earlier run that was stopped while waiting)."""
        for batch_id in safety_store.resume_store_paused(self._sf, self.account_id):
            log.info("batch %s resumes: the database can be written again", batch_id)

    def _emit_safely(self, emit: Callable[[], None]) -> None:
        try:
            emit()   # reads counts; a store that cannot even be read must not hide the wait
        except (SQLAlchemyError, StoreUnavailable):
            log.warning("account %s: could not tell the store's state", self.account_id)

    # ------------------------------------------------------------------ the lease

    def _has_work(self, only_batch: int | None) -> bool:
        with self._sf() as session:
            if only_batch is not None:
                return self.status(only_batch) in (BatchStatus.PENDING, BatchStatus.RUNNING)
            return bool(view_store.unfinished_batch_ids(session, account_id=self.account_id)) \
                or bool(cleanup_store.owed_count(session, self.account_id))

    def _hold_lease(self, only_batch: int | None) -> StepResult:
        """Become the holder (HELD); while another process is, say who and wait. IDLE when
        the holder did our work meanwhile, STOPPED on stop()."""
        told: tuple[str, int, bool] | None = None   # the holder we said we wait for
        while not self.commands.stopped:
            if self.lease.try_acquire():
                if told and self.lane == 0:
                    self.outcomes.emit_wait(self.account_id, WaitReason.NONE)
                return StepResult.HELD
            if told and not self._has_work(only_batch):
                if self.lane == 0:
                    self.outcomes.emit_wait(self.account_id, WaitReason.NONE)
                return StepResult.IDLE
            state = self.lease.read()
            holder = (state.instance_id, state.token, holder_stopped(state.holder)) \
                if state is not None else ("", 0, False)
            # Said once per holder, and again if it stops: an estimate, not a countdown. Only
            # lane 0 speaks: the other lanes' holders are the same story.
            if holder != told:
                if self.lane == 0:
                    self.outcomes.emit_wait(self.account_id, WaitReason.LEASE,
                                            waiting_message(state, self._clock.now()))
                told = holder
            self.commands.idle_wait(self._config.lease_retry_s)
        return StepResult.STOPPED

    def _fence_if_held(self) -> None:
        if self.lease.held:
            self.lease.check_fence()

    # ------------------------------------------------------------------ waits

    def _report_account_wait(self, reason: str, message: str, blocker_id: str | None) -> None:
        self._store_wait(reason, message, blocker_id)
        self.outcomes.emit_wait(self.account_id, reason, message, blocker_id)

    def _report_api_wait(self, reason: str, message: str) -> None:
        self._report_account_wait(reason, message, None)

    def _report_store_wait(self, message: str, batch_ids: tuple[int, ...]) -> None:
        """Told without a store read (it may be the store that is away)."""
        reason = WaitReason.STORE if message else WaitReason.NONE
        self.outcomes.emit_wait(self.account_id, reason, message, batch_ids=batch_ids)

    def _store_wait(self, reason: str, message: str, blocker_id: str | None) -> None:
        token = self.lease.token
        if token is not None:
            account_store.set_waiting(self._sf, self.account_id, token, str(reason), message, blocker_id,
                              self._clock.now(), lane=self.lease.lane)

    def _give_back(self, seconds: float) -> None:
        with engine_store.in_transaction(self._sf) as session:
            row_store.shift_polling_deadlines(session, self.account_id, seconds,
                                              lane=self.lane if self._lanes > 1 else None)

    def status(self, batch_id: int) -> str:
        """The batch's status in the store (KeyError for an unknown batch)."""
        with self._sf() as session:
            status = view_store.batch_status(session, batch_id)
        if status is None:
            raise KeyError(f"no batch {batch_id}")
        return str(status)
