"""The built-in simulator against the contract, over loopback: schemathesis and a quote's whole life.

The schema is the repo's copy, docs/api/momentum-api.yaml (a clean clone has no ../shared).
schemathesis generates requests for every operation, valid and invalid, and checks every answer
against the schema: documented status, JSON body of the documented shape, headers, 401 without
the key, 405 with Allow for undeclared methods, invalid data refused. One allowance: the schema's
patterns admit requests the contract's rules still refuse with 422 (a state like "ZZ" matches
^[A-Z]{2}$ but is no USPS code; a reused Idempotency-Key with another body), so a valid request
may get a 422 with one of the contract's codes. The second test walks real quotes through every
documented answer, which random ids alone never reach.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from bulkquote_gui.services.simulator import Faults, SimulatorServer

SPEC = Path(__file__).resolve().parents[2] / "docs" / "api" / "momentum-api.yaml"
KEY = "sk_contract_simulator_3e1d"
AUTH = {"Authorization": f"Bearer {KEY}"}
RAW = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
schema = schemathesis.openapi.from_path(str(SPEC))

# Codes the contract gives a request that is well formed but cannot be quoted as asked.
BUSINESS_REFUSALS = {"invalid_address", "invalid_request", "unsupported_bandwidth",
                     "unsupported_term", "unsupported_product", "idempotency_mismatch"}
# The prose allows 500, 502, 503 and 504 "at any time" on every call; the YAML lists only some.
PROSE_SERVER_ERRORS = {500, 502, 503, 504}


@pytest.fixture(scope="module")
def sim():
    # Quotes finish in 6-21 ms: generated POSTs meet queued, processing and finished quotes,
    # and the one-in-flight rule (409) now and then.
    with SimulatorServer(port=0, time_scale=0.001, api_key=KEY) as server:
        yield server


@schema.parametrize()
# Derandomized (the same examples every run: CI stays reproducible) and no example database
# written into the work tree.
@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_answer_of_the_simulator_conforms_to_the_contract(case, sim):
    response = case.call_and_validate(base_url=sim.base_url, headers=AUTH,
                                      excluded_checks=[positive_data_acceptance])
    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code >= 400:
        assert response.status_code in (401, 404, 409, 422), response.text
        if response.status_code == 422:
            assert response.json()["error"]["code"] in BUSINESS_REFUSALS, response.text


# --- a quote's whole life, every answer checked against the schema -------------------------------

def documented(path: str, method: str) -> set[int]:
    return {int(code) for code in RAW["paths"][path][method.lower()]["responses"]}


ERROR_SHAPE = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Error",
                                           "components": RAW["components"]})


def conforms(path: str, method: str, response: httpx.Response) -> dict[str, Any]:
    """The answer is documented for the operation and matches its schema; returns the body."""
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    if response.status_code in PROSE_SERVER_ERRORS and response.status_code not in documented(path, method):
        ERROR_SHAPE.validate(body)  # a fault the prose allows, in the error shape
        return body
    assert response.status_code in documented(path, method), (method, path, response.status_code)
    schema[path][method].validate_response(response)
    return body


REQUEST = {"reference": "contract/row-1", "customer": {"company": "Acme Dental"},
           "location": {"street": "600 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701"},
           "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}}


def wait_terminal(http: httpx.Client, quote_id: str) -> dict[str, Any]:
    seen = set()
    for _ in range(400):
        body = conforms("/quotes/{id}", "GET", http.get(f"quotes/{quote_id}"))
        seen.add(body["status"])
        if body["status"] in ("complete", "failed", "cancelled", "expired"):
            return {**body, "_seen": seen}
        time.sleep(0.005)
    raise AssertionError(f"quote {quote_id} never finished")


def test_a_quotes_whole_life_and_every_error_conform_to_the_contract():
    with SimulatorServer(port=0, time_scale=0.002, api_key=KEY) as sim, \
            httpx.Client(base_url=sim.base_url + "/", headers=AUTH, timeout=5) as http:
        assert conforms("/health", "GET", httpx.get(sim.base_url + "/health")) == {"status": "ok"}

        created = http.post("quotes", json=REQUEST, headers={"Idempotency-Key": "row-1"})
        assert created.status_code == 201 and created.headers["Location"].endswith(created.json()["id"])
        assert created.headers["Retry-After"]
        quote = conforms("/quotes", "POST", created)
        busy = http.post("quotes", json={**REQUEST, "reference": "contract/row-2"},
                         headers={"Idempotency-Key": "row-2"})
        assert busy.status_code == 409 and conforms("/quotes", "POST", busy)["in_flight_id"] == quote["id"]
        done = wait_terminal(http, quote["id"])
        assert done["status"] == "complete" and done["_seen"] & {"queued", "processing"}
        assert len(done["result"]["options"]) >= 1
        replay = http.post("quotes", json=REQUEST, headers={"Idempotency-Key": "row-1"})
        assert replay.status_code == 200 and conforms("/quotes", "POST", replay)["id"] == quote["id"]
        other_body = http.post("quotes", json={**REQUEST, "reference": "changed"},
                               headers={"Idempotency-Key": "row-1"})
        assert other_body.status_code == 422
        assert conforms("/quotes", "POST", other_body)["error"]["code"] == "idempotency_mismatch"

        fake = {**REQUEST, "location": {**REQUEST["location"], "street": "1 Fake Street"}}
        failed = conforms("/quotes", "POST", http.post("quotes", json=fake, headers={"Idempotency-Key": "f"}))
        failed = wait_terminal(http, failed["id"])
        assert failed["status"] == "failed" and failed["error"]["code"] == "address_not_found"

        sim.set_faults(Faults(never_finish=True))
        stuck = conforms("/quotes", "POST", http.post("quotes", json={**REQUEST, "reference": "s"},
                                                      headers={"Idempotency-Key": "s"}))
        cancelled = conforms("/quotes/{id}", "DELETE", http.delete(f"quotes/{stuck['id']}"))
        assert cancelled["status"] == "cancelled"
        again = conforms("/quotes/{id}", "DELETE", http.delete(f"quotes/{stuck['id']}"))
        assert again["status"] == "cancelled" and again["updated_at"] == cancelled["updated_at"]
        sim.set_faults(Faults())

        for method, path in (("GET", "quotes/q_nope"), ("DELETE", "quotes/q_nope")):
            missing = http.request(method, path)
            assert missing.status_code == 404 and conforms("/quotes/{id}", method, missing)
        for method, path, spec_path in (("POST", "quotes", "/quotes"), ("GET", "quotes/x", "/quotes/{id}"),
                                        ("DELETE", "quotes/x", "/quotes/{id}")):
            refused = httpx.request(method, f"{sim.base_url}/{path}", json=REQUEST,
                                    headers={"Authorization": "Bearer wrong"})
            assert refused.status_code == 401 and conforms(spec_path, method, refused)
        malformed = http.post("quotes", content=b"{not json", headers={"Content-Type": "application/json"})
        assert malformed.status_code == 400 and conforms("/quotes", "POST", malformed)

        sim.set_faults(Faults(rate_limit_rate=1.0))
        for method, path, spec_path in (("POST", "quotes", "/quotes"), ("GET", "quotes/x", "/quotes/{id}"),
                                        ("DELETE", "quotes/x", "/quotes/{id}")):
            throttled = http.request(method, path, content=json.dumps(REQUEST).encode())
            assert throttled.status_code == 429 and throttled.headers["Retry-After"]
            assert conforms(spec_path, method, throttled)["error"]["code"] == "rate_limited"
        sim.set_faults(Faults(server_error_rate=1.0, seed=5))
        statuses = set()
        for _ in range(40):
            faulty = http.get("quotes/x")
            statuses.add(faulty.status_code)
            conforms("/quotes/{id}", "GET", faulty)
            if faulty.status_code == 503:
                assert faulty.headers["Retry-After"]
        assert statuses == PROSE_SERVER_ERRORS


def test_the_repo_copy_of_the_contract_is_the_contract():
    """The copy parses as OpenAPI 3.1 and names every operation the client uses."""
    assert RAW["openapi"].startswith("3.1")
    operations = {(path, method) for path, item in RAW["paths"].items() for method in item
                  if method in ("get", "post", "delete")}
    assert operations == {("/health", "get"), ("/quotes", "post"), ("/quotes/{id}", "get"),
                          ("/quotes/{id}", "delete")}
    assert RAW["components"]["schemas"]["Money"]["pattern"] == "^-?[0-9]+\\.[0-9]{2}$"
