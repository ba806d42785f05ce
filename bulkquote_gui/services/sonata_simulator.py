"""The built-in Sonata simulator: a MEF LSO Sonata seller on loopback (`bulkquote simulator
--sonata`), for demos and for tests that run the Sonata adapter over real sockets.

It speaks the calls of shared/sonata-profile.md: POST {token path} (client credentials, the
client id and secret as HTTP Basic or in the form), POST {base}/quote, GET {base}/quote/{id},
GET {base}/quote (by externalId, projectId, state; offset, limit), POST {base}/cancelQuote, each
answered as docs/api/sonata/quoteManagement.api.yaml says. The rules are sonata_simulator_state.py;
the HTTP server, its guard against web pages and its JSON answers are the Momentum simulator's
(services/simulator.py), with this module's routing.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.services import simulator_guard
from bulkquote_gui.services.simulator import _Handler, _HTTPServer
from bulkquote_gui.services.simulator_state import SimResponse
from bulkquote_gui.services.sonata_simulator_state import SonataState, sonata_error

BASE_PATH = "/mefApi/sonata/quoteManagement/v8"
TOKEN_PATH = "/oauth2/token"
_NUMBER = re.compile(r'"\\u0000([-0-9.E+]+)\\u0000"')


class _SonataHandler(_Handler):
    server_version = "SonataSimulator/1.0"

    def _payload(self, body: Any) -> bytes:
        # Money goes out as a bare JSON number with the seller's decimals (a Decimal here), as
        # a real seller writes it; json would otherwise refuse or round it through a float.
        text = json.dumps(body, separators=(",", ":"), default=lambda d: f"\x00{d}\x00")
        return _NUMBER.sub(r"\1", text).encode()

    def _refusal(self, status: int, code: str, message: str) -> SimResponse:
        return sonata_error(status, message)   # a 400 is invalidBody, as the spec's Error400

    def _dispatch(self, method: str) -> None:
        sim: SonataSimulator = self.server.owner
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            return
        refused = simulator_guard.refusal(method, url.path, self.headers, listening_host=sim.host,
                                          port=self.server.server_address[1])
        if refused:
            self.close_connection = True
            self._answer(sonata_error(403, refused))
            return
        state = sim.state
        if url.path == TOKEN_PATH and method == "POST":
            self._answer(state.token(self.headers, body))
            return
        if not url.path.startswith(BASE_PATH + "/"):
            self._answer(sonata_error(404, f"no endpoint {url.path}"))
            return
        route = url.path[len(BASE_PATH):]
        if not state.authorised(self.headers.get("Authorization")):
            self._answer(sonata_error(401, "missing, unknown or expired access token"))
            return
        if method == "POST" and route in ("/quote", "/cancelQuote"):
            request = _json(body)
            if request is _UNREADABLE:
                self._answer(sonata_error(400, "the body is not JSON"))  # Error400 invalidBody
                return
        if (route, method) == ("/quote", "POST"):
            response = state.create(request)
            if response.status == 201 and sim.lose_answer():
                self._drop()  # the quote exists; only a search by externalId finds it again
                return
            self._answer(response)
        elif (route, method) == ("/quote", "GET"):
            self._answer(state.find(parse_qs(url.query, keep_blank_values=True)))
        elif route.startswith("/quote/") and method == "GET":
            self._answer(state.get(unquote(route[len("/quote/"):])))
        elif (route, method) == ("/cancelQuote", "POST"):
            self._answer(state.cancel(request))
        else:
            self._answer(_no_such(route, method))


# The methods of each path of the spec's that this seller serves (a 405 names them in Allow).
_ALLOWED = {"/quote": "GET, POST", "/cancelQuote": "POST"}


def _no_such(route: str, method: str) -> SimResponse:
    allowed = _ALLOWED.get(route) or ("GET" if route.startswith("/quote/") else None)
    if allowed is None:
        return sonata_error(404, f"no endpoint {route}")
    refused = sonata_error(405, f"{route} answers {allowed}, not {method}")
    refused.headers["Allow"] = allowed
    return refused


_UNREADABLE = object()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _UNREADABLE


class SonataSimulator:
    """`with SonataSimulator() as sim: sim.base_url, sim.token_url ...`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, time_scale: float = 1.0,
                 clients: dict[str, str] | None = None, max_in_progress: int = 4,
                 clock: Clock | None = None, lose_answers: int = 0) -> None:
        """`lose_answers`: the answers to the first N quotes made are lost (the connection drops
        after the quote exists), as a client sees when a network fails at the worst moment."""
        self.host = host
        self._lose = lose_answers
        self._lose_lock = threading.Lock()
        self.state = SonataState(clients=clients, time_scale=time_scale,
                                 max_in_progress=max_in_progress, clock=clock)
        self._httpd = _HTTPServer((host, port), self, _SonataHandler)
        self.port: int = self._httpd.server_address[1]
        root = f"http://{f'[{host}]' if ':' in host else host}:{self.port}"
        self.base_url = root + BASE_PATH
        self.token_url = root + TOKEN_PATH
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name=f"sonata-simulator:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        with self._httpd.sockets_lock:
            open_sockets = list(self._httpd.open_sockets)
        for sock in open_sockets:
            try:
                sock.shutdown(2)
            except OSError:
                pass
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def lose_answer(self) -> bool:
        with self._lose_lock:
            if self._lose <= 0:
                return False
            self._lose -= 1
            return True

    def format_retry_after(self, seconds: float) -> str:  # the HTTP plumbing asks the owner
        return str(max(1, round(seconds)))
