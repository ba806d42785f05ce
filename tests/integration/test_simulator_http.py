"""The client against the built-in simulator over real loopback HTTP: every contract rule, every fault."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest

from bulkquote_gui.core.quoting.momentum import (
    ApiReply,
    AuthError,
    MomentumClient,
    NotFound,
    PermanentError,
    QuoteInFlight,
    TransientError,
)
from bulkquote_gui.services.simulator import Faults, SimulatorServer

KEY = "sim-key-SECRET-42"
FAST = 0.002  # a quote is done within 21 s x 0.002 = 42 ms


def request(street: str = "600 Congress Ave", reference: str = "b1/r1", **service: object) -> dict:
    return {"reference": reference, "customer": {"company": "Acme Dental"},
            "location": {"street": street, "city": "Austin", "state": "TX", "postal_code": "78701"},
            "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36, **service}}


@pytest.fixture
def sim():
    with SimulatorServer(time_scale=FAST, api_key=KEY) as server:
        yield server


@pytest.fixture
def client(sim):
    with MomentumClient(sim.base_url, KEY, deadline_s=10) as c:
        yield c


@pytest.fixture
def raw(sim):
    """Plain httpx, to see headers and bodies the typed client does not expose."""
    with httpx.Client(base_url=sim.base_url + "/", headers={"Authorization": f"Bearer {KEY}"},
                      timeout=5) as c:
        yield c


def wait_terminal(client: MomentumClient, reply: ApiReply) -> ApiReply:
    for _ in range(500):
        if reply.quote.terminal:
            return reply
        time.sleep(min(reply.retry_after or 0.01, 0.05))
        reply = client.get_quote(reply.quote.id)
    raise AssertionError("quote never finished")


def assert_error_shape(response: httpx.Response, code: str) -> None:
    body = response.json()
    assert set(body) >= {"error"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)
    assert response.headers["Content-Type"] == "application/json"


# --- the contract --------------------------------------------------------------------------------

def test_health_and_auth_check(sim, client):
    client.health()
    client.check_auth()
    with MomentumClient(sim.base_url, "wrong-key") as wrong:
        wrong.health()  # no auth on /health
        with pytest.raises(AuthError) as caught:
            wrong.check_auth()
        assert caught.value.code == "unauthorized"
        with pytest.raises(AuthError):
            wrong.create_quote(request(), "k1")
    assert sim.stats()["created"] == 0


def test_a_quote_runs_to_complete_with_location_and_retry_after(raw, client, sim):
    created = raw.post("quotes", json=request(), headers={"Idempotency-Key": "k1"})
    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/quotes/{created.json()['id']}"
    assert re.fullmatch(r"\d+", created.headers["Retry-After"])
    reply = wait_terminal(client, client.get_quote(created.json()["id"]))
    assert reply.quote.status == "complete" and reply.retry_after is None
    result = reply.quote.result
    assert result is not None and result.options
    assert all(o.currency == "USD" and o.mrc > 0 for o in result.options)
    assert raw.get(f"quotes/{reply.quote.id}").headers.get("Retry-After") is None


def test_one_in_flight_then_409_with_the_blocking_id(client, sim):
    sim.set_faults(Faults(never_finish=True))
    first = client.create_quote(request(), "k1")
    assert first.retry_after is not None and not first.replayed
    with pytest.raises(QuoteInFlight) as caught:
        client.create_quote(request("1 Elm St", "b1/r2"), "k2")
    assert caught.value.in_flight_id == first.quote.id and caught.value.status == 409
    cancelled = client.cancel_quote(first.quote.id)
    assert cancelled.quote.status == "cancelled"
    assert client.create_quote(request("1 Elm St", "b1/r2"), "k2").quote.status == "queued"


def test_idempotent_replay_and_mismatch(client, sim):
    first = client.create_quote(request(), "k1")
    again = client.create_quote(request(), "k1")
    assert again.replayed and again.quote.id == first.quote.id
    with pytest.raises(PermanentError) as caught:
        client.create_quote(request(term_months=60), "k1")
    assert caught.value.code == "idempotency_mismatch" and caught.value.status == 422
    stats = sim.stats()
    assert stats["created"] == 1 and stats["replays"] == 1 and stats["posts"] == 3


@pytest.mark.parametrize("change,code,field", [
    ({"location": {"street": "1 Elm", "city": "Austin", "state": "ZZ", "postal_code": "78701"}},
     "invalid_address", "location.state"),
    ({"service": {"bandwidth_mbps": 300, "term_months": 36}}, "unsupported_bandwidth",
     "service.bandwidth_mbps"),
    ({"service": {"bandwidth_mbps": 1000, "term_months": 18}}, "unsupported_term", "service.term_months"),
])
def test_validation_errors_fail_the_row_with_field(client, change, code, field):
    with pytest.raises(PermanentError) as caught:
        client.create_quote({**request(), **change}, "k1")
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, code, field)


def test_malformed_json_unknown_ids_and_unknown_paths(raw, client):
    bad = raw.post("quotes", content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert_error_shape(bad, "malformed_json")
    with pytest.raises(NotFound):
        client.get_quote("q_missing")
    with pytest.raises(NotFound):
        client.cancel_quote("q_missing")
    assert_error_shape(raw.get("quotes/q_missing"), "not_found")
    assert_error_shape(raw.get("nowhere"), "not_found")
    assert raw.put("quotes").status_code == 405
    unauthorised = httpx.get(raw.base_url.join("quotes/q_1"), timeout=5)
    assert unauthorised.status_code == 401
    assert_error_shape(unauthorised, "unauthorized")


def test_delete_of_a_terminal_quote_leaves_it_unchanged(client):
    done = wait_terminal(client, client.create_quote(request(), "k1"))
    assert client.cancel_quote(done.quote.id).quote.status == done.quote.status == "complete"


def test_failed_answers_reach_the_client(client):
    reply = wait_terminal(client, client.create_quote(request("123 Fake Street"), "k1"))
    assert reply.quote.status == "failed" and reply.quote.error_code == "address_not_found"
    assert reply.quote.error_message


def test_server_side_expiry():
    with SimulatorServer(time_scale=FAST, api_key=KEY, faults=Faults(never_finish=True),
                         expire_after_s=0.05) as sim, MomentumClient(sim.base_url, KEY) as client:
        first = client.create_quote(request(), "k1")
        assert client.get_quote(first.quote.id).quote.status in ("queued", "processing")
        assert wait_terminal(client, first).quote.status == "expired"
        assert client.create_quote(request("1 Elm St"), "k2").quote.status == "queued"


def test_without_a_key_each_token_is_an_account():
    with SimulatorServer(time_scale=FAST, faults=Faults(never_finish=True)) as sim:
        with MomentumClient(sim.base_url, "alice") as alice, MomentumClient(sim.base_url, "bob") as bob:
            a = alice.create_quote(request(), "k1")
            bob.create_quote(request(), "k1")  # bob's own first quote and key
            with pytest.raises(NotFound):
                bob.get_quote(a.quote.id)
            with pytest.raises(QuoteInFlight):
                alice.create_quote(request("1 Elm St"), "k2")


# --- faults --------------------------------------------------------------------------------------

def test_rate_limit_fault_sends_429_with_retry_after(client, sim, raw):
    sim.set_faults(Faults(rate_limit_rate=1.0))
    with pytest.raises(TransientError) as caught:
        client.get_quote("q_anything")
    assert caught.value.status == 429 and caught.value.code == "rate_limited"
    assert caught.value.retry_after is not None and caught.value.retry_after >= 0
    response = raw.post("quotes", json=request(), headers={"Idempotency-Key": "k"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert_error_shape(response, "rate_limited")
    assert sim.stats()["created"] == 0


def test_server_error_fault_sends_each_5xx(client, sim):
    sim.set_faults(Faults(server_error_rate=1.0, seed=3))
    statuses = set()
    for _ in range(40):
        with pytest.raises(TransientError) as caught:
            client.create_quote(request(), "k1")
        statuses.add(caught.value.status)
        if caught.value.status == 503:
            assert caught.value.retry_after is not None
    assert statuses == {500, 502, 503, 504}
    assert sim.stats()["created"] == 0


def test_dropped_connections_are_transient_and_do_nothing(client, sim):
    sim.set_faults(Faults(drop_connection_rate=1.0))
    for call in (lambda: client.create_quote(request(), "k1"), lambda: client.get_quote("q_1")):
        with pytest.raises(TransientError) as caught:
            call()
        assert caught.value.code == "connection_error" and caught.value.status is None
    stats = sim.stats()
    assert stats["created"] == 0 and stats["faults"] == 2
    sim.set_faults(Faults())
    assert client.create_quote(request(), "k1").quote.status == "queued"  # the client recovers


def test_truncated_bodies_are_transient_and_a_retried_post_finds_its_quote(client, sim):
    sim.set_faults(Faults(truncate_body_rate=1.0))
    with pytest.raises(TransientError):
        client.create_quote(request(), "k1")
    with pytest.raises(TransientError):
        client.get_quote("q_1")
    sim.set_faults(Faults())
    again = client.create_quote(request(), "k1")
    assert again.replayed
    assert sim.stats()["created"] == 1


def test_a_response_lost_after_create_is_recovered_by_the_idempotency_key(client, sim):
    sim.set_faults(Faults(lose_response_after_create_rate=1.0, never_finish=True))
    with pytest.raises(TransientError):
        client.create_quote(request(), "k1")
    assert sim.stats()["created"] == 1
    # Retrying with the same key finds the quote that was created, even while it is in flight.
    again = client.create_quote(request(), "k1")  # a replay (200) is never "created"
    assert again.replayed and again.quote.id == sim.stats()["quotes"]["b1/r1"][0]
    assert sim.stats()["created"] == 1


def test_never_finish_keeps_quotes_processing_until_deleted(client, sim):
    sim.set_faults(Faults(never_finish=True))
    reply = client.create_quote(request(), "k1")
    time.sleep(0.1)  # far beyond this address's normal 42 ms
    reply = client.get_quote(reply.quote.id)
    assert reply.quote.status == "processing" and reply.retry_after is not None
    assert client.cancel_quote(reply.quote.id).quote.status == "cancelled"


def test_http_date_retry_after(raw, sim, client):
    with SimulatorServer(time_scale=1.0, api_key=KEY,
                         faults=Faults(http_date_retry_after=True, never_finish=True)) as slow:
        with MomentumClient(slow.base_url, KEY) as slow_client:
            created = slow_client.create_quote(request(), "k1")
            assert created.retry_after is not None and 1 <= created.retry_after <= 11
            with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=5) as plain:
                header = plain.get(f"{slow.base_url}/quotes/{created.quote.id}").headers["Retry-After"]
            assert header.endswith(" GMT") and parsedate_to_datetime(header) is not None
            slow.set_faults(Faults(rate_limit_rate=1.0, http_date_retry_after=True))
            with pytest.raises(TransientError) as caught:
                slow_client.get_quote(created.quote.id)
            assert caught.value.status == 429 and 1 <= caught.value.retry_after <= 11


def test_fault_decisions_replay_with_the_same_seed():
    def pattern(seed: int) -> list[str]:
        faults = Faults(rate_limit_rate=0.3, server_error_rate=0.3, seed=seed)
        with SimulatorServer(time_scale=FAST, api_key=KEY, faults=faults) as sim, \
                MomentumClient(sim.base_url, KEY) as client:
            outcome = []
            for _ in range(30):
                try:
                    client.get_quote("q_x")
                except NotFound:
                    outcome.append("404")
                except TransientError as exc:
                    outcome.append(str(exc.status))
            return outcome

    first, second, other = pattern(7), pattern(7), pattern(8)
    assert first == second and first != other
    assert {"404", "429"} <= set(first) and set(first) & {"500", "502", "503", "504"}


def test_the_client_survives_a_mix_of_every_fault(sim):
    """A whole sequential batch with every fault on: the client raises only transient errors."""
    sim.set_faults(Faults(rate_limit_rate=0.1, server_error_rate=0.1, drop_connection_rate=0.1,
                          truncate_body_rate=0.1, lose_response_after_create_rate=0.2,
                          http_date_retry_after=True, seed=11))
    outcomes = {}
    with MomentumClient(sim.base_url, KEY, timeout=httpx.Timeout(5.0)) as client:
        for row in range(6):
            req = request(f"{100 + row} Congress Ave", f"b9/r{row}")
            reply = None
            while reply is None or not reply.quote.terminal:
                try:
                    reply = (client.create_quote(req, f"key-{row}") if reply is None
                             else client.get_quote(reply.quote.id))
                except TransientError:
                    time.sleep(0.002)
            outcomes[row] = reply.quote.status
    stats = sim.stats()
    assert stats["created"] == 6 and all(len(ids) == 1 for ids in stats["quotes"].values())
    assert stats["faults"] > 0 and stats["max_in_flight"] == 1
    assert set(outcomes.values()) <= {"complete", "failed"}


# --- admin endpoints and the server itself -------------------------------------------------------

def test_admin_endpoints(sim, client):
    client.create_quote(request(), "k1")
    base = sim.base_url.removesuffix("/v1")
    with httpx.Client(base_url=base, timeout=5) as admin:
        stats = admin.get("/_sim/stats").json()
        assert stats["created"] == 1 and stats["quotes"] == {"b1/r1": [stats["quotes"]["b1/r1"][0]]}
        set_faults = admin.put("/_sim/faults", json={"rate_limit_rate": 1.0, "seed": 4})
        assert set_faults.status_code == 200 and sim.faults.rate_limit_rate == 1.0
        assert admin.put("/_sim/faults", json={"bogus": 1}).status_code == 400
        assert admin.put("/_sim/faults", json={"rate_limit_rate": 2}).status_code == 400
        assert admin.put("/_sim/faults", content=b"{").status_code == 400
        with pytest.raises(TransientError):
            client.get_quote("q_x")
        admin.put("/_sim/faults", json={})
        assert admin.post("/_sim/reset").status_code == 200
        assert admin.get("/_sim/stats").json()["created"] == 0
        assert admin.get("/_sim/nothing").status_code == 404


def test_the_key_never_reaches_any_log(sim, client, caplog):
    caplog.set_level(logging.DEBUG)
    client.create_quote(request(), "k1")
    client.check_auth()
    with MomentumClient(sim.base_url, "another-SECRET-key") as wrong, pytest.raises(AuthError):
        wrong.check_auth()
    assert caplog.records, "expected debug logging from the client, httpx and the simulator"
    assert KEY not in caplog.text and "another-SECRET-key" not in caplog.text


def test_stop_closes_the_port_and_every_thread(sim):
    with SimulatorServer(time_scale=FAST) as other, MomentumClient(other.base_url, "k") as client:
        client.create_quote(request(), "k1")  # leaves an idle keep-alive connection open
        port = other.port
        other.stop()
        other.stop()  # idempotent
    assert not [t for t in threading.enumerate() if t.name == f"momentum-simulator:{port}"]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_an_ephemeral_port_and_a_fixed_one():
    with SimulatorServer() as a:
        assert a.port > 0 and a.base_url == f"http://127.0.0.1:{a.port}/v1"
        with pytest.raises(OSError):
            SimulatorServer(port=a.port)
