"""The Momentum quote API client (shared/momentum-api.md), sync httpx, one logical call per method.

Every answer is sorted into what the processor needs to decide: a parsed quote (`ApiReply`), or
one of the `ApiError` classes — transient (retry later), permanent (fail this row), auth (pause
the batch), quote-in-flight (clear the account first). Retries, backoff and waiting belong to the
processor, never to this module. The API key lives in one private attribute and goes out only in
the Authorization header: it is not in reprs, errors or log lines.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote as url_quote

import httpx

from bulkquote_gui import __version__
from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.http_deadline import call_deadline, deadline_transport

log = logging.getLogger(__name__)

TERMINAL_STATUSES = frozenset({"complete", "failed", "cancelled", "expired"})
STATUSES = frozenset({"queued", "processing"}) | TERMINAL_STATUSES
_MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DELAY_SECONDS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*$")
_MAX_BODY_BYTES = 4 * 1024 * 1024  # a quote is a few KB; more than this is not a Momentum answer
_MAX_MESSAGE_CHARS = 500
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


# --- what the API answers ------------------------------------------------------------------------

@dataclass(frozen=True)
class QuoteOption:
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


@dataclass(frozen=True)
class QuoteResult:
    options: tuple[QuoteOption, ...]
    recommended: int
    valid_until: date | None

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
class ApiReply:
    quote: RemoteQuote
    retry_after: float | None  # seconds from now, >= 0; None when absent or unreadable
    replayed: bool             # a 200 answer to POST: the quote an earlier call with this key made


# --- errors --------------------------------------------------------------------------------------

class ApiError(Exception):
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


class TransientError(ApiError):
    """Try the same call again later: connection trouble, timeouts, 429, 5xx, broken bodies."""


class Unreachable(TransientError):
    """The request never reached the API: connection refused, DNS, TLS, no route, connect timeout.

    The batch's problem, not the row's: the engine waits for the API as a whole (probing
    GET /health) and no row's timeout runs meanwhile. `host` names what could not be reached.
    """

    def __init__(self, message: str, *, host: str = "", reason: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.host = host
        self.reason = reason


class AuthError(ApiError):
    """401: the key is missing or wrong. Stop the batch and ask the user."""


class QuoteInFlight(ApiError):
    """409 quote_in_flight: another quote of this account is still queued or processing."""

    def __init__(self, message: str, *, in_flight_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.in_flight_id = in_flight_id

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", in_flight_id={self.in_flight_id!r})"


class PermanentError(ApiError):
    """400/404/422: the same call will fail the same way; the row fails with the server's message."""


class NotFound(PermanentError):
    """404: no such quote (for this account)."""


class _BrokenBody(ValueError):
    """A 2xx body that is not a Quote of the contract."""


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


def _optional_int(obj: dict[str, Any], key: str) -> int | None:
    return None if obj.get(key) is None else _int(obj, key)


def _int(obj: dict[str, Any], key: str) -> int:
    """An integer field. JSON Schema counts 1000.0 as an integer, so a server may send it."""
    value = obj.get(key)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BrokenBody(f"{key!r} missing or not an integer")
    return value


def _money(obj: dict[str, Any], key: str) -> Decimal:
    value = obj.get(key)
    # A float is refused on purpose: the contract sends money as a string so no cent is lost.
    if not isinstance(value, str) or not _MONEY.match(value):
        raise _BrokenBody(f"{key!r} is not a money string like \"899.00\"")
    return Decimal(value)


def _timestamp(value: Any) -> datetime | None:
    """Timestamps are informative only: an unreadable one becomes None rather than a failure."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _option(raw: Any) -> QuoteOption:
    if not isinstance(raw, dict):
        raise _BrokenBody("an option is not an object")
    currency = _require(raw, "currency", str)
    if not _CURRENCY.match(currency):
        raise _BrokenBody(f"currency {currency!r} is not an ISO 4217 code")
    access = raw.get("access")
    return QuoteOption(
        carrier=_require(raw, "carrier", str),
        product=_require(raw, "product", str),
        bandwidth_mbps=_int(raw, "bandwidth_mbps"),
        term_months=_int(raw, "term_months"),
        mrc=_money(raw, "mrc"),
        nrc=_money(raw, "nrc"),
        currency=currency,
        install_days=_optional_int(raw, "install_days"),
        access=access if isinstance(access, str) else None,
        is_estimate=_optional(raw, "is_estimate", bool),
    )


def _result(raw: Any) -> QuoteResult:
    if not isinstance(raw, dict):
        raise _BrokenBody("a complete quote has no result")
    options = raw.get("options")
    if not isinstance(options, list) or not options:
        raise _BrokenBody("the result has no options")
    return QuoteResult(
        options=tuple(_option(o) for o in options),
        recommended=_int(raw, "recommended"),
        valid_until=_day(raw.get("valid_until")),
    )


def parse_quote(body: Any) -> RemoteQuote:
    """A Quote object of the contract -> RemoteQuote; unknown fields are ignored.

    Raises _BrokenBody when the object lacks what the engine relies on: id, a known status, a
    result with valid options when complete.
    """
    if not isinstance(body, dict):
        raise _BrokenBody("the body is not a JSON object")
    quote_id = _require(body, "id", str)
    if not quote_id:
        raise _BrokenBody("'id' is empty")
    status = _require(body, "status", str)
    if status not in STATUSES:
        raise _BrokenBody(f"unknown status {status!r}")
    result = _result(body.get("result")) if status == "complete" else None
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    error_code = error.get("code") if isinstance(error.get("code"), str) else None
    error_message = error.get("message") if isinstance(error.get("message"), str) else None
    reference = body.get("reference")
    return RemoteQuote(
        id=quote_id,
        status=status,
        reference=reference if isinstance(reference, str) else None,
        result=result,
        error_code=error_code,
        error_message=error_message,
        created_at=_timestamp(body.get("created_at")),
        updated_at=_timestamp(body.get("updated_at")),
    )


# --- the client ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class MomentumClient:
    """One Momentum account at one base URL. Not thread-safe: one client per worker thread."""

    def __init__(self, base_url: str, api_key: str, *, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, deadline_s: float = 60.0,
                 clock: Clock | None = None, user_agent: str = f"BulkQuote/{__version__}") -> None:
        url = httpx.URL(base_url.strip())
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"the API URL must start with http:// or https://, got {base_url!r}")
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

    def create_quote(self, request: dict[str, Any], idempotency_key: str) -> ApiReply:
        """POST /quotes: 201 a new quote, 200 the quote an earlier call with this key created."""
        if not idempotency_key:
            raise ValueError("every POST /quotes needs an idempotency key")
        payload = json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode()
        answer = self._call("POST", "quotes", content=payload, headers={
            "Content-Type": "application/json", "Idempotency-Key": idempotency_key})
        return self._reply(answer, replayed=answer.status == 200)

    def get_quote(self, quote_id: str) -> ApiReply:
        return self._reply(self._call("GET", f"quotes/{_path_id(quote_id)}"), replayed=False)

    def cancel_quote(self, quote_id: str) -> ApiReply:
        return self._reply(self._call("DELETE", f"quotes/{_path_id(quote_id)}"), replayed=False)

    # -- plumbing ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, auth: bool = True, content: bytes | None = None,
              headers: dict[str, str] | None = None) -> _Answer:
        """Send one request and read the whole body within the deadline; transport trouble -> TransientError."""
        all_headers = dict(headers or {})
        if auth:
            all_headers["Authorization"] = f"Bearer {self._api_key}"
        deadline = self._clock.monotonic() + self.deadline_s
        if self._aborted.is_set():
            raise TransientError(f"{method} /{path.split('/')[0]}: not sent, the client was stopped",
                                 code="aborted")
        try:
            with call_deadline(deadline):
                with self._http.stream(method, path, content=content, headers=all_headers) as response:
                    body = self._read_body(response, deadline)
        except httpx.ConnectTimeout:
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

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            chunks.append(chunk)
            if size > _MAX_BODY_BYTES:
                raise TransientError("the answer is far larger than any quote; not reading it",
                                     status=response.status_code, code="body_too_large")
            # Checked between chunks too, so the deadline holds for any transport (also mocks).
            if self._clock.monotonic() > deadline:
                raise TransientError(f"the answer took longer than {self.deadline_s:g} s to arrive",
                                     status=response.status_code, code="timeout")
        return b"".join(chunks)

    def _retry_after(self, answer: _Answer) -> float | None:
        return parse_retry_after(answer.headers.get("Retry-After"), self._clock.now())

    def _reply(self, answer: _Answer, *, replayed: bool) -> ApiReply:
        self._raise_for_error(answer)
        if answer.status not in (200, 201):
            raise TransientError(f"unexpected HTTP {answer.status} for a quote",
                                 status=answer.status, code="unexpected_status",
                                 retry_after=self._retry_after(answer))
        try:
            quote = parse_quote(self._json(answer))
        except _BrokenBody as exc:
            raise TransientError(f"the server sent a quote this client cannot read: {exc}",
                                 status=answer.status, code="broken_body") from None
        return ApiReply(quote=quote, retry_after=self._retry_after(answer), replayed=replayed)

    def _json(self, answer: _Answer) -> Any:
        body = self._json_or_none(answer)
        if body is None:
            raise TransientError("the server's answer is not JSON", status=answer.status,
                                 code="broken_body", retry_after=self._retry_after(answer))
        return body

    @staticmethod
    def _json_or_none(answer: _Answer) -> Any:
        try:
            return json.loads(answer.body.decode("utf-8-sig"))  # tolerate a byte-order mark
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None

    def _raise_for_error(self, answer: _Answer) -> None:
        """Turn an error status into the matching ApiError; return for 2xx."""
        status = answer.status
        if 200 <= status < 300:
            return
        body = self._json_or_none(answer)
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), str) and error.get("code") else None
        message = error.get("message") if isinstance(error.get("message"), str) else None
        field = error.get("field") if isinstance(error.get("field"), str) else None
        message = self._redact((message or "").strip()[:_MAX_MESSAGE_CHARS]) or _reason(status)
        retry_after = self._retry_after(answer)
        common = dict(status=status, field=field, retry_after=retry_after)
        if status == 401:
            raise AuthError(message, code=code or "unauthorized", **common)
        if status == 409:
            in_flight = body.get("in_flight_id") if isinstance(body, dict) else None
            if not isinstance(in_flight, str):
                in_flight = error.get("in_flight_id")  # tolerate it inside the error object too
            raise QuoteInFlight(message, code=code or "quote_in_flight",
                                in_flight_id=in_flight if isinstance(in_flight, str) and in_flight else None,
                                **common)
        if status == 404:
            raise NotFound(message, code=code or "not_found", **common)
        if status in (400, 422):
            raise PermanentError(message, code=code or ("malformed_json" if status == 400
                                                        else "validation_error"), **common)
        if status == 429:
            raise TransientError(message, code=code or "rate_limited", **common)
        if status >= 500:
            raise TransientError(message, code=code or "server_error", **common)
        raise TransientError(message, code=code or "unexpected_status", **common)

    def _redact(self, text: str) -> str:
        # A server (or proxy) that echoes the Authorization header must not leak it into our logs.
        return text.replace(self._api_key, "<hidden>") if self._api_key in text else text


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
