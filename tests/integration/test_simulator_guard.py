"""A web page cannot drive the simulator (issue 19 #9): requests as a browser would send them for a
hostile page, to the real simulator over loopback. A cross-site "simple" POST carries a foreign
Origin (and text/plain); DNS rebinding carries the page's own name in Host."""

from __future__ import annotations

import httpx
import pytest

from bulkquote_gui.services.simulator import SimulatorServer

KEY = "sim-key-guard-1234"
QUOTE = {"reference": "b1/r1", "customer": {"company": "Acme Dental"},
         "location": {"street": "600 Congress Ave", "city": "Austin", "state": "TX",
                      "postal_code": "78701"},
         "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}}


@pytest.fixture
def sim():
    with SimulatorServer(time_scale=0.002, api_key=KEY) as server:
        yield server


@pytest.fixture
def http(sim):
    with httpx.Client(base_url=f"http://127.0.0.1:{sim.port}", timeout=5) as client:
        yield client


def _one_quote(http) -> None:
    made = http.post("/v1/quotes", json=QUOTE,
                     headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": "k1"})
    assert made.status_code == 201


def test_a_cross_site_reset_is_refused_and_resets_nothing(sim, http):
    _one_quote(http)
    answer = http.post("/_sim/reset", content=b"x", headers={
        "Origin": "https://evil.example", "Content-Type": "text/plain;charset=UTF-8"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert sim.stats()["created"] == 1


def test_a_text_plain_admin_write_is_refused_even_without_an_origin(sim, http):
    _one_quote(http)
    assert http.post("/_sim/reset", content=b"x",
                     headers={"Content-Type": "text/plain"}).status_code == 403
    assert http.put("/_sim/faults", content=b'{"never_finish": true}',
                    headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 403
    assert sim.stats()["created"] == 1 and not sim.faults.never_finish


@pytest.mark.parametrize("path", ["/_sim/stats", "/v1/health"])
def test_a_rebound_host_name_gets_no_answer(sim, http, path):
    # DNS rebinding: evil.example now resolves to 127.0.0.1; the browser names it in Host.
    answer = http.get(path, headers={"Host": f"evil.example:{sim.port}"})
    assert answer.status_code == 403
    assert "quotes" not in answer.text


def test_a_cross_site_quote_request_is_refused(sim, http):
    answer = http.post("/v1/quotes", json=QUOTE, headers={
        "Authorization": f"Bearer {KEY}", "Idempotency-Key": "k2", "Origin": "null"})
    assert answer.status_code == 403
    assert sim.stats()["created"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST.", "127.0.0.2"])
def test_this_computers_own_names_and_origin_are_served(sim, http, host):
    _one_quote(http)
    own = {"Host": f"{host}:{sim.port}", "Origin": f"http://{host}:{sim.port}"}
    assert http.get("/_sim/stats", headers=own).json()["created"] == 1
    assert http.get("/v1/health", headers=own).status_code == 200
    assert http.post("/_sim/reset", headers={**own, "Content-Type": "application/json"},
                     content=b"{}").status_code == 200
    assert sim.stats()["created"] == 0


def test_an_origin_on_another_port_of_this_computer_is_foreign(sim, http):
    # Another local web app (a dev server on :3000) is a different site.
    answer = http.get("/_sim/stats", headers={"Origin": "http://127.0.0.1:3000"})
    assert answer.status_code == 403
