"""The rep's commands to a running engine (pause, cancel, stop) and the engine's interruptible wait.

Commands may come from any thread: they set flags and wake the wait, so they take effect within a
second, not after a 15 s poll interval. A pause or cancel written to the store by another process
is noticed too: the wait rereads the running batch's status at most twice a second. Every slice
of the wait also renews the account's lease when due, so a long poll never lets it expire.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store.accounts import LeaseLost

class StepResult(StrEnum):
    """How one step of an account's line ended (core/engine/account_runner.py): what it does next."""

    HELD = "held"              # the lease is ours: take the next row
    IDLE = "idle"              # no row left (the holder did our work meanwhile): look again, or stop
    AUTH = "auth"              # the key was refused: nothing more can be sent with it
    STOPPED = "stopped"        # stop() (the app closing, a signal): end the run
    LEASE_LOST = "lease_lost"  # another holder took the lease, or the store went away: hold it again


class Interrupted(Exception):
    """The work in hand must end now. kind: BatchStatus.CANCELLED or PAUSED (of `batch_id`),
    StepResult.STOPPED or LEASE_LOST."""

    def __init__(self, kind: BatchStatus | StepResult, message: str = "", batch_id: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.message = message
        self.batch_id = batch_id
        self.post_unanswered = False  # set by the submit step: a POST of the row's key got no answer


class Commands:
    """Flags set by commands, read by the engine's wait; one per engine (one account)."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, *,
                 check_s: float = 1.0) -> None:
        self._sf = session_factory
        self._clock = clock
        self._check_s = check_s
        self._lock = threading.Lock()
        self.wake = threading.Event()
        self._stop = False
        self._pause: set[int] = set()
        self._pause_current = False
        self._cancel: set[int] = set()
        self._current: int | None = None
        self._store_checked_at = float("-inf")
        self._store_checked_batch: int | None = None
        self.heartbeat: Callable[[], None] = lambda: None   # the lease's renewal, set by the runner

    # ------------------------------------------------------------ any thread
    def stop(self) -> None:
        with self._lock:
            self._stop = True
        self.wake.set()

    def pause(self, batch_id: int | None = None) -> None:
        """Pause `batch_id`, or with None the batch being worked on now."""
        with self._lock:
            if batch_id is None:
                self._pause_current = True
            else:
                self._pause.add(batch_id)
        self.wake.set()

    def cancel(self, batch_id: int) -> None:
        with self._lock:
            self._cancel.add(batch_id)
        self.wake.set()

    def nudge(self) -> None:
        """Something changed (a batch submitted, resumed): look again now."""
        self.wake.set()

    def cancel_asked(self, batch_id: int) -> bool:
        with self._lock:
            return batch_id in self._cancel

    @property
    def stopped(self) -> bool:
        with self._lock:
            return self._stop

    @property
    def current_batch(self) -> int | None:
        with self._lock:
            return self._current

    # ------------------------------------------------------------ the engine's thread
    def working_on(self, batch_id: int | None) -> None:
        """The batch whose row is in hand now (its commands interrupt the wait)."""
        with self._lock:
            if batch_id is not None and batch_id != self._store_checked_batch:
                self._store_checked_at = float("-inf")   # another batch: read its status at once
            self._current = batch_id

    def take_pause(self, batch_id: int) -> bool:
        """True (once) if a pause of this batch was asked for."""
        with self._lock:
            asked = batch_id in self._pause or (self._pause_current and self._current == batch_id)
            self._pause.discard(batch_id)
            if self._current == batch_id:
                self._pause_current = False
            return asked

    def take_cancel(self, batch_id: int) -> bool:
        with self._lock:
            asked = batch_id in self._cancel
            self._cancel.discard(batch_id)
            return asked

    def forget(self, batch_id: int) -> None:
        with self._lock:
            self._cancel.discard(batch_id)
            self._pause.discard(batch_id)

    def check(self) -> None:
        """Raise Interrupted if the engine must stop what it is doing (see the module docstring)."""
        try:
            self.heartbeat()
        except LeaseLost as exc:
            raise Interrupted(StepResult.LEASE_LOST, str(exc)) from None
        with self._lock:
            if self._stop:
                raise Interrupted(StepResult.STOPPED)
            batch_id = self._current
            if batch_id is None:
                return
            if batch_id in self._cancel:
                raise Interrupted(BatchStatus.CANCELLED, "cancelled by the user", batch_id)
            if batch_id in self._pause or self._pause_current:
                raise Interrupted(BatchStatus.PAUSED, "paused by the user", batch_id)
        # Another process's cancel or pause is read from the store, at most twice a second per
        # batch (the next row is read with its batch's status, so a row's start needs no read).
        now = self._clock.monotonic()
        if batch_id == self._store_checked_batch and now - self._store_checked_at < self._check_s / 2:
            return
        self._store_checked_at, self._store_checked_batch = now, batch_id
        with engine_store.autocommit(self._sf) as session:   # one read: no BEGIN, no ROLLBACK
            status = view_store.batch_status(session, batch_id)
        if status == BatchStatus.CANCELLED:
            raise Interrupted(BatchStatus.CANCELLED, "cancelled by the user", batch_id)
        if status == BatchStatus.PAUSED:
            raise Interrupted(BatchStatus.PAUSED, "paused", batch_id)

    def pending(self, any_command: bool = True) -> bool:
        """stop() was called; with `any_command`, also a pause or cancel of the batch in hand."""
        if not any_command:
            return self.stopped
        try:
            self.check()
        except Interrupted:
            return True
        return False

    def sleep(self, seconds: float) -> None:
        """Wait, in slices short enough that a command or a change in the store stops it in time."""
        deadline = self._clock.monotonic() + seconds
        self.check()
        while (remaining := deadline - self._clock.monotonic()) > 0:
            if self._clock.wait(min(remaining, self._check_s), self.wake):
                self.wake.clear()
            self.check()

    def wait_unless_command(self, seconds: float, any_command: bool = True) -> bool:
        """Wait in slices; True (at once) if a command is pending (see `pending`)."""
        wait_until = self._clock.monotonic() + seconds
        while (left := wait_until - self._clock.monotonic()) > 0:
            if self._clock.wait(min(left, self._check_s), self.wake):
                self.wake.clear()
            if self.pending(any_command):
                return True
        return False

    def idle_wait(self, seconds: float) -> None:
        """Between batches (nothing in hand): wait for a nudge or a stop, renewing the lease."""
        deadline = self._clock.monotonic() + seconds
        while not self.stopped and (left := deadline - self._clock.monotonic()) > 0:
            if self._clock.wait(min(left, self._check_s), self.wake):
                self.wake.clear()
                return
            try:
                self.heartbeat()
            except LeaseLost:
                return
