"""Test doubles for the engine: a fake clock, an in-memory Momentum API, an import result.

FakeClock: `now()` moves only when `wait()` is called; `wait(s, stop)` advances time by `s`
unless `stop` is already set (then it returns True at once, like Event.wait). A laptop's clocks
misbehave on cue: `suspend(s)` (asleep: the wall clock and the world move on, monotonic time
stays frozen), `jump_wall(s)` (the wall clock is set forward or back; nothing else moves).
`server_now()` is the world's time, which the fake API keeps its quotes by.

FakeMomentum: the client's three calls (create_quote/get_quote/cancel_quote) against an
in-memory account that keeps the contract's rules: one quote in flight (409 with its id),
idempotency keys (200 replay, 422 on a different body), quotes that finish `ready_after_s`
fake seconds after creation with a per-reference outcome. Faults are scripted per call.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from bulkquote_gui.core.intake.rows import CheckedRow, RowStatus
from bulkquote_gui.core.quoting.momentum import (
    ApiReply,
    AuthError,
    NotFound,
    PermanentError,
    QuoteInFlight,
    QuoteOption,
    QuoteResult,
    RemoteQuote,
    TransientError,
    Unreachable,
)

START = datetime(2026, 11, 29, 14, 0, 0, tzinfo=timezone.utc)
# Far ahead: what the export and the window call stale is judged against today's real date.
VALID_UNTIL = date(2099, 12, 29)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._server = start   # the world's clock: the API's, unmoved by this laptop's settings
        self._mono = 1000.0
        self.waits: list[float] = []
        self.on_wait: Callable[[float], None] | None = None  # hook: e.g. send a command mid-wait
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def server_now(self) -> datetime:
        with self._lock:
            return self._server

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._server += timedelta(seconds=seconds)
            self._mono += seconds

    def suspend(self, seconds: float) -> None:
        """The laptop sleeps `seconds`: wall clock and world move on, monotonic time is frozen."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._server += timedelta(seconds=seconds)

    def jump_wall(self, seconds: float) -> None:
        """The wall clock is set `seconds` forward (or back, when negative); nothing else moves."""
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        if self.on_wait is not None:
            self.on_wait(seconds)
        if stop.is_set():
            return True
        self.waits.append(seconds)
        self.advance(max(0.0, seconds))
        return False

    @property
    def total_waited(self) -> float:
        return sum(self.waits)


# ----------------------------------------------------------------------------- import results

def checked_row(n: int, *, company: str = "", street: str | None = None, **service: Any) -> CheckedRow:
    """A quotable row numbered n (as the rep sees it, header = row 1)."""
    return CheckedRow(
        index=n - 2, row_number=n,
        original={"Site": f"S{n}", "Address": street or f"{n} Main St", "City": "Austin",
                  "ST": "TX", "Zip": "78701", "Note": ""},
        status=RowStatus.VALID,
        location={"street": street or f"{n} Main St", "city": "Austin", "state": "TX",
                  "postal_code": "78701"},
        customer={"company": company} if company else {},
        service=dict(service), site_id=f"S{n}")


@dataclass
class FakeImport:
    """Just what create_batch reads from an ImportResult."""

    rows: list[CheckedRow]
    columns: list[str] = field(default_factory=lambda: ["Site", "Address", "City", "ST", "Zip", "Note"])
    mapping: dict[str, str] = field(default_factory=lambda: {
        "site_id": "Site", "street": "Address", "city": "City", "state": "ST", "postal_code": "Zip"})

    def quotable_rows(self):
        return (r for r in self.rows if r.quotable)


def fake_import(n_rows: int, first_row: int = 2) -> FakeImport:
    return FakeImport([checked_row(i) for i in range(first_row, first_row + n_rows)])


# ----------------------------------------------------------------------------- the fake API

@dataclass
class Outcome:
    status: str = "complete"             # complete | failed | expired | never (stays processing)
    error_code: str | None = None
    error_message: str | None = None
    mrc: str = "899.00"
    cancellable: bool = True


@dataclass
class _Remote:
    id: str
    reference: str
    request: dict[str, Any]
    created: datetime
    outcome: Outcome
    status: str = "queued"


def offer(mrc: str, carrier: str = "Lumen", *, nrc: str = "0.00", currency: str = "USD",
          install_days: int | None = 30) -> QuoteOption:
    """A recommended option as the store hands it back (events, rows, the window's rows)."""
    return QuoteOption(carrier, "DIA", 1000, 36, Decimal(mrc), Decimal(nrc), currency, install_days)


def default_options(mrc: str) -> tuple[QuoteOption, ...]:
    return (
        QuoteOption("Spectrum", "DIA", 1000, 36, Decimal("749.00"), Decimal("500.00"), "USD", 60,
                    "off_net", True),
        QuoteOption("Lumen", "DIA", 1000, 36, Decimal(mrc), Decimal("0.00"), "USD", 45, "on_net", False),
    )


class FakeMomentum:
    """An in-memory Momentum account behind the client's interface (see module docstring)."""

    kind = "momentum"            # as MomentumClient says: its account's kind, its name for the rep
    display_name = "Momentum"

    def __init__(self, clock: FakeClock, *, ready_after_s: float = 20.0,
                 retry_after: float | None = 5.0,
                 options: Callable[[str], tuple[QuoteOption, ...]] = default_options) -> None:
        self.clock = clock
        self.options = options                     # a priced quote's options, from its MRC
        self.ready_after_s = ready_after_s
        self.retry_after = retry_after
        self.outcomes: dict[str, Outcome] = {}     # by reference
        self.quotes: dict[str, _Remote] = {}
        self.keys: dict[str, str] = {}             # idempotency key -> quote id
        self.calls: list[tuple[str, str]] = []     # (method, reference or id)
        self.call_times: list[float] = []          # clock.monotonic() of each entry in calls
        self.faults: dict[str, deque[Exception | str]] = {"POST": deque(), "GET": deque(),
                                                           "DELETE": deque(), "HEALTH": deque()}
        self.down_until: float | None = None       # clock.monotonic() before which nothing answers
        self.after_call: Callable[[str, str], None] | None = None
        self._ids = itertools.count(1)
        # The API keeps its own time: the world's, not the laptop's wall clock.
        self._now: Callable[[], datetime] = getattr(clock, "server_now", clock.now)

    # scripting ------------------------------------------------------------------------------
    def fail_next(self, method: str, *faults: Exception | str) -> None:
        """Queue faults for the next calls of `method`; "lose" = do the call, lose the answer."""
        self.faults[method].extend(faults)

    def created_for(self, reference: str) -> list[str]:
        """Quotes made for a reference; "batch-1/row-2" also matches "bq-…/batch-1/row-2"."""
        return [q.id for q in self.quotes.values() if _same_reference(q.reference, reference)]

    def _outcome_for(self, reference: str) -> Outcome:
        for key, outcome in self.outcomes.items():
            if _same_reference(reference, key):
                return outcome
        return Outcome()

    def in_flight(self) -> list[str]:
        self._advance_all()
        return [q.id for q in self.quotes.values() if q.status in ("queued", "processing")]

    def add_foreign_quote(self, reference: str = "someone-else", *, cancellable: bool = True,
                          outcome: str = "never") -> str:
        """A quote made by another tool on the same account, blocking it."""
        remote = _Remote(f"q_foreign_{next(self._ids)}", reference, {}, self._now(),
                         Outcome(status=outcome, cancellable=cancellable))
        self.quotes[remote.id] = remote
        return remote.id

    # the client's interface -----------------------------------------------------------------
    def _log(self, method: str, what: str) -> None:
        self.calls.append((method, what))
        self.call_times.append(self.clock.monotonic())

    def create_quote(self, request: dict[str, Any], idempotency_key: str, *,
                     within: float | None = None) -> ApiReply:
        reference = request["reference"]
        lose = self._fault("POST")
        self._log("POST", reference)
        try:
            existing = self.keys.get(idempotency_key)
            if existing is not None:
                remote = self.quotes[existing]
                if remote.request != request:
                    raise PermanentError("key reused with another body", status=422,
                                         code="idempotency_mismatch")
                return self._reply(remote, replayed=True)
            self._advance_all()
            for other in self.quotes.values():
                if other.status in ("queued", "processing"):
                    raise QuoteInFlight("another quote is in flight", status=409,
                                        code="quote_in_flight", in_flight_id=other.id)
            outcome = self._outcome_for(reference)
            if outcome.status == "invalid":
                raise PermanentError(outcome.error_message or "bad address", status=422,
                                     code=outcome.error_code or "invalid_address",
                                     field="location.postal_code")
            remote = _Remote(f"q_{next(self._ids):04d}", reference, request, self._now(), outcome)
            self.quotes[remote.id] = remote
            self.keys[idempotency_key] = remote.id
            reply = self._reply(remote, replayed=False)
            if lose:
                raise TransientError("connection reset after sending", code="connection_error")
            return reply
        finally:
            if self.after_call:
                self.after_call("POST", reference)

    def get_quote(self, quote_id: str, *, within: float | None = None) -> ApiReply:
        lose = self._fault("GET")
        self._log("GET", quote_id)
        try:
            remote = self.quotes.get(quote_id)
            if remote is None:
                raise NotFound("no such quote", status=404, code="not_found")
            reply = self._reply(remote, replayed=False)
            if lose:
                raise TransientError("connection reset", code="connection_error")
            return reply
        finally:
            if self.after_call:
                self.after_call("GET", quote_id)

    def cancel_quote(self, quote_id: str) -> ApiReply:
        lose = self._fault("DELETE")
        self._log("DELETE", quote_id)
        remote = self.quotes.get(quote_id)
        if remote is None:
            raise NotFound("no such quote", status=404, code="not_found")
        self._advance(remote)
        if remote.status in ("queued", "processing") and remote.outcome.cancellable:
            remote.status = "cancelled"
        reply = self._reply(remote, replayed=False)
        if lose:
            raise TransientError("connection reset", code="connection_error")
        return reply

    # the QuoteProvider seam: by name, so a test that replaces create_quote & co. still counts
    def submit(self, request: dict[str, Any], key: str, *, within: float | None = None) -> ApiReply:
        return self.create_quote(request, key, within=within)

    def find(self, request: dict[str, Any], key: str, *, within: float | None = None,
             or_submit: bool = True) -> ApiReply:
        return self.create_quote(request, key, within=within)

    def poll(self, quote_id: str, *, within: float | None = None) -> ApiReply:
        return self.get_quote(quote_id, within=within)

    def cancel(self, quote_id: str) -> ApiReply:
        return self.cancel_quote(quote_id)

    def health(self) -> None:
        self._fault("HEALTH")
        self._log("HEALTH", "")

    def go_down(self, seconds: float) -> None:
        """Refuse every connection (Unreachable) for `seconds` of the fake clock."""
        self.down_until = self.clock.monotonic() + seconds

    # internals -------------------------------------------------------------------------------
    def _fault(self, method: str) -> bool:
        if self.down_until is not None and self.clock.monotonic() < self.down_until:
            self._log(method, "fault:Unreachable")
            raise unreachable()
        queue = self.faults[method]
        if not queue:
            return False
        fault = queue.popleft()
        if fault == "lose":
            return True
        assert isinstance(fault, Exception)
        self._log(method, f"fault:{type(fault).__name__}")
        raise fault

    def _advance_all(self) -> None:
        for remote in self.quotes.values():
            self._advance(remote)

    def _advance(self, remote: _Remote) -> None:
        if remote.status not in ("queued", "processing"):
            return
        age = (self._now() - remote.created).total_seconds()
        if remote.outcome.status == "never":
            remote.status = "processing" if age > 0 else "queued"
        elif age >= self.ready_after_s:
            remote.status = remote.outcome.status
        elif age > 0:
            remote.status = "processing"

    def _reply(self, remote: _Remote, *, replayed: bool) -> ApiReply:
        self._advance(remote)
        result = None
        error_code = error_message = None
        if remote.status == "complete":
            result = QuoteResult(self.options(remote.outcome.mrc), 1, VALID_UNTIL)
        elif remote.status in ("failed", "expired"):
            error_code = remote.outcome.error_code or remote.status
            error_message = remote.outcome.error_message or f"quote {remote.status}"
        quote = RemoteQuote(remote.id, remote.status, remote.reference, result, error_code,
                            error_message, remote.created, self._now())
        retry_after = None if quote.terminal else self.retry_after
        return ApiReply(quote, retry_after, replayed)


def _same_reference(sent: str, wanted: str) -> bool:
    """The install id in front of a reference is the database's; tests name rows without it."""
    return sent == wanted or sent.endswith("/" + wanted)


def auth_error() -> AuthError:
    return AuthError("invalid API key", status=401, code="unauthorized")


def unreachable(reason: str = "connection refused") -> Unreachable:
    return Unreachable(f"can't reach api.test ({reason})", code="unreachable", host="api.test",
                       reason=reason)


def server_error(retry_after: float | None = None) -> TransientError:
    return TransientError("server error", status=503, code="unavailable", retry_after=retry_after)


# ----------------------------------------------------------------------------- the store

class StoreOutage:
    """The store out of reach for a while of the fake clock: every statement made through
    `engine` fails as SQLite does when its file cannot be opened (an unmounted share). Other
    engines on the same file still reach it (another process, another laptop)."""

    def __init__(self, engine: Any, clock: Any,   # a FakeClock, or the system's
                 error: str = "unable to open database file") -> None:
        from sqlalchemy import event

        self.clock = clock
        self.error = error   # or "database is locked": another program holds the file
        self.down_until: float | None = None
        self.failures = 0
        event.listen(engine, "before_cursor_execute", self._statement)

    def go_down(self, seconds: float = float("inf")) -> None:
        self.down_until = self.clock.monotonic() + seconds

    def come_back(self) -> None:
        self.down_until = None

    @property
    def down(self) -> bool:
        return self.down_until is not None and self.clock.monotonic() < self.down_until

    def _statement(self, *_: Any) -> None:
        if self.down:
            import sqlite3

            self.failures += 1
            raise sqlite3.OperationalError(self.error)
