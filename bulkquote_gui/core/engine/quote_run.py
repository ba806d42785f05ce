"""One row's state machine: submit (POST until the API made the quote), poll (GET until it ends),
record. See core/states.py for the diagram.

Each state is committed BEFORE its side effect: `submitting` (fenced by the lease token) before
the first POST, the remote id with `polling` right after it. A process killed at any instant
leaves rows the next holder finishes without asking twice: `submitting` rows are re-POSTed with
the same key (the API answers with the original quote), `polling` rows go on polling, their
timeout counted from the stored submit time (the moment the POST was answered).

Timeouts count only time the row itself is at stake: a row's quote timeout starts when its quote
exists; before that, only time lost to transient faults counts. Waiting for another client's
quote (409 with an id none of our rows stored) or for an unreachable API counts for nothing:
that is the account's wait, shown as such, and never fails a row.

Never cancel a quote that is not ours: a blocking quote is ours only by a remote id stored with
one of our rows, never by its reference text. Someone else's is waited for (GET, honouring
Retry-After, at most a little past the API's own 30-minute expiry).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.engine.api_gate import ApiGate
from bulkquote_gui.core.engine.cleanup import OwedCalls
from bulkquote_gui.core.engine.commands import Commands, Interrupted, StepResult
from bulkquote_gui.core.engine.outcomes import Outcomes, auth_message, submitting_event, with_field
from bulkquote_gui.core.engine.policy import Timing
from bulkquote_gui.core.quoting.provider import (
    AuthError,
    Busy,
    NotFound,
    ProviderError,
    QuoteStatus,
    RemoteQuote,
    Throttled,
    TransientError,
    name_of,
)
from bulkquote_gui.core.states import BatchStatus, RowState, WaitReason
from bulkquote_gui.core.store.accounts import Fence, LeaseLost

log = logging.getLogger(__name__)

# (reason, message, blocker id) -> None: the account's wait, for the store and the listener.
AccountWaitReporter = Callable[[str, str, "str | None"], None]


class AuthRefused(Interrupted):
    """401: the key is wrong; the batch pauses and the rep is told (no row fails for it)."""

    def __init__(self, exc: ProviderError, batch_id: int | None, provider: str = "") -> None:
        super().__init__(BatchStatus.PAUSED, auth_message(exc, provider), batch_id)


class QuoteRun:
    """Runs rows one at a time for one account (engine thread)."""

    def __init__(self, session_factory: sessionmaker[Session], gate: ApiGate, clock: Clock,
                 timing: Timing, commands: Commands, outcomes: Outcomes, owed: OwedCalls, *,
                 fence: Callable[[], Fence | None], check_fence: Callable[[], None],
                 report_wait: AccountWaitReporter) -> None:
        self._sf = session_factory
        self._api = gate
        self._provider = name_of(gate.client)   # named in the rep's sentence for a refused key
        self._clock = clock
        self._timing = timing
        self._config = timing.config
        self._commands = commands
        self._outcomes = outcomes
        self._owed = owed
        self._fence = fence
        self._check_fence_raw = check_fence
        self._report_wait = report_wait
        self._waiting_on: str | None = None   # the blocker we told the world about
        # (row id, stored submit time) -> (seconds used before, monotonic time taken up)
        self._deadlines: dict[tuple[int, object], tuple[float, float]] = {}

    # ------------------------------------------------------------------ one row

    def run(self, row: work_store.RowWork) -> None:
        """Take the row as far as it goes; raises Interrupted for commands, lease loss, 401."""
        # Left `submitting` by an earlier run or holder: its POST may have gone out, unanswered.
        resumed_submitting = row.status == RowState.SUBMITTING
        try:
            if row.status == RowState.PENDING:
                now = self._clock.now()
                fence = self._fence()
                try:
                    if not self._outcomes.write_row(row.id, lambda s: row_store.mark_submitting(
                            s, row, now, fence=fence), one_statement=True,
                            known=submitting_event(row)):
                        return  # changed under us (cancelled): the caller picks the next row
                except LeaseLost as exc:
                    raise Interrupted(StepResult.LEASE_LOST, str(exc)) from None
                row = replace(row, status=RowState.SUBMITTING, submitted_at=now,
                              attempts=row.attempts + 1)
                fenced_now = True
            else:
                fenced_now = False
            if row.status == RowState.SUBMITTING:
                posted = self._submit(row, post_unanswered=resumed_submitting,
                                      fenced_now=fenced_now)
                if posted is None:
                    return
                remote_id, delay, posted_at = posted
                row = replace(row, submitted_at=posted_at)  # the quote's creation, as stored
            elif row.status == RowState.POLLING and row.remote_id:
                remote_id, delay = row.remote_id, 0.0  # resumed: ask at once
            else:
                return
            self._poll(replace(row, status=RowState.POLLING, remote_id=remote_id), remote_id, delay)
        except Interrupted as stop:
            if stop.kind == BatchStatus.CANCELLED:
                self.cancel_row(row.id, post_unanswered=stop.post_unanswered)
            raise
        except SQLAlchemyError:
            raise  # the store itself is failing: nothing can be recorded, stop the run
        except Exception as exc:  # a bug or an unforeseen answer: this row fails, the batch goes on
            log.exception("row %s of batch %s failed unexpectedly", row.row_number, row.batch_id)
            self._outcomes.finish_failed(row.id, "internal_error",
                                         f"unexpected error in BulkQuote: {type(exc).__name__}: {exc}")
        finally:
            self._clear_account_wait()

    def _check_fence(self) -> None:
        try:
            self._check_fence_raw()
        except LeaseLost as exc:
            raise Interrupted(StepResult.LEASE_LOST, str(exc)) from None

    def _submit(self, row: work_store.RowWork, *, post_unanswered: bool = False,
                fenced_now: bool = False) -> tuple[str, float, Any] | None:
        """POST until the row has a remote quote (-> its id, first poll delay and the stored
        submit time) or has ended.

        `post_unanswered`: a POST of this key may already be out (a row resumed `submitting`).
        While one may be, a row that ends before an answer (timeout, cancel) owes a replay of
        its key: the quote that POST may have made must not stay in flight, nor its price lost.
        """
        transient_tries = 0
        throttled_tries = 0
        blocked_tries = 0
        transient_spent = 0.0    # only time lost to transient faults counts against the row
        try:
            while True:
                self._commands.check()
                if not fenced_now:
                    self._check_fence()  # a holder that lost its lease sends nothing more
                fenced_now = False
                attempt_started = self._clock.monotonic()
                lost_before = self._api.lost_s   # an outage inside the call is not the row's time
                budget = self._budget(self._config.quote_timeout_s - transient_spent)
                try:
                    # A POST of this key may be out: ask for its quote rather than a new one.
                    ask = self._api.find if post_unanswered else self._api.submit
                    reply = ask(row.request, row.idempotency_key, within=budget)
                except AuthError as exc:
                    raise AuthRefused(exc, row.batch_id, self._provider) from None
                except Busy as exc:
                    # An answer to this key: were a quote behind it, the API would have
                    # replayed it (200), not refused the POST.
                    post_unanswered = False
                    adopted = self._blocked(exc, row, blocked_tries)
                    blocked_tries += 1
                    if adopted is not None:
                        return adopted
                    continue
                except Throttled as exc:
                    # Past the quotes the seller allows in progress (another lane, process
                    # or buyer holds them): wait, the row's time stands still. A gateway may
                    # answer so after the seller took the POST: look before sending again.
                    post_unanswered = True
                    throttled_tries += 1
                    self._commands.sleep(self._timing.retry_delay(exc.retry_after,
                                                                  throttled_tries - 1))
                    continue
                except TransientError as exc:
                    transient_tries += 1
                    post_unanswered = True  # the server may have made the quote all the same
                    transient_spent += (self._clock.monotonic() - attempt_started
                                        - (self._api.lost_s - lost_before))
                    left = self._config.quote_timeout_s - transient_spent
                    if left <= 0:
                        return self._submit_timed_out(row, maybe_created=True, last=exc)
                    # Never sleep past the row's timeout: a huge Retry-After would hold the batch.
                    delay = min(self._timing.retry_delay(exc.retry_after, transient_tries - 1), left)
                    self._commands.sleep(delay)
                    transient_spent += delay
                    continue
                except ProviderError as exc:  # permanent: 400/404/422 and anything unexpected
                    self._outcomes.finish_failed(row.id, exc.code, with_field(exc))
                    return None
                self._clear_account_wait()
                quote = reply.quote
                if reply.replayed and quote.status == QuoteStatus.CANCELLED:
                    # Asked again after a cancel, the key's quote was cancelled at the API: its
                    # replay can only answer that. A new key asks for a quote (one, not two:
                    # the old one has no price).
                    # The new key is committed before the POST that sends it.
                    with engine_store.in_transaction(self._sf) as session:
                        new_key = row_store.renew_key(session, row.id, row.idempotency_key)
                    if new_key is None:
                        return None   # the row moved on (cancelled again)
                    log.info("row %s: quote %s was cancelled; asking again with a new key",
                             row.row_number, quote.id)
                    row = replace(row, idempotency_key=new_key, remote_id=None)
                    post_unanswered = False
                    continue
                # The quote's own timeout runs from its creation: an outage that held the POST
                # back must not leave the quote only moments before it is given up on.
                if quote.status == QuoteStatus.COMPLETE and quote.result is not None:
                    # Priced in the POST's answer (a Sonata seller may answer at once): nothing
                    # more is asked of the API, so the result's own write stores the quote id;
                    # `polling` first would be one round trip for nothing. A crash before it
                    # leaves the row `submitting`, found again by its key like any lost answer.
                    self._outcomes.record_terminal(row.id, quote)
                    return None
                posted_at = self._clock.now()
                self._outcomes.write_row(row.id, lambda s: row_store.mark_polling(
                    s, row.id, quote.id, posted_at=posted_at), one_statement=True,
                    still_active_as=RowState.POLLING)
                if quote.terminal:
                    self._outcomes.record_terminal(row.id, quote)
                    return None
                return quote.id, self._timing.poll_delay(reply.retry_after), posted_at
        except Interrupted as stop:
            stop.post_unanswered = post_unanswered  # for cancel_row
            raise

    def _submit_timed_out(self, row: work_store.RowWork, *, maybe_created: bool,
                          last: ProviderError) -> None:
        """No quote could be made within the row's timeout: the row fails. If an answer may have
        been lost after the server made the quote, its key is replayed later (clean-up owed)."""
        # One transaction: a crash in between must not leave a replay owed for a row that the
        # next run re-POSTs (the replay would then DELETE the quote the row is polling).
        # The last fault says why (a redirect, 503s, a drip), not only that time ran out.
        message = f"{self._timeout_message(sent=False)}: {last}"
        self._outcomes.finish_failed(row.id, "timeout", message, owe_replay=maybe_created)
        return None

    def _poll(self, row: work_store.RowWork, remote_id: str, delay: float) -> None:
        """GET the row's quote until it is terminal, times out, or the batch is interrupted."""
        transient_tries = 0
        outages = self._api.outages
        while True:
            self._commands.sleep(min(delay, max(0.0, self._time_left(row))))
            try:
                reply = self._api.poll(remote_id, within=self._budget(self._time_left(row)))
            except AuthError as exc:
                raise AuthRefused(exc, row.batch_id, self._provider) from None
            except TransientError as exc:
                row, outages = self._after_outage(row, outages)
                if self._timed_out(row):
                    self._give_up(row, remote_id)
                    return
                delay = self._timing.retry_delay(exc.retry_after, transient_tries)
                transient_tries += 1
                continue
            except NotFound as exc:
                self._outcomes.finish_failed(row.id, "not_found",
                                             f"the API no longer knows quote {remote_id}: {exc.message}")
                return
            except ProviderError as exc:
                self._outcomes.finish_failed(row.id, exc.code, with_field(exc))
                return
            transient_tries = 0
            if reply.quote.terminal:
                self._outcomes.record_terminal(row.id, reply.quote)
                return
            row, outages = self._after_outage(row, outages)
            if self._timed_out(row):
                self._give_up(row, remote_id)
                return
            delay = self._timing.poll_delay(reply.retry_after)

    def _after_outage(self, row: work_store.RowWork, outages: int) -> tuple[work_store.RowWork, int]:
        """The gate gave time back to polling rows after an outage: reread this row's deadline."""
        if self._api.outages == outages:
            return row, outages
        fresh = self._load(row.id)
        return replace(row, submitted_at=fresh.submitted_at), self._api.outages

    # ------------------------------------------------------------------ a blocked account

    def _blocked(self, exc: Busy, row: work_store.RowWork, tries: int
                 ) -> tuple[str, float, Any] | None:
        """409: some quote blocks the account. Adopt it if it is this row's, finish it for its own
        row if it is another of ours still wanted, DELETE it if it is ours and unwanted, and wait
        for it if it is anyone else's. Returns (remote id, poll delay) when it was this row's."""
        blocker_id = exc.in_flight_id
        if not blocker_id:  # nothing to look at: back off (not counted against the row), retry
            self._report_account_wait(None)
            self._commands.sleep(self._timing.retry_delay(exc.retry_after, tries))
            return None
        try:
            reply = self._api.poll(blocker_id)
        except AuthError as auth:
            raise AuthRefused(auth, row.batch_id, self._provider) from None
        except ProviderError:
            # Gone (404) or a hiccup: retry the POST, after a pause if this keeps happening.
            if tries:
                self._commands.sleep(self._timing.retry_delay(exc.retry_after, tries - 1))
            return None
        blocking = reply.quote
        if blocking.terminal:
            return None
        with self._sf() as session:
            owner = work_store.find_row_for_remote(session, blocking.id)
        if owner is None:
            self._wait_for_foreign(blocking.id, reply.retry_after, row.batch_id)
            return None
        if owner.row_id == row.id:
            log.info("row %s: adopting quote %s found in flight", row.row_number, blocking.id)
            self._outcomes.write_row(row.id, lambda s: row_store.mark_polling(s, row.id, blocking.id))
            return blocking.id, self._timing.poll_delay(reply.retry_after), row.submitted_at
        if owner.status.active and owner.batch_status != BatchStatus.CANCELLED:
            log.info("row %s of batch %s: finishing its quote %s first",
                     owner.row_number, owner.batch_id, blocking.id)
            self._outcomes.write_row(owner.row_id, lambda s: row_store.mark_polling(
                s, owner.row_id, blocking.id))
            self._poll(self._load(owner.row_id), blocking.id, self._timing.poll_delay(reply.retry_after))
            return None
        # Ours, but no longer wanted (its row ended, or its batch was cancelled): cancel it.
        self._check_fence()
        try:
            after = self._api.cancel(blocking.id).quote
        except AuthError as auth:
            raise AuthRefused(auth, row.batch_id, self._provider) from None
        except ProviderError:
            after = blocking
        if after.terminal:
            self._record_for_owner(owner, after)
        else:
            self._commands.sleep(self._timing.poll_delay(reply.retry_after))
        return None

    def _wait_for_foreign(self, blocker_id: str, retry_after: float | None, batch_id: int) -> None:
        """Someone else's paid work is in flight on the account: wait for it to end (GET it,
        honouring Retry-After), never DELETE it. At most foreign_wait_max_s on one blocker."""
        log.info("account blocked by another client's quote %s; waiting for it", blocker_id)
        self._report_account_wait(blocker_id)
        started = self._clock.monotonic()
        delay = self._timing.poll_delay(retry_after)
        tries = 0
        while self._clock.monotonic() - started < self._config.foreign_wait_max_s:
            self._commands.sleep(delay)
            try:
                reply = self._api.poll(blocker_id)
            except AuthError as auth:
                raise AuthRefused(auth, batch_id, self._provider) from None
            except TransientError as exc:
                delay = self._timing.retry_delay(exc.retry_after, tries)
                tries += 1
                continue
            except ProviderError:
                return  # 404: gone
            if reply.quote.terminal:
                return
            tries = 0
            delay = self._timing.poll_delay(reply.retry_after)
        log.warning("quote %s has blocked the account for %.0f s, past the API's own expiry",
                    blocker_id, self._clock.monotonic() - started)

    def _report_account_wait(self, blocker_id: str | None) -> None:
        key = blocker_id or "?"
        if self._waiting_on == key:
            return
        self._waiting_on = key
        what = f"another client's quote {blocker_id} is in flight" if blocker_id \
            else "another client's quote is in flight"
        self._report_wait(WaitReason.ACCOUNT, f"waiting for the account: {what}", blocker_id)

    def _clear_account_wait(self) -> None:
        if self._waiting_on is not None:
            self._waiting_on = None
            self._report_wait(WaitReason.NONE, "", None)

    def _record_for_owner(self, owner: work_store.RowOwner, quote: RemoteQuote) -> None:
        """A quote of a row we had lost track of ended while clearing the account: keep the answer."""
        if owner.status.terminal or quote.status != QuoteStatus.COMPLETE:
            return
        if owner.status == RowState.PENDING:
            return  # the row will ask again with its own key
        self._outcomes.record_terminal(owner.row_id, quote)

    # ------------------------------------------------------------------ giving up, cancelling

    def _give_up(self, row: work_store.RowWork, remote_id: str) -> None:
        """The row's timeout passed: DELETE its quote (never leave the account blocked), fail it.

        If the DELETE finds the quote already finished (complete or failed), that answer is kept.
        """
        self._check_fence()
        final = self.delete_or_owe(remote_id, row.id)
        if final is not None and final.terminal and final.status != QuoteStatus.CANCELLED:
            self._outcomes.record_terminal(row.id, final)
            return
        self._outcomes.finish_failed(row.id, "timeout",
                                     self._timeout_message(sent=True, confirmed=final is not None))

    def cancel_row(self, row_id: int, *, post_unanswered: bool = False) -> None:
        """The rep cancelled while this row was in flight: DELETE its quote, row cancelled.

        A quote found already finished keeps its answer (a price already paid for is not lost).
        With no remote id but a POST unanswered, the quote that POST may have made is found by
        replaying the row's key (owed with the cancel, settled before the batch ends).
        """
        current = self._load(row_id)
        if current.status in (RowState.COMPLETE, RowState.FAILED):
            return
        # Also when another process already marked it cancelled: the quote may still be in flight.
        final = self.delete_or_owe(current.remote_id, row_id) if current.remote_id else None
        if final is not None and final.terminal and final.status != QuoteStatus.CANCELLED:
            if current.status == RowState.CANCELLED:   # by another process: reopen it for this
                self._outcomes.record_late(row_id, final)
            else:
                self._outcomes.record_terminal(row_id, final)
            return
        owe_replay = post_unanswered and current.remote_id is None
        now = self._clock.now()
        self._outcomes.write_row(row_id, lambda s: row_store.mark_cancelled(
            s, row_id, now, owe_replay=owe_replay))

    def delete_or_owe(self, remote_id: str, row_id: int | None = None) -> RemoteQuote | None:
        """DELETE our quote with a few quick retries; if that does not get through, the DELETE
        is owed (settled before the next POST and at the batch's end). None when not confirmed."""
        client = self._api.client  # no waiting for an unreachable API here: owe it instead
        for attempt in range(self._config.delete_attempts):
            try:
                return client.cancel(remote_id).quote
            except TransientError as exc:
                if attempt + 1 == self._config.delete_attempts or self._commands.pending():
                    self._owed.defer(exc.retry_after)  # the owed DELETE waits for it too
                    break
                # A command cuts the wait short; the DELETE is then owed (settled later).
                if self._commands.wait_unless_command(self._timing.retry_delay(exc.retry_after, attempt)):
                    break
            except AuthError as exc:
                log.info("DELETE %s refused (401): %s", remote_id, exc)
                break
            except ProviderError as exc:  # 404: nothing left to cancel
                log.info("DELETE %s: %s", remote_id, exc)
                return None
        with engine_store.in_transaction(self._sf) as session:
            cleanup_store.owe_delete(session, remote_id, row_id)
        return None

    # ------------------------------------------------------------------ time

    def _time_left(self, row: work_store.RowWork) -> float:
        """The row's quote timeout left. What elapsed before this process took the row up comes
        from the stored wall-clock submit time (it survives restarts); from then on monotonic
        time counts, so a wall clock set forward or back, or a laptop's sleep, takes nothing."""
        key = (row.id, row.submitted_at)
        if key not in self._deadlines:
            started = row.submitted_at or self._clock.now()
            before = (self._clock.now() - started).total_seconds()
            self._deadlines = {key: (min(max(0.0, before), self._config.quote_timeout_s),
                                     self._clock.monotonic())}
        before, taken_up = self._deadlines[key]
        return self._config.quote_timeout_s - before - (self._clock.monotonic() - taken_up)

    def _budget(self, left: float) -> float:
        """How long one call may take: the row's time left, so a slow answer (a drip of bytes)
        cannot hold the row past its timeout, but at least last_call_s, so the poll made at
        the deadline can still be answered."""
        return max(left, self._config.last_call_s)

    def _timed_out(self, row: work_store.RowWork) -> bool:
        return self._time_left(row) <= 0

    def _timeout_message(self, *, sent: bool, confirmed: bool = True) -> str:
        limit = f"{self._config.quote_timeout_s:g} s"
        if not sent:
            return f"no quote could be requested within {limit}"
        if confirmed:
            return f"no answer within {limit}; the quote was cancelled"
        return f"no answer within {limit}; cancelling the quote was not confirmed"

    def _load(self, row_id: int) -> work_store.RowWork:
        with self._sf() as session:
            row = work_store.load_row(session, row_id)
        if row is None:
            raise KeyError(f"no batch row {row_id}")
        return row
