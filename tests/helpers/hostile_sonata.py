"""A hostile MEF LSO Sonata seller on loopback, for the tests (issue 17): the built-in simulator
is a well-behaved seller; this one is what a real one may do on a bad day.

It speaks the shapes of the vendored v8.0.1 spec (docs/api/sonata/): a token endpoint (client
credentials), POST /quote, GET /quote/{id}, GET /quote?externalId=, POST /cancelQuote. Per
scenario it can:
- fault the next calls of a kind (`faults={"post": [...], "poll": [...], "search": [...]}`), each
  one of FAULTS: 5xx, 429 with or without Retry-After, malformed JSON, a huge or slow body, an
  answer lost after the quote was made ("commit_then_drop": connection cut; "commit_then_500",
  "commit_then_429", "commit_then_malformed", ...: the quote made, the answer a fault);
- revoke every token it issued once `revoke_after_creates` quotes exist (the client must fetch
  one fresh token and retry), or refuse every token (`refuse_tokens`: a secret that gets tokens
  the API will not take), or refuse the secret at the token endpoint (`refuse_secret`);
- answer with any final state (`final`, a function of the request -> the quote's state, items,
  level), pre-Billie names, alternates, partial failures, budgetary, unknown extra fields, Money
  written with many decimals; at once when asked to defer (`answer_at_once`) or deferred when
  asked for an instant answer;
- stall an answer (`stall`: "post" after the quote is made, or "poll") until released, so a
  crash test can kill the buyer at that instant.

`created` counts the quotes made per externalId: a test asserts no site was quoted twice.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

BASE_PATH = "/mefApi/sonata/quoteManagement/v8"
TOKEN_PATH = "/oauth2/token"
# A fault is one of these; any other word in a list ("ok") lets that call through.
FAULTS = ("500", "503", "429", "429_retry_after", "malformed", "huge", "slow",
          "commit_then_drop", "commit_then_500", "commit_then_429", "commit_then_malformed",
          "commit_then_huge", "commit_then_slow")
HUGE_BYTES = 5 * 1024 * 1024   # past the client's 4 MiB bound


def price_for(request: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """The peer's price for a request: (MRC, NRC), from its row number, as JSON numbers."""
    row = int(str(request.get("description", "row-1")).rsplit("-", 1)[-1])
    return Decimal(f"{400 + row}.25"), Decimal(f"{row * 10}.50")


def priced(request: dict[str, Any], *, state: str = "approved.orderable",
           term: int | None = None, level: str = "firm",
           mrc: Decimal | None = None) -> dict[str, Any]:
    """A final answer: one priced item (its term the one asked unless `term` says otherwise)."""
    asked = request["quoteItem"][0]
    months = term or asked["requestedQuoteItemTerm"]["duration"]["amount"]
    rate, once = price_for(request)
    return {"state": state, "quoteLevel": level, "quoteItem": [{
        "id": asked["id"], "action": "add", "state": state,
        "quoteItemTerm": [{"duration": {"amount": months, "units": "calendarMonths"},
                           "endOfTermAction": "roll", "name": f"{months} months"}],
        "quoteItemInstallationInterval": {"amount": 20, "timeUnit": "businessDays"},
        "quoteItemPrice": [
            {"priceType": "recurring", "recurringChargePeriod": "month", "name": "access",
             "price": {"dutyFreeAmount": {"unit": "USD", "value": mrc or rate}}},
            {"priceType": "nonRecurring", "name": "install",
             "price": {"dutyFreeAmount": {"unit": "USD", "value": once}}}],
        "product": asked["product"]}]}


def refused(request: dict[str, Any], *, state: str = "unableToProvide",
            reason: str = "no fibre within 500 m of the site") -> dict[str, Any]:
    """A final answer without a price, the seller's terminationError on the quote item."""
    asked = request["quoteItem"][0]
    return {"state": state, "quoteItem": [{
        "id": asked["id"], "action": "add", "state": "rejected",
        "terminationError": [{"code": "otherIssue", "value": reason,
                              "propertyPath": "/quoteItem/0/product/place"}]}]}


def partial(request: dict[str, Any], reason: str = "the 10 Gbps port is sold out") -> dict:
    """One item rejected, the others abandoned (MEF 115: a quote is all or nothing)."""
    answer = refused(request, reason=reason)
    for n in (2, 3):
        answer["quoteItem"].append({"id": str(n), "action": "add", "state": "abandoned"})
    return answer


class HostileSonata:
    """The peer; use as a context manager. Its knobs may be changed while it runs."""

    def __init__(self, *, final: Callable[[dict[str, Any]], dict[str, Any]] = priced,
                 polls_before_final: int = 1, faults: dict[str, list[str]] | None = None,
                 revoke_after_creates: int | None = None, refuse_tokens: bool = False,
                 answer_at_once: bool = False, extra_fields: bool = False,
                 stall: str | None = None, search_page: int | None = None,
                 on_call: Callable[[str, int], None] | None = None,
                 refuse_secret: bool = False) -> None:
        self.final = final
        self.polls_before_final = polls_before_final
        self.faults = {kind: list(seq) for kind, seq in (faults or {}).items()}
        self.revoke_after_creates = revoke_after_creates
        self.refuse_tokens = refuse_tokens      # tokens issued, every one refused by the API
        self.refuse_secret = refuse_secret      # the token endpoint refuses the client secret
        self.answer_at_once = answer_at_once
        self.extra_fields = extra_fields
        self.stall = stall
        self.on_call = on_call           # (kind, how many of that kind so far), before answering
        self.search_page = search_page   # set: the search ignores externalId, pages of this size
        self.stalled = threading.Event()    # set when a call is held by `stall`
        self.release = threading.Event()    # set to let held calls go on (a dead peer's socket)
        self.lock = threading.Lock()
        self.quotes: dict[str, dict[str, Any]] = {}
        self.polls: Counter[str] = Counter()
        self.created: Counter[str] = Counter()    # externalId -> quotes made
        self.calls: Counter[str] = Counter()       # "token", "post", "poll", "search", "cancel", "401"
        self._tokens: set[str] = set()
        self._revoked = False
        self.page_headers: dict[str, str] = {}
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.peer = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{BASE_PATH}"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{TOKEN_PATH}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def hold(self, kind: str) -> None:
        """Hold the next answers to calls of this kind ("post", after the quote is made; "poll";
        "search") until `let_go`; `stalled` is set once one is held."""
        self.stalled.clear()
        self.stall = kind

    def let_go(self) -> None:
        """Let every held answer go (to a buyer that may be dead by now); hold nothing more."""
        self.stall = None
        release, self.release = self.release, threading.Event()
        release.set()

    def twice(self) -> list[str]:
        """The externalIds quoted more than once (a test wants none)."""
        return [key for key, n in self.created.items() if n > 1]

    # -- rules (under the lock) -------------------------------------------------------------------

    def next_fault(self, kind: str) -> str | None:
        seq = self.faults.get(kind)
        return seq.pop(0) if seq else None

    def issue_token(self) -> str:
        token = f"tok-{len(self._tokens) + 1}"
        self._tokens.add(token)
        return token

    def authorised(self, header: str | None) -> bool:
        if self.refuse_tokens or not header or not header.startswith("Bearer "):
            return False
        if (self.revoke_after_creates is not None and not self._revoked
                and len(self.quotes) >= self.revoke_after_creates):
            self._revoked = True
            self._tokens.clear()   # mid-batch: every token issued so far is void
        return header[len("Bearer "):] in self._tokens

    def create(self, request: dict[str, Any]) -> dict[str, Any]:
        quote_id = f"hq-{len(self.quotes) + 1}"
        self.created[request["externalId"]] += 1
        quote = {"id": quote_id, "href": f"{BASE_PATH}/quote/{quote_id}",
                 "externalId": request["externalId"], "description": request.get("description"),
                 "projectId": request.get("projectId"), "instantSyncQuote": request["instantSyncQuote"],
                 "quoteDate": "2026-12-05T04:00:00Z", "state": "acknowledged",
                 "quoteItem": [{"id": i["id"], "action": "add", "state": "acknowledged",
                                "requestedQuoteItemTerm": i["requestedQuoteItemTerm"],
                                "product": i["product"]} for i in request["quoteItem"]],
                 "_request": request}
        self.quotes[quote_id] = quote
        # A seller may answer at once when asked to defer, or defer when asked for instant.
        at_once = self.answer_at_once if not request["instantSyncQuote"] else False
        if at_once or self.polls_before_final == 0:
            self._finish(quote)
        return quote

    def poll(self, quote_id: str) -> dict[str, Any] | None:
        quote = self.quotes.get(quote_id)
        if quote is None:
            return None
        self.polls[quote_id] += 1
        if quote["state"] in ("acknowledged", "inProgress"):
            if self.polls[quote_id] >= self.polls_before_final:
                self._finish(quote)
            else:
                quote["state"] = "inProgress"
        return quote

    def page(self, asked: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Every quote, oldest first, one page (the externalId filter ignored)."""
        offset = int(asked.get("offset", ["0"])[0])
        limit = min(int(asked.get("limit", [str(self.search_page)])[0]), self.search_page)
        every = [self.shown(q) for q in self.quotes.values()]
        self.page_headers = {"X-Total-Count": str(len(every)),
                             "X-Result-Count": str(len(every[offset:offset + limit]))}
        return every[offset:offset + limit]

    def _finish(self, quote: dict[str, Any]) -> None:
        quote.update(self.final(quote["_request"]))
        quote["validFor"] = {"startDateTime": "2026-12-05T00:00:00Z",
                             "endDateTime": "2027-03-05T00:00:00Z"}
        quote["effectiveQuoteCompletionDate"] = "2026-12-05T04:05:00Z"

    def shown(self, quote: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in quote.items() if not k.startswith("_")}
        if self.extra_fields:   # fields no release has: to be ignored
            body["x-sellerTracking"] = {"hops": [1, 2, {"deep": "yes"}], "note": "ignore me"}
            body["quoteItem"] = [{**item, "x-internalCode": 7} for item in body["quoteItem"]]
        return body


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A buyer that hangs up on a huge, slow or faulty answer is the scenario, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HostileSonata/1.0"

    def log_message(self, *args: Any) -> None:   # quiet: pytest shows what a test says
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        peer: HostileSonata = self.server.peer
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path == TOKEN_PATH and method == "POST":
            with peer.lock:
                peer.calls["token"] += 1
                token = peer.issue_token()
            if peer.refuse_secret:   # RFC 6749 5.2
                self._json(401, {"error": "invalid_client",
                                 "error_description": "the client secret is wrong"})
                return
            self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
            return
        route = url.path[len(BASE_PATH):] if url.path.startswith(BASE_PATH + "/") else None
        if (route, method) == ("/quote", "POST"):
            kind = "post"
        elif (route, method) == ("/quote", "GET"):
            kind = "search"
        elif route and route.startswith("/quote/") and method == "GET":
            kind = "poll"
        elif (route, method) == ("/cancelQuote", "POST"):
            kind = "cancel"
        else:
            self._json(404, _error("notFound", f"no {method} {url.path}"))
            return
        with peer.lock:
            if not peer.authorised(self.headers.get("Authorization")):
                peer.calls["401"] += 1
                refused_now = True
            else:
                peer.calls[kind] += 1
                refused_now = False
                fault = peer.next_fault(kind)
        if peer.on_call and not refused_now:
            peer.on_call(kind, peer.calls[kind])
        if refused_now:
            self._json(401, _error("unauthorized", "the access token is expired or revoked"))
            return
        if fault in FAULTS and not fault.startswith("commit_then") and self._fault(fault):
            return
        with peer.lock:
            status, body = self._route(peer, kind, route, url.query, raw)
        if kind == peer.stall and status in (200, 201):
            release = peer.release
            peer.stalled.set()             # the quote is made (or read): hold the answer here
            release.wait(timeout=30)
        if fault == "commit_then_drop":
            self._cut()
            return
        if fault == "commit_then_500":
            self._json(500, _error("internalError", "the gateway lost the seller's answer"))
            return
        if fault and fault.startswith("commit_then_"):   # made, then answered with a fault
            self._fault(fault[len("commit_then_"):])
            return
        headers = peer.page_headers if kind == "search" and peer.search_page else None
        self._json(status, body, headers)

    def _route(self, peer: HostileSonata, kind: str, route: str, query: str,
               raw: bytes) -> tuple[int, Any]:
        if kind == "post":
            request = json.loads(raw)
            return 201, peer.shown(peer.create(request))
        if kind == "search":
            asked = parse_qs(query)
            if peer.search_page:
                return 200, peer.page(asked)
            key = asked.get("externalId", [None])[0]
            return 200, [peer.shown(q) for q in peer.quotes.values() if q["externalId"] == key]
        if kind == "poll":
            quote = peer.poll(unquote(route[len("/quote/"):]))
            return (200, peer.shown(quote)) if quote else (404, _error("notFound", "no such quote"))
        quote = peer.quotes.get(json.loads(raw).get("quoteId"))
        if quote is None:
            return 404, _error("notFound", "no such quote")
        if quote["state"] not in ("acknowledged", "inProgress"):
            return 422, _error("invalidValue", "the quote is over")
        quote["state"] = "cancelled"
        return 200, {"quoteId": quote["id"], "reason": "withdrawn"}

    def _fault(self, fault: str) -> bool:
        """Answer with the fault; True when the call is answered (nothing more to do)."""
        if fault in ("500", "503"):
            self._json(int(fault), _error("internalError", "the seller's back end is down"))
        elif fault == "429":
            self._json(429, _error("tooManyRequests", "slow down"))
        elif fault == "429_retry_after":
            self._json(429, _error("tooManyRequests", "slow down"), {"Retry-After": "1"})
        elif fault == "malformed":
            self._send(200, b'{"id": "hq-1", "state": "approved.orde', "application/json")
        elif fault == "huge":
            self._send(200, b'{"pad": "' + b"x" * HUGE_BYTES + b'"}', "application/json")
        elif fault == "slow":
            self._slow()
        return True

    def _slow(self) -> None:
        """A 200 that trickles in, a byte at a time, and never completes in time."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.01)
        except OSError:
            pass
        self.close_connection = True

    def _cut(self) -> None:
        """The answer lost: the connection closed with nothing sent."""
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        # Money goes out as a bare JSON number with every decimal the seller wrote.
        text = json.dumps(body, default=lambda d: f"\x00{d}\x00")
        text = text.replace('"\\u0000', "").replace('\\u0000"', "")
        self._send(status, text.encode(), "application/json;charset=utf-8", headers)

    def _send(self, status: int, data: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "reason": message, "message": message}
