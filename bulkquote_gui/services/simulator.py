"""The built-in Momentum simulator: a real HTTP server on loopback that speaks the contract.

Demo mode runs the app against it; tests run the client and the engine against it over real
sockets. The rules live in `simulator_state`; this module moves bytes and injects the faults a
real deployment can throw at a client (429, 5xx, dropped connections, truncated bodies, a
response lost after the quote was created, Retry-After as an HTTP-date), each decided by a seeded
random generator so a failing test can be replayed.

Admin endpoints, outside /v1, for tests that run the simulator as a subprocess (loopback clients
only, no auth): GET /_sim/stats, PUT /_sim/faults {Faults fields}, POST /_sim/reset. A web page
the rep has open cannot reach them, nor the API while it listens on loopback: a foreign Origin
or Host is refused (simulator_guard).

Every answer is JSON in the contract's error shape, also for what the stdlib server would answer
with an HTML page (a bad request line, headers too large, a method the API does not have: 405
with an Allow header).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import math
import random
import socket
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.services import simulator_guard
from bulkquote_gui.services.simulator_state import SimResponse, SimulatorState, error

log = logging.getLogger(__name__)
BASE_PATH = "/v1"
MAX_REQUEST_BYTES = 1024 * 1024
_SERVER_ERRORS = (500, 502, 503, 504)
_ERROR_CODES = {500: "internal", 502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout"}
_ALLOWED = {"health": "GET", "quotes": "POST", "quote": "GET, DELETE"}


@dataclass
class Faults:
    """Faults to inject; all off by default. Rates in [0, 1], decided by random.Random(seed)."""

    rate_limit_rate: float = 0.0       # 429 rate_limited with Retry-After
    server_error_rate: float = 0.0     # 500/502/503/504 (503 with Retry-After)
    drop_connection_rate: float = 0.0  # close the socket without answering
    truncate_body_rate: float = 0.0    # send a Content-Length larger than the body, then close
    lose_response_after_create_rate: float = 0.0  # POST creates the quote, then the connection drops
    never_finish_rate: float = 0.0     # this share of new quotes stays processing until DELETEd/expired
    never_finish: bool = False         # every new quote does (never_finish_rate 1)
    http_date_retry_after: bool = False  # Retry-After as an HTTP-date instead of seconds
    seed: int = 0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_rate"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"{f.name} must be a number between 0 and 1, got {value!r}")
            elif f.name == "seed":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"seed must be an integer, got {value!r}")
            elif not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false, got {value!r}")

    @classmethod
    def from_json(cls, data: Any) -> Faults:
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        return cls(**data)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False   # joined on close, so a stopped simulator leaves no thread behind
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: Any,
                 handler: type[BaseHTTPRequestHandler] | None = None) -> None:
        """`owner`: the simulator the handler serves (`handler`, default Momentum's: the Sonata
        simulator reuses this server with its own)."""
        self.owner = owner
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, handler or _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (its deadline, our own truncation fault) is normal
        # here; socketserver would print a traceback to stderr for each one.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            log.debug("simulator: connection from %s ended: %s", client_address, exc)
        else:
            log.exception("simulator: error while answering %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API and httpx's pool expect
    server_version = "MomentumSimulator/1.0"
    timeout = 120  # an idle keep-alive connection is closed after this long
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    # -- connection bookkeeping (so stop() can end idle keep-alive connections) -------------------

    def setup(self) -> None:
        super().setup()
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.sockets_lock:
                self.server.open_sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("simulator: " + format, *args)  # the request line only, never headers

    # -- dispatch ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # Methods the API does not have: a JSON 405 with Allow (the stdlib would answer 501 in HTML).
    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def do_TRACE(self) -> None:
        self._dispatch("TRACE")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_CONNECT(self) -> None:
        self._dispatch("CONNECT")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (bad request line, long URI or headers) in the contract's
        JSON error shape instead of an HTML page; a method it has no handler for (501, e.g.
        QUERY) is routed like any other, so it gets the path's 405 with Allow."""
        if code == 501 and self.command:
            self._dispatch(self.command)
            return
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # an unreadable request line: answer with headers
            self.request_version = "HTTP/1.0"
        short = self.responses.get(code, ("error", ""))[0]
        self._answer(self._refusal(code, "bad_request", message or short))

    def _refusal(self, status: int, code: str, message: str) -> SimResponse:
        """A request refused before it reaches a route, in this API's error shape (the Sonata
        simulator's handler answers in Sonata's)."""
        return error(status, code, message)

    def _dispatch(self, method: str) -> None:
        sim = self.server.owner
        path = urlsplit(self.path).path
        body = self._read_body()
        if body is None:
            return
        refused = simulator_guard.refusal(method, path, self.headers, listening_host=sim.host,
                                          port=self.server.server_address[1])
        if refused:  # a web page's request (cross-site, DNS rebinding): see simulator_guard
            self.close_connection = True
            self._answer(error(403, "forbidden", refused))
            return
        if path.startswith("/_sim/"):
            self._admin(method, path, body)
            return
        if path == f"{BASE_PATH}/health":
            self._answer(sim.state.health() if method == "GET" else _not_allowed("health"))
            return
        quote_id = None
        if path.startswith(f"{BASE_PATH}/quotes/"):
            quote_id = unquote(path[len(f"{BASE_PATH}/quotes/"):])
        elif path != f"{BASE_PATH}/quotes":
            self._answer(error(404, "not_found", f"no endpoint {path}"))
            return
        route = {(None, "POST"): "posts", ("id", "GET"): "gets", ("id", "DELETE"): "deletes"}.get(
            ("id" if quote_id is not None else None, method))
        if route is None or (quote_id is not None and ("/" in quote_id or not quote_id)):
            self._answer(_not_allowed("quotes" if quote_id is None else "quote") if route is None
                         else error(404, "not_found", "no such quote"))
            return
        sim.state.count(route)
        if self._injected_fault_before():
            return
        account = sim.state.authenticate(self.headers.get("Authorization"))
        if account is None:
            self._answer(error(401, "unauthorized", "missing or invalid API key"))
            return
        if route == "posts":
            response = sim.state.create(account, body, self.headers.get("Idempotency-Key"))
            if response.status == 201 and sim.roll("lose_response_after_create_rate"):
                self._drop()  # the quote exists now; only an idempotent retry can find it
                return
        elif route == "gets":
            response = sim.state.get(account, quote_id or "")
        else:
            response = sim.state.cancel(account, quote_id or "")
        self._answer(response, truncate=sim.roll("truncate_body_rate"))

    def _injected_fault_before(self) -> bool:
        """Faults that stop a request before the simulator acts on it. True if one was sent."""
        sim = self.server.owner
        if sim.roll("drop_connection_rate"):
            self._drop()
            return True
        if sim.roll("rate_limit_rate"):
            delay = sim.state.random_retry_after(sim.fraction())
            self._answer(error(429, "rate_limited", "too many requests for this account",
                               retry_after_s=delay))
            return True
        if sim.roll("server_error_rate"):
            status = _SERVER_ERRORS[int(sim.fraction() * len(_SERVER_ERRORS))]
            delay = sim.state.random_retry_after(sim.fraction()) if status == 503 else None
            self._answer(error(status, _ERROR_CODES[status], "the quoting service had a problem; "
                               "try again", retry_after_s=delay))
            return True
        return False

    def _admin(self, method: str, path: str, body: bytes) -> None:
        sim = self.server.owner
        try:
            loopback = ipaddress.ip_address(self.client_address[0].split("%")[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self._answer(error(403, "forbidden", "the simulator's admin endpoints are loopback only"))
        elif (method, path) == ("GET", "/_sim/stats"):
            self._answer(SimResponse(200, sim.stats()))
        elif (method, path) == ("PUT", "/_sim/faults"):
            try:
                faults = Faults.from_json(json.loads(body.decode("utf-8") or "{}"))
            except (ValueError, TypeError) as exc:
                self._answer(error(400, "invalid_faults", str(exc)))
                return
            sim.set_faults(faults)
            self._answer(SimResponse(200, dataclasses.asdict(faults)))
        elif (method, path) == ("POST", "/_sim/reset"):
            sim.reset()
            self._answer(SimResponse(200, {"status": "reset"}))
        else:
            self._answer(error(404, "not_found", f"no admin endpoint {method} {path}"))

    # -- bytes ------------------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._answer(self._refusal(411, "length_required",
                                       "send a Content-Length, not a chunked body"))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST_BYTES:
            self.close_connection = True
            self._answer(self._refusal(400 if length < 0 else 413, "malformed_request",
                                       "bad or too large Content-Length"))
            return None
        return self.rfile.read(length) if length else b""

    def _payload(self, body: Any) -> bytes:
        return json.dumps(body, separators=(",", ":")).encode()

    def _answer(self, response: SimResponse, *, truncate: bool = False) -> None:
        payload = self._payload(response.body)
        self.server.owner.state.count_answer(response.status)
        if self.command == "HEAD":  # an answer to HEAD has no body, only its headers
            payload, truncate = b"", False
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.retry_after_s is not None:
            self.send_header("Retry-After", self.server.owner.format_retry_after(response.retry_after_s))
        if truncate:
            # Promise more than we send, then hang up: the client sees an incomplete body.
            self.send_header("Content-Length", str(len(payload) + max(16, len(payload) // 2)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _not_allowed(what: str) -> SimResponse:
    response = error(405, "method_not_allowed", "this method is not allowed here")
    response.headers["Allow"] = _ALLOWED[what]
    return response


class SimulatorServer:
    """The simulator on a real socket. `with SimulatorServer() as sim: sim.base_url ...`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, time_scale: float = 1.0,
                 api_key: str | None = None, faults: Faults | None = None,
                 clock: Clock | None = None, expire_after_s: float | None = None,
                 state_file: str | Path | None = None) -> None:
        """`state_file`: keep the quotes there across restarts (demo mode, beside the database)."""
        self.host = host
        self.state = SimulatorState(time_scale=time_scale, api_key=api_key, clock=clock,
                                    expire_after_s=expire_after_s, base_path=BASE_PATH,
                                    chance=self.fraction, state_file=state_file)
        self._clock_now = clock.now if clock else (lambda: datetime.now(timezone.utc))
        self._faults = Faults()
        self._random = random.Random(0)
        self._random_lock = threading.Lock()
        self.set_faults(faults or Faults())
        self._httpd = _HTTPServer((host, port), self)  # binds now: the port is known at once
        self.port: int = self._httpd.server_address[1]
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{self.port}{BASE_PATH}"
        self._thread: threading.Thread | None = None
        self._stopped = False

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        if self._stopped:
            raise RuntimeError("a stopped simulator cannot be started again")
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"momentum-simulator:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        with self._httpd.sockets_lock:
            open_sockets = list(self._httpd.open_sockets)
        for sock in open_sockets:  # wake handler threads waiting on idle keep-alive connections
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- controls ---------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults) -> None:
        with self._random_lock:
            self._faults = dataclasses.replace(faults)
            self._random = random.Random(faults.seed)
            self.state.never_finish = faults.never_finish
            self.state.never_finish_rate = faults.never_finish_rate

    def reset(self) -> None:
        """Forget every quote and counter (faults stay as they are)."""
        self.state.reset()

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    # -- used by the handler ----------------------------------------------------------------------

    def roll(self, rate_name: str) -> bool:
        """Decide one fault. Draws only when the rate is set, so each fault's sequence is stable."""
        with self._random_lock:
            rate = getattr(self._faults, rate_name)
            hit = rate > 0 and self._random.random() < rate
        if hit:
            self.state.count("faults")
        return hit

    def fraction(self) -> float:
        with self._random_lock:
            return self._random.random()

    def format_retry_after(self, seconds: float) -> str:
        if self._faults.http_date_retry_after:
            when = self._clock_now() + timedelta(seconds=seconds)
            # An HTTP-date has whole seconds: round up so the client never asks too early.
            when = datetime.fromtimestamp(math.ceil(when.timestamp()), tz=timezone.utc)
            return format_datetime(when, usegmt=True)
        return str(int(round(seconds)))
