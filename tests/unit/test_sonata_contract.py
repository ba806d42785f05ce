"""What goes over the wire against the vendored MEF spec (docs/api/sonata/quoteManagement.api.yaml):
every request the adapter builds is a Quote_Create, and every answer of the built-in Sonata
simulator is what the spec says for its call (Quote, Quote_Find[], QuoteOperationData, Error).
Validated with jsonschema_rs (schemathesis's own validator)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
import yaml

from bulkquote_gui.core.quoting.sonata.mapping import quote_request
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.services.sonata_simulator import SonataSimulator

SPEC = Path(__file__).resolve().parents[2] / "docs" / "api" / "sonata" / "quoteManagement.api.yaml"
SETTINGS = SonataSettings(token_url="http://127.0.0.1/t", client_id="b",
                          offerings={"DIA": "BIA-1", "ETHERNET": "AEL-1"},
                          contact=Contact("Rita Rep", "rita@buyer.example", "555-0100", "Buyer Co."))


@cache
def _components() -> dict:
    return json.loads(json.dumps(yaml.safe_load(SPEC.read_text("utf-8"))["components"], default=str))


def problems(schema: str, instance: object, *, array: bool = False) -> list[str]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    root = {"type": "array", "items": ref} if array else ref
    validator = jsonschema_rs.validator_for({**root, "components": _components()})
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message[:200]}"
            for e in validator.iter_errors(instance)]


def row(product: str = "DIA", unit: str = "Ste 820", zip_code: str = "60601-1234") -> dict:
    location = {"street": "221 N LaSalle St", "city": "Chicago", "state": "IL",
                "postal_code": zip_code, "country": "US"}
    if unit:
        location["unit"] = unit
    return {"reference": "bq-1/batch-3/row-2", "customer": {"company": "Site Co"},
            "location": location,
            "service": {"product": product, "bandwidth_mbps": 500, "term_months": 36}}


@pytest.mark.parametrize("request_row", [row(), row("ETHERNET"), row(unit="", zip_code="60601"),
                                         row(unit="#4"), {**row(), "location": {
                                             **row()["location"], "street": "One World Trade Center"}}])
@pytest.mark.parametrize("level,instant", [("firm", False), ("budgetary", True)])
def test_every_request_is_a_quote_create_of_the_spec(request_row, level, instant):
    settings = SonataSettings(**{**SETTINGS.__dict__, "quote_level": level, "instant": instant})
    assert problems("Quote_Create", quote_request(request_row, "key-1", settings)) == []


def test_the_check_itself_catches_a_request_off_the_spec():
    body = quote_request(row(), "key-1", SETTINGS)
    del body["instantSyncQuote"]
    body["quoteItem"][0]["requestedQuoteItemTerm"]["endOfTermAction"] = "never"
    assert len(problems("Quote_Create", body)) == 2


def test_every_simulator_answer_is_the_specs():
    with SonataSimulator(time_scale=1000.0) as sim, httpx.Client(base_url=sim.base_url + "/") as http:
        token = http.post(sim.token_url, data={"grant_type": "client_credentials"},
                          auth=("buyer", "secret-123")).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        made = http.post("quote", json=quote_request(row(), "key-1", SETTINGS))
        assert made.status_code == 201 and problems("Quote", made.json()) == []
        assert made.json()["state"] == "acknowledged"
        polled = http.get(f"quote/{made.json()['id']}")
        assert polled.json()["state"] == "inProgress" and problems("Quote", polled.json()) == []
        found = http.get("quote", params={"externalId": "key-1"})
        assert len(found.json()) == 1 and problems("Quote_Find", found.json(), array=True) == []
        cancelled = http.post("cancelQuote", json={"quoteId": made.json()["id"], "reason": "test"})
        assert problems("QuoteOperationData", cancelled.json()) == []
        again = http.post("cancelQuote", json={"quoteId": made.json()["id"]})
        assert again.status_code == 422 and problems("Error422", again.json(), array=True) == []
        assert http.get("quote/SQ-nope").status_code == 404
        assert problems("Error404", http.get("quote/SQ-nope").json()) == []
        refused = http.get("quote/SQ-1", headers={"Authorization": "Bearer wrong"})
        assert refused.status_code == 401 and problems("Error401", refused.json()) == []

    with SonataSimulator(time_scale=0.0) as sim, httpx.Client(base_url=sim.base_url + "/") as http:
        token = http.post(sim.token_url, data={"grant_type": "client_credentials", "client_id": "b",
                                               "client_secret": "secret-123"}).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        for level, street in (("firm", "221 N LaSalle St"), ("budgetary", "221 N LaSalle St"),
                              ("firm", "8 Fake St")):
            request = quote_request({**row(), "location": {**row()["location"], "street": street}},
                                    f"key-{level}-{street}", SETTINGS)
            request["buyerRequestedQuoteLevel"] = level
            answer = http.post("quote", json=request).json()
            assert answer["state"] in ("approved.orderable", "answered", "unableToProvide")
            assert problems("Quote", answer) == [], answer["state"]


def test_a_request_for_several_terms_and_the_simulators_answer_are_the_specs():
    """A deal's Sonata row asks every term as an item of one quote (issue 18); the simulator
    prices each item at its own term."""
    several = {**row(), "service": {**row()["service"], "term_months": 12, "terms": [12, 36]}}
    request = quote_request(several, "key-terms", SETTINGS)
    assert problems("Quote_Create", request) == []
    with SonataSimulator(time_scale=0.0) as sim, httpx.Client(base_url=sim.base_url + "/") as http:
        token = http.post(sim.token_url, data={"grant_type": "client_credentials", "client_id": "b",
                                               "client_secret": "secret-123"}).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        answer = http.post("quote", json=request).json()
        assert answer["state"] == "approved.orderable" and problems("Quote", answer) == []
    items = answer["quoteItem"]
    assert [(i["id"], i["quoteItemTerm"][0]["duration"]["amount"]) for i in items] == [
        ("1", 12), ("2", 36)]
    monthly = [i["quoteItemPrice"][0]["price"]["dutyFreeAmount"]["value"] for i in items]
    assert monthly[0] > monthly[1]      # a longer term is cheaper a month
