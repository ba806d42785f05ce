"""An environment proxy never sees a plain-http request, nor any request to this computer.

A real listening "proxy" on 127.0.0.1 records whatever reaches it; a real API peer listens on
127.0.0.2 (still this computer, as check_api_url says). Issue 19 #4: with http_proxy set, the
POST to 127.0.0.2 went to the proxy, `Authorization: Bearer …` in clear text.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from bulkquote_gui.core.quoting.http_deadline import proxy_for
from bulkquote_gui.core.quoting.momentum import MomentumClient, TransientError

KEY = "sk_live_proxy_test_0123456789"
BODY = b'{"id":"q_1","status":"queued","created_at":"2026-11-29T14:00:00Z"}'
ANSWER = (b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nConnection: close\r\n"
          b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
PROXY_ANSWER = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Listener:
    """Accepts connections on `host`, keeps the first bytes of each, answers `answer`."""

    def __init__(self, host: str, answer: bytes) -> None:
        self.received: list[bytes] = []
        self._answer = answer
        self._socket = socket.create_server((host, 0))
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.received.append(conn.recv(65536))
                    conn.sendall(self._answer)
                except OSError:
                    pass

    def close(self) -> None:
        # close() alone leaves the thread blocked in accept() on Linux until the join gives up
        # (10 s per test); shutting the listening socket down wakes it at once.
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive(), "the listener did not stop"


@pytest.fixture
def proxy(monkeypatch) -> Iterator[Listener]:
    listener = Listener("127.0.0.1", PROXY_ANSWER)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{listener.port}")
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    yield listener
    listener.close()


@pytest.fixture
def api_on_127_0_0_2() -> Iterator[Listener]:
    listener = Listener("127.0.0.2", ANSWER)
    yield listener
    listener.close()


def test_an_api_on_another_loopback_address_is_reached_directly(proxy, api_on_127_0_0_2):
    url = f"http://127.0.0.2:{api_on_127_0_0_2.port}/v1"
    with MomentumClient(url, KEY, deadline_s=5) as client:
        reply = client.create_quote({"site": "x"}, "idem-1")
    assert reply.quote.id == "q_1"
    assert proxy.received == []
    assert b"Authorization: Bearer " + KEY.encode() in api_on_127_0_0_2.received[0].replace(
        b"authorization", b"Authorization")


def test_plain_http_to_another_host_never_goes_through_the_proxy(proxy):
    # The rep allowed plain http:// to a host of the network; a proxy must still not read it.
    # The host does not exist, so the call fails: what matters is that the proxy got nothing.
    with MomentumClient("http://api.example.invalid:8080/v1", KEY, deadline_s=5,
                        allow_insecure_http=True) as client:
        with pytest.raises(TransientError):
            client.create_quote({"site": "x"}, "idem-1")
    assert proxy.received == []


def test_https_still_goes_through_the_proxy_as_a_tunnel(proxy):
    # The proxy refuses the tunnel; it saw a CONNECT and nothing of the request inside it.
    with MomentumClient("https://api.example.invalid/v1", KEY, deadline_s=5) as client:
        with pytest.raises(TransientError):
            client.create_quote({"site": "x"}, "idem-1")
    assert len(proxy.received) == 1
    assert proxy.received[0].startswith(b"CONNECT api.example.invalid:443 ")
    assert KEY.encode() not in proxy.received[0]


@pytest.mark.parametrize("host", ["127.0.0.2", "[::ffff:127.0.0.1]", "localhost.", "LOCALHOST",
                                  "[::1]", "127.255.255.254"])
def test_every_host_the_loopback_check_accepts_bypasses_the_proxy(proxy, host):
    assert proxy_for(httpx.URL(f"https://{host}:8443/v1")) is None
    assert proxy_for(httpx.URL(f"http://{host}:8080/v1")) is None


def test_https_to_another_host_uses_the_environment_proxy(proxy):
    assert proxy_for(httpx.URL("https://api.example.com/v1")) == f"http://127.0.0.1:{proxy.port}"
