"""The sequential engine: one quote in flight at a time, in row order, crash-safe.

State machine per row (DESIGN.md):
    pending -> submitting -> polling -> complete | failed
    any open state -> cancelled (user);  timeout -> failed (DELETE sent)

Each state is committed BEFORE its side effect: `submitting` (with the row's idempotency key and
submit time) before the POST, the remote id with `polling` right after it. A process killed at
any instant therefore leaves rows the next run finishes without asking twice: `submitting` rows
are re-POSTed with the same key (the API answers with the original quote), `polling` rows go on
polling, their timeout counted from the stored submit time (the moment the POST was answered).

The account is never left blocked by one of our quotes: a DELETE that does not get through, or
a POST whose answer was lost before its row timed out, is owed and settled before the next POST
and at the batch's end; an answer found that way (a price already paid for) is kept on its row.
A quote blocking the account (409) counts as ours only by a remote id stored with one of our
rows, never by its reference text, which another install could share.

Commands (pause, stop, cancel) may come from another thread; they set flags and wake the
engine's interruptible wait, so they take effect within a second. A batch cancelled or paused by
another process is noticed too: the engine rereads the batch status twice a second.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core import store
from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.events import BatchEvent, Event, QuoteEvent
from bulkquote_gui.core.store.models import (
    BATCH_CANCELLED,
    BATCH_COMPLETE,
    BATCH_PAUSED,
    BATCH_RUNNING,
    ROW_ACTIVE,
    ROW_COMPLETE,
    ROW_FAILED,
    ROW_PENDING,
    ROW_POLLING,
    ROW_SUBMITTING,
    ROW_TERMINAL,
)
from bulkquote_gui.core.momentum import (
    ApiError,
    AuthError,
    NotFound,
    QuoteInFlight,
    RemoteQuote,
    TransientError,
)

log = logging.getLogger(__name__)

MANUAL_PRICING = "manual_pricing_required"


@dataclass(frozen=True)
class ProcessorConfig:
    poll_interval_s: float = 15.0        # between polls when the server sends no Retry-After
    quote_timeout_s: float = 300.0       # per quote, from its stored submit time
    retry_after_floor_s: float = 1.0     # a server's Retry-After is clamped to [floor, ceiling]
    retry_after_ceiling_s: float = 300.0
    backoff_base_s: float = 1.0          # transient faults without Retry-After: 1, 2, 4 ... s
    backoff_max_s: float = 60.0
    command_check_s: float = 1.0         # longest uninterrupted wait slice (pause/cancel latency)
    delete_attempts: int = 3             # quick tries to DELETE a quote we give up on, in place
    cleanup_timeout_s: float = 120.0     # how long a batch's end keeps trying to clear the account


class _Interrupted(Exception):
    """The batch must stop now: kind is cancelled, paused or stopped."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.message = message
        self.post_unanswered = False  # set by _submit: a POST of the row's key got no answer


class Processor:
    """Runs batches one quote at a time; see the module docstring for the guarantees.

    `client` is a MomentumClient (or any object with create_quote/get_quote/cancel_quote);
    `on_event` receives QuoteEvent/BatchEvent objects on the engine's thread.
    """

    def __init__(self, session_factory: sessionmaker[Session], client: Any, *,
                 clock: Clock | None = None,
                 on_event: Callable[[Event], None] = lambda e: None,
                 config: ProcessorConfig = ProcessorConfig(),
                 rng: random.Random | None = None) -> None:
        self._sf = session_factory
        self._client = client
        self._clock = clock or SystemClock()
        self._on_event = on_event
        self._config = config
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pause_requested = False
        self._stop_requested = False
        self._cancel_requested: set[int] = set()
        self._current_batch: int | None = None
        self._cleanup_auth_error: ApiError | None = None  # a 401 met while cleaning up
        self._auth_failed = False
        self._store_checked_at = float("-inf")
        self._cleanup_not_before = float("-inf")  # a server's Retry-After on clean-up calls

    # ------------------------------------------------------------------ commands (any thread)

    def pause(self) -> None:
        """The running batch becomes paused; its in-flight quote stays `polling` (not deleted)."""
        with self._lock:
            self._pause_requested = True
        self._wake.set()

    def stop(self) -> None:
        """App closing: leave at once, the batch stays running/pending and resumes next start.

        Final: this Processor runs nothing more afterwards (make a new one to run again). An
        HTTP call already under way is aborted where the client can (MomentumClient.abort); the
        row keeps the state written before the call, so the next start picks it up safely.
        """
        with self._lock:
            self._stop_requested = True
        self._wake.set()
        abort = getattr(self._client, "abort", None)
        if callable(abort):
            abort()

    def cancel(self, batch_id: int) -> None:
        """Cancel a batch, whether or not it is the one running.

        Never-submitted rows are cancelled at once (in the store). For the running batch the
        engine then DELETEs the quote in flight; for any other batch, quotes it left in flight
        are queued for DELETE (see `send_pending_deletes`).
        """
        with self._lock:
            running = self._current_batch == batch_id
            if running:
                self._cancel_requested.add(batch_id)
        if running:
            store.request_cancel(self._sf, batch_id, include_active=False)
            self._wake.set()
            return
        for remote_id, row_id in store.request_cancel(self._sf, batch_id, include_active=True):
            store.owe_delete(self._sf, remote_id, row_id)
        self._emit_batch(batch_id, BATCH_CANCELLED, "cancelled by the user")

    def send_pending_deletes(self) -> int:
        """One pass over the clean-up owed to the account; returns how many quotes were DELETEd.

        Owed (kept in the store, so a restart does not forget it): quotes of cancelled or
        timed-out rows whose DELETE did not get through, and POSTs whose answer was lost before
        their row timed out (replayed with their key to learn the quote's id, then DELETEd).
        A quote found finished keeps its answer on its row. What fails transiently stays owed.
        Runs on the engine's thread (before every POST), or by a caller that owns the client.
        A Retry-After met on the way ends the pass; none is tried again before it has passed.
        """
        if self._clock.monotonic() < self._cleanup_not_before:
            return 0
        with self._sf() as session:
            owed = store.owed_cleanup(session)
        sent = 0
        for item in owed:
            remote_id = item.remote_id
            if remote_id is None:
                assert item.request is not None and item.idempotency_key is not None
                try:
                    reply = self._client.create_quote(item.request, item.idempotency_key)
                except AuthError as exc:
                    self._cleanup_auth_error = exc
                    continue
                except TransientError as exc:
                    if self._defer_cleanup(exc.retry_after):
                        break
                    continue
                except ApiError:  # 409: a replay would have answered, so nothing of ours; refused
                    store.owed_settled(self._sf, item.id)
                    continue
                if reply.quote.terminal:
                    # It finished while we could not hear: the answer (a price paid for) is kept.
                    self._record_late(item.row_id, reply.quote, key=item.idempotency_key)
                    store.owed_settled(self._sf, item.id)
                    continue
                remote_id = reply.quote.id
                store.owed_settled(self._sf, item.id, now_delete=remote_id)
            try:
                final = self._client.cancel_quote(remote_id).quote
            except AuthError as exc:
                self._cleanup_auth_error = exc
                continue
            except TransientError as exc:
                log.info("could not cancel quote %s yet: %s", remote_id, exc)
                if self._defer_cleanup(exc.retry_after):
                    break
                continue
            except ApiError as exc:  # 404: gone already
                log.info("quote %s needs no cancel: %s", remote_id, exc)
                store.owed_settled(self._sf, item.id)
                continue
            sent += 1
            store.owed_settled(self._sf, item.id)
            if final.terminal:
                self._record_late(item.row_id, final)  # finished before the DELETE got through
        return sent

    def _defer_cleanup(self, retry_after: float | None) -> bool:
        """The server asked to wait (Retry-After): no clean-up call before then. True if so."""
        if retry_after is None:
            return False
        self._cleanup_not_before = self._clock.monotonic() + self._clamp(retry_after)
        return True

    @property
    def cleanup_owed(self) -> int:
        """Quotes (or lost POSTs) still to clear off the account."""
        with self._sf() as session:
            return store.owed_count(session)

    def _settle(self, *, yield_to_commands: bool) -> ApiError | None:
        """Keep clearing what is owed, with backoff, for up to cleanup_timeout_s.

        A cancel or a batch end must not leave the account blocked by one of our quotes: a
        short outage of DELETE would otherwise leave it so until the server expires it. stop()
        ends it at once; with `yield_to_commands` a pause or cancel does too (what is owed stays
        in the store for the next run). Returns the 401 that stopped it, if the key was refused
        (retrying cannot help then).
        """
        deadline = self._clock.monotonic() + self._config.cleanup_timeout_s
        attempt = 0
        self._cleanup_auth_error = None
        while True:
            self.send_pending_deletes()
            if self._cleanup_auth_error is not None:
                return self._cleanup_auth_error
            if not self.cleanup_owed or self._command_pending(yield_to_commands):
                return None
            if self._clock.monotonic() >= deadline:
                log.warning("gave up clearing %d quote(s) off the account for now; the next run "
                            "goes on with it", self.cleanup_owed)
                return None
            delay = max(self._retry_delay(None, attempt),
                        self._cleanup_not_before - self._clock.monotonic())
            if self._wait_unless_command(delay, yield_to_commands):
                return None
            attempt += 1

    def _wait_unless_command(self, seconds: float, any_command: bool = True) -> bool:
        """Wait in short slices; True (at once) if a command is pending (see _command_pending)."""
        wait_until = self._clock.monotonic() + seconds
        while (left := wait_until - self._clock.monotonic()) > 0:
            if self._clock.wait(min(left, self._config.command_check_s), self._wake):
                self._wake.clear()
            if self._command_pending(any_command):
                return True
        return False

    def _command_pending(self, any_command: bool = True) -> bool:
        """stop() was called; with `any_command`, also a pause or cancel of the running batch
        (in this process, or in the store by another one)."""
        if not any_command:
            return self._stop_requested
        try:
            self._check_interrupt()
        except _Interrupted:
            return True
        return False

    # ------------------------------------------------------------------ running

    def run_unfinished(self) -> None:
        """Every unfinished batch, oldest first (start-up resume). Stops on pause, stop, bad key."""
        tried: set[int] = set()
        while True:
            with self._sf() as session:
                ids = [i for i in store.unfinished_batch_ids(session) if i not in tried]
            if not ids or self._stop_requested:
                return
            tried.add(ids[0])
            status = self.run_batch(ids[0])
            if self._stop_requested or self._auth_failed or status == BATCH_PAUSED:
                return

    def run_batch(self, batch_id: int) -> str:
        """Process the batch until it is complete, paused, cancelled or the processor is stopped.

        Returns the batch's status afterwards ("running" when stopped mid-way). Raises KeyError
        for an unknown batch.
        """
        with self._lock:
            if self._stop_requested:
                return self._status(batch_id)
            self._current_batch = batch_id
            self._pause_requested = False
            self._auth_failed = False
            self._cancel_requested.discard(batch_id)
            self._store_checked_at = float("-inf")
        try:
            status = store.start_batch(self._sf, batch_id)
            if status is None:
                raise KeyError(f"no batch {batch_id}")
            if status != BATCH_RUNNING:
                return status
            self._emit_batch(batch_id, BATCH_RUNNING)
            return self._loop(batch_id)
        finally:
            with self._lock:
                self._current_batch = None
                self._cancel_requested.discard(batch_id)

    def _loop(self, batch_id: int) -> str:
        while True:
            try:
                self._check_interrupt()
                self.send_pending_deletes()
                with self._sf() as session:
                    row = store.next_open_row(session, batch_id)
                if row is None:
                    refused = self._settle(yield_to_commands=True)
                    if refused is not None:
                        self._auth_failed = True
                        raise _Interrupted(BATCH_PAUSED, _auth_message(refused))
                    self._check_interrupt()  # a command that cut the clean-up short
                    if store.finish_batch(self._sf, batch_id):
                        self._emit_batch(batch_id, BATCH_COMPLETE)
                        return BATCH_COMPLETE
                    return self._status(batch_id)
                self._run_row(row)
            except _Interrupted as stop:
                return self._stopped(batch_id, stop)

    def _stopped(self, batch_id: int, stop: _Interrupted) -> str:
        if stop.kind == BATCH_CANCELLED:
            store.request_cancel(self._sf, batch_id, include_active=False)
            for remote_id, row_id in store.cancel_open_rows(self._sf, batch_id):
                final = self._delete_or_owe(remote_id, row_id)
                if final is not None and final.terminal:
                    self._record_late(row_id, final)
            self._emit_batch(batch_id, BATCH_CANCELLED, stop.message or "cancelled by the user")
            refused = self._settle(yield_to_commands=False)
            if refused is not None:
                log.warning("cancelled batch %s: its quote could not be cancelled on the server: %s",
                            batch_id, refused)
            return BATCH_CANCELLED
        if stop.kind == BATCH_PAUSED:
            store.mark_paused(self._sf, batch_id, stop.message)
            self._emit_batch(batch_id, BATCH_PAUSED, stop.message)
            return BATCH_PAUSED
        status = self._status(batch_id)
        self._emit_batch(batch_id, status, "stopped; the batch resumes on the next start")
        return status

    # ------------------------------------------------------------------ one row

    def _run_row(self, row: store.RowWork) -> None:
        # Left `submitting` by an earlier run: its POST may have gone out, unanswered.
        resumed_submitting = row.status == ROW_SUBMITTING
        try:
            if row.status == ROW_PENDING:
                now = self._clock.now()
                if not store.mark_submitting(self._sf, row, now):
                    return  # changed under us (cancelled): the loop picks the next row
                self._emit_row(row.id)
                row = replace(row, status=ROW_SUBMITTING, submitted_at=now, attempts=row.attempts + 1)
            if row.status == ROW_SUBMITTING:
                posted = self._submit(row, post_unanswered=resumed_submitting)
                if posted is None:
                    return
                remote_id, delay = posted
                row = self._load(row.id)  # its submit time is now the quote's creation
            elif row.status == ROW_POLLING and row.remote_id:
                remote_id, delay = row.remote_id, 0.0  # resumed: ask at once
            else:
                return
            self._poll(replace(row, status=ROW_POLLING, remote_id=remote_id), remote_id, delay)
        except _Interrupted as stop:
            if stop.kind == BATCH_CANCELLED:
                self._cancel_row(row.id, post_unanswered=stop.post_unanswered)
            raise
        except SQLAlchemyError:
            raise  # the store itself is failing: nothing can be recorded, stop the run
        except Exception as exc:  # a bug or an unforeseen answer: this row fails, the batch goes on
            log.exception("row %s of batch %s failed unexpectedly", row.row_number, row.batch_id)
            self._finish_failed(row.id, "internal_error",
                                f"unexpected error in BulkQuote: {type(exc).__name__}: {exc}")

    def _submit(self, row: store.RowWork, *, post_unanswered: bool = False
                ) -> tuple[str, float] | None:
        """POST until the row has a remote quote (-> its id and first poll delay) or has ended.

        `post_unanswered`: a POST of this key may already be out (a row resumed `submitting`).
        While one may be, a row that ends before an answer (timeout, cancel) owes a replay of
        its key: the quote that POST may have made must not stay in flight, nor its price lost.
        """
        transient_tries = 0
        in_flight_tries = 0
        try:
            while True:
                self._check_interrupt()
                # The timeout is judged after a failed attempt, never before the first one: a
                # row resumed long after its submit time may have a finished quote behind its
                # key, and a wait cut short at the deadline still gets its last try.
                if in_flight_tries and self._timed_out(row):
                    return self._submit_timed_out(row, maybe_created=post_unanswered)
                try:
                    reply = self._client.create_quote(row.request, row.idempotency_key)
                except AuthError as exc:
                    self._auth_failed = True
                    raise _Interrupted(BATCH_PAUSED, _auth_message(exc)) from None
                except QuoteInFlight as exc:
                    # An answer to this key: were a quote behind it, the API would have
                    # replayed it (200), not refused the POST.
                    post_unanswered = False
                    if in_flight_tries:
                        self._sleep(self._retry_delay(exc.retry_after, in_flight_tries - 1))
                    in_flight_tries += 1
                    adopted = self._clear_in_flight(exc.in_flight_id, row)
                    if adopted is not None:
                        return adopted
                    continue
                except TransientError as exc:
                    transient_tries += 1
                    post_unanswered = True  # the server may have made the quote all the same
                    if self._timed_out(row):
                        return self._submit_timed_out(row, maybe_created=True)
                    # Never sleep past the row's timeout: a huge Retry-After would hold the batch.
                    delay = self._retry_delay(exc.retry_after, transient_tries - 1)
                    self._sleep(min(delay, max(0.0, self._time_left(row))))
                    continue
                except ApiError as exc:  # permanent: 400/404/422 and anything unexpected
                    self._finish_failed(row.id, exc.code, _with_field(exc))
                    return None
                quote = reply.quote
                # The quote's own timeout runs from its creation: an outage that held the POST
                # back must not leave the quote only moments before it is given up on.
                store.mark_polling(self._sf, row.id, quote.id, posted_at=self._clock.now())
                self._emit_row(row.id)
                if quote.terminal:
                    self._record_terminal(row.id, quote)
                    return None
                return quote.id, self._poll_delay(reply.retry_after)
        except _Interrupted as stop:
            stop.post_unanswered = post_unanswered  # for _cancel_row
            raise

    def _submit_timed_out(self, row: store.RowWork, *, maybe_created: bool) -> None:
        """No quote could be made within the row's timeout: the row fails. If an answer may have
        been lost after the server made the quote, its key is replayed later (clean-up owed)."""
        # One transaction: a crash in between must not leave a replay owed for a row that the
        # next run re-POSTs (the replay would then DELETE the quote the row is polling).
        self._finish_failed(row.id, "timeout", self._timeout_message(sent=False),
                            owe_replay=maybe_created)
        return None

    def _poll(self, row: store.RowWork, remote_id: str, delay: float) -> None:
        """GET the row's quote until it is terminal, times out, or the batch is interrupted."""
        transient_tries = 0
        while True:
            self._sleep(min(delay, max(0.0, self._time_left(row))))
            try:
                reply = self._client.get_quote(remote_id)
            except AuthError as exc:
                self._auth_failed = True
                raise _Interrupted(BATCH_PAUSED, _auth_message(exc)) from None
            except TransientError as exc:
                if self._timed_out(row):
                    self._give_up(row, remote_id)
                    return
                delay = self._retry_delay(exc.retry_after, transient_tries)
                transient_tries += 1
                continue
            except NotFound as exc:
                self._finish_failed(row.id, "not_found",
                                    f"the API no longer knows quote {remote_id}: {exc.message}")
                return
            except ApiError as exc:
                self._finish_failed(row.id, exc.code, _with_field(exc))
                return
            transient_tries = 0
            if reply.quote.terminal:
                self._record_terminal(row.id, reply.quote)
                return
            if self._timed_out(row):
                self._give_up(row, remote_id)
                return
            delay = self._poll_delay(reply.retry_after)

    def _clear_in_flight(self, in_flight_id: str | None, row: store.RowWork
                         ) -> tuple[str, float] | None:
        """409: some quote blocks the account. Adopt it if it is this row's, finish it for its own
        row if it is another of ours still waiting, else DELETE it (or wait for it to end).
        "Ours" means its id is stored with one of our rows; a matching reference is not enough.

        Returns (remote id, poll delay) when the blocking quote turned out to be this row's.
        """
        if not in_flight_id:
            return None  # nothing to look at; the caller backs off and retries the POST
        try:
            reply = self._client.get_quote(in_flight_id)
        except AuthError as exc:
            self._auth_failed = True
            raise _Interrupted(BATCH_PAUSED, _auth_message(exc)) from None
        except ApiError:
            return None  # gone (404) or a hiccup: retry the POST
        blocking = reply.quote
        if blocking.terminal:
            return None
        with self._sf() as session:
            owner = store.find_row_for_remote(session, blocking.id)
        if owner is not None and owner.row_id == row.id:
            log.info("row %s: adopting quote %s found in flight", row.row_number, blocking.id)
            store.mark_polling(self._sf, row.id, blocking.id)
            self._emit_row(row.id)
            return blocking.id, self._poll_delay(reply.retry_after)
        if (owner is not None and owner.status in ROW_ACTIVE
                and owner.batch_status != BATCH_CANCELLED):
            log.info("row %s of batch %s: finishing its quote %s first",
                     owner.row_number, owner.batch_id, blocking.id)
            store.mark_polling(self._sf, owner.row_id, blocking.id)
            self._emit_row(owner.row_id)
            self._poll(self._load(owner.row_id), blocking.id, self._poll_delay(reply.retry_after))
            return None
        # Not ours, or ours but no longer wanted: cancel it; if it cannot be, wait for it to end.
        try:
            after = self._client.cancel_quote(blocking.id).quote
        except AuthError as exc:
            self._auth_failed = True
            raise _Interrupted(BATCH_PAUSED, _auth_message(exc)) from None
        except ApiError:
            after = blocking
        if owner is not None and after.terminal:
            self._record_for_owner(owner, after)
        if not after.terminal:
            self._sleep(self._poll_delay(reply.retry_after))
        return None

    def _record_for_owner(self, owner: store.RowOwner, quote: RemoteQuote) -> None:
        """A quote of a row we had lost track of ended while clearing the account: keep the answer."""
        if owner.status in ROW_TERMINAL or quote.status != "complete":
            return
        if owner.status == ROW_PENDING:
            return  # the row will ask again with its own key
        self._record_terminal(owner.row_id, quote)

    # ------------------------------------------------------------------ outcomes

    def _record_terminal(self, row_id: int, quote: RemoteQuote) -> None:
        now = self._clock.now()
        if quote.status == "complete" and quote.result is not None:
            changed = store.mark_complete(self._sf, row_id, quote, now)
        elif quote.status == "failed":
            code = quote.error_code or "failed"
            message = quote.error_message or "the API could not price this site"
            if code == MANUAL_PRICING:
                message = ("manual pricing required: the carriers price this site by hand, "
                           f"a person must chase it ({message})")
            changed = store.mark_failed(self._sf, row_id, code, message, now, quote.status)
        else:  # cancelled or expired, and not by us
            message = quote.error_message or f"the quote was {quote.status} by the server"
            changed = store.mark_failed(self._sf, row_id, quote.status, message, now, quote.status)
        if changed:
            self._emit_row(row_id)

    def _record_late(self, row_id: int | None, quote: RemoteQuote, *, key: str | None = None) -> None:
        """A row ended (timed out, or cancelled) without its quote's answer; the answer learnt
        later (a replayed key, or an owed DELETE that got through) replaces that ending, so a
        price paid for is never lost."""
        if row_id is None or quote.status == "cancelled":
            return
        if store.reopen_for_late_answer(self._sf, row_id, remote_id=None if key else quote.id,
                                        key=key):
            self._record_terminal(row_id, quote)

    def _finish_failed(self, row_id: int, code: str, message: str, *,
                       owe_replay: bool = False) -> None:
        if store.mark_failed(self._sf, row_id, code, message, self._clock.now(),
                             owe_replay=owe_replay):
            self._emit_row(row_id)

    def _give_up(self, row: store.RowWork, remote_id: str) -> None:
        """The row's timeout passed: DELETE its quote (never leave the account blocked), fail it.

        If the DELETE finds the quote already finished (complete or failed), that answer is kept.
        """
        final = self._delete_or_owe(remote_id, row.id)
        if final is not None and final.terminal and final.status != "cancelled":
            self._record_terminal(row.id, final)
            return
        self._finish_failed(row.id, "timeout", self._timeout_message(sent=True, confirmed=final is not None))

    def _cancel_row(self, row_id: int, *, post_unanswered: bool = False) -> None:
        """The user cancelled while this row was in flight: DELETE its quote, row cancelled.

        A quote found already finished keeps its answer (a price already paid for is not lost).
        With no remote id but a POST unanswered, the quote that POST may have made is found by
        replaying the row's key (owed with the cancel, settled before the batch ends).
        """
        current = self._load(row_id)
        if current.status in (ROW_COMPLETE, ROW_FAILED):
            return
        # Also when another process already marked it cancelled: the quote may still be in flight.
        final = self._delete_or_owe(current.remote_id, row_id) if current.remote_id else None
        if final is not None and final.terminal and final.status != "cancelled":
            self._record_terminal(row_id, final)
            return
        owe_replay = post_unanswered and current.remote_id is None
        if store.mark_cancelled(self._sf, row_id, self._clock.now(), owe_replay=owe_replay):
            self._emit_row(row_id)

    def _delete_or_owe(self, remote_id: str, row_id: int | None = None) -> RemoteQuote | None:
        """DELETE with a few quick retries; if that does not get through, the DELETE is owed
        (settled before the next POST and at the batch's end). None when not confirmed."""
        for attempt in range(self._config.delete_attempts):
            try:
                return self._client.cancel_quote(remote_id).quote
            except TransientError as exc:
                if attempt + 1 == self._config.delete_attempts or self._command_pending():
                    self._defer_cleanup(exc.retry_after)  # the owed DELETE waits for it too
                    break
                # A command cuts the wait short; the DELETE is then owed (settled later).
                if self._wait_unless_command(self._retry_delay(exc.retry_after, attempt)):
                    break
            except AuthError as exc:
                log.info("DELETE %s refused (401): %s", remote_id, exc)
                self._cleanup_auth_error = exc
                break
            except ApiError as exc:  # 404: nothing left to cancel
                log.info("DELETE %s: %s", remote_id, exc)
                return None
        store.owe_delete(self._sf, remote_id, row_id)
        return None

    # ------------------------------------------------------------------ time

    def _time_left(self, row: store.RowWork) -> float:
        started = row.submitted_at or self._clock.now()
        elapsed = (self._clock.now() - started).total_seconds()
        return self._config.quote_timeout_s - elapsed

    def _timed_out(self, row: store.RowWork) -> bool:
        return self._time_left(row) <= 0

    def _timeout_message(self, *, sent: bool, confirmed: bool = True) -> str:
        limit = f"{self._config.quote_timeout_s:g} s"
        if not sent:
            return f"no quote could be requested within {limit}"
        if confirmed:
            return f"no answer within {limit}; the quote was cancelled"
        return f"no answer within {limit}; cancelling the quote was not confirmed"

    def _retry_delay(self, retry_after: float | None, attempt: int) -> float:
        """Retry-After (clamped) when the server gives one, else exponential backoff with jitter."""
        if retry_after is not None:
            return self._clamp(retry_after)
        ceiling = min(self._config.backoff_max_s, self._config.backoff_base_s * (2 ** min(attempt, 30)))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _poll_delay(self, retry_after: float | None) -> float:
        return self._config.poll_interval_s if retry_after is None else self._clamp(retry_after)

    def _clamp(self, seconds: float) -> float:
        return min(self._config.retry_after_ceiling_s, max(self._config.retry_after_floor_s, seconds))

    def _sleep(self, seconds: float) -> None:
        """Wait, in slices short enough that a command or a change in the store stops it in time."""
        deadline = self._clock.monotonic() + seconds
        self._check_interrupt()
        while True:
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0:
                return
            if self._clock.wait(min(remaining, self._config.command_check_s), self._wake):
                self._wake.clear()
            self._check_interrupt()

    def _check_interrupt(self) -> None:
        """Raise _Interrupted if a command (this process) or the store (another process) says
        the running batch must stop."""
        with self._lock:
            batch_id = self._current_batch
            if batch_id is None:
                return
            if batch_id in self._cancel_requested:
                raise _Interrupted(BATCH_CANCELLED, "cancelled by the user")
            if self._stop_requested:
                raise _Interrupted("stopped")
            if self._pause_requested:
                raise _Interrupted(BATCH_PAUSED, "paused by the user")
        # Another process's cancel or pause is read from the store, at most twice a second.
        now = self._clock.monotonic()
        if now - self._store_checked_at < self._config.command_check_s / 2:
            return
        self._store_checked_at = now
        status = self._status(batch_id)
        if status == BATCH_CANCELLED:
            raise _Interrupted(BATCH_CANCELLED, "cancelled by the user")
        if status == BATCH_PAUSED:
            raise _Interrupted(BATCH_PAUSED, "paused")

    # ------------------------------------------------------------------ store + events

    def _status(self, batch_id: int) -> str:
        with self._sf() as session:
            status = store.batch_status(session, batch_id)
        if status is None:
            raise KeyError(f"no batch {batch_id}")
        return status

    def _load(self, row_id: int) -> store.RowWork:
        with self._sf() as session:
            row = store.load_row(session, row_id)
        if row is None:
            raise KeyError(f"no batch row {row_id}")
        return row

    def _emit_row(self, row_id: int) -> None:
        with self._sf() as session:
            fields = store.row_event_fields(session, row_id)
            counts = store.batch_counts(session, fields["batch_id"])
        self._emit(QuoteEvent(**fields, counts=counts))

    def _emit_batch(self, batch_id: int, status: str, message: str = "") -> None:
        with self._sf() as session:
            counts = store.batch_counts(session, batch_id)
        self._emit(BatchEvent(batch_id=batch_id, status=status, message=message, counts=counts))

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:  # a broken listener must not stop the batch
            log.exception("event listener failed on %r", event)


def _with_field(exc: ApiError) -> str:
    """The server's message, naming the request field it refers to (e.g. location.postal_code)."""
    if exc.field and exc.field not in exc.message:
        return f"{exc.message} (field {exc.field})"
    return exc.message


def _auth_message(exc: ApiError) -> str:
    return ("the Momentum API refused the API key (HTTP 401): set a valid key, then resume "
            f"the batch ({exc.message})")

