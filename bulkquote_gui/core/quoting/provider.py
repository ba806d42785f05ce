"""The seam between the engine and a quote provider: what the engine asks of one, what it answers,
and how its failures are told apart. The engine (core/engine/) knows providers only through this
module; each provider is an adapter that implements `QuoteProvider` (Momentum's is
core/quoting/momentum.py's MomentumClient), built in one place, core/quoting/factory.py.

A provider's failures reach the engine as one of five kinds, and the engine's decisions follow
the kind, never the provider's own codes:
- TransientError: try the same call again later (Unreachable: the provider cannot be reached
  at all, so the account waits, probing `health`, and no row's time runs);
- PermanentError: this row fails, with the provider's message (NotFound: no such quote);
- AuthError: the key is refused; the batch pauses for the rep;
- Busy: the account already has a quote in flight; the engine clears it or waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

class QuoteStatus(StrEnum):
    """A provider's quote status, in the contract's words: open while queued or processing.
    (Not core/states.RowState, our row's state, though some words are the same.)"""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({QuoteStatus.COMPLETE, QuoteStatus.FAILED, QuoteStatus.CANCELLED,
                               QuoteStatus.EXPIRED})
STATUSES = frozenset(QuoteStatus)


# --- the offer: what a provider answers ----------------------------------------------------------

@dataclass(frozen=True)
class QuoteOption:
    """One carrier option, declared once: the store's option rows, `store.OptionView` and the
    window's rows carry these fields by name (OFFER_FIELDS), so a new field is one line here plus
    its column in store/models.py (and a schema step)."""

    carrier: str
    product: str
    bandwidth_mbps: int
    term_months: int
    mrc: Decimal
    nrc: Decimal
    currency: str
    install_days: int | None = None
    access: str | None = None
    is_estimate: bool | None = None
    # Sonata (issue 17): the seller's quote level, an alternate to what was asked (e.g. a longer
    # term: priced, for the rep to review), and what the price does not say by itself.
    quote_level: str | None = None
    alternate: bool = False
    note: str | None = None


OFFER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(QuoteOption))


def offer_values(option: Any) -> dict[str, Any]:
    """An option's fields by name: a QuoteOption's, or a stored option row's (same names)."""
    return {name: getattr(option, name) for name in OFFER_FIELDS}


class ReadsOffer:
    """For a class holding the recommended option as `offer` (a QuoteOption, or None before a
    row is priced): `row.mrc` reads `row.offer.mrc` (None without an offer), so a field the
    seam adds is there at once and no class spells the fields out again."""

    offer: QuoteOption | None

    def __getattr__(self, name: str) -> Any:
        if name not in OFFER_FIELDS:   # also copy/pickle probes before `offer` is set
            raise AttributeError(name)
        offer = self.offer
        return None if offer is None else getattr(offer, name)


@dataclass(frozen=True)
class QuoteResult:
    options: tuple[QuoteOption, ...]
    recommended: int
    valid_until: date | None
    dropped_options: int = 0  # options beyond the provider's cap that it sent and were not kept

    @property
    def recommended_option(self) -> QuoteOption:
        """The option the service recommends; the first one if its index points nowhere."""
        if 0 <= self.recommended < len(self.options):
            return self.options[self.recommended]
        return self.options[0]


@dataclass(frozen=True)
class RemoteQuote:
    id: str
    status: str
    reference: str | None
    result: QuoteResult | None
    error_code: str | None
    error_message: str | None
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True)
class Reply:
    quote: RemoteQuote
    retry_after: float | None  # seconds from now, >= 0; None when absent or unreadable
    replayed: bool             # a 200 answer to POST: the quote an earlier call with this key made


# --- errors --------------------------------------------------------------------------------------

class ProviderError(Exception):
    """A call that did not produce a quote. `str()` is for people; it never contains the key."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "error",
                 field: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no HTTP answer"
        field = f", field {self.field}" if self.field else ""
        return f"{self.message} ({self.code}, {where}{field})"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
                f"message={self.message!r}, field={self.field!r}, retry_after={self.retry_after!r})")


class TransientError(ProviderError):
    """Try the same call again later: connection trouble, timeouts, rate limits (429), server
    faults (5xx), broken answers."""


class Unreachable(TransientError):
    """The request never reached the API: connection refused, DNS, TLS, no route, connect timeout.

    The batch's problem, not the row's: the engine waits for the API as a whole (probing
    GET /health) and no row's timeout runs meanwhile. `host` names what could not be reached.
    """

    def __init__(self, message: str, *, host: str = "", reason: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.host = host
        self.reason = reason


class Throttled(TransientError):
    """The provider asks to slow down (a seller's gateway: 429, past the quotes it allows in
    progress). Waited out at its Retry-After: the time never counts against a row, which is
    never failed for it (the rep may cancel)."""


class AuthError(ProviderError):
    """The key is missing or wrong (Momentum: 401). Stop the batch and ask the user.

    `sentence`: what the rep is told when the batch stops, where the provider words it (the
    seller's name, what to fix); without it the engine's words for a refused Momentum key."""

    def __init__(self, message: str, *, sentence: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.sentence = sentence


class Busy(ProviderError):
    """The account already has a quote in flight (Momentum: 409 quote_in_flight); `in_flight_id`
    names it when the provider says which. The engine clears or waits for it, never fails a row."""

    def __init__(self, message: str, *, in_flight_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.in_flight_id = in_flight_id

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", in_flight_id={self.in_flight_id!r})"


class PermanentError(ProviderError):
    """The same call will fail the same way (Momentum: 400/404/422); the row fails with the
    provider's message."""


class NotFound(PermanentError):
    """No such quote (for this account): Momentum's 404."""


# --- the interface -------------------------------------------------------------------------------

def kind_of(client: object) -> str | None:
    """The provider kind a client says it speaks (`kind`, e.g. "momentum"), or None for one
    that does not say (a test's fake): the kind is part of the account's identity."""
    return getattr(client, "kind", None) or None


def lanes_of(client: object) -> int:
    """How many quotes the provider allows in progress at once on one account (`lanes`, at
    least 1): the engine runs that many lanes. A client that does not say has one."""
    lanes = getattr(client, "lanes", 1)
    return lanes if isinstance(lanes, int) and not isinstance(lanes, bool) and lanes >= 1 else 1


def name_of(client: object) -> str:
    """The provider's name for the rep (`display_name`, e.g. "Momentum"), or "" when it has none."""
    return str(getattr(client, "display_name", "") or "")


class QuoteProvider(Protocol):
    """One account of one quote provider. Not thread-safe: one per engine thread.

    `request` is the row's body as the store keeps it; `key` the row's idempotency key, made when
    the row was stored and kept across restarts. `within`, where given, bounds the call to the
    row's seconds left (None: the provider's own deadline). Every method either answers or raises
    a ProviderError of one of the kinds above.

    A client may also say which provider it is: `kind` (the account's kind, "momentum") and
    `display_name` (for the rep's sentences); see kind_of / name_of.
    """

    def submit(self, request: dict[str, Any], key: str, *, within: float | None = None) -> Reply:
        """Ask for a quote for this row."""
        ...

    def find(self, request: dict[str, Any], key: str, *, within: float | None = None,
             or_submit: bool = True) -> Reply:
        """The quote an earlier `submit` with this key may have made (it was sent, its answer
        was lost). If none reached the provider, the one this call makes: the engine asks so
        when it wants that quote either way (Momentum replays the key; `Reply.replayed` says
        whether the quote was already there). `or_submit=False` (clean-up: only to withdraw or
        keep what a lost POST made): a provider that can look without asking (Sonata) raises
        NotFound when nothing is there; one whose look-up is a replay asks all the same."""
        ...

    def poll(self, quote_id: str, *, within: float | None = None) -> Reply:
        """The quote as it is now."""
        ...

    def cancel(self, quote_id: str) -> Reply:
        """Withdraw the quote; answers it as the provider left it (cancelled, or already over)."""
        ...

    def health(self) -> None:
        """Returns when the provider answers and says it is well; raises otherwise."""
        ...
