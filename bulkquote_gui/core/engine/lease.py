"""The account's lease as one engine holds it: acquire, renew on a heartbeat, fence, release.

    follower --acquire (free, or the holder's lease expired)--> holder (token n+1)
    holder --renew every ttl/3--> holder          holder --renew finds token gone--> follower
    holder --release (clean stop)--> follower     (another process may take it at once)

The token, not the clock, keeps two holders from sending: see core/store/accounts.py.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.output.durations import duration_text
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store.accounts import Fence, Holder, LeaseLost, LeaseState


def this_process(role: str) -> Holder:
    """A holder for this process: a random instance id and "host pid N (role)" for people."""
    return Holder(instance_id=uuid.uuid4().hex,
                  description=f"{socket.gethostname()} pid {os.getpid()} ({role})")


_ROLE_WORDS = {"cli": "command"}   # "the previous BulkQuote command", not "… cli"
_DESCRIPTION = re.compile(r"^(?P<host>.+) pid (?P<pid>\d+) \((?P<role>[^)]*)\)$")


def holder_stopped(description: str) -> bool:
    """Whether the holder this_process() described is a process of this machine that is gone (a
    window killed or crashed): its lease stays until it expires, nothing else is wrong."""
    match = _DESCRIPTION.match(description)
    if match is None or match["host"] != socket.gethostname():
        return False   # another machine's process: it may well be running
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False   # alive under another user (or no such pid number at all)
    return False


def waiting_message(state: LeaseState | None, now: datetime) -> str:
    """What a process waiting for the lease tells the rep, said once per holder: who holds it,
    or that the previous BulkQuote stopped and about when its lease runs out."""
    who = state.holder if state is not None and state.holder else "another BulkQuote"
    if state is None or state.expires_at is None or not holder_stopped(state.holder):
        return f"waiting for the account's lease: held by {who}"
    match = _DESCRIPTION.match(state.holder)
    assert match is not None
    left = duration_text(max(1.0, (state.expires_at - now).total_seconds()))
    role = _ROLE_WORDS.get(match["role"], match["role"])
    return (f"the previous BulkQuote {role} (pid {match['pid']}) stopped without "
            f"handing the account over; this one takes over in about {left}, nothing is lost")


class LeaseKeeper:
    """One engine's hold on the lease of one account's lane (engine thread only)."""

    def __init__(self, session_factory: sessionmaker[Session], account_id: int, holder: Holder,
                 clock: Clock, *, ttl_s: float, lane: int = 0) -> None:
        self._sf = session_factory
        self.account_id = account_id
        self.lane = lane
        self.holder = holder
        self._clock = clock
        self._ttl_s = ttl_s
        self._token: int | None = None
        self._renewed_at = float("-inf")

    @property
    def held(self) -> bool:
        return self._token is not None

    @property
    def fence(self) -> Fence:
        if self._token is None:
            raise LeaseLost(f"the lease of account {self.account_id} is not held")
        return Fence(self.account_id, self.holder, self._token, self._ttl_s, self.lane)

    @property
    def token(self) -> int | None:
        return self._token

    def try_acquire(self) -> bool:
        token = account_store.acquire_lease(self._sf, self.account_id, self.holder, self._clock.now(),
                                    self._ttl_s, lane=self.lane)
        self._token = token
        if token is not None:
            self._renewed_at = self._clock.monotonic()
        return token is not None

    def heartbeat(self) -> None:
        """Renew when a third of the lease has passed; LeaseLost (and no longer held) if taken."""
        if self._token is None:
            return
        if self._clock.monotonic() - self._renewed_at < self._ttl_s / 3:
            return
        self.renew()

    def renew(self) -> None:
        fence = self.fence
        try:
            with self._sf.begin() as session:
                fence.check(session, self._clock.now())
        except LeaseLost:
            self._token = None
            raise
        self._renewed_at = self._clock.monotonic()

    def check_fence(self) -> None:
        """Before a side effect with no state change of its own (a re-POST, a DELETE)."""
        self.renew()

    def lost(self) -> None:
        """A fenced write failed: we no longer hold it."""
        self._token = None

    def release(self) -> None:
        if self._token is not None:
            account_store.release_lease(self._sf, self.account_id, self.holder, self._token, lane=self.lane)
            self._token = None

    def read(self) -> LeaseState | None:
        with self._sf() as session:
            return account_store.read_lease(session, self.account_id, lane=self.lane)
