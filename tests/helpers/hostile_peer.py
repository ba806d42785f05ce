"""A second, independent implementation of the Momentum quote API, as nasty as the contract allows.

Written from docs/api/momentum-api.md and momentum-api.yaml only (not from our simulator), so it
does not share the client team's reading of the contract. It is a test peer: a threaded stdlib
HTTP/1.1 server on loopback (port 0) that

- keeps the rules the contract promises (one quote in flight per account, idempotent POST with
  the same key and body, 404 for unknown ids, DELETE answering the quote cancelled or unchanged),
- injects every fault the contract allows, either scripted per call (`queue_faults`) or at
  random with a fixed seed (`random_faults`): 429/5xx with Retry-After as delay-seconds or
  HTTP-date (past, near, absurdly far), dropped connections, truncated bodies, HTML proxy pages,
  empty 200s, and answers lost *after* the call took effect (quote created or cancelled),
- decides each address's fate with a `Behaviour` (slow, never finishing, expiring, failing with
  a code, rejected with 422, forgotten -> 404, completing just as it is DELETEd),
- adds unknown fields to every object it sends and leaves optional fields out,
- records everything (every call, every quote created, every POST refused by the one-in-flight
  rule) so a test can assert what the engine did on the wire.

All timings are real (time.monotonic) and meant to be small: tests run it at 10-100 ms scales.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

IN_FLIGHT = frozenset({"queued", "processing"})
TERMINAL = frozenset({"complete", "failed", "cancelled", "expired"})
BANDWIDTHS = {10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}
TERMS = {12, 24, 36, 60}
PRODUCTS = {"DIA", "BROADBAND", "ETHERNET"}
STATES = re.compile(r"^[A-Z]{2}$")
POSTAL = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
BASE_PATH = "/v1"

# Sentinel: leave an optional field out of the JSON entirely.
OMIT: Any = object()


# ------------------------------------------------------------------------------------ behaviour

@dataclass
class Behaviour:
    """What the service does with one address.

    outcome: "complete", "failed" (with error_code) or "never" (stays processing until DELETEd
    or expired). Times are seconds from creation.
    """

    outcome: str = "complete"
    queued_s: float = 0.01
    done_s: float = 0.04
    error_code: str = "no_coverage"
    options: list[dict[str, Any]] | None = None   # raw option objects; None -> generated
    recommended: int | None = None                # None -> chosen from the address
    valid_until: Any = "2027-01-31"               # OMIT leaves it out
    reject: tuple[str, str | None] | None = None  # 422 (code, field) on POST
    expire_s: float | None = None                 # server-side expiry while still in flight
    forget_s: float | None = None                 # after this, the id is unknown (404)
    completes_on_delete: bool = False             # DELETE finds it just completed
    fails_on_delete: str | None = None            # DELETE finds it just failed with this code
    refuse_delete: int | None = None              # DELETE answers this status, quote untouched
    retry_after: Callable[[], str | None] | str | None = "1"  # on POST and non-terminal GET
    blocks_at_least: int = 0      # not done before it has made this many POSTs wait (409):
                                  # a blocker whose life is counted in the client's tries, not
                                  # in seconds a busy machine may spend before the first try


def default_behaviour(request: dict[str, Any]) -> Behaviour:
    return Behaviour()


CARRIERS = ["Lumen", "Spectrum", "Zayo", "Cogent", "Crown Castle", "Verizon Business", "AT&T"]


def generated_options(request: dict[str, Any], count: int | None = None) -> list[dict[str, Any]]:
    """Deterministic, varied options for an address: awkward prices, optional fields dropped,
    unknown fields added."""
    seed = int(hashlib.sha256(json.dumps(request.get("location"), sort_keys=True).encode())
               .hexdigest()[:12], 16)
    rng = random.Random(seed)
    service = request.get("service") or {}
    n = count or rng.randint(1, 4)
    prices = ["899.00", "0.10", "749.99", "1234567.80", "12.30", "100.00", "5000.05"]
    nrcs = ["0.00", "500.00", "-250.00", "1999.90", "0.01"]
    options = []
    for i in range(n):
        option: dict[str, Any] = {
            "carrier": rng.choice(CARRIERS) + ("" if i == 0 else f" {i}"),
            "product": service.get("product", "DIA"),
            "bandwidth_mbps": service.get("bandwidth_mbps", 1000),
            "term_months": service.get("term_months", 36),
            "mrc": rng.choice(prices),
            "nrc": rng.choice(nrcs),
            "currency": rng.choice(["USD", "USD", "CAD"]),
            "x_sales_note": {"nested": [1, "two", None]},
        }
        if rng.random() < 0.6:
            option["install_days"] = rng.choice([0, 30, 45, 90])
        if rng.random() < 0.6:
            option["access"] = rng.choice(["on_net", "off_net"])
        if rng.random() < 0.6:
            option["is_estimate"] = rng.random() < 0.5
        options.append(option)
    return options


# ------------------------------------------------------------------------------------ faults

@dataclass(frozen=True)
class Fault:
    """One broken answer.

    kind: "status" (an error status with a JSON error body), "html" (a proxy's HTML page with
    `status`), "drop" (close the connection without answering), "truncate" (promise a body, send
    half, close), "empty" (200 with no body), "hang" (answer nothing for `hang_s`, then drop).
    then_outage_s starts an outage (503s) the moment this fault is sent, so a test can pin
    "lost answer, then an outage" to the engine's own calls, whatever the machine's speed.
    after_effect: the call takes effect first (POST creates the quote, DELETE cancels it), then
    the answer breaks; otherwise it breaks before anything happens.
    """

    kind: str = "status"
    status: int = 503
    retry_after: str | Callable[[], str] | None = None  # a callable is asked as the fault is sent
    after_effect: bool = False
    hang_s: float = 0.0
    then_outage_s: float = 0.0  # after this fault, every call of the method gets a 503 this long

    def describe(self) -> str:
        status = f":{self.status}" if self.kind in ("status", "html") else ""
        value = "<computed>" if callable(self.retry_after) else self.retry_after
        ra = f" RA={value}" if value is not None else ""
        return f"{self.kind}{status}{ra}{' after' if self.after_effect else ''}"


def http_date(offset_s: float, style: str = "imf") -> str:
    """An HTTP-date offset_s from now, in any of the three forms a recipient must accept
    (RFC 9110 5.6.7): IMF-fixdate, obsolete RFC 850, or asctime."""
    when = datetime.fromtimestamp(int(time.time() + offset_s), timezone.utc)
    if style == "rfc850":
        return when.strftime("%A, %d-%b-%y %H:%M:%S GMT")
    if style == "asctime":
        return when.strftime("%a %b ") + f"{when.day:>2}" + when.strftime(" %H:%M:%S %Y")
    return email.utils.formatdate(when.timestamp(), usegmt=True)


FAR_FUTURE_DATE = "Fri, 31 Dec 9999 23:59:59 GMT"


@dataclass
class RandomFaults:
    """Each call breaks with probability `rate`, with a fault picked for its method."""

    seed: int
    rate: float = 0.3
    faults: dict[str, list[Fault]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def pick(self, method: str) -> Fault | None:
        choices = self.faults.get(method)
        if not choices or self.rng.random() >= self.rate:
            return None
        return self.rng.choice(choices)


# ------------------------------------------------------------------------------------ state

@dataclass
class ServerQuote:
    id: str
    reference: str | None
    request: dict[str, Any]
    behaviour: Behaviour
    created: float                # monotonic
    idempotency_key: str | None
    foreign: bool = False         # not created through POST by the client under test
    status: str = "queued"
    ended: float | None = None    # monotonic time it stopped being in flight
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    cancelled_by_delete: bool = False
    blocked: int = 0              # POSTs it answered 409 for while in flight
    created_wall: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def in_flight(self) -> bool:
        return self.status in IN_FLIGHT


@dataclass(frozen=True)
class Call:
    at: float          # monotonic, when the request was read
    method: str
    path: str
    status: int | None  # None: no HTTP status reached the client (dropped, truncated...)
    fault: str | None
    retry_after: str | None
    idempotency_key: str | None = None
    served: int | None = None  # what the service decided, even if a fault then broke the answer


class HostilePeer:
    """The server. Use as a context manager or start()/stop(); `base_url` ends in /v1."""

    def __init__(self, *, api_key: str = "hostile-key", seed: int = 1,
                 behaviour: Callable[[dict[str, Any]], Behaviour] = default_behaviour) -> None:
        self.api_key = api_key
        self.behaviour = behaviour
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._quotes: dict[str, ServerQuote] = {}
        self._by_key: dict[str, tuple[str, str]] = {}      # key -> (canonical body, quote id)
        self._queued: dict[str, list[Fault]] = {"GET": [], "POST": [], "DELETE": []}
        self._windows: dict[str, tuple[float, Fault]] = {}  # method -> (until, fault)
        self.random: RandomFaults | None = None
        self.rate_limit: tuple[int, float, Callable[[], str]] | None = None
        self._recent: list[float] = []
        self.calls: list[Call] = []
        self.blocked_posts: list[tuple[str | None, str]] = []  # (key, id of the blocking quote)
        self.revoke_after_creates: int | None = None
        self.name_the_blocker = True  # False: 409 bodies leave in_flight_id out
        self.revoke_on: str | None = None  # the key is revoked as the first call of this method arrives
        self._seq = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> HostilePeer:
        peer = self

        class Handler(_Handler):
            hostile = peer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostilePeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    # -- scripting ------------------------------------------------------------------------------

    def queue_faults(self, method: str, *faults: Fault) -> None:
        """The next calls of `method` (GET, POST, DELETE) get these faults, in order."""
        with self._lock:
            self._queued[method].extend(faults)

    def fail_for(self, method: str, seconds: float, fault: Fault) -> None:
        """Every call of `method` gets `fault` for the next `seconds` (an outage, not a blip)."""
        with self._lock:
            self._windows[method] = (time.monotonic() + seconds, fault)

    def set_rate_limit(self, max_calls: int, window_s: float,
                       retry_after: Callable[[], str] | str = "1") -> None:
        """More than max_calls authenticated calls (polls included) within window_s -> 429."""
        ra = retry_after if callable(retry_after) else (lambda value=retry_after: value)
        with self._lock:
            self.rate_limit = (max_calls, window_s, ra)
            self._recent.clear()

    def revoke_key(self) -> None:
        with self._lock:
            self.api_key = "revoked-" + self.api_key

    def restore_key(self, key: str) -> None:
        with self._lock:
            self.api_key = key

    def inject_quote(self, request: dict[str, Any], behaviour: Behaviour, *,
                     idempotency_key: str | None = None, foreign: bool = True) -> str:
        """A quote created outside the client under test (a colleague, an earlier crashed run)."""
        with self._lock:
            quote = self._create(request, behaviour, idempotency_key, foreign=foreign)
            return quote.id

    # -- what happened ------------------------------------------------------------------------

    def quotes(self) -> list[ServerQuote]:
        with self._lock:
            for q in self._quotes.values():
                self._advance(q)
            return list(self._quotes.values())

    def quotes_for_key(self, key: str) -> list[ServerQuote]:
        return [q for q in self.quotes() if q.idempotency_key == key and not q.foreign]

    def quote(self, quote_id: str) -> ServerQuote:
        with self._lock:
            q = self._quotes[quote_id]
            self._advance(q)
            return q

    def in_flight(self) -> list[ServerQuote]:
        return [q for q in self.quotes() if q.in_flight()]

    def max_in_flight(self) -> int:
        """The most quotes in flight at any instant, from every quote's [created, ended) span."""
        spans = []
        now = time.monotonic()
        for q in self.quotes():
            spans.append((q.created, 1))
            spans.append((q.ended if q.ended is not None else now + 1e6, -1))
        level = peak = 0
        for _, step in sorted(spans, key=lambda s: (s[0], s[1])):  # ends before starts at a tie
            level += step
            peak = max(peak, level)
        return peak

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def faults_sent(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.fault is not None]

    # -- the model ------------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._seq += 1
        # Characters a path segment must escape or keep as they are.
        return f"q_{self._seq:04d}.{self._rng.getrandbits(32):08x}~Z"

    def _create(self, request: dict[str, Any], behaviour: Behaviour, key: str | None, *,
                foreign: bool = False) -> ServerQuote:
        quote = ServerQuote(id=self._new_id(), reference=request.get("reference"),
                            request=request, behaviour=behaviour, created=time.monotonic(),
                            idempotency_key=key, foreign=foreign)
        self._quotes[quote.id] = quote
        if key is not None:
            self._by_key[key] = (_canonical(request), quote.id)
        if (not foreign and self.revoke_after_creates is not None
                and sum(not q.foreign for q in self._quotes.values()) >= self.revoke_after_creates):
            self.revoke_after_creates = None
            self.revoke_key()
        return quote

    def _advance(self, q: ServerQuote, now: float | None = None) -> None:
        """Move a quote along its behaviour's timeline (lazily, to the current time)."""
        if not q.in_flight():
            return
        now = time.monotonic() if now is None else now
        b = q.behaviour
        age = now - q.created
        if b.forget_s is not None and age >= b.forget_s:
            # Lost by the service: no longer blocks the account; only this peer still sees it.
            self._end(q, "forgotten", q.created + b.forget_s)
            return
        finish_at = None if b.outcome == "never" else b.done_s
        if b.expire_s is not None and (finish_at is None or b.expire_s < finish_at) and age >= b.expire_s:
            self._end(q, "expired", q.created + b.expire_s,
                      error={"code": "expired", "message": "not finished in time; expired",
                             "x_queue": "east-2"})
            return
        if finish_at is not None and age >= finish_at and q.blocked >= b.blocks_at_least:
            self._finish(q, q.created + finish_at, b.outcome)
            return
        q.status = "processing" if age >= b.queued_s else "queued"

    def _finish(self, q: ServerQuote, at: float, outcome: str) -> None:
        b = q.behaviour
        if outcome == "complete":
            options = b.options if b.options is not None else generated_options(q.request)
            recommended = b.recommended
            if recommended is None:
                recommended = int(hashlib.sha256(q.id.encode()).hexdigest(), 16) % len(options)
            result: dict[str, Any] = {"options": options, "recommended": recommended,
                                      "x_pricing_engine": {"v": 7}}
            if b.valid_until is not OMIT:
                result["valid_until"] = b.valid_until
            self._end(q, "complete", at, result=result)
        else:
            code = b.error_code
            self._end(q, "failed", at, error={"code": code, "message": f"{code}: see the portal",
                                              "x_ticket": 4711})

    def _end(self, q: ServerQuote, status: str, at: float, *, result: dict[str, Any] | None = None,
             error: dict[str, Any] | None = None) -> None:
        q.status, q.ended, q.result, q.error = status, at, result, error

    def _account_in_flight(self) -> ServerQuote | None:
        now = time.monotonic()
        for q in self._quotes.values():
            self._advance(q, now)
            if q.in_flight() and not self._forgotten(q, now):
                return q
        return None

    @staticmethod
    def _forgotten(q: ServerQuote, now: float) -> bool:
        return q.behaviour.forget_s is not None and now - q.created >= q.behaviour.forget_s

    def _get_quote(self, quote_id: str) -> ServerQuote | None:
        q = self._quotes.get(quote_id)
        now = time.monotonic()
        if q is None or self._forgotten(q, now):
            return None
        self._advance(q, now)
        return q

    def quote_json(self, q: ServerQuote) -> dict[str, Any]:
        if q.status == "forgotten":
            # Only an idempotent replay still reaches a forgotten quote (GET says 404); the
            # contract promises the original quote, so it is shown as the service sees it: gone.
            shown = ServerQuote(**{**q.__dict__, "status": "expired",
                                   "error": {"code": "expired", "message": "no longer known"}})
            return self.quote_json(shown)
        updated = q.created_wall + timedelta(seconds=((q.ended or time.monotonic()) - q.created))
        body: dict[str, Any] = {
            "id": q.id,
            "status": q.status,
            "created_at": q.created_wall.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated_at": updated.isoformat(),
            "request": {**q.request, "x_normalised": True},
            "x_region": "us-central",
            "links": {"self": f"{BASE_PATH}/quotes/{q.id}"},
        }
        if q.reference is not None:
            body["reference"] = q.reference
        if q.status == "complete":
            body["result"] = q.result
            body["error"] = None
        else:
            if self._rng.random() < 0.5:
                body["result"] = None  # the schema allows null as well as absent
            body["error"] = q.error
        return body

    # -- request handling (called by the handler thread, under the lock) -----------------------

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes
               ) -> tuple[int, dict[str, str], Any, Fault | None]:
        """-> (status, headers, JSON body, fault to send instead of that answer).

        A fault marked after_effect is returned after the call took effect (quote created or
        cancelled); any other fault is returned before anything happened."""
        route = path[len(BASE_PATH):] if path.startswith(BASE_PATH) else None
        if route == "/health" and method == "GET":
            return 200, {}, {"status": "ok", "x_build": "hostile"}, None
        if route is None or not (route == "/quotes" or route.startswith("/quotes/")):
            return 404, {}, _error("not_found", "no such endpoint"), None
        fault = self._queued[method].pop(0) if self._queued.get(method) else None
        window = self._windows.get(method)
        if fault is None and window is not None and time.monotonic() < window[0]:
            fault = window[1]
        if fault is None and self.random is not None:
            fault = self.random.pick(method)
        if fault is not None and fault.then_outage_s:
            self._windows[method] = (time.monotonic() + fault.then_outage_s, Fault("status", 503))
        if fault is not None and not fault.after_effect:
            return 0, {}, None, fault
        if self.revoke_on == method:
            self.revoke_on = None
            self.revoke_key()
        auth = headers.get("authorization", "")
        if auth != f"Bearer {self.api_key}":
            return 401, {}, _error("unauthorized", "the API key is missing or revoked"), None
        limited = self._rate_limited()
        if limited is not None:
            return 429, {"Retry-After": limited}, _error("rate_limited", "slow down"), None
        if route == "/quotes" and method == "POST":
            status, extra, body = self._post(headers, raw)
        elif route.startswith("/quotes/") and route.count("/") == 2 and method in ("GET", "DELETE"):
            quote_id = unquote(route[len("/quotes/"):])
            status, extra, body = (self._get if method == "GET" else self._delete)(quote_id)
        else:
            return 405, {}, _error("method_not_allowed", "no such call"), None
        return status, extra, body, fault

    def _rate_limited(self) -> str | None:
        if self.rate_limit is None:
            return None
        max_calls, window, retry_after = self.rate_limit
        now = time.monotonic()
        self._recent = [t for t in self._recent if now - t < window]
        self._recent.append(now)  # refused calls count too: hammering makes it worse
        return retry_after() if len(self._recent) > max_calls else None

    def _post(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], Any]:
        try:
            request = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {}, _error("malformed_json", "the body is not JSON")
        problem = _validate(request)
        if problem is not None:
            return 422, {}, _error(*problem)
        key = headers.get("idempotency-key")
        if key is not None and key in self._by_key:
            body, quote_id = self._by_key[key]
            if body != _canonical(request):
                return 422, {}, _error("idempotency_mismatch", "this key was used with another body")
            q = self._quotes[quote_id]
            self._advance(q)
            return 200, self._retry_after(q), self.quote_json(q)
        behaviour = self.behaviour(request)
        if behaviour.reject is not None:
            code, field_name = behaviour.reject
            return 422, {}, _error(code, f"{code}: the service cannot use this address", field_name)
        blocking = self._account_in_flight()
        if blocking is not None:
            self.blocked_posts.append((key, blocking.id))
            blocking.blocked += 1
            body = _error("quote_in_flight", "another quote of this account is in flight")
            if self.name_the_blocker:
                body["in_flight_id"] = blocking.id
            body["x_hint"] = "wait or DELETE it"
            return 409, {}, body
        q = self._create(request, behaviour, key)
        self._advance(q)  # a fast service may answer the POST with the quote already done
        headers_out = {"Location": f"{BASE_PATH}/quotes/{q.id}", **self._retry_after(q)}
        return 201, headers_out, self.quote_json(q)

    def _retry_after(self, q: ServerQuote) -> dict[str, str]:
        if not q.in_flight():
            return {}
        ra = q.behaviour.retry_after
        value = ra() if callable(ra) else ra
        return {} if value is None else {"Retry-After": value}

    def _get(self, quote_id: str) -> tuple[int, dict[str, str], Any]:
        q = self._get_quote(quote_id)
        if q is None:
            return 404, {}, _error("not_found", f"no quote {quote_id}")
        return 200, self._retry_after(q), self.quote_json(q)

    def _delete(self, quote_id: str) -> tuple[int, dict[str, str], Any]:
        q = self._get_quote(quote_id)
        if q is None:
            return 404, {}, _error("not_found", f"no quote {quote_id}")
        b = q.behaviour
        if b.refuse_delete is not None and q.in_flight():
            return b.refuse_delete, {"Retry-After": "1"}, _error("internal", "cannot cancel now")
        if q.in_flight():
            now = time.monotonic()
            if b.completes_on_delete:
                self._finish(q, now, "complete")       # it finished in the meantime
            elif b.fails_on_delete:
                q.behaviour = Behaviour(**{**b.__dict__, "error_code": b.fails_on_delete})
                self._finish(q, now, "failed")
            else:
                self._end(q, "cancelled", now, error=None)
                q.cancelled_by_delete = True
        return 200, {}, self.quote_json(q)


def _canonical(request: Any) -> str:
    return json.dumps(request, sort_keys=True, separators=(",", ":"))


def _error(code: str, message: str, field_name: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "x_trace": "abc123"}
    if field_name is not None:
        error["field"] = field_name
    return {"error": error, "x_request_id": "r-1"}


def _validate(request: Any) -> tuple[str, str, str] | None:
    """The contract's request rules -> (code, message, field) for the first one broken."""
    if not isinstance(request, dict):
        return "invalid_request", "the body is not an object", ""
    customer, location, service = (request.get(k) for k in ("customer", "location", "service"))
    if not isinstance(customer, dict) or not isinstance(customer.get("company"), str) \
            or not customer["company"]:
        return "invalid_request", "customer.company is required", "customer.company"
    if not isinstance(location, dict):
        return "invalid_address", "location is required", "location"
    for name in ("street", "city"):
        if not isinstance(location.get(name), str) or not location[name]:
            return "invalid_address", f"{name} is required", f"location.{name}"
    if not isinstance(location.get("state"), str) or not STATES.match(location["state"]):
        return "invalid_address", "state must be a USPS code", "location.state"
    if not isinstance(location.get("postal_code"), str) or not POSTAL.match(location["postal_code"]):
        return "invalid_address", "postal_code must be 12345 or 12345-6789", "location.postal_code"
    if location.get("country", "US") != "US":
        return "invalid_address", "only US addresses", "location.country"
    if not isinstance(service, dict):
        return "invalid_request", "service is required", "service"
    if service.get("bandwidth_mbps") not in BANDWIDTHS:
        return "unsupported_bandwidth", "bandwidth not offered", "service.bandwidth_mbps"
    if service.get("term_months") not in TERMS:
        return "unsupported_term", "term not offered", "service.term_months"
    if service.get("product", "DIA") not in PRODUCTS:
        return "invalid_request", "unknown product", "service.product"
    return None


# ------------------------------------------------------------------------------------ HTTP

_HTML_PAGE = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
              b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>")


class _Handler(BaseHTTPRequestHandler):
    hostile: HostilePeer
    protocol_version = "HTTP/1.1"
    server_version = "HostileMomentum/1.0"
    timeout = 10  # an idle kept-alive connection is closed after this

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle holds the body back until
        # the client's delayed ACK (~40 ms a call) - a stall of this peer, not of the client.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: the peer records calls itself

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            headers = {k.lower(): v for k, v in self.headers.items()}
            at = time.monotonic()
            with self.hostile._lock:
                status, extra, body, fault = self.hostile.handle(method, path, headers, raw)
                key = headers.get("idempotency-key")
                reached = None if fault is not None and fault.kind in ("drop", "truncate", "hang") \
                    else (fault.status if fault and fault.kind in ("status", "html")
                          else 200 if fault and fault.kind == "empty" else status)
                if fault is not None and callable(fault.retry_after):
                    fault = replace(fault, retry_after=fault.retry_after())
                retry_after = fault.retry_after if fault is not None else extra.get("Retry-After")
                self.hostile.calls.append(Call(at, method, path, reached,
                                               fault.describe() if fault else None,
                                               retry_after, key, status or None))
            if fault is not None:
                self._break(fault)
                return
            self._send(status, extra, body)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    def _send(self, status: int, headers: dict[str, str], body: Any,
              content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _break(self, fault: Fault) -> None:
        extra = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
        if fault.kind == "status":
            code = {401: "unauthorized", 429: "rate_limited", 503: "unavailable"}.get(
                fault.status, "internal")
            self._send(fault.status, extra, _error(code, "try again later"))
        elif fault.kind == "html":
            self._send(fault.status, extra, _HTML_PAGE, content_type="text/html")
        elif fault.kind == "empty":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()
        elif fault.kind == "truncate":
            data = json.dumps({"id": "q_cut", "status": "processing",
                               "padding": "x" * 200}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._hang_up()
        elif fault.kind == "hang":
            time.sleep(fault.hang_s)
            self._hang_up()
        else:  # drop
            self._hang_up()

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
