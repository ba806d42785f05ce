"""Hypothesis feeds the Sonata client's reading of a Quote: answers shaped like the vendored
schema (docs/api/sonata/quoteManagement.api.yaml: Quote, QuoteItem, QuotePrice, Money, Duration,
TerminationError) with any values, and random JSON. Whatever comes, the client answers a Reply or
raises a ProviderError, never anything else; a price it keeps is a Decimal in cents."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulkquote_gui.core.quoting.provider import ProviderError
from bulkquote_gui.core.quoting.sonata.client import SonataClient
from bulkquote_gui.core.quoting.sonata.settings import SonataSettings
from bulkquote_gui.core.quoting.sonata.states import QUOTE_STATES
from tests.helpers.fakes import FakeClock

_next: list[bytes] = [b"{}"]


def _seller(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/token":
        return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer",
                                         "expires_in": 3600})
    return httpx.Response(200, content=_next[0], headers={"Content-Type": "application/json"})


CLIENT = SonataClient("https://seller.example/q", "secret-value-123",
                      SonataSettings(token_url="https://seller.example/token", client_id="b",
                                     seller="Acme", offerings={"DIA": "BIA-1"}),
                      transport=httpx.MockTransport(_seller), clock=FakeClock())

any_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                       st.decimals(allow_nan=False, allow_infinity=False, places=None),
                       st.text(max_size=12))
json_values = st.recursive(any_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)


def maybe(strategy):
    return st.one_of(strategy, any_scalar)


money = st.fixed_dictionaries({}, optional={
    "unit": maybe(st.sampled_from(["USD", "EUR", "usd", ""])),
    "value": maybe(st.decimals(min_value=-10**12, max_value=10**12, allow_nan=False, places=4))})
quote_price = st.fixed_dictionaries({}, optional={
    "priceType": maybe(st.sampled_from(["recurring", "nonRecurring", "usageBased", "other"])),
    "recurringChargePeriod": maybe(st.sampled_from(["hour", "day", "week", "month", "year", "fortnight"])),
    "name": maybe(st.text(max_size=20)), "unitOfMeasure": maybe(st.text(max_size=10)),
    "price": maybe(st.fixed_dictionaries({}, optional={"dutyFreeAmount": maybe(money),
                                                       "taxRate": any_scalar}))})
duration = st.fixed_dictionaries({}, optional={
    "amount": maybe(st.integers(-5, 10**7)),
    "units": maybe(st.sampled_from(["calendarMonths", "calendarDays", "businessDays",
                                    "calendarHours", "businessMinutes", "fortnights"]))})
termination = st.fixed_dictionaries({}, optional={
    "code": maybe(st.text(max_size=20)), "value": maybe(st.text(max_size=300)),
    "propertyPath": maybe(st.text(max_size=40))})
states = st.sampled_from(sorted(QUOTE_STATES) + ["abandoned", "weird"])
quote_item = st.fixed_dictionaries({"state": maybe(states)}, optional={
    "id": any_scalar, "quoteItemPrice": maybe(st.lists(maybe(quote_price), max_size=4)),
    "quoteItemTerm": maybe(st.lists(st.fixed_dictionaries({"duration": maybe(duration)}), max_size=2)),
    "quoteItemInstallationInterval": maybe(duration),
    "terminationError": maybe(st.lists(maybe(termination), max_size=3)),
    "product": maybe(json_values), "extra": json_values})
quote = st.fixed_dictionaries({"id": maybe(st.text(min_size=0, max_size=110)), "state": maybe(states)},
                              optional={
    "quoteItem": maybe(st.lists(maybe(quote_item), max_size=3)), "quoteLevel": maybe(
        st.sampled_from(["budgetary", "firmSubjectToFeasibilityCheck", "firm", "rough"])),
    "validFor": maybe(st.fixed_dictionaries({}, optional={"endDateTime": maybe(st.text(max_size=30))})),
    "quoteDate": maybe(st.text(max_size=30)), "externalId": any_scalar,
    "terminationError": maybe(st.lists(maybe(termination), max_size=2)), "extra": json_values})


def _encode(value) -> bytes:
    # Decimals written as the bare JSON numbers a seller sends.
    return json.dumps(value, default=lambda d: f"@@{d}@@").replace('"@@', "").replace('@@"', "").encode()


def _read(body: bytes) -> None:
    _next[0] = body
    try:
        reply = CLIENT.poll("Q-1")
    except ProviderError:
        return
    if reply.quote.result:
        for option in reply.quote.result.options:
            assert isinstance(option.mrc, Decimal) and option.mrc.as_tuple().exponent == -2
            assert isinstance(option.nrc, Decimal) and option.nrc.as_tuple().exponent == -2


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quote)
def test_schema_shaped_answers_give_a_reply_or_a_provider_error(body):
    _read(_encode(body))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values.map(_encode), st.binary(max_size=200)))
def test_random_answers_give_a_reply_or_a_provider_error(body):
    _read(body)
