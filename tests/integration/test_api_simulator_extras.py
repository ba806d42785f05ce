"""The simulator's answers outside the happy path: JSON for every refusal, never_finish_rate, stats."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from bulkquote_gui.services.simulator import Faults, SimulatorServer

KEY = "sk_sim_extras_0c4f"
AUTH = {"Authorization": f"Bearer {KEY}"}
REQUEST = {"customer": {"company": "Acme"},
           "location": {"street": "600 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701"},
           "service": {"bandwidth_mbps": 100, "term_months": 36}}


@pytest.fixture
def sim():
    with SimulatorServer(port=0, time_scale=0.0, api_key=KEY) as server:
        yield server


def raw_exchange(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], headers, body


@pytest.mark.parametrize("method,path,allow", [
    ("PATCH", "/v1/quotes", "POST"), ("PUT", "/v1/quotes/q_1", "GET, DELETE"),
    ("OPTIONS", "/v1/health", "GET"), ("TRACE", "/v1/quotes/q_1", "GET, DELETE"),
    ("QUERY", "/v1/quotes", "POST"), ("BREW", "/v1/health", "GET"),
])
def test_a_method_the_api_lacks_is_a_json_405_with_allow(sim, method, path, allow):
    status, headers, body = raw_exchange(
        sim.port, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    assert status.startswith("HTTP/1.1 405")
    assert headers["Allow"] == allow and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_head_gets_the_405_headers_without_a_body(sim):
    status, headers, body = raw_exchange(
        sim.port, b"HEAD /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status.startswith("HTTP/1.1 405") and headers["Allow"] == "GET" and body == b""


@pytest.mark.parametrize("request_bytes,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
])
def test_what_the_stdlib_refuses_is_refused_in_json_too(sim, request_bytes, status):
    line, headers, body = raw_exchange(sim.port, request_bytes)
    assert f" {status} " in line + " "
    assert headers.get("Content-Type") == "application/json"
    assert set(json.loads(body)["error"]) >= {"code", "message"}


def test_never_finish_rate_keeps_that_share_of_quotes_processing_and_is_seeded():
    def run(seed: int) -> list[str]:
        with SimulatorServer(port=0, time_scale=0.0, api_key=KEY,
                             faults=Faults(never_finish_rate=0.25, seed=seed)) as server, \
                httpx.Client(base_url=server.base_url + "/", headers=AUTH) as http:
            outcomes = []
            for i in range(200):
                quote = http.post("quotes", json={**REQUEST, "reference": f"r{i}"},
                                  headers={"Idempotency-Key": f"k{i}"}).json()
                status = http.get(f"quotes/{quote['id']}").json()["status"]
                if status == "processing":
                    assert http.delete(f"quotes/{quote['id']}").json()["status"] == "cancelled"
                outcomes.append(status)
            stats = server.stats()
            assert stats["never_finish"] == outcomes.count("processing") == len(stats["never_finish_ids"])
            return outcomes

    first = run(7)
    assert 30 <= first.count("processing") <= 70  # 25 % of 200, give or take
    assert set(first) - {"processing"} <= {"complete", "failed"}
    assert run(7) == first  # the same seed, the same quotes never finish


def test_the_bool_still_means_every_quote():
    assert Faults(never_finish=True).never_finish_rate == 0.0
    with SimulatorServer(port=0, time_scale=0.0, api_key=KEY, faults=Faults(never_finish=True)) as server, \
            httpx.Client(base_url=server.base_url + "/", headers=AUTH) as http:
        quote = http.post("quotes", json=REQUEST, headers={"Idempotency-Key": "a"}).json()
        assert http.get(f"quotes/{quote['id']}").json()["status"] == "processing"
    with pytest.raises(ValueError):
        Faults(never_finish_rate=1.5)
    with pytest.raises(ValueError):
        Faults.from_json({"never_finish_rate": True})


def test_stats_count_every_answer_by_status(sim):
    with httpx.Client(base_url=sim.base_url + "/", headers=AUTH) as http:
        first = http.post("quotes", json=REQUEST, headers={"Idempotency-Key": "a"}).json()
        http.post("quotes", json=REQUEST, headers={"Idempotency-Key": "a"})
        http.get("quotes/q_missing")
        http.get("quotes/x", headers={"Authorization": "Bearer nope"})
        admin = httpx.put(sim.base_url.removesuffix("/v1") + "/_sim/faults",
                          json={"never_finish_rate": 0.02, "seed": 3})
    assert admin.status_code == 200 and admin.json()["never_finish_rate"] == 0.02
    stats = httpx.get(sim.base_url.removesuffix("/v1") + "/_sim/stats").json()
    assert stats["answered"]["201"] == 1 and stats["answered"]["200"] >= 1
    assert stats["answered"]["404"] == 1 and stats["answered"]["401"] == 1
    assert stats["quotes"] == {"": [first["id"]]} and stats["replays"] == 1
