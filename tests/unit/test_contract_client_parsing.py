"""Property-based tests of the client's reading of a Quote (hypothesis), shaped by the contract.

The generators read their enums, required fields and patterns from docs/api/momentum-api.yaml,
and every body they call valid is first checked against the schema's Quote with a JSON Schema
validator: so "valid" means contract-valid, within the bounds the client documents on top of it
(core/quoting/momentum.py: ids of 1-100 printable ASCII characters, money at most 9,999,999.99 and a
monthly price never negative, install days 0-3650, texts that keep something printable).

- Valid quotes are accepted, every money value read as the exact Decimal that was sent.
- Mutated quotes and random JSON, at any status code, give an ApiError subclass or a quote,
  never KeyError, TypeError or anything else; random bytes give an ApiError.
"""

from __future__ import annotations

import json
import string
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import jsonschema_rs
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulkquote_gui.core.quoting import momentum
from bulkquote_gui.core.quoting.momentum import ApiError, MomentumClient, RemoteQuote, clean_text
from tests.helpers.fakes import FakeClock

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "api" / "momentum-api.yaml")
                      .read_text(encoding="utf-8"))
SCHEMAS = SPEC["components"]["schemas"]
QUOTE_SCHEMA = SCHEMAS["Quote"]
OPTION_SCHEMA = SCHEMAS["Option"]
QUOTE_VALIDATOR = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Quote",
                                               "components": SPEC["components"]})
KEY = "sk_hypothesis_client_8a2e"
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- contract-valid quotes -----------------------------------------------------------------------

_DROPPED = {"Cc", "Cf", "Cs"}
texts = st.text(min_size=1, max_size=300).filter(
    lambda t: any(not ch.isspace() and unicodedata.category(ch) not in _DROPPED for ch in t))


def money(*, credit: bool) -> st.SearchStrategy[str]:
    low = -momentum.MAX_MONEY if credit else Decimal(0)
    amounts = st.decimals(min_value=low, max_value=momentum.MAX_MONEY, places=2,
                          allow_nan=False, allow_infinity=False)
    pattern = SCHEMAS["Money"]["pattern"]
    return amounts.map(lambda d: f"{d:.2f}").filter(lambda s: jsonschema_rs.validator_for(
        {"type": "string", "pattern": pattern}).is_valid(s))


def enum(schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    return st.sampled_from(schema["properties"][name]["enum"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
unknown_fields = st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=8).map(lambda k: "x_" + k),
                                 json_values, max_size=3)


@st.composite
def options(draw: st.DrawFn) -> dict[str, Any]:
    option: dict[str, Any] = {
        "carrier": draw(texts), "product": draw(texts),
        "bandwidth_mbps": draw(st.integers(1, momentum.MAX_BANDWIDTH_MBPS)),
        "term_months": draw(st.integers(1, momentum.MAX_TERM_MONTHS)),
        "mrc": draw(money(credit=False)), "nrc": draw(money(credit=True)),
        "currency": draw(st.from_regex(OPTION_SCHEMA["properties"]["currency"]["pattern"], fullmatch=True)),
    }
    if draw(st.booleans()):
        option["install_days"] = draw(st.integers(0, momentum.MAX_INSTALL_DAYS))
    if draw(st.booleans()):
        option["access"] = draw(enum(OPTION_SCHEMA, "access"))
    if draw(st.booleans()):
        option["is_estimate"] = draw(st.booleans())
    assert set(OPTION_SCHEMA["required"]) <= set(option)
    return {**draw(unknown_fields), **option}


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(timezone.utc))
REQUEST = {"customer": {"company": "Acme"},
           "location": {"street": "600 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701"},
           "service": {"bandwidth_mbps": 1000, "term_months": 36}}


@st.composite
def quotes(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(enum(QUOTE_SCHEMA, "status"))
    created = draw(moments)
    body: dict[str, Any] = {
        "id": draw(st.from_regex(r"[\x21-\x7e]{1,100}", fullmatch=True).filter(lambda i: KEY not in i)),
        "status": status,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "updated_at": (created + timedelta(seconds=draw(st.integers(0, 10**6)))).isoformat(),
        "request": REQUEST,
    }
    if draw(st.booleans()):
        body["reference"] = draw(st.text(max_size=300))
    if status == "complete":
        opts = draw(st.lists(options(), min_size=1, max_size=momentum.MAX_OPTIONS + 10))
        result: dict[str, Any] = {"options": opts, "recommended": draw(st.integers(0, len(opts) + 2))}
        if draw(st.booleans()):
            result["valid_until"] = draw(st.dates(date(2000, 1, 1), date(2100, 1, 1))).isoformat()
        body["result"] = {**draw(unknown_fields), **result}
    else:
        body["result"] = draw(st.none() | st.just(None))
    if status == "failed" or draw(st.booleans()):
        body["error"] = {"code": draw(st.text(max_size=100)), "message": draw(st.text(max_size=800))}
    else:
        body["error"] = None
    assert set(QUOTE_SCHEMA["required"]) <= set(body)
    return {**draw(unknown_fields), **body}


def get_through_the_client(status: int, raw: bytes) -> RemoteQuote:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=raw)

    with MomentumClient("https://api.momentum.example/v1", KEY, clock=FakeClock(),
                        transport=httpx.MockTransport(handler)) as client:
        return client.get_quote("q_1").quote


@PROPERTY
@given(quotes())
def test_every_contract_valid_quote_is_read_with_exact_money(body):
    QUOTE_VALIDATOR.validate(body)  # the generator makes contract-valid quotes only
    quote = get_through_the_client(200, json.dumps(body).encode())
    assert (quote.id, quote.status) == (body["id"], body["status"])
    if body["status"] != "complete":
        assert quote.result is None
        return
    sent = body["result"]["options"]
    assert quote.result is not None
    kept = quote.result.options
    assert len(kept) == min(len(sent), momentum.MAX_OPTIONS)
    assert quote.result.dropped_options == len(sent) - len(kept)
    by_position = {i: sent[i] for i in range(len(kept))}
    recommended = body["result"]["recommended"]
    if len(sent) > momentum.MAX_OPTIONS and recommended >= momentum.MAX_OPTIONS and recommended < len(sent):
        by_position[len(kept) - 1] = sent[recommended]
    for i, option in enumerate(kept):
        raw = by_position[i]
        for name in ("mrc", "nrc"):
            value = getattr(option, name)
            assert isinstance(value, Decimal) and value == Decimal(raw[name])
            assert value.as_tuple().exponent == -2  # exactly the cents that were sent
        assert option.mrc >= 0
        assert (option.bandwidth_mbps, option.term_months, option.currency) == (
            raw["bandwidth_mbps"], raw["term_months"], raw["currency"])
        assert option.install_days == raw.get("install_days")
        assert option.access == raw.get("access") and option.is_estimate == raw.get("is_estimate")
        assert option.carrier == clean_text(raw["carrier"], momentum.MAX_CARRIER_CHARS)
    if recommended < len(sent):
        assert quote.result.recommended_option.mrc == Decimal(sent[recommended]["mrc"])


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=2000), st.integers(1, 600))
def test_clean_text_leaves_nothing_unprintable_and_keeps_within_the_limit(value, limit):
    text = clean_text(value, limit, KEY)
    assert len(text) <= limit
    assert not any(unicodedata.category(ch) in _DROPPED for ch in text)
    assert text == text.strip() and "  " not in text
    text.encode("utf-8")


# --- anything else: only ApiError comes out ------------------------------------------------------

@st.composite
def broken_quotes(draw: st.DrawFn) -> Any:
    body = draw(quotes())
    for _ in range(draw(st.integers(1, 4))):
        target = body
        path = draw(st.sampled_from(["", "result", "result.options.0", "error"]))
        for step in filter(None, path.split(".")):
            if isinstance(target, list):
                nxt = target[int(step)] if step.isdigit() and int(step) < len(target) else None
            else:
                nxt = target.get(step) if isinstance(target, dict) else None
            if not isinstance(nxt, (dict, list)) or not nxt:
                break
            target = nxt
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            if draw(st.booleans()):
                del target[key]
            else:
                target[key] = draw(json_values)
        elif isinstance(target, list) and target:
            target[draw(st.integers(0, len(target) - 1))] = draw(json_values)
    return body


def must_be_api_error_or_quote(status: int, raw: bytes) -> None:
    try:
        get_through_the_client(status, raw)
    except ApiError as exc:
        assert KEY not in str(exc) and KEY not in repr(exc)


STATUSES = st.sampled_from([200, 201, 202, 204, 301, 400, 401, 404, 409, 422, 429, 500, 502, 503])


@PROPERTY
@given(broken_quotes(), STATUSES)
def test_a_mutated_quote_gives_an_api_error_or_a_quote_never_another_exception(body, status):
    must_be_api_error_or_quote(status, json.dumps(body).encode())


@PROPERTY
@given(json_values, STATUSES)
def test_random_json_gives_an_api_error_or_a_quote(value, status):
    must_be_api_error_or_quote(status, json.dumps(value).encode())


def must_be_api_error(status: int, raw: bytes) -> None:
    with pytest.raises(ApiError) as caught:  # a quote made of these bytes fails here
        get_through_the_client(status, raw)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


@PROPERTY
@given(st.binary(max_size=500), STATUSES)
def test_random_bytes_give_an_api_error(raw, status):
    must_be_api_error(status, raw)
