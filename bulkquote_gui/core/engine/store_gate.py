"""The store as the engine's line sees it: a database out of reach, or refusing writes, waits.

    a store call fails, known (safety.classify) --> the line waits: says why, probes one small
    write with backoff (0.5 s doubling to the API probe's ceiling) --> it goes through: the
    wait ends, the lease is taken again

A lost connection (the team's PostgreSQL restarting, the network gone, a SQLite file's share
unmounted) is like an unreachable API (api_gate): no row fails, no batch is paused (nothing
could record it anyway), and the line says "the database cannot be reached; waiting"; a
database locked by another program likewise. A full disk or a read-only database wait the same
way once the runner has paused the batch in hand with the sentence. Nothing recorded is lost: every state was committed before its side
effect, so a write that failed leaves the row where it was (a `submitting` row re-POSTs with its
key, a `polling` row polls again).

The wait tells its listener without reading the store (the batches it holds up are the ones the
runner knows), and the runner takes the lease again afterwards: the same token when nobody took
it meanwhile, else it follows the new holder (the fence, core/store/accounts.py).
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.engine.commands import Commands
from bulkquote_gui.core.engine.policy import Timing
from bulkquote_gui.core.store.safety import StoreUnavailable, probe_writable

log = logging.getLogger(__name__)

# (message, batch ids held up) -> None: tell the listener; ("", ()) ends the wait.
StoreWaitReporter = Callable[[str, tuple[int, ...]], None]


def wait_message(problem: StoreUnavailable) -> str:
    """What the line says while it waits for the store (the banner, the CLI line, the log)."""
    if problem.outage:
        return f"{problem.sentence}; waiting"
    return f"{problem.sentence}; BulkQuote tries again by itself"


class StoreGate:
    """Waits out a store that cannot be reached or written (engine thread)."""

    def __init__(self, session_factory: sessionmaker[Session], account_id: int, clock: Clock,
                 timing: Timing, commands: Commands, *, report: StoreWaitReporter) -> None:
        self._sf = session_factory
        self._account_id = account_id
        self._clock = clock
        self._timing = timing
        self._commands = commands
        self._report = report

    def wait(self, problem: StoreUnavailable, batch_ids: tuple[int, ...]) -> bool:
        """Say why the line waits, probe until the store takes a write again; False when stop()
        came first. (No time is given back to the polling rows, unlike the API's wait: their
        quotes went on at the API meanwhile, and the first poll afterwards reads how they ended.)"""
        started = self._clock.monotonic()
        message = wait_message(problem)
        # INFO: the listener says it already (the CLI's one line, the banner); the log keeps why.
        log.info("account %s: %s (%s)", self._account_id, message, problem.detail or problem.kind)
        self._report(message, batch_ids)
        if not self._probe_until_writable():
            return False
        lost = self._clock.monotonic() - started
        log.info("account %s: the database answers again after %.1f s", self._account_id, lost)
        self._report("", batch_ids)
        return True

    def _probe_until_writable(self) -> bool:
        attempt = 0
        while not self._commands.stopped:
            if self._clock.wait(self._timing.probe_delay(attempt), self._commands.wake):
                self._commands.wake.clear()   # a nudge or a command: only stop() ends the wait
                if self._commands.stopped:
                    return False
            attempt += 1
            if probe_writable(self._sf) is None:
                return True
        return False
