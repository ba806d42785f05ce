"""The simulator's rules without HTTP: a fake clock drives the lifecycle, expiry and Retry-After."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bulkquote_gui.services.simulator_pricing import address_key, answer_for, processing_seconds
from bulkquote_gui.services.simulator_state import SimulatorState, validate_request
from tests.helpers.fakes import FakeClock

MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
START = datetime(2026, 11, 29, 14, 0, 0, tzinfo=timezone.utc)

def request(street: str = "600 Congress Ave", postal: str = "78701", **service: object) -> dict:
    return {"reference": f"b1/{street}", "customer": {"company": "Acme Dental", "contact_name": "Ana"},
            "location": {"street": street, "unit": "Ste 200", "city": "Austin", "state": "TX",
                         "postal_code": postal},
            "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36, **service}}


def body(req: dict) -> bytes:
    return json.dumps(req).encode()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock) -> SimulatorState:
    return SimulatorState(time_scale=1.0, clock=clock)


ACCOUNT = "acct-a"


# --- validation ----------------------------------------------------------------------------------

def test_a_valid_request_is_accepted_with_defaults_and_without_unknown_fields():
    req = request()
    del req["service"]["product"]
    req["location"].pop("country", None)
    req["location"]["color"] = "red"
    req["extra"] = 1
    accepted = validate_request(req)
    assert accepted["service"]["product"] == "DIA"
    assert accepted["location"]["country"] == "US" and "color" not in accepted["location"]
    assert "extra" not in accepted
    assert accepted["customer"] == {"company": "Acme Dental", "contact_name": "Ana"}


def _mutate(path: str, value: object) -> dict:
    req = copy.deepcopy(request())
    *parents, leaf = path.split(".")
    target = req
    for p in parents:
        target = target[p]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return req


@pytest.mark.parametrize("path,value,code,field", [
    ("location.street", "", "invalid_address", "location.street"),
    ("location.street", ..., "invalid_address", "location.street"),
    ("location.city", 7, "invalid_address", "location.city"),
    ("location.state", "Texas", "invalid_address", "location.state"),
    ("location.state", "XX", "invalid_address", "location.state"),
    ("location.state", "tx", "invalid_address", "location.state"),
    ("location.postal_code", "7870", "invalid_address", "location.postal_code"),
    ("location.postal_code", 78701, "invalid_address", "location.postal_code"),
    ("location.postal_code", "78701-12", "invalid_address", "location.postal_code"),
    ("location.postal_code", "７８７０１", "invalid_address", "location.postal_code"),
    ("location.country", "CA", "invalid_address", "location.country"),
    ("location.country", None, "invalid_address", "location.country"),
    ("service.product", None, "unsupported_product", "service.product"),
    ("service.product", {}, "unsupported_product", "service.product"),
    ("customer.phone", None, "invalid_request", "customer.phone"),
    ("reference", None, "invalid_request", "reference"),
    ("location", ..., "invalid_address", "location"),
    ("service.bandwidth_mbps", 300, "unsupported_bandwidth", "service.bandwidth_mbps"),
    ("service.bandwidth_mbps", "1000", "unsupported_bandwidth", "service.bandwidth_mbps"),
    ("service.bandwidth_mbps", True, "unsupported_bandwidth", "service.bandwidth_mbps"),
    ("service.term_months", 18, "unsupported_term", "service.term_months"),
    ("service.term_months", ..., "unsupported_term", "service.term_months"),
    ("service.product", "MPLS", "unsupported_product", "service.product"),
    ("customer.company", "", "invalid_request", "customer.company"),
    ("customer", ..., "invalid_request", "customer"),
    ("customer.email", "x" * 321, "invalid_request", "customer.email"),
    ("reference", "r" * 201, "invalid_request", "reference"),
])
def test_invalid_requests_get_422_with_code_and_field(sim, path, value, code, field):
    response = sim.create(ACCOUNT, body(_mutate(path, value)), "k1")
    assert response.status == 422
    assert response.body["error"]["code"] == code
    assert response.body["error"]["field"] == field
    assert response.body["error"]["message"]
    assert sim.stats()["created"] == 0


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_malformed_bodies_get_400(sim, raw):
    response = sim.create(ACCOUNT, raw, "k1")
    assert response.status == 400 and response.body["error"]["code"] == "malformed_json"


# --- lifecycle -----------------------------------------------------------------------------------

def test_a_quote_goes_queued_processing_complete_on_the_clock(sim, clock):
    req = request()
    created = sim.create(ACCOUNT, body(req), "k1")
    assert created.status == 201
    q = created.body
    assert q["status"] == "queued" and q["reference"] == req["reference"]
    assert created.headers["Location"] == f"/v1/quotes/{q['id']}"
    assert 2 <= created.retry_after_s <= 10
    assert q["created_at"] == "2026-11-29T14:00:00Z" and q["result"] is None and q["error"] is None
    assert q["request"]["location"]["country"] == "US"

    clock.advance(0.5)
    assert sim.get(ACCOUNT, q["id"]).body["status"] == "queued"
    clock.advance(0.6)
    got = sim.get(ACCOUNT, q["id"])
    assert got.body["status"] == "processing" and got.body["updated_at"] == "2026-11-29T14:00:01Z"
    assert 2 <= got.retry_after_s <= 10

    total = 1.0 + processing_seconds(req["location"])
    clock.advance(total - 1.1 - 0.01)
    assert sim.get(ACCOUNT, q["id"]).body["status"] == "processing"
    clock.advance(0.02)
    done = sim.get(ACCOUNT, q["id"])
    assert done.body["status"] == "complete" and done.retry_after_s is None
    finished_at = START + timedelta(seconds=total)
    assert done.body["updated_at"] == finished_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = done.body["result"]
    assert 2 <= len(result["options"]) <= 4 and 0 <= result["recommended"] < len(result["options"])
    assert result["valid_until"] == (START.date() + timedelta(days=30)).isoformat()


def test_processing_takes_5_to_20_seconds_and_retry_after_stays_within_2_to_10():
    seen = {processing_seconds({"street": f"{n} Main St", "postal_code": "10001"}) for n in range(300)}
    assert min(seen) >= 5 and max(seen) <= 20 and len(seen) > 5


def test_time_scale_shrinks_every_delay(clock):
    fast = SimulatorState(time_scale=0.01, clock=clock)
    created = fast.create(ACCOUNT, body(request()), "k1")
    assert created.retry_after_s <= 0.1
    clock.advance(0.21)  # 1 s queued + at most 20 s processing, a hundred times faster
    assert fast.get(ACCOUNT, created.body["id"]).body["status"] == "complete"


def test_time_scale_zero_is_instant(clock):
    instant = SimulatorState(time_scale=0, clock=clock)
    first = instant.create(ACCOUNT, body(request()), "k1")
    assert first.status == 201 and first.body["status"] == "queued" and first.retry_after_s == 0
    assert instant.get(ACCOUNT, first.body["id"]).body["status"] == "complete"
    assert instant.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 201


# --- one in flight, idempotency ------------------------------------------------------------------

def test_one_quote_in_flight_per_account(sim, clock):
    first = sim.create(ACCOUNT, body(request()), "k1").body
    blocked = sim.create(ACCOUNT, body(request("1 Elm St")), "k2")
    assert blocked.status == 409
    assert blocked.body["error"]["code"] == "quote_in_flight"
    assert blocked.body["in_flight_id"] == first["id"]
    assert sim.create("acct-other", body(request("1 Elm St")), "k2").status == 201  # own account
    clock.advance(21)
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 201
    assert sim.stats()["max_in_flight"] == 1


def test_a_repeated_key_with_the_same_body_replays_the_same_quote(sim, clock):
    req = request()
    first = sim.create(ACCOUNT, body(req), "k1")
    # Same body, other key order and spacing: still the same request.
    again = sim.create(ACCOUNT, json.dumps(req, indent=2, sort_keys=True).encode(), "k1")
    assert again.status == 200 and again.body["id"] == first.body["id"]  # not a 409, not a new quote
    assert again.retry_after_s is not None
    clock.advance(30)
    later = sim.create(ACCOUNT, body(req), "k1")
    assert later.status == 200 and later.body["status"] == "complete"
    assert later.body["result"] == sim.get(ACCOUNT, first.body["id"]).body["result"]
    stats = sim.stats()
    assert stats["created"] == 1 and stats["replays"] == 2
    assert stats["quotes"] == {req["reference"]: [first.body["id"]]}


def test_a_repeated_key_with_another_body_is_an_idempotency_mismatch(sim):
    sim.create(ACCOUNT, body(request()), "k1")
    response = sim.create(ACCOUNT, body(request(term_months=60)), "k1")
    assert response.status == 422 and response.body["error"]["code"] == "idempotency_mismatch"


def test_idempotency_keys_belong_to_one_account(sim):
    first = sim.create(ACCOUNT, body(request()), "k1")
    other = sim.create("acct-b", body(request()), "k1")
    assert other.status == 201 and other.body["id"] != first.body["id"]


def test_a_refused_request_does_not_use_up_its_key(sim, clock):
    sim.create(ACCOUNT, body(request()), "k1")
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 409
    clock.advance(21)
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 201


def test_an_overlong_idempotency_key_is_refused(sim):
    assert sim.create(ACCOUNT, body(request()), "k" * 256).status == 422


# --- cancel, expiry, not found -------------------------------------------------------------------

def test_delete_cancels_an_in_flight_quote_and_frees_the_account(sim, clock):
    q = sim.create(ACCOUNT, body(request()), "k1").body
    clock.advance(3)
    cancelled = sim.cancel(ACCOUNT, q["id"])
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert cancelled.body["updated_at"] == "2026-11-29T14:00:03Z" and cancelled.retry_after_s is None
    clock.advance(60)
    assert sim.get(ACCOUNT, q["id"]).body["status"] == "cancelled"  # stays cancelled
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 201


def test_delete_leaves_a_terminal_quote_unchanged(sim, clock):
    q = sim.create(ACCOUNT, body(request()), "k1").body
    clock.advance(30)
    response = sim.cancel(ACCOUNT, q["id"])
    assert response.status == 200 and response.body["status"] == "complete"


def test_never_finishing_quotes_expire_after_30_minutes(sim, clock):
    sim.never_finish = True
    q = sim.create(ACCOUNT, body(request()), "k1").body
    clock.advance(29 * 60)
    got = sim.get(ACCOUNT, q["id"])
    assert got.body["status"] == "processing" and got.retry_after_s == 10
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 409
    clock.advance(61)
    assert sim.get(ACCOUNT, q["id"]).body["status"] == "expired"
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 201


def test_unknown_and_foreign_ids_are_404(sim):
    q = sim.create(ACCOUNT, body(request()), "k1").body
    for account, quote_id in ((ACCOUNT, "q_nope"), ("acct-b", q["id"])):
        for response in (sim.get(account, quote_id), sim.cancel(account, quote_id)):
            assert response.status == 404 and response.body["error"]["code"] == "not_found"


def test_reset_forgets_everything(sim):
    q = sim.create(ACCOUNT, body(request()), "k1").body
    sim.reset()
    assert sim.get(ACCOUNT, q["id"]).status == 404
    assert sim.stats()["created"] == 0
    assert sim.create(ACCOUNT, body(request("1 Elm St")), "k2").status == 201


# --- auth ----------------------------------------------------------------------------------------

def test_a_configured_key_is_the_only_one_accepted(clock):
    sim = SimulatorState(api_key="right-key", clock=clock)
    assert sim.authenticate("Bearer right-key") is not None
    assert sim.authenticate("bearer right-key") is not None
    for header in (None, "", "Bearer", "Bearer wrong", "Basic right-key", "right-key"):
        assert sim.authenticate(header) is None


def test_without_a_configured_key_each_token_is_its_own_account(sim):
    a, b = sim.authenticate("Bearer alpha"), sim.authenticate("Bearer beta")
    assert a and b and a != b and a == sim.authenticate("Bearer alpha")
    assert "alpha" not in a
    assert sim.authenticate("Bearer ") is None


# --- answers -------------------------------------------------------------------------------------

SERVICE = {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}


def test_answers_are_deterministic_per_normalised_address():
    a = answer_for({"street": "600 Congress Ave", "postal_code": "78701"}, SERVICE, date(2026, 11, 29))
    b = answer_for({"street": "  600  congress ave.", "postal_code": "78701-1234"}, SERVICE,
                   date(2026, 11, 29))
    assert a == b
    assert address_key({"street": "600 Congress Ave.", "postal_code": "78701"}) == "600 CONGRESS AVE|78701"


def _answers(n: int, **service: object) -> list:
    svc = {**SERVICE, **service}
    return [answer_for({"street": f"{100 + n_ * 7} Commerce St", "postal_code": f"{10000 + n_ * 13:05d}"},
                       svc, date(2026, 11, 29)) for n_ in range(n)]


def test_outcomes_mix_complete_no_coverage_and_manual_pricing():
    answers = _answers(1000)
    codes = [a.error_code for a in answers if a.status == "failed"]
    assert 20 <= codes.count("no_coverage") <= 90
    assert 10 <= codes.count("manual_pricing_required") <= 60
    assert sum(a.status == "complete" for a in answers) >= 850


@pytest.mark.parametrize("street,postal", [("123 Fake St", "78701"), ("1 Test Road", "10001"),
                                           ("PO Box 77", "10001"), ("1 Main St", "00000"),
                                           ("12345", "10001")])
def test_obviously_fake_addresses_are_not_found(street, postal):
    answer = answer_for({"street": street, "postal_code": postal}, SERVICE, date(2026, 11, 29))
    assert answer.status == "failed" and answer.error_code == "address_not_found"


def test_options_follow_the_contract_and_prices_are_plausible():
    carriers = set()
    for answer in _answers(300):
        if answer.status != "complete":
            continue
        result = answer.result
        assert 2 <= len(result["options"]) <= 4
        totals = []
        for option in result["options"]:
            assert set(option) == {"carrier", "product", "bandwidth_mbps", "term_months", "mrc", "nrc",
                                   "currency", "install_days", "access", "is_estimate"}
            assert MONEY.match(option["mrc"]) and MONEY.match(option["nrc"])
            assert option["currency"] == "USD" and option["access"] in ("on_net", "off_net")
            assert (option["product"], option["bandwidth_mbps"], option["term_months"]) == ("DIA", 1000, 36)
            assert 600 <= Decimal(option["mrc"]) <= 1800 and 0 <= Decimal(option["nrc"]) <= 1500
            assert 7 <= option["install_days"] <= 120
            carriers.add(option["carrier"])
            totals.append(Decimal(option["mrc"]) * 36 + Decimal(option["nrc"]))
        assert result["recommended"] == totals.index(min(totals))  # cheapest over the term
    assert {"Lumen", "Spectrum", "Comcast Business", "Zayo", "AT&T", "Verizon", "Cogent"} <= carriers


def test_prices_rise_with_bandwidth_and_fall_with_term():
    site = {"street": "1 Market St", "postal_code": "94105"}

    def mrc(**service: object) -> Decimal:
        answer = answer_for(site, {**SERVICE, **service}, date(2026, 11, 29))
        assert answer.status == "complete"
        return Decimal(answer.result["options"][0]["mrc"])

    by_speed = [mrc(bandwidth_mbps=bw) for bw in (10, 100, 1000, 10000)]
    assert by_speed == sorted(by_speed) and len(set(by_speed)) == 4
    by_term = [mrc(term_months=t) for t in (12, 24, 36, 60)]
    assert by_term == sorted(by_term, reverse=True) and len(set(by_term)) == 4
    assert mrc(product="BROADBAND", bandwidth_mbps=500) < mrc(bandwidth_mbps=500)
