"""Maintenance: the calls owed to the account, settled before the next POST and at a batch's end.

Owed (kept in the store, so a restart does not forget it): DELETEs of quotes of cancelled or
timed-out rows that did not get through, and POSTs whose answer was lost before their row timed
out (replayed with their key to learn the quote's id, then DELETEd). A quote found finished keeps
its answer on its row. What fails transiently stays owed. Only ever our own quotes: an owed item
names a quote by the id or key one of our rows stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.engine.commands import Commands
from bulkquote_gui.core.engine.outcomes import Outcomes
from bulkquote_gui.core.engine.policy import Timing
from bulkquote_gui.core.quoting.provider import AuthError, ProviderError, QuoteProvider, TransientError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanupResult:
    """What one pass did: quotes DELETEd, and the 401 that stopped it (retrying cannot help)."""

    sent: int = 0
    auth_error: ProviderError | None = None


class OwedCalls:
    """Settles what is owed to the account (engine thread, or a caller that owns the client)."""

    def __init__(self, session_factory: sessionmaker[Session], client: QuoteProvider, clock: Clock,
                 timing: Timing, commands: Commands, outcomes: Outcomes,
                 fence_check: Any = lambda: None, *, account_id: int | None = None) -> None:
        self._sf = session_factory
        self.account_id = account_id       # only this account's items: they need its key
        self._client = client
        self._clock = clock
        self._timing = timing
        self._commands = commands
        self._outcomes = outcomes
        self._fence_check = fence_check    # LeaseLost before any call if our lease was taken
        self._not_before = float("-inf")   # a server's Retry-After on clean-up calls
        self._seen: list[cleanup_store.Owed] | None = None   # see remember()

    @property
    def owed(self) -> int:
        with self._sf() as session:
            return cleanup_store.owed_count(session, self.account_id)

    def defer(self, retry_after: float | None) -> bool:
        """The server asked to wait (Retry-After): no clean-up call before then. True if so."""
        if retry_after is None:
            return False
        self._not_before = self._clock.monotonic() + self._timing.clamp(retry_after)
        return True

    def remember(self, owed: list[cleanup_store.Owed]) -> None:
        """What is owed, as the caller just read it in a transaction it had anyway: the next
        pass starts from it instead of reading again (each read costs round trips on a server).
        Only this account's holder settles its items, and every pass forgets it: never stale."""
        self._seen = owed

    def run_once(self) -> CleanupResult:
        """One pass over what is owed; a Retry-After met on the way ends it early."""
        owed, self._seen = self._seen, None
        if self._clock.monotonic() < self._not_before:
            return CleanupResult()
        if owed is None:
            with self._sf() as session:
                owed = work_store.owed_cleanup(session, self.account_id)
        if owed:
            self._fence_check()
        sent, auth_error = 0, None
        for item in owed:
            remote_id = item.remote_id
            if remote_id is None:
                assert item.request is not None and item.idempotency_key is not None
                try:
                    # Only what the lost POST made is wanted: a seller that can look without
                    # asking (Sonata) is not asked for a quote just to withdraw it.
                    reply = self._client.find(item.request, item.idempotency_key, or_submit=False)
                except AuthError as exc:
                    auth_error = exc
                    continue
                except TransientError as exc:
                    if self.defer(exc.retry_after):
                        break
                    continue
                except ProviderError:  # 409: a replay would have answered, so nothing of ours; refused;
                    # NotFound: the lost POST never arrived
                    self._settled(item.id)
                    continue
                if reply.quote.terminal:
                    # It finished while we could not hear: the answer (a price paid for) is kept.
                    self._outcomes.record_late(item.row_id, reply.quote, key=item.idempotency_key)
                    self._settled(item.id)
                    continue
                remote_id = reply.quote.id
                self._settled(item.id, now_delete=remote_id)
            try:
                final = self._client.cancel(remote_id).quote
            except AuthError as exc:
                auth_error = exc
                continue
            except TransientError as exc:
                log.info("could not cancel quote %s yet: %s", remote_id, exc)
                if self.defer(exc.retry_after):
                    break
                continue
            except ProviderError as exc:  # 404: gone already
                log.info("quote %s needs no cancel: %s", remote_id, exc)
                self._settled(item.id)
                continue
            sent += 1
            self._settled(item.id)
            if final.terminal:
                self._outcomes.record_late(item.row_id, final)  # finished before the DELETE
        return CleanupResult(sent=sent, auth_error=auth_error)

    def _settled(self, owed_id: int, *, now_delete: str | None = None) -> None:
        """The owed item is done (or became a DELETE to send), committed before the next call."""
        with engine_store.in_transaction(self._sf) as session:
            cleanup_store.owed_settled(session, owed_id, now_delete=now_delete)

    def settle(self, *, yield_to_commands: bool) -> ProviderError | None:
        """Keep clearing what is owed, with backoff, for up to cleanup_timeout_s.

        A cancel or a batch end must not leave the account blocked by one of our quotes. stop()
        ends it at once; with `yield_to_commands` a pause or cancel does too (what is owed stays
        in the store for the next run). Returns the 401 that stopped it, if the key was refused.
        """
        deadline = self._clock.monotonic() + self._timing.config.cleanup_timeout_s
        attempt = 0
        while True:
            result = self.run_once()
            if result.auth_error is not None:
                return result.auth_error
            if not self.owed or self._commands.pending(yield_to_commands):
                return None
            if self._clock.monotonic() >= deadline:
                log.warning("gave up clearing %d quote(s) off the account for now; the next run "
                            "goes on with it", self.owed)
                return None
            delay = max(self._timing.retry_delay(None, attempt),
                        self._not_before - self._clock.monotonic())
            if self._commands.wait_unless_command(delay, yield_to_commands):
                return None
            attempt += 1
