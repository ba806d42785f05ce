"""The Momentum quote API client (docs/api/momentum-api.md), sync httpx, one logical call per method.

Every answer is sorted into what the processor needs to decide: a parsed quote (`ApiReply`), or
one of the `ApiError` classes — transient (retry later), permanent (fail this row), auth (pause
the batch), quote-in-flight (clear the account first). Retries, backoff and waiting belong to the
processor, never to this module. The API key lives in one private attribute and goes out only in
the Authorization header: it is not in reprs, errors or log lines, and a server that echoes it
back (raw, percent-encoded or base64) finds it masked as <hidden> in every text kept. Plain
http:// goes only to this computer unless the rep allows it; TLS certificates are always verified.

Whatever a server sends is bounded and validated here, before it can reach the store or the
screen (the limits are the MAX_* constants below):

- a body is at most 4 MiB and nests at most 32 levels; NaN/Infinity are not JSON;
- ids are 1-100 printable ASCII characters (they go back into URLs and the store);
- every text kept (carrier, product, codes, messages, field names, references) loses its control,
  format and surrogate characters (no terminal escapes, no bidi overrides, nothing SQLite or
  UTF-8 cannot hold) and is cut to its MAX_*_CHARS, an ellipsis marking the cut;
- money is a decimal string with exactly two decimals and at most 9,999,999.99 either way; a
  monthly price is never negative, an install price may be (a credit: the contract's Money
  allows a sign); currency is three capital letters; speeds, terms and install days are
  integers in sane ranges;
- at most MAX_OPTIONS options are kept per quote (the recommended one always among them); the
  number dropped is kept on the result.

An answer outside these bounds raises BrokenBody (a TransientError, code "broken_body") naming
the field and the rule; an error answer (4xx/5xx) outside them keeps its class with its texts cut.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Callable
from urllib.parse import quote as url_quote

import httpx

from bulkquote_gui import __version__
from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.quoting.http_deadline import call_deadline, deadline_transport
from bulkquote_gui.core.quoting.loopback import is_loopback_host
from bulkquote_gui.core.quoting.provider import (  # the seam's types, under this module's old names
    STATUSES,
    QuoteStatus,
    TERMINAL_STATUSES,  # noqa: F401 (re-exported)
    AuthError,
    Busy,
    NotFound,
    PermanentError,
    ProviderError,
    QuoteOption,
    QuoteResult,
    RemoteQuote,
    Reply,
    TransientError,
    Unreachable,
)

log = logging.getLogger(__name__)

# Momentum's names for the seam's types (core/quoting/provider.py): the same classes.
ApiError = ProviderError
QuoteInFlight = Busy
ApiReply = Reply

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)

# --- bounds on what an answer may hold (see the module docstring) ---------------------------------
MAX_BODY_BYTES = 4 * 1024 * 1024   # a quote is a few KB; more than this is not a Momentum answer
MAX_JSON_DEPTH = 32                # a Quote nests 4 deep (quote.result.options[i].mrc)
MAX_OPTIONS = 50                   # options kept per quote; a rep compares a handful
# A price above this is a fault, not a price. Not lower: special construction (an install NRC)
# can run past a million dollars, and the store holds up to ten billion.
MAX_MONEY = Decimal("9999999.99")
MAX_BANDWIDTH_MBPS = 1_000_000
MAX_TERM_MONTHS = 600
MAX_INSTALL_DAYS = 3650
MAX_ID_CHARS = 100                 # the store keeps a remote id in 100 characters
MAX_CARRIER_CHARS = 100
MAX_PRODUCT_CHARS = 20             # as the store keeps it
MAX_CODE_CHARS = 64
MAX_MESSAGE_CHARS = 500
MAX_FIELD_CHARS = 100
MAX_REFERENCE_CHARS = 200
_MAX_MONEY_CHARS = 32              # looked at before any regex or Decimal sees the string
_MAX_DATE_CHARS = 64

_MONEY = re.compile(r"(-?)([0-9]+)\.([0-9]+)")  # fullmatch; the sign and decimals are judged apart
_CURRENCY = re.compile(r"[A-Z]{3}")
_QUOTE_ID = re.compile(r"[\x21-\x7e]{1,%d}" % MAX_ID_CHARS)
_DELAY_SECONDS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*$")
_ACCESS = frozenset({"on_net", "off_net"})
_WHITESPACE = re.compile(r"\s+")
# Control (Cc), format (Cf: bidi overrides, zero-width) and surrogate (Cs) characters never reach
# the screen, a terminal or the store; tabs and newlines become spaces.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_SPACES = frozenset("\t\n\r\v\f\x85\u2028\u2029")
# The key is masked in every text of a quote; a key this short is no secret worth mangling
# carrier names for (error messages mask any key, as they always have).
_MIN_MASKED_KEY_CHARS = 8


class InsecureApiUrl(ValueError):
    """An http:// API URL to a host other than this computer, and the rep has not allowed it."""


class BrokenBody(TransientError):
    """A 2xx answer that is not a Quote of the contract, or one outside the client's bounds.

    Transient like any unreadable answer (the next poll may read fine); `code` is "broken_body"
    and the message names the field and the rule it broke, never a value longer than a few words.
    """


class _BrokenBody(ValueError):
    """Raised while parsing; the client turns it into BrokenBody with the HTTP status."""


# --- Retry-After ---------------------------------------------------------------------------------

def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from `now`, from delay-seconds ("12") or an HTTP-date; None if unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    match = _DELAY_SECONDS.match(text)
    if match:
        # A value too large for a float is still "wait a very long time": the caller clamps it.
        return float(match.group(1))  # "1" * 400 gives inf, never an error
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT by definition
        when = when.replace(tzinfo=timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


# --- bounded text and JSON ------------------------------------------------------------------------

Secret = str | tuple[str, ...] | None


def secret_forms(key: str) -> tuple[str, ...]:
    """The key as a server or proxy might echo it: itself, percent-encoded, and base64 (standard
    and URL-safe, padding dropped) of the key and of its Authorization header value."""
    forms = {key, url_quote(key, safe="")}
    for raw in (key, f"Bearer {key}"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(raw.encode()).decode("ascii").rstrip("="))
    return tuple(sorted(forms, key=len, reverse=True))  # the longest first: it hides the most


def _forms(secret: Secret) -> tuple[str, ...]:
    return (secret,) if isinstance(secret, str) and secret else secret or ()


def clean_text(value: str, max_chars: int, secret: Secret = None) -> str:
    """`value` fit for the screen, a terminal and the store: control, format and surrogate
    characters dropped, runs of whitespace made one space, `secret` (one string or several
    forms of it) masked as <hidden>, then cut to `max_chars` (an ellipsis marking the cut; the
    mask comes first so no cut leaves a piece of the secret)."""
    forms = _forms(secret)
    scan = 4 * max_chars + max((len(f) for f in forms), default=0)
    if len(value) > scan:  # never walk a megabyte to keep a line
        value = value[:scan]
    kept = "".join(" " if ch in _SPACES else ch for ch in value
                   if ch in _SPACES or unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    text = _WHITESPACE.sub(" ", kept).strip()
    for form in forms:
        if form in text:
            text = text.replace(form, "<hidden>")
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "\u2026"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_body(response: httpx.Response, monotonic: Callable[[], float], deadline: float,
              limit: float, *, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The answer's body, at most `max_bytes`, read by `deadline` (on `monotonic`); a
    TransientError otherwise. Both adapters read their answers here."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        chunks.append(chunk)
        if size > max_bytes:
            raise TransientError("the answer is far larger than any quote; not reading it",
                                 status=response.status_code, code="body_too_large")
        # Checked between chunks too, so the deadline holds for any transport (also mocks).
        if monotonic() > deadline:
            raise TransientError(f"the answer took longer than {limit:g} s to arrive",
                                 status=response.status_code, code="timeout")
    return b"".join(chunks)


def decode_json(body: bytes, *, parse_float: Callable[[str], Any] = float,
                max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON (UTF-8, a byte-order mark tolerated; no NaN/Infinity) nesting at most
    `max_depth` levels. Raises _BrokenBody (a ValueError) saying what is wrong. The Sonata
    adapter reads its answers here too, with `parse_float=Decimal`."""
    try:
        value = json.loads(body.decode("utf-8-sig"), parse_float=parse_float,
                           parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise _BrokenBody("the answer is not UTF-8") from None
    except RecursionError:
        raise _BrokenBody(f"the answer nests deeper than {max_depth} levels") from None
    except ValueError:
        raise _BrokenBody("the answer is not JSON") from None
    # Iterative, so a hostile body cannot exhaust the stack here either.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > max_depth:
                    raise _BrokenBody(f"the answer nests deeper than {max_depth} levels")
                stack.append((child, depth + 1))
    return value


# --- parsing a Quote -----------------------------------------------------------------------------

def _require(obj: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
        raise _BrokenBody(f"{key!r} missing or not {_kind_name(kind)}")
    return value


def _optional(obj: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in _as_tuple(kind):
        raise _BrokenBody(f"{key!r} is not {_kind_name(kind)}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return "/".join(k.__name__ for k in _as_tuple(kind))


def _text(obj: dict[str, Any], key: str, max_chars: int, secret: Secret) -> str:
    """A required, non-blank text field, cleaned and cut."""
    text = clean_text(_require(obj, key, str), max_chars, secret)
    if not text:
        raise _BrokenBody(f"{key!r} is blank")
    return text


def _optional_text(obj: dict[str, Any], key: str, max_chars: int, secret: Secret) -> str | None:
    """An informative text field: anything but a string, or a blank one, becomes None."""
    value = obj.get(key)
    text = clean_text(value, max_chars, secret) if isinstance(value, str) else ""
    return text or None


def _optional_int(obj: dict[str, Any], key: str, low: int, high: int) -> int | None:
    return None if obj.get(key) is None else _int(obj, key, low, high)


def _int(obj: dict[str, Any], key: str, low: int | None = None, high: int | None = None) -> int:
    """An integer field within [low, high]. JSON Schema counts 1000.0 as an integer, so a server
    may send it."""
    value = obj.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BrokenBody(f"{key!r} missing or not an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _BrokenBody(f"{key!r} is outside {low}..{high}")
    return value


def _money(obj: dict[str, Any], key: str, *, credit: bool = False) -> Decimal:
    """A money string of the contract within MAX_MONEY; negative only where `credit` allows it."""
    value = obj.get(key)
    # A float is refused on purpose: the contract sends money as a string so no cent is lost.
    match = _MONEY.fullmatch(value) if isinstance(value, str) and len(value) <= _MAX_MONEY_CHARS else None
    if match is None:
        raise _BrokenBody(f"{key!r} is not a money string like \"899.00\"")
    sign, _, cents = match.groups()
    if len(cents) != 2:
        raise _BrokenBody(f"{key!r} has {len(cents)} decimals; money has exactly 2")
    amount = Decimal(value)
    if amount == 0:
        return Decimal("0.00")  # "-0.00" is zero, shown without its sign
    if sign and not credit:
        raise _BrokenBody(f"{key!r} is negative")
    if abs(amount) > MAX_MONEY:
        raise _BrokenBody(f"{key!r} is beyond the ceiling of {MAX_MONEY:,}")
    return amount


def _timestamp(value: Any) -> datetime | None:
    """Timestamps are informative only: an unreadable one becomes None rather than a failure."""
    if not isinstance(value, str) or len(value) > _MAX_DATE_CHARS:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) > _MAX_DATE_CHARS:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def valid_quote_id(value: Any) -> bool:
    """1-100 printable ASCII characters: what a quote id must be to go back into a URL."""
    return isinstance(value, str) and _QUOTE_ID.fullmatch(value) is not None


def _option(raw: Any, index: int, secret: Secret) -> QuoteOption:
    if not isinstance(raw, dict):
        raise _BrokenBody(f"option {index} is not an object")
    try:
        currency = _require(raw, "currency", str)
        if not _CURRENCY.fullmatch(currency):
            raise _BrokenBody("'currency' is not an ISO 4217 code (three capital letters)")
        access = raw.get("access")
        return QuoteOption(
            carrier=_text(raw, "carrier", MAX_CARRIER_CHARS, secret),
            product=_text(raw, "product", MAX_PRODUCT_CHARS, secret),
            bandwidth_mbps=_int(raw, "bandwidth_mbps", 1, MAX_BANDWIDTH_MBPS),
            term_months=_int(raw, "term_months", 1, MAX_TERM_MONTHS),
            mrc=_money(raw, "mrc"),
            nrc=_money(raw, "nrc", credit=True),
            currency=currency,
            install_days=_optional_int(raw, "install_days", 0, MAX_INSTALL_DAYS),
            access=access if isinstance(access, str) and access in _ACCESS else None,
            is_estimate=_optional(raw, "is_estimate", bool),
        )
    except _BrokenBody as exc:
        raise _BrokenBody(f"option {index}: {exc}") from None


def _result(raw: Any, secret: Secret) -> QuoteResult:
    if not isinstance(raw, dict):
        raise _BrokenBody("a complete quote has no result")
    options = raw.get("options")
    if not isinstance(options, list) or not options:
        raise _BrokenBody("the result has no options")
    recommended = _int(raw, "recommended")
    # Only the options kept are read; the service's pick is kept even when it lies beyond them.
    picked = list(range(min(len(options), MAX_OPTIONS)))
    if len(options) > MAX_OPTIONS and MAX_OPTIONS <= recommended < len(options):
        picked[-1] = recommended
    if len(options) > MAX_OPTIONS:
        log.warning("a quote has %d options; keeping %d", len(options), MAX_OPTIONS)
        recommended = picked.index(recommended) if recommended in picked else recommended
    return QuoteResult(
        options=tuple(_option(options[i], i, secret) for i in picked),
        recommended=recommended,
        valid_until=_day(raw.get("valid_until")),
        dropped_options=len(options) - len(picked),
    )


def parse_quote(body: Any, *, secret: Secret = None) -> RemoteQuote:
    """A Quote object of the contract -> RemoteQuote, within the module's bounds; unknown fields
    are ignored. `secret` (the API key, or its secret_forms) is masked in every text kept, and
    refused in the id.

    Raises _BrokenBody when the object lacks what the engine relies on (id, a known status, a
    result with valid options when complete) or breaks a bound.
    """
    if not isinstance(body, dict):
        raise _BrokenBody("the body is not a JSON object")
    quote_id = _require(body, "id", str)
    if not quote_id:
        raise _BrokenBody("'id' is empty")
    if not valid_quote_id(quote_id):
        raise _BrokenBody(f"'id' is not 1-{MAX_ID_CHARS} printable ASCII characters")
    if any(form in quote_id for form in _forms(secret)):
        raise _BrokenBody("'id' carries the API key")
    status = _require(body, "status", str)
    if status not in STATUSES:
        raise _BrokenBody(f"unknown status {clean_text(status, 20, secret)!r}")
    result = _result(body.get("result"), secret) if status == QuoteStatus.COMPLETE else None
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return RemoteQuote(
        id=quote_id,
        status=status,
        reference=_optional_text(body, "reference", MAX_REFERENCE_CHARS, secret),
        result=result,
        error_code=_optional_text(error, "code", MAX_CODE_CHARS, secret),
        error_message=_optional_text(error, "message", MAX_MESSAGE_CHARS, secret),
        created_at=_timestamp(body.get("created_at")),
        updated_at=_timestamp(body.get("updated_at")),
    )


# --- the client ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


def check_api_url(base_url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """The API URL, parsed, or ValueError. Plain http:// is refused (InsecureApiUrl) unless it
    goes to this computer or the rep allowed it: the key would cross the network readable."""
    try:
        url = httpx.URL(base_url.strip())
    except httpx.InvalidURL:
        raise ValueError(f"the API URL {base_url!r} is not a URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"the API URL must start with http:// or https://, got {base_url!r}")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback_host(url.host):
        raise InsecureApiUrl(
            f"the API URL {url.scheme}://{url.host} is plain http:// to another computer: the API "
            "key and every address would cross the network unencrypted. Use https://, or allow "
            "insecure http:// in Settings if this server is on a network you trust.")
    return url


class MomentumClient:
    """One Momentum account at one base URL. Not thread-safe: one client per worker thread.

    TLS certificates are always verified (deadline_transport); plain http:// is accepted only to
    this computer unless `allow_insecure_http` (the rep's setting) says otherwise.
    """

    kind = "momentum"            # quoting/factory.MOMENTUM: the account's kind in the store
    lanes = 1                    # the API's rule: one quote in flight per account
    display_name = "Momentum"

    def __init__(self, base_url: str, api_key: str, *, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, deadline_s: float = 60.0,
                 clock: Clock | None = None, user_agent: str = f"BulkQuote/{__version__}",
                 allow_insecure_http: bool = False) -> None:
        url = check_api_url(base_url, allow_insecure_http=allow_insecure_http)
        if not api_key or not api_key.strip():
            raise ValueError("the API key is empty")
        if any(not 0x21 <= ord(ch) <= 0x7E for ch in api_key.strip()):
            # Caught here, with a message that does not quote the key, rather than deep in httpx.
            raise ValueError("the API key contains spaces or characters an HTTP header cannot carry")
        if deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        self.base_url = str(url).rstrip("/")
        self.deadline_s = deadline_s
        self._api_key = api_key.strip()
        self._masked_key = (secret_forms(self._api_key) if len(self._api_key) >= _MIN_MASKED_KEY_CHARS
                            else ())
        self._message_secrets = tuple(dict.fromkeys((*self._masked_key, self._api_key)))
        self._clock = clock or SystemClock()
        self._aborted = threading.Event()
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            transport=transport or deadline_transport(url, self._clock.monotonic, self._aborted),
            timeout=timeout,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,  # a redirect could carry the key elsewhere; it is a fault
            trust_env=False,         # proxies come from deadline_transport; no .netrc auth
        )

    def __repr__(self) -> str:
        return f"MomentumClient(base_url={self.base_url!r}, api_key=<hidden>)"

    def close(self) -> None:
        self._http.close()

    def abort(self) -> None:
        """From any thread: end the call in progress within a fraction of a second, and refuse
        every later one (TransientError code "aborted"). Used when the app stops mid-call."""
        self._aborted.set()

    def __enter__(self) -> MomentumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls ------------------------------------------------------------------------------------

    def health(self) -> None:
        """GET /health (no key). Raises an ApiError subclass unless the service says ok."""
        answer = self._call("GET", "health", auth=False)
        self._raise_for_error(answer)
        body = self._json(answer)
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise TransientError("the service did not report itself healthy",
                                 status=answer.status, code="unhealthy")

    def check_auth(self) -> None:
        """Prove the key with a harmless authenticated call: a made-up quote id must be a 404."""
        answer = self._call("GET", f"quotes/{_path_id('q_bulkquote_check_' + uuid.uuid4().hex)}")
        if answer.status == 404:
            body = self._json_or_none(answer)
            if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
                raise NotFound(f"{self.base_url} does not answer like the Momentum API "
                               "(a 404 without an error body): check the API URL",
                               status=404, code="not_momentum_api")
            return
        self._raise_for_error(answer)

    def create_quote(self, request: dict[str, Any], idempotency_key: str, *,
                     within: float | None = None) -> ApiReply:
        """POST /quotes: 201 a new quote, 200 the quote an earlier call with this key created.

        `within`: the seconds the row has left; the call ends (TransientError "timeout") when
        they run out, even if its own deadline_s is further off. Likewise for get_quote."""
        if not idempotency_key:
            raise ValueError("every POST /quotes needs an idempotency key")
        payload = json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode()
        answer = self._call("POST", "quotes", content=payload, headers={
            "Content-Type": "application/json", "Idempotency-Key": idempotency_key}, within=within)
        return self._reply(answer, replayed=answer.status == 200)

    def get_quote(self, quote_id: str, *, within: float | None = None) -> ApiReply:
        return self._reply(self._call("GET", f"quotes/{_path_id(quote_id)}", within=within),
                           replayed=False)

    def cancel_quote(self, quote_id: str) -> ApiReply:
        return self._reply(self._call("DELETE", f"quotes/{_path_id(quote_id)}"), replayed=False)

    # -- the QuoteProvider seam (core/quoting/provider.py), in the contract's calls ----------------
    # Each calls the method above by name, so a test that replaces one replaces both.

    def submit(self, request: dict[str, Any], key: str, *, within: float | None = None) -> ApiReply:
        return self.create_quote(request, key, within=within)

    def find(self, request: dict[str, Any], key: str, *, within: float | None = None,
             or_submit: bool = True) -> ApiReply:
        """The replay of the key: the API answers with the quote it made for it (200), or makes
        it now (201) if the lost POST never arrived (whatever `or_submit` says: the replay is
        the only look-up the API has)."""
        return self.create_quote(request, key, within=within)

    def poll(self, quote_id: str, *, within: float | None = None) -> ApiReply:
        return self.get_quote(quote_id, within=within)

    def cancel(self, quote_id: str) -> ApiReply:
        return self.cancel_quote(quote_id)

    # -- plumbing ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, auth: bool = True, content: bytes | None = None,
              headers: dict[str, str] | None = None, within: float | None = None) -> _Answer:
        """Send one request and read the whole body within the deadline (deadline_s, or the
        caller's `within` when that is sooner); transport trouble -> TransientError."""
        all_headers = dict(headers or {})
        if auth:
            all_headers["Authorization"] = f"Bearer {self._api_key}"
        row_bound = within is not None and within < self.deadline_s
        limit = max(0.0, within) if within is not None and row_bound else self.deadline_s
        deadline = self._clock.monotonic() + limit
        if self._aborted.is_set():
            raise TransientError(f"{method} /{path.split('/')[0]}: not sent, the client was stopped",
                                 code="aborted")
        try:
            with call_deadline(deadline):
                with self._http.stream(method, path, content=content, headers=all_headers) as response:
                    body = read_body(response, self._clock.monotonic, deadline, limit)
        except httpx.ConnectTimeout:
            if row_bound and self._clock.monotonic() >= deadline:
                # The row's time ran out while connecting: its timeout, not an unreachable API.
                raise TransientError(f"{method} /{path.split('/')[0]}: the quote's time ran out "
                                     f"before the server answered", code="timeout") from None
            raise self._unreachable(method, path, "no answer to the connection") from None
        except httpx.TimeoutException as exc:
            raise TransientError(f"{method} /{path.split('/')[0]}: the server did not answer in time "
                                 f"({type(exc).__name__})", code="timeout") from None
        except httpx.RequestError as exc:  # connection, protocol (truncated body), decoding
            if self._aborted.is_set():
                raise TransientError(f"{method} /{path.split('/')[0]}: stopped by the app",
                                     code="aborted") from None
            if isinstance(exc, httpx.ConnectError):
                raise self._unreachable(method, path, _connect_reason(exc)) from None
            raise TransientError(f"{method} /{path.split('/')[0]}: connection failed "
                                 f"({type(exc).__name__}: {self._redact(str(exc))})",
                                 code="connection_error") from None
        except httpx.InvalidURL as exc:  # e.g. an id the server made up with control characters
            raise PermanentError(f"cannot build the request URL: {exc}", code="invalid_url") from None
        log.debug("%s /%s -> %s (%d bytes)", method, path, response.status_code, len(body))
        return _Answer(response.status_code, response.headers, body)

    def _unreachable(self, method: str, path: str, reason: str) -> Unreachable:
        host = httpx.URL(self.base_url).netloc.decode("ascii", "replace")
        return Unreachable(f"{method} /{path.split('/')[0]}: can't reach {host} ({reason})",
                           code="unreachable", host=host, reason=reason)

    def _retry_after(self, answer: _Answer) -> float | None:
        return parse_retry_after(answer.headers.get("Retry-After"), self._clock.now())

    def _reply(self, answer: _Answer, *, replayed: bool) -> ApiReply:
        self._raise_for_error(answer)
        if answer.status not in (200, 201):
            raise TransientError(f"unexpected HTTP {answer.status} for a quote",
                                 status=answer.status, code="unexpected_status",
                                 retry_after=self._retry_after(answer))
        try:
            quote = parse_quote(self._json(answer), secret=self._masked_key)
        except _BrokenBody as exc:
            raise BrokenBody(f"the server sent a quote this client cannot read: {exc}",
                             status=answer.status, code="broken_body",
                             retry_after=self._retry_after(answer)) from None
        return ApiReply(quote=quote, retry_after=self._retry_after(answer), replayed=replayed)

    def _json(self, answer: _Answer) -> Any:
        try:
            return decode_json(answer.body)
        except _BrokenBody as exc:
            what = "is not JSON" if str(exc) == "the answer is not JSON" else f"is unreadable ({exc})"
            if answer.headers.get("Content-Type", "").lower().startswith("text/html"):
                what = "is a web page, not JSON: check the API URL"
            raise BrokenBody(f"the server's answer {what}", status=answer.status,
                             code="broken_body", retry_after=self._retry_after(answer)) from None

    @staticmethod
    def _json_or_none(answer: _Answer) -> Any:
        try:
            return decode_json(answer.body)
        except _BrokenBody:
            return None

    def _raise_for_error(self, answer: _Answer) -> None:
        """Turn an error status into the matching ApiError; return for 2xx."""
        status = answer.status
        if 200 <= status < 300:
            return
        body = self._json_or_none(answer)
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = _optional_text(error, "code", MAX_CODE_CHARS, self._masked_key)
        field = _optional_text(error, "field", MAX_FIELD_CHARS, self._masked_key)
        message = (_optional_text(error, "message", MAX_MESSAGE_CHARS, self._message_secrets)
                   or _reason(status))
        retry_after = self._retry_after(answer)
        common = dict(status=status, field=field, retry_after=retry_after)
        if status == 401:
            raise AuthError(message, code=code or "unauthorized", **common)
        if status == 409:
            in_flight = body.get("in_flight_id") if isinstance(body, dict) else None
            if not isinstance(in_flight, str):
                in_flight = error.get("in_flight_id")  # tolerate it inside the error object too
            # The id goes into a DELETE: one that could not be a quote id is no id at all.
            usable = valid_quote_id(in_flight) and not any(f in in_flight for f in self._message_secrets)
            raise QuoteInFlight(message, code=code or "quote_in_flight",
                                in_flight_id=in_flight if usable else None, **common)
        if status == 404:
            raise NotFound(message, code=code or "not_found", **common)
        if status in (400, 422):
            raise PermanentError(message, code=code or ("malformed_json" if status == 400
                                                        else "validation_error"), **common)
        if status == 429:
            raise TransientError(message, code=code or "rate_limited", **common)
        if status >= 500:
            raise TransientError(message, code=code or "server_error", **common)
        if 300 <= status < 400:
            raise TransientError(self._redirect_message(answer), code="redirect", **common)
        raise TransientError(message, code=code or "unexpected_status", **common)

    def _redirect_message(self, answer: _Answer) -> str:
        """A redirect is never followed (the key would go along): say where it pointed."""
        location = answer.headers.get("Location", "")
        try:
            target = httpx.URL(self.base_url + "/").join(location.strip())
            here = httpx.URL(self.base_url)
            if (target.scheme, target.netloc) == (here.scheme, here.netloc):
                where = f"another address on {here.netloc.decode('ascii', 'replace')}"
            else:
                where = f"{target.scheme}://{target.netloc.decode('ascii', 'replace')}"
        except (httpx.InvalidURL, ValueError, TypeError):
            where = "an address that is not a URL"
        where = clean_text(where, MAX_FIELD_CHARS, self._masked_key) if location.strip() \
            else "nowhere (no Location)"
        return (f"the server redirected the request (HTTP {answer.status}) to {where}; BulkQuote "
                "does not follow redirects, which would take the API key along: check the API URL")

    def _redact(self, text: str) -> str:
        # A server (or proxy) that echoes the Authorization header must not leak it into our logs.
        for form in self._message_secrets:
            if form in text:
                text = text.replace(form, "<hidden>")
        return text


def _connect_reason(exc: httpx.ConnectError) -> str:
    """A few words a rep can act on, from the socket error behind a failed connection."""
    text = str(exc).lower()
    for needle, reason in (("refused", "connection refused"),
                           ("name or service not known", "unknown host name"),
                           ("nodename nor servname", "unknown host name"),
                           ("getaddrinfo", "unknown host name"),
                           ("temporary failure in name resolution", "unknown host name"),
                           ("certificate", "TLS certificate not accepted"),
                           ("ssl", "TLS handshake failed"),
                           ("no route", "no route to host"),
                           ("network is unreachable", "network unreachable"),
                           ("timed out", "no answer to the connection")):
        if needle in text:
            return reason
    return "connection failed"


def _path_id(quote_id: str) -> str:
    """A quote id as one path segment: an id with '/' or '..' cannot reach another endpoint."""
    if not isinstance(quote_id, str) or not quote_id:
        raise ValueError("a quote id is a non-empty string")
    segment = url_quote(quote_id, safe="")
    # "." and ".." are path steps, not names: spell their dots out so they stay one segment.
    return segment.replace(".", "%2E") if set(segment) == {"."} else segment


def _reason(status: int) -> str:
    reasons = {400: "the server could not read the request", 401: "the API key was refused",
               404: "no such quote", 409: "another quote is still in flight",
               422: "the server refused the request", 429: "too many requests"}
    return reasons.get(status, "the server reported an error" if status >= 500
                       else f"unexpected HTTP status {status}")
