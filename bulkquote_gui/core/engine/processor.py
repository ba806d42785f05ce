"""The engine as the window and the CLI use it: one account, run now or until idle, commands.

`Processor` puts together one AccountRunner per lane (the lane's lease, the fair line, one row's
state machine) and offers what callers ask of it: run one batch, run everything the account has,
pause, cancel, stop. Commands may be called from any thread and take effect within a second.

A provider that allows N quotes in progress (`lanes_of(client)`: Momentum 1) gets N lanes, run
on threads of their own; each lane is a lease, so processes on one account share N, never more.
"""

from __future__ import annotations

import random
import threading
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.engine.side_by_side import run_side_by_side, why_they_ended
from bulkquote_gui.core.engine.account_runner import AccountRunner, RunResult
from bulkquote_gui.core.engine.commands import Commands
from bulkquote_gui.core.engine.lease import this_process
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.events import Event
from bulkquote_gui.core.quoting.provider import QuoteProvider, kind_of, lanes_of
from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import models as model_store
from bulkquote_gui.core.store.accounts import AccountRef, Holder

# An account for callers that name none (tests with a fake client, tools on one private API).
LOCAL_ACCOUNT = ("local:", "local")


class Processor:
    """Runs one account's batches one quote at a time (see core/engine/__init__.py).

    `client` is any QuoteProvider (core/quoting/provider.py; Momentum's is core/quoting/momentum.py);
    `on_event` receives QuoteEvent/BatchEvent/WaitEvent objects on the engine's thread.
    """

    def __init__(self, session_factory: sessionmaker[Session], client: QuoteProvider, *,
                 clock: Clock | None = None,
                 on_event: Callable[[Event], None] = lambda e: None,
                 config: EngineConfig = EngineConfig(),
                 rng: random.Random | None = None,
                 account: AccountRef | Callable[[], AccountRef | None] | None = None,
                 holder: Holder | None = None) -> None:
        """Builds no connection: the account (an AccountRef, or a function that finds it in the
        store) is resolved on first use, on the engine's thread, so the window never waits on
        the store to make a Processor."""
        self._sf = session_factory
        self._client = client
        self._clock = clock or SystemClock()
        self._account = account
        self._on_event = on_event
        self._config = config
        self._rng = rng
        self._holder = holder or this_process("engine")
        self.lanes = lanes_of(client)
        # One Commands per lane (each renews its own lease); `commands` is lane 0's.
        self._lane_commands = [Commands(session_factory, self._clock, check_s=config.command_check_s)
                               for _ in range(self.lanes)]
        self.commands = self._lane_commands[0]
        self._runner_lock = threading.Lock()
        self._runners_made: list[AccountRunner] = []
        self.last_result = RunResult()

    @property
    def _runner(self) -> AccountRunner:
        """Lane 0's runner: the clean-up owed and the batches' statuses are its."""
        return self._runners[0]

    @property
    def _runners(self) -> list[AccountRunner]:
        with self._runner_lock:
            if not self._runners_made:
                account = self._account() if callable(self._account) else self._account
                claims = account is not None   # never file batches under the stand-in account
                if account is None:
                    kind = kind_of(self._client) or model_store.DEFAULT_PROVIDER_KIND
                    account = account_store.ensure_account(self._sf, *LOCAL_ACCOUNT, provider=kind)
                self._runners_made = [AccountRunner(
                    self._sf, self._client, account.id, self._holder, clock=self._clock,
                    config=self._config, commands=commands, on_event=self._on_event,
                    rng=self._rng, claims=claims, lane=lane, lanes=self.lanes)
                    for lane, commands in enumerate(self._lane_commands)]
                self._account = account
            return self._runners_made

    @property
    def current_batch(self) -> int | None:
        """A batch whose row a lane has in hand now (lane 0's first); None: none in hand."""
        return next((c.current_batch for c in self._lane_commands
                     if c.current_batch is not None), None)

    def holds(self, batch_id: int) -> bool:
        """Whether a lane has a row of this batch in hand now."""
        return any(c.current_batch == batch_id for c in self._lane_commands)

    @property
    def account(self) -> AccountRef:
        self._runner  # noqa: B018 - resolves the account
        assert isinstance(self._account, AccountRef)
        return self._account

    # ------------------------------------------------------------------ commands (any thread)

    def pause(self, batch_id: int | None = None) -> None:
        """Pause a batch (None: the one whose row is in hand). Its in-flight quote stays
        `polling` (not deleted); the other batches of the account go on."""
        # Flags only, no store write: callable from the GUI thread. A batch not in hand is
        # paused by the engine when its turn comes (and by the caller in the store, if it wants
        # the pause to hold while no engine runs).
        for commands in self._lane_commands:
            commands.pause(batch_id)

    def stop(self) -> None:
        """App closing: leave at once; unfinished batches resume on the next start.

        Final: this Processor runs nothing more afterwards. An HTTP call under way is aborted
        where the client can (an optional `abort()`); the row keeps the state written before it.
        """
        for commands in self._lane_commands:
            commands.stop()
        abort = getattr(self._client, "abort", None)
        if callable(abort):
            abort()

    def nudge(self) -> None:
        """A batch was submitted or resumed: a waiting engine looks again now."""
        for commands in self._lane_commands:
            commands.nudge()

    def cancel(self, batch_id: int) -> None:
        """Cancel a batch, whether or not its row is in hand.

        Never-submitted rows are cancelled at once (in the store). For the batch in hand the
        engine then DELETEs the quote in flight; for any other, quotes it left in flight are
        owed a DELETE (see `send_pending_deletes`).
        """
        in_hand = [c for c in self._lane_commands if c.current_batch == batch_id]
        if in_hand:   # each lane with a row of it cancels that row's quote; a lane that takes
            for commands in in_hand:   # another row of it meanwhile reads the cancel in the store
                commands.cancel(batch_id)
            with engine_store.in_transaction(self._sf) as session:
                batch_store.request_cancel(session, batch_id, include_active=False)
            self.nudge()
            return
        with engine_store.in_transaction(self._sf) as session:
            batch_store.request_cancel(session, batch_id, include_active=True)   # DELETEs owed with it
        self._runner.outcomes.emit_batch(batch_id, BatchStatus.CANCELLED, "cancelled by the user")

    def send_pending_deletes(self) -> int:
        """One pass over the clean-up owed to the account; returns how many quotes were DELETEd."""
        return self._runner.owed.run_once().sent

    @property
    def cleanup_owed(self) -> int:
        return self._runner.owed.owed

    # ------------------------------------------------------------------ running

    def run_unfinished(self, *, until_idle: bool = True) -> RunResult:
        """Every unfinished batch of the account, in fair turns, until none is left (or, with
        until_idle=False, until stop()). Stops early on stop() and on a refused key."""
        if self.commands.stopped:
            return RunResult(stopped=True)
        self.last_result = self._run_lanes(until_idle=until_idle)
        return self.last_result

    def run_batch(self, batch_id: int) -> str:
        """Process one batch until it is complete, paused, cancelled or the processor is stopped.

        Returns the batch's status afterwards ("running" when stopped mid-way). Raises KeyError
        for an unknown batch.
        """
        status = self._runner.status(batch_id)
        if self.commands.stopped or status not in (BatchStatus.PENDING, BatchStatus.RUNNING):
            return status
        self.last_result = self._run_lanes(only_batch=batch_id)
        if self.last_result.stopped and batch_id in self.last_result.statuses:
            return self.last_result.statuses[batch_id]   # as the run's end read it (or, the
        return self._runner.status(batch_id)             # store away, as last seen)

    def _run_lanes(self, **how: object) -> RunResult:
        """Every lane's run (lane 0 on this thread, the others on threads of their own), their
        results merged: a batch's status as the store has it at the end."""
        runners = self._runners
        if len(runners) == 1:
            return runners[0].run(**how)  # type: ignore[arg-type]

        def stop_every_lane() -> None:   # one lane's error ends the account's line
            for commands in self._lane_commands:
                commands.stop()

        results = run_side_by_side([lambda r=r: r.run(**how) for r in runners],  # type: ignore[arg-type]
                                   name=f"account-{self.account.id}-lane", on_error=stop_every_lane)
        merged = why_they_ended(results)
        for batch_id in sorted({b for r in results for b in r.statuses}):
            try:
                merged.statuses[batch_id] = self._runner.status(batch_id)
            except Exception:  # the store away at the end: as the last lane saw it
                merged.statuses[batch_id] = next(r.statuses[batch_id] for r in reversed(results)
                                                 if batch_id in r.statuses)
        return merged
