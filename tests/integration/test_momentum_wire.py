"""The client against real peers on loopback (raw sockets): the overall deadline, refusals, TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bulkquote_gui.core.quoting.momentum import (
    MomentumClient,
    TransientError,
    Unreachable,
)

BODY = b'{"id":"q_1","status":"queued","created_at":"2026-11-29T14:00:00Z"}'
HEADERS = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
           b"X-Padding: " + b"p" * 200 + b"\r\n"
           b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n")


class Peer:
    """Accepts one connection at a time and plays `script(conn)`; counts the bytes it got out."""

    def __init__(self, script: Callable[[socket.socket, Peer], None]) -> None:
        self.sent = 0
        self.closed_early = threading.Event()
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)  # the request
            try:
                self._script(conn, self)
            except OSError:
                self.closed_early.set()  # the client hung up on us

    def drip(self, conn: socket.socket, data: bytes, every: float) -> None:
        for i in range(len(data)):
            conn.sendall(data[i:i + 1])
            self.sent += 1
            time.sleep(every)

    def close(self) -> None:
        self._listener.close()
        self._thread.join(timeout=10)


@pytest.fixture
def peer_factory() -> Iterator[Callable[[Callable[[socket.socket, Peer], None]], Peer]]:
    peers: list[Peer] = []

    def make(script: Callable[[socket.socket, Peer], None]) -> Peer:
        peers.append(Peer(script))
        return peers[-1]

    yield make
    for p in peers:
        p.close()


def test_a_slow_drip_of_headers_hits_the_deadline_not_the_read_timeout(peer_factory):
    # One byte every 20 ms never trips a 20 s read timeout; only the overall deadline stops it.
    peer = peer_factory(lambda conn, p: p.drip(conn, HEADERS + BODY, 0.02))
    with MomentumClient(f"http://127.0.0.1:{peer.port}/v1", "k", deadline_s=0.3) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1")
    assert caught.value.code == "timeout"
    assert peer.sent < len(HEADERS)  # gave up while the headers were still arriving


def test_a_slow_drip_of_the_body_hits_the_deadline(peer_factory):
    def script(conn: socket.socket, p: Peer) -> None:
        conn.sendall(HEADERS)
        p.drip(conn, BODY, 0.02)

    peer = peer_factory(script)
    with MomentumClient(f"http://127.0.0.1:{peer.port}/v1", "k", deadline_s=0.4) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1")
    assert caught.value.code == "timeout"
    assert peer.sent < len(BODY)


def test_the_rows_time_left_cuts_a_slow_call_short_of_the_clients_deadline(peer_factory):
    # Issue 19 #11: the engine passes the row's seconds left; a drip may not outlast them.
    peer = peer_factory(lambda conn, p: p.drip(conn, HEADERS + BODY, 0.02))
    with MomentumClient(f"http://127.0.0.1:{peer.port}/v1", "k", deadline_s=60) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1", within=0.3)
    assert caught.value.code == "timeout"
    assert peer.sent < len(HEADERS)


def test_the_same_peer_answering_promptly_is_read_fine(peer_factory):
    peer = peer_factory(lambda conn, p: conn.sendall(HEADERS + BODY))
    with MomentumClient(f"http://127.0.0.1:{peer.port}/v1", "k", deadline_s=5) as client:
        assert client.get_quote("q_1").quote.status == "queued"


def test_a_silent_peer_is_a_timeout(peer_factory):
    def script(conn: socket.socket, p: Peer) -> None:
        conn.settimeout(5)
        conn.recv(1)  # say nothing; returns as soon as the client gives up and closes

    peer = peer_factory(script)
    with MomentumClient(f"http://127.0.0.1:{peer.port}/v1", "k", deadline_s=0.3) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1")
    assert caught.value.code == "timeout"


def test_a_refused_connection_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        with MomentumClient(f"http://127.0.0.1:{port}/v1", "k") as client:
            with pytest.raises(Unreachable) as caught:
                client.health()
    # Transient (retried), but the batch's problem: it says what could not be reached and why.
    assert isinstance(caught.value, TransientError)
    assert caught.value.code == "unreachable"
    assert caught.value.host == f"127.0.0.1:{port}"
    assert caught.value.reason == "connection refused"
    assert f"can't reach 127.0.0.1:{port} (connection refused)" in str(caught.value)


@pytest.fixture
def self_signed_tls_peer(tmp_path) -> Iterator[int]:
    """An HTTPS peer whose certificate no trust store knows (made with the openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    handshakes: list[str] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(HEADERS + BODY)
                    handshakes.append("ok")
            except (ssl.SSLError, OSError) as exc:
                handshakes.append(type(exc).__name__)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(timeout=10)
    assert handshakes != ["ok"], "the client accepted a certificate nobody vouches for"


def test_tls_certificates_are_verified(self_signed_tls_peer):
    with MomentumClient(f"https://127.0.0.1:{self_signed_tls_peer}/v1", "k", deadline_s=5) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1")
    # Unreachable (the batch waits for the API), with the reason in the rep's words.
    assert caught.value.code == "unreachable"
    assert caught.value.reason == "TLS certificate not accepted"
