"""Recording how a row ended, and telling the listener: the engine's only writes of results.

An answer learnt late (a replayed key, an owed DELETE that found the quote finished) replaces
the ending a row had without it, so a price paid for is never lost.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.events import BatchEvent, Event, QuoteEvent, WaitEvent
from bulkquote_gui.core.quoting.provider import AuthError, ProviderError, QuoteStatus, RemoteQuote
from bulkquote_gui.core.states import ROW_ACTIVE, RowState
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store import work as work_store

log = logging.getLogger(__name__)

MANUAL_PRICING = "manual_pricing_required"
# A row event's counts may stand for the next one of the same row this long (seconds): the
# rep's own commands change counts too, and the next read shows them.
FRESH_COUNTS_S = 2.0


class Outcomes:
    """Writes row endings and emits events (engine thread)."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock,
                 on_event: Callable[[Event], None], *, alone: bool = True) -> None:
        self._sf = session_factory
        self._clock = clock
        self._on_event = on_event
        self._last: tuple[QuoteEvent, float] | None = None   # the last row event, and when
        # Each batch's counts as last announced, and when they were last read from the store.
        # `alone`: no other lane of this process moves the batches' rows (else never reused).
        self._counts: dict[int, tuple[dict[str, int], float]] = {}
        self._alone = alone
        # The account's line (work.line_params), read with a result where that costs no round
        # trip of its own (rows.complete on PostgreSQL); what it found, for the row it ended.
        self.line: dict[str, Any] | None = None
        self._ahead: tuple[int, work_store.LineAhead | None, float] | None = None

    def record_terminal(self, row_id: int, quote: RemoteQuote) -> None:
        now = self._clock.now()
        if quote.status == QuoteStatus.COMPLETE and quote.result is not None:
            # The write gives its own event (on PostgreSQL from its one statement, no BEGIN),
            # with the counts known moments ago if they are: counting a batch's rows is
            # the largest part of it on a large batch.
            counts = self._counts_after(row_id, RowState.COMPLETE)

            def write(session: Session) -> dict[str, Any] | None:
                fields = row_store.complete(session, row_id, quote, now, counts=counts,
                                            line=self.line)
                if fields is not None and "ahead" in fields:
                    self._ahead = (row_id, fields.pop("ahead"), self._clock.monotonic())
                return fields

            self.write_row(row_id, write, one_statement=engine_store.writes_inside_with(self._sf),
                           counted=counts is None)
            return
        if quote.status == QuoteStatus.FAILED:
            code = quote.error_code or "failed"
            message = quote.error_message or "the API could not price this site"
            if code == MANUAL_PRICING:
                message = ("manual pricing required: the carriers price this site by hand, "
                           f"a person must chase it ({message})")
        else:  # cancelled or expired, and not by us
            code = quote.status
            message = quote.error_message or f"the quote was {quote.status} by the server"
        self.write_row(row_id, lambda s: row_store.mark_failed(s, row_id, code, message, now,
                                                           quote.status))

    def record_late(self, row_id: int | None, quote: RemoteQuote, *, key: str | None = None) -> None:
        """A row ended (timed out, or cancelled) without its quote's answer; the answer learnt
        later replaces that ending."""
        if row_id is None or quote.status == QuoteStatus.CANCELLED:
            return
        with engine_store.in_transaction(self._sf) as session:   # committed before it is recorded
            reopened = row_store.reopen_for_late_answer(
                session, row_id, remote_id=None if key else quote.id, key=key)
        if reopened:
            self._last = None   # reopened without an event: its counts are to be read again
            self.record_terminal(row_id, quote)

    def finish_failed(self, row_id: int, code: str, message: str, *,
                      owe_replay: bool = False) -> None:
        now = self._clock.now()
        self.write_row(row_id, lambda s: row_store.mark_failed(s, row_id, code, message, now,
                                                           owe_replay=owe_replay))

    # ------------------------------------------------------------ events
    def write_row(self, row_id: int, write: Callable[[Session], bool | dict[str, Any] | None], *,
                  one_statement: bool = False, still_active_as: str | None = None,
                  known: QuoteEvent | None = None, counted: bool = True) -> bool:
        """A row's state change and the event announcing it, read in the same session (each
        transaction costs round trips on a server); the event goes out after the commit.
        False, and no event, when the write changed nothing. A write that reads its event
        itself returns its fields (row_store.complete), None when it changed nothing.

        `one_statement`: the write is one conditional UPDATE, atomic by itself, so it runs
        without BEGIN and COMMIT (engine_store.autocommit): two round trips less. (mark_submitting may
        add the batch's turn after it: fairness bookkeeping, which a crash between the two only
        leaves one turn behind.)
        `still_active_as`: the row stays active (submitting -> polling), so its batch's counts
        are those its last event gave, if that was moments ago: the event is that one with
        this status, and nothing is read. `known`: the event, as the caller knows it whole.
        `counted`: the fields the write returns carry counts read from the store (False: the
        caller's, from counts_known)."""
        opened = engine_store.autocommit(self._sf) if one_statement else self._sf.begin()
        with opened as session:
            written = write(session)
            if not written:
                return False
            event = known or self._known_event(row_id, still_active_as)
            if event is None:
                given = isinstance(written, dict)
                event = QuoteEvent(**(written if given else row_store.row_event_fields(session, row_id)))
                if counted or not given:
                    self.counts_read(event.batch_id, event.counts)
        self._last = (event, self._clock.monotonic())
        self.emit(event)
        return True

    def line_read_with(self, row_id: int) -> work_store.LineAhead | None:
        """The next pending row as read with `row_id`'s result (see `line`) moments ago, once;
        None when it was not read so (or found none): the caller reads the line itself."""
        ahead, self._ahead = self._ahead, None
        if ahead is None or ahead[0] != row_id or \
                self._clock.monotonic() - ahead[2] > FRESH_COUNTS_S:
            return None
        return ahead[1]

    def counts_read(self, batch_id: int, counts: dict[str, int] | None) -> None:
        """The batch's counts, as read from the store just now."""
        if counts is not None:
            self._counts[batch_id] = (dict(counts), self._clock.monotonic())

    def counts_known(self, batch_id: int) -> dict[str, int] | None:
        """The batch's counts as last announced, if they were read from the store moments ago
        (FRESH_COUNTS_S) and only this lane moves its rows; None: to be read."""
        known = self._counts.get(batch_id)
        if not self._alone or known is None or \
                self._clock.monotonic() - known[1] > FRESH_COUNTS_S:
            return None
        return dict(known[0])

    def _counts_after(self, row_id: int, status: RowState) -> dict[str, int] | None:
        """The counts once the row in hand (active, its last event ours) moves to `status`."""
        if self._last is None or self._last[0].quote_id != row_id \
                or self._last[0].status not in ROW_ACTIVE:
            return None
        counts = self.counts_known(self._last[0].batch_id)
        if counts is not None:
            counts["active"] -= 1
            counts[status] += 1
        return counts

    def _known_event(self, row_id: int, status: str | None) -> QuoteEvent | None:
        if status is None or self._last is None:
            return None
        last, at = self._last
        if last.quote_id != row_id or self._clock.monotonic() - at > FRESH_COUNTS_S:
            return None
        return replace(last, status=status)

    def emit_batch(self, batch_id: int, status: str, message: str = "") -> None:
        with self._sf() as session:
            counts = view_store.batch_counts(session, batch_id)
        self.counts_read(batch_id, counts)
        self.emit(BatchEvent(batch_id=batch_id, status=str(status), message=message, counts=counts))

    def emit_wait(self, account_id: int, reason: str, message: str = "",
                  blocker_id: str | None = None, *,
                  batch_ids: tuple[int, ...] | None = None) -> None:
        """`batch_ids`: the batches held up, when the caller knows them (else read)."""
        if batch_ids is None:
            with self._sf() as session:
                batch_ids = tuple(view_store.unfinished_batch_ids(session, account_id=account_id))
        self.emit(WaitEvent(account_id=account_id, reason=str(reason), message=message,
                            blocker_id=blocker_id, batch_ids=batch_ids))

    def emit(self, event: Event) -> None:
        if isinstance(event, (QuoteEvent, BatchEvent)) and event.batch_id in self._counts \
                and event.counts:   # the counts as announced, read when they were
            self._counts[event.batch_id] = (dict(event.counts), self._counts[event.batch_id][1])
        try:
            self._on_event(event)
        except Exception:  # a broken listener must not stop the batch
            log.exception("event listener failed on %r", event)


def submitting_event(row: work_store.RowWork) -> QuoteEvent | None:
    """The event announcing a pending row's start, when its batch's counts came with it (read
    by the line a moment ago): one pending row fewer, one active more. None: to be read."""
    if row.counts is None:
        return None
    counts = dict(row.counts)
    counts[RowState.PENDING] -= 1
    counts["active"] += 1
    return QuoteEvent(batch_id=row.batch_id, quote_id=row.id, row_number=row.row_number,
                      status=RowState.SUBMITTING, counts=counts)


def with_field(exc: ProviderError) -> str:
    """The server's message, naming the request field it refers to (e.g. location.postal_code)."""
    if exc.field and exc.field not in exc.message:
        return f"{exc.message} (field {exc.field})"
    return exc.message


def auth_message(exc: ProviderError, provider: str = "") -> str:
    """The rep's sentence for a refused key: the adapter's own where it gives one (a Sonata
    seller refusing the client secret), else one naming the provider where the client says which."""
    if isinstance(exc, AuthError) and exc.sentence:
        return exc.sentence
    api = f"the quote API ({provider})" if provider else "the quote API"
    status = f" (HTTP {exc.status})" if exc.status is not None else ""
    return f"{api} refused the API key{status}: set a valid key, then resume the batch ({exc.message})"
