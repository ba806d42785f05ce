"""`bulkquote simulator` as a subprocess: prints its URL, serves the contract, stops on SIGINT/SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from bulkquote_gui.core.quoting.momentum import AuthError, MomentumClient, QuoteInFlight

REQUEST = {"reference": "cli/r1", "customer": {"company": "Acme"},
           "location": {"street": "1 Market St", "city": "San Francisco", "state": "CA",
                        "postal_code": "94105"},
           "service": {"bandwidth_mbps": 100, "term_months": 36}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*extra: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "bulkquote_gui", "simulator", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"the simulator printed no URL; stderr: {err}")
    return proc, line


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_on_the_given_port_and_stops_cleanly(sig):
    port = free_port()
    proc, url = start("--port", str(port), "--time-scale", "0.01", "--api-key", "cli-secret-key")
    try:
        assert url == f"http://127.0.0.1:{port}/v1"
        with MomentumClient(url, "cli-secret-key") as client:
            client.health()
            client.check_auth()
            first = client.create_quote(REQUEST, "k1")
            with pytest.raises(QuoteInFlight):
                client.create_quote({**REQUEST, "reference": "cli/r2"}, "k2")
        with MomentumClient(url, "wrong") as wrong, pytest.raises(AuthError):
            wrong.check_auth()
        stats = httpx.get(f"http://127.0.0.1:{port}/_sim/stats", timeout=5).json()
        assert stats["quotes"] == {"cli/r1": [first.quote.id]}
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    assert "cli-secret-key" not in out + err
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "bulkquote_gui", "simulator", "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_admin_faults_can_be_set_from_outside():
    proc, url = start("--port", "0", "--time-scale", "0.01")
    try:
        base = url.removesuffix("/v1")
        assert httpx.put(f"{base}/_sim/faults", json={"rate_limit_rate": 1.0}, timeout=5).status_code == 200
        answer = httpx.get(f"{url}/quotes/q_1", headers={"Authorization": "Bearer x"}, timeout=5)
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "0"
        assert httpx.post(f"{base}/_sim/reset", timeout=5).json() == {"status": "reset"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
