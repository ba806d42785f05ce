"""The simulator's rules, apart from HTTP: accounts, validation, idempotency, one-in-flight, lifecycle.

Every operation takes what the HTTP layer read (account, body bytes, headers) and returns a
`SimResponse` (status, JSON body, headers, Retry-After seconds), so the rules of
docs/api/momentum-api.md can be tested here with a fake clock, and the HTTP layer only moves bytes.
A quote's status is derived from its timeline whenever it is looked at: no background thread.

With a `state_file` (demo mode: beside the database) the quotes and idempotency keys are kept
across restarts, as the real API keeps them: each new quote and each cancel is one JSON line
appended to the file, replayed (and the file compacted) when the next simulator starts. A quote's
age is wall-clock time, so a quote made before a restart has gone on ageing meanwhile.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import secrets
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.file_modes import private_opener
from bulkquote_gui.core.offer import BANDWIDTHS_MBPS, PRODUCTS, TERMS_MONTHS
from bulkquote_gui.core.quoting.provider import QuoteStatus
from bulkquote_gui.services.simulator_pricing import Answer, answer_for, processing_seconds

log = logging.getLogger(__name__)
IN_FLIGHT = frozenset({QuoteStatus.QUEUED, QuoteStatus.PROCESSING})
QUEUED_SECONDS = 1.0
EXPIRY_SECONDS = 30 * 60.0
RETRY_AFTER_MIN, RETRY_AFTER_MAX = 2.0, 10.0
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600.0  # real time, never scaled: a replay must stay safe
USPS_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP".split())


@dataclass(frozen=True)
class SimResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    retry_after_s: float | None = None  # the HTTP layer writes it as seconds or an HTTP-date


def error(status: int, code: str, message: str, field_name: str | None = None,
          retry_after_s: float | None = None, **extra: Any) -> SimResponse:
    err: dict[str, Any] = {"code": code, "message": message}
    if field_name:
        err["field"] = field_name
    return SimResponse(status, {"error": err, **extra}, retry_after_s=retry_after_s)


class _Invalid(Exception):
    def __init__(self, code: str, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field_name = code, message, field_name


@dataclass
class SimQuote:
    id: str
    account: str
    reference: str | None
    request: dict[str, Any]
    created_wall: datetime
    created_mono: float
    queued_s: float              # scaled seconds spent queued
    processing_s: float          # scaled seconds spent processing
    expire_s: float              # scaled seconds after which an unfinished quote expires
    answer: Answer
    never_finish: bool = False
    cancelled_after_s: float | None = None  # seconds after creation it was cancelled

    def timeline(self, elapsed: float) -> tuple[str, float]:
        """(status, seconds after creation it took that status) as of `elapsed` seconds."""
        if self.cancelled_after_s is not None and elapsed >= self.cancelled_after_s:
            return QuoteStatus.CANCELLED, self.cancelled_after_s
        done = math.inf if self.never_finish else self.queued_s + self.processing_s
        if done <= self.expire_s and elapsed >= done:
            return self.answer.status, done
        if self.expire_s < done and elapsed >= self.expire_s:
            return "expired", self.expire_s
        if elapsed >= self.queued_s:
            return "processing", self.queued_s
        return "queued", 0.0


def _created_line(quote: SimQuote, key: str | None, fingerprint: str) -> dict[str, Any]:
    return {"op": "create", "id": quote.id, "account": quote.account, "reference": quote.reference,
            "request": quote.request, "created": quote.created_wall.isoformat(),
            "queued_s": quote.queued_s, "processing_s": quote.processing_s,
            "expire_s": None if math.isinf(quote.expire_s) else quote.expire_s,
            "answer": {"status": quote.answer.status, "result": quote.answer.result,
                       "error_code": quote.answer.error_code,
                       "error_message": quote.answer.error_message},
            "never_finish": quote.never_finish, "key": key, "fingerprint": fingerprint}


def _quote_from_line(line: dict[str, Any], wall: datetime, mono: float) -> SimQuote:
    created = datetime.fromisoformat(line["created"])
    answer = line["answer"]
    expire = line.get("expire_s")
    return SimQuote(
        id=str(line["id"]), account=str(line["account"]), reference=line.get("reference"),
        request=dict(line["request"]), created_wall=created,
        created_mono=mono - (wall - created).total_seconds(),
        queued_s=float(line["queued_s"]), processing_s=float(line["processing_s"]),
        expire_s=math.inf if expire is None else float(expire),
        answer=Answer(str(answer["status"]), answer.get("result"), answer.get("error_code"),
                      answer.get("error_message")),
        never_finish=bool(line.get("never_finish")),
        cancelled_after_s=line.get("cancelled_after_s"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(obj: dict[str, Any], key: str, path: str, code: str, *, required: bool,
          max_len: int) -> str | None:
    """A string field; an optional one may be absent (None), but never null or another type."""
    if key not in obj and not required:
        return None
    value = obj.get(key)
    if not isinstance(value, str) or (required and not value.strip()):
        raise _Invalid(code, f"{path} is required and must be a non-empty string"
                       if required else f"{path} must be a string", path)
    if len(value) > max_len:
        raise _Invalid(code, f"{path} is longer than {max_len} characters", path)
    return value.strip()


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        code = {"location": "invalid_address"}.get(key, "invalid_request")
        raise _Invalid(code, f"{key} is required and must be an object", key)
    return value


def validate_request(body: Any) -> dict[str, Any]:
    """The request as accepted (defaults filled in, unknown fields dropped), or _Invalid."""
    if not isinstance(body, dict):
        raise _Invalid("invalid_request", "the request must be a JSON object")
    accepted: dict[str, Any] = {}
    reference = _text(body, "reference", "reference", "invalid_request", required=False, max_len=200)
    if reference is not None:
        accepted["reference"] = reference

    customer = _object(body, "customer")
    accepted_customer: dict[str, Any] = {
        "company": _text(customer, "company", "customer.company", "invalid_request",
                         required=True, max_len=200)}
    for name, max_len in (("contact_name", 200), ("email", 320), ("phone", 40)):
        value = _text(customer, name, f"customer.{name}", "invalid_request", required=False,
                      max_len=max_len)
        if value is not None:
            accepted_customer[name] = value
    accepted["customer"] = accepted_customer

    location = _object(body, "location")
    loc: dict[str, Any] = {}
    for name, max_len in (("street", 200), ("city", 100)):
        loc[name] = _text(location, name, f"location.{name}", "invalid_address", required=True,
                          max_len=max_len)
    unit = _text(location, "unit", "location.unit", "invalid_address", required=False, max_len=50)
    if unit:
        loc["unit"] = unit
    state = location.get("state")
    if not isinstance(state, str) or state not in USPS_STATES:
        raise _Invalid("invalid_address", f"location.state {state!r} is not a USPS two-letter code",
                       "location.state")
    loc["state"] = state
    postal = location.get("postal_code")
    if not (isinstance(postal, str) and len(postal) in (5, 10) and postal[:5].isdigit() and postal[:5].isascii()
            and (len(postal) == 5 or (postal[5] == "-" and postal[6:].isdigit() and postal[6:].isascii()))):
        raise _Invalid("invalid_address", f"location.postal_code {postal!r} is not a ZIP like 12345 "
                       "or 12345-6789", "location.postal_code")
    loc["postal_code"] = postal
    country = location.get("country", "US")  # absent: the default; null is not a country
    if country != "US":
        raise _Invalid("invalid_address", "only US addresses can be quoted (location.country)",
                       "location.country")
    loc["country"] = "US"
    accepted["location"] = loc

    service = _object(body, "service")
    product = service.get("product", "DIA")  # absent: the default; null or {} is no product
    if not isinstance(product, str) or product not in PRODUCTS:
        raise _Invalid("unsupported_product", f"service.product {product!r} is not one of "
                       f"{', '.join(PRODUCTS)}", "service.product")
    bandwidth = service.get("bandwidth_mbps")
    if isinstance(bandwidth, bool) or bandwidth not in BANDWIDTHS_MBPS or not isinstance(bandwidth, int):
        raise _Invalid("unsupported_bandwidth", f"service.bandwidth_mbps {bandwidth!r} is not one of "
                       f"{', '.join(map(str, BANDWIDTHS_MBPS))}", "service.bandwidth_mbps")
    term = service.get("term_months")
    if isinstance(term, bool) or term not in TERMS_MONTHS or not isinstance(term, int):
        raise _Invalid("unsupported_term", f"service.term_months {term!r} is not one of "
                       f"{', '.join(map(str, TERMS_MONTHS))}", "service.term_months")
    accepted["service"] = {"product": product, "bandwidth_mbps": bandwidth, "term_months": term}
    return accepted


class SimulatorState:
    """All accounts and quotes of one simulator. Thread-safe: one lock around every operation."""

    def __init__(self, *, time_scale: float = 1.0, api_key: str | None = None,
                 clock: Clock | None = None, expire_after_s: float | None = None,
                 base_path: str = "/v1", chance: Callable[[], float] | None = None,
                 state_file: str | Path | None = None) -> None:
        """`chance` draws a fraction in [0, 1) for never_finish_rate (the server's seeded one);
        `state_file` keeps the quotes across restarts (see the module's docstring)."""
        if not (time_scale >= 0 and math.isfinite(time_scale)):
            raise ValueError("time_scale must be a finite number >= 0")
        self.time_scale = time_scale
        self._api_key = api_key
        self._clock = clock or SystemClock()
        # At time scale 0 everything is instant, so expiry would be instant too: disable it.
        scaled_expiry = EXPIRY_SECONDS * time_scale if time_scale > 0 else math.inf
        self.expire_after_s = scaled_expiry if expire_after_s is None else expire_after_s
        self.base_path = base_path
        self.never_finish = False       # every new quote stays processing until DELETEd/expired
        self.never_finish_rate = 0.0    # or this share of them, drawn with `chance`
        self._chance = chance or random.Random(0).random
        self._lock = threading.Lock()
        self._state_file = Path(state_file) if state_file is not None else None
        self.reset(keep_file=True)
        if self._state_file is not None:
            self._load()

    def reset(self, *, keep_file: bool = False) -> None:
        with self._lock:
            if self._state_file is not None and not keep_file:
                self._state_file.unlink(missing_ok=True)
            self._quotes: dict[str, SimQuote] = {}
            # (account, idempotency key) -> (fingerprint of the body, quote id, monotonic time)
            self._idempotency: dict[tuple[str, str], tuple[str, str, float]] = {}
            self._counts = {"created": 0, "posts": 0, "gets": 0, "deletes": 0, "replays": 0,
                            "faults": 0, "max_in_flight": 0, "max_in_flight_all": 0,
                            "never_finish": 0}
            self._by_reference: dict[str, list[str]] = {}
            self._answered: dict[str, int] = {}  # HTTP status (as text) -> answers sent with it

    # -- bookkeeping ------------------------------------------------------------------------------

    def count(self, what: str) -> None:
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + 1

    def count_answer(self, status: int) -> None:
        """One answer sent with `status` (faults included; not the connections dropped)."""
        with self._lock:
            self._answered[str(status)] = self._answered.get(str(status), 0) + 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            now = self._clock.monotonic()
            statuses: dict[str, int] = {}
            for quote in self._quotes.values():
                status = quote.timeline(now - quote.created_mono)[0]
                statuses[status] = statuses.get(status, 0) + 1
            never = [q.id for q in self._quotes.values() if q.never_finish]
            return {**self._counts, "quotes": {k: list(v) for k, v in self._by_reference.items()},
                    "statuses": statuses, "answered": dict(self._answered),
                    "never_finish_ids": never}

    def authenticate(self, authorization: str | None) -> str | None:
        """The account a request belongs to, or None (-> 401)."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if self._api_key is not None:
            return "default" if hmac.compare_digest(token.encode(), self._api_key.encode()) else None
        return "acct-" + hashlib.sha256(token.encode()).hexdigest()[:16]  # never the token itself

    # -- the calls --------------------------------------------------------------------------------

    def health(self) -> SimResponse:
        return SimResponse(200, {"status": "ok"})

    def create(self, account: str, raw_body: bytes, idempotency_key: str | None) -> SimResponse:
        try:
            body = json.loads(raw_body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return error(400, "malformed_json", "the request body is not valid JSON")
        if not isinstance(body, dict):
            return error(400, "malformed_json", "the request body must be a JSON object")
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
            return error(422, "invalid_request", "Idempotency-Key must be 1-255 characters",
                         "Idempotency-Key")
        fingerprint = json.dumps(body, sort_keys=True, separators=(",", ":"))
        with self._lock:
            now = self._clock.monotonic()
            if idempotency_key is not None:
                seen = self._idempotency.get((account, idempotency_key))
                if seen and now - seen[2] < IDEMPOTENCY_WINDOW_SECONDS:
                    if seen[0] != fingerprint:
                        return error(422, "idempotency_mismatch", "this Idempotency-Key was used "
                                     "with a different request body")
                    self._counts["replays"] += 1
                    return self._quote_response(self._quotes[seen[1]], 200)
            try:
                request = validate_request(body)
            except _Invalid as exc:
                return error(422, exc.code, exc.message, exc.field_name)
            everyone = [q for q in self._quotes.values()
                        if q.timeline(now - q.created_mono)[0] in IN_FLIGHT]
            in_flight = [q for q in everyone if q.account == account]
            if in_flight:
                self._counts["in_flight_conflicts"] = self._counts.get("in_flight_conflicts", 0) + 1
                return error(409, "quote_in_flight", "another quote of this account is still in "
                             "flight; wait for it or cancel it", in_flight_id=in_flight[0].id)
            quote = self._new_quote(account, request, now)
            self._quotes[quote.id] = quote
            if idempotency_key is not None:
                self._idempotency[(account, idempotency_key)] = (fingerprint, quote.id, now)
            self._journal(_created_line(quote, idempotency_key, fingerprint))
            self._counts["created"] += 1
            self._counts["max_in_flight"] = max(self._counts["max_in_flight"], len(in_flight) + 1)
            # Across every account: shows that several accounts' lines really ran side by side.
            self._counts["max_in_flight_all"] = max(self._counts["max_in_flight_all"],
                                                    len(everyone) + 1)
            self._by_reference.setdefault(quote.reference or "", []).append(quote.id)
            response = self._quote_response(quote, 201)
            response.headers["Location"] = f"{self.base_path}/quotes/{quote.id}"
            return response

    def get(self, account: str, quote_id: str) -> SimResponse:
        with self._lock:
            quote = self._quotes.get(quote_id)
            if quote is None or quote.account != account:  # another account's quote does not exist
                return error(404, "not_found", f"no quote {quote_id!r}")
            return self._quote_response(quote, 200)

    def cancel(self, account: str, quote_id: str) -> SimResponse:
        with self._lock:
            quote = self._quotes.get(quote_id)
            if quote is None or quote.account != account:
                return error(404, "not_found", f"no quote {quote_id!r}")
            elapsed = self._clock.monotonic() - quote.created_mono
            if quote.timeline(elapsed)[0] in IN_FLIGHT:
                quote.cancelled_after_s = elapsed
                self._journal({"op": "cancel", "id": quote.id, "after_s": elapsed})
            return self._quote_response(quote, 200)

    # -- persistence (demo mode) ------------------------------------------------------------------

    def _journal(self, line: dict[str, Any]) -> None:
        """One line appended (lock held); a disk that refuses it costs the restart, not the call."""
        if self._state_file is None:
            return
        try:
            # 0600: the demo's quotes carry the rep's addresses, as the database does
            with open(self._state_file, "a", encoding="utf-8", opener=private_opener) as f:
                f.write(json.dumps(line, separators=(",", ":")) + "\n")
        except OSError as exc:
            log.warning("simulator state %s not written: %s", self._state_file, exc)

    def _load(self) -> None:
        """Replay the journal: quotes younger than the idempotency window come back with their
        timing (their age on the wall clock), then the file is rewritten with just those."""
        path = self._state_file
        assert path is not None
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("simulator state %s unreadable: %s", path, exc)
            return
        with self._lock:
            wall, mono = self._clock.now(), self._clock.monotonic()
            kept: dict[str, dict[str, Any]] = {}
            for text in lines:
                try:
                    line = json.loads(text)
                    if line.get("op") == "create":
                        kept[line["id"]] = line
                    elif line.get("op") == "cancel" and line.get("id") in kept:
                        kept[line["id"]]["cancelled_after_s"] = float(line["after_s"])
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue  # a line cut short by a crash: the quotes before it still count
            for line in list(kept.values()):
                try:
                    quote = _quote_from_line(line, wall, mono)
                except (ValueError, KeyError, TypeError):
                    kept.pop(line.get("id"), None)
                    continue
                if (wall - quote.created_wall).total_seconds() >= IDEMPOTENCY_WINDOW_SECONDS:
                    kept.pop(quote.id)
                    continue
                self._quotes[quote.id] = quote
                self._by_reference.setdefault(quote.reference or "", []).append(quote.id)
                if line.get("key"):
                    self._idempotency[(quote.account, line["key"])] = (
                        line.get("fingerprint", ""), quote.id, quote.created_mono)
            tmp = path.with_name(path.name + ".tmp")
            try:
                with open(tmp, "w", encoding="utf-8", opener=private_opener) as f:
                    f.write("".join(json.dumps(line, separators=(",", ":")) + "\n"
                                    for line in kept.values()))
                os.replace(tmp, path)
            except OSError as exc:
                log.warning("simulator state %s not compacted: %s", path, exc)

    # -- helpers ----------------------------------------------------------------------------------

    def _new_quote(self, account: str, request: dict[str, Any], now: float) -> SimQuote:
        created_wall = self._clock.now()
        scale = self.time_scale
        never_finish = self.never_finish or (
            self.never_finish_rate > 0 and self._chance() < self.never_finish_rate)
        if never_finish:
            self._counts["never_finish"] += 1
        return SimQuote(
            id="q_" + secrets.token_hex(12).upper(),
            account=account,
            reference=request.get("reference"),
            request=request,
            created_wall=created_wall,
            created_mono=now,
            queued_s=QUEUED_SECONDS * scale,
            processing_s=processing_seconds(request["location"]) * scale,
            expire_s=self.expire_after_s,
            answer=answer_for(request["location"], request["service"], created_wall.date()),
            never_finish=never_finish,
        )

    def _quote_response(self, quote: SimQuote, status_code: int) -> SimResponse:
        elapsed = self._clock.monotonic() - quote.created_mono
        if status_code == 201:
            status, since = "queued", 0.0  # a new quote is always answered as queued
        else:
            status, since = quote.timeline(elapsed)
        body: dict[str, Any] = {"id": quote.id}
        if quote.reference is not None:
            body["reference"] = quote.reference
        body.update({
            "status": status,
            "created_at": _iso(quote.created_wall),
            "updated_at": _iso(quote.created_wall + timedelta(seconds=since)),
            "request": quote.request,
            "result": quote.answer.result if status == QuoteStatus.COMPLETE else None,
            "error": {"code": quote.answer.error_code, "message": quote.answer.error_message}
            if status == QuoteStatus.FAILED else None,
        })
        retry_after = self._retry_after(quote, elapsed) if status in IN_FLIGHT else None
        return SimResponse(status_code, body, retry_after_s=retry_after)

    def _retry_after(self, quote: SimQuote, elapsed: float) -> float:
        """The server's honest estimate of the time left, kept within 2-10 s (scaled)."""
        scale = self.time_scale
        if scale == 0:
            return 0.0
        done = math.inf if quote.never_finish else quote.queued_s + quote.processing_s
        left_unscaled = max(0.0, done - elapsed) / scale
        return min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, left_unscaled)) * scale

    def random_retry_after(self, fraction: float) -> float:
        """A 429/503 delay: 2-10 s scaled, `fraction` in [0, 1) choosing where."""
        return (RETRY_AFTER_MIN + (RETRY_AFTER_MAX - RETRY_AFTER_MIN) * fraction) * self.time_scale
