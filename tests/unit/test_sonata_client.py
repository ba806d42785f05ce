"""The Sonata adapter (core/quoting/sonata/) against a seller on httpx.MockTransport: every row of
shared/sonata-profile.md's tables (calls, request, answer) and every error kind."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.provider import (
    AuthError,
    NotFound,
    PermanentError,
    ProviderError,
    TransientError,
)
from bulkquote_gui.core.quoting.sonata.client import SonataClient
from bulkquote_gui.core.quoting.sonata.mapping import configuration
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.quoting.sonata.states import QUOTE_STATES
from tests.helpers.fakes import FakeClock

BASE = "https://seller.example/mefApi/sonata/quoteManagement/v8"
TOKEN_URL = "https://seller.example/oauth2/token"
SECRET = "client-Secret-0123456789"
SETTINGS = SonataSettings(token_url=TOKEN_URL, client_id="buyer-7", seller="Acme Fiber",
                          offerings={"DIA": "BIA-0001", "ETHERNET": "AEL-0002"},
                          contact=Contact("Rita Rep", "rita@buyer.example", "555-0100", "Buyer Co."))
ROW = {"reference": "bq-3f9c2a/batch-4/row-2", "customer": {"company": "Site Co"},
       "location": {"street": "221 N LaSalle St", "unit": "Ste 820", "city": "Chicago",
                    "state": "IL", "postal_code": "60601-1234", "country": "US"},
       "service": {"product": "DIA", "bandwidth_mbps": 500, "term_months": 36}}


def num(text: str) -> str:
    """A JSON number written exactly as given (see `raw`)."""
    return f"#num:{text}"


def raw(obj: Any) -> bytes:
    """JSON with the num() markers written as bare numbers: the seller's decimal text."""
    return re.sub(r'"#num:([-0-9.eE+]+)"', r"\1", json.dumps(obj)).encode()


def price(kind: str, value: str, *, period: str | None = "month", unit: str = "USD",
          **extra: Any) -> dict[str, Any]:
    p = {"priceType": kind, "name": extra.pop("name", kind),
         "price": {"dutyFreeAmount": {"unit": unit, "value": num(value)}}, **extra}
    if kind == "recurring" and period:
        p["recurringChargePeriod"] = period
    return p


def quote(state: str = "approved.orderable", *, prices: list | None = None, qid: str = "Q-1",
          item_state: str | None = None, term: int = 36, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"id": "1", "state": item_state or state, "action": "add",
                            "quoteItemTerm": [{"duration": {"amount": term, "units": "calendarMonths"},
                                               "endOfTermAction": "roll", "name": f"{term} months"}],
                            "quoteItemPrice": prices if prices is not None else
                            [price("recurring", "899.10"), price("nonRecurring", "250.00", period=None)]}
    # what a seller repeats of the request: the offering and configuration it priced
    item["product"] = {"productOffering": {"id": "BIA-0001"},
                       "productConfiguration": configuration(SETTINGS.template_for("DIA"), 500)}
    item.update(extra.pop("item", {}))
    return {"id": qid, "externalId": "key-1", "state": state, "quoteDate": "2026-12-05T04:00:00Z",
            "quoteItem": [item], **extra}


class Seller:
    """A scripted seller: the token endpoint, and a queue of answers per call."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.tokens = 0
        self.answers: dict[str, list[Callable[[httpx.Request], httpx.Response] | httpx.Response]] = {}

    def on(self, call: str, *answers: Any) -> Seller:
        self.answers.setdefault(call, []).extend(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"tok-{self.tokens}-{'x' * 20}",
                                             "token_type": "Bearer", "expires_in": 3600})
        self.calls.append(request)
        path = request.url.path.removeprefix("/mefApi/sonata/quoteManagement/v8")
        call = f"{request.method} {re.sub(r'^/quote/.+$', '/quote/ID', path)}"
        queue = self.answers.get(call)
        if not queue:
            raise AssertionError(f"unexpected call {call}")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(request) if callable(answer) else answer


def ok(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=raw(body), headers={"Content-Type": "application/json",
                                                              **headers})


def client(seller: Seller, settings: SonataSettings = SETTINGS) -> SonataClient:
    return SonataClient(BASE, SECRET, settings, transport=httpx.MockTransport(seller), clock=FakeClock())


# --- calls and the request -------------------------------------------------------------------------

def test_the_factory_builds_a_sonata_client_of_the_seam():
    with build_client(BASE, SECRET, kind=SONATA, sonata=SETTINGS) as built:
        assert isinstance(built, SonataClient)
        for call in ("submit", "find", "poll", "cancel", "health", "check_auth", "abort"):
            assert callable(getattr(built, call)), call
        assert SECRET not in repr(built)


def test_submit_posts_the_row_as_the_profile_says():
    seller = Seller().on("POST /quote", ok(quote("acknowledged"), 201))
    reply = client(seller).submit(ROW, "key-1")
    request = seller.calls[0]
    assert request.headers["Authorization"] == f"Bearer tok-1-{'x' * 20}"
    body = json.loads(request.content)
    assert body["externalId"] == "key-1"
    assert body["projectId"] == "bq-3f9c2a/batch-4"
    assert body["buyerRequestedQuoteLevel"] == "firm" and body["instantSyncQuote"] is False
    assert body["relatedContactInformation"] == [{
        "role": "buyerContactInformation", "name": "Rita Rep", "emailAddress": "rita@buyer.example",
        "number": "555-0100", "organization": "Buyer Co."}]
    [item] = body["quoteItem"]
    assert item["action"] == "add"
    assert item["requestedQuoteItemTerm"] == {"duration": {"amount": 36, "units": "calendarMonths"},
                                              "endOfTermAction": "roll", "name": "36 months"}
    product = item["product"]
    assert product["productOffering"] == {"id": "BIA-0001"}
    assert product["place"] == [{
        "@type": "FieldedAddress", "role": "INSTALL_LOCATION", "streetNr": "221",
        "streetName": "LaSalle", "streetType": "St", "streetSuffix": "N", "city": "Chicago",
        "stateOrProvince": "IL", "postcode": "60601", "postcodeExtension": "1234", "country": "US",
        "geographicSubAddress": {"subUnit": [{"subUnitType": "STE", "subUnitNumber": "820"}]}}]
    config = product["productConfiguration"]
    assert config["@type"] == "urn:mef:lso:spec:cantata-sonata:basic-internet-access:v1.0.0:all"
    assert config["ipUni"]["ingressBandwidthProfileEnvelope"]["maxIr"] == \
        {"irValue": 500, "irUnits": "MBPS"}
    assert (reply.quote.id, reply.quote.status, reply.replayed) == ("Q-1", "queued", False)


def test_an_ethernet_row_gets_the_access_e_line_template_with_its_bandwidth():
    seller = Seller().on("POST /quote", ok(quote("acknowledged"), 201))
    client(seller).submit({**ROW, "service": {"product": "ETHERNET", "bandwidth_mbps": 200,
                                              "term_months": 24}}, "key-1")
    product = json.loads(seller.calls[0].content)["quoteItem"][0]["product"]
    assert product["productOffering"] == {"id": "AEL-0002"}
    config = product["productConfiguration"]
    assert config["@type"] == "urn:mef:lso:spec:sonata:access-eline-ovc:v5.0.0:all"
    flow = config["uniEp"]["ingressBandwidthProfilePerClassOfServiceName"][0]["bwpFlow"]
    assert flow["eir"]["irValue"] == flow["eirMax"]["irValue"] == 200


def test_budgetary_and_instant_are_the_sellers_settings():
    seller = Seller().on("POST /quote", ok(quote("answered"), 201))
    settings = SonataSettings(token_url=TOKEN_URL, client_id="b", offerings={"DIA": "x"},
                              quote_level="budgetary", instant=True)
    client(seller, settings).submit(ROW, "key-1")
    body = json.loads(seller.calls[0].content)
    assert (body["buyerRequestedQuoteLevel"], body["instantSyncQuote"]) == ("budgetary", True)


@pytest.mark.parametrize("settings,code", [
    (SonataSettings(token_url=TOKEN_URL, client_id="b", offerings={"ETHERNET": "x"}), "no_offering"),
    (SonataSettings(token_url=TOKEN_URL, client_id="b", offerings={"DIA": "x"}, templates={}),
     "no_template"),
])
def test_a_product_the_seller_cannot_be_asked_for_is_refused_before_anything_is_sent(settings, code):
    seller = Seller()
    with pytest.raises(PermanentError) as caught:
        client(seller, settings).submit(ROW, "key-1")
    assert caught.value.code == code and "DIA" in str(caught.value)
    assert seller.calls == [] and seller.tokens == 0


def test_poll_gets_the_quote_and_honours_retry_after():
    seller = Seller().on("GET /quote/ID", ok(quote("inProgress"), **{"Retry-After": "7"}))
    reply = client(seller).poll("Q-1")
    assert seller.calls[0].url.path.endswith("/quote/Q-1")
    assert (reply.quote.status, reply.retry_after) == ("processing", 7.0)


def test_find_adopts_the_quote_its_key_made_and_sends_nothing_new():
    seller = (Seller().on("GET /quote", ok([{"id": "Q-0", "externalId": "someone-else"},
                                            {"id": "Q-9", "externalId": "key-1", "state": "inProgress"}]))
              .on("GET /quote/ID", ok(quote("inProgress", qid="Q-9"))))
    reply = client(seller).find(ROW, "key-1")
    assert seller.calls[0].url.params["externalId"] == "key-1"
    assert [c.method for c in seller.calls] == ["GET", "GET"]
    assert seller.calls[1].url.path.endswith("/quote/Q-9")
    assert (reply.quote.id, reply.replayed) == ("Q-9", True)


def test_find_submits_when_the_seller_has_no_quote_for_the_key():
    seller = Seller().on("GET /quote", ok([])).on("POST /quote", ok(quote("acknowledged"), 201))
    reply = client(seller).find(ROW, "key-1")
    assert [c.method for c in seller.calls] == ["GET", "POST"]
    assert reply.replayed is False


def test_find_for_the_clean_up_only_looks():
    seller = Seller().on("GET /quote", ok([]))
    with pytest.raises(NotFound, match="never arrived") as caught:
        client(seller).find(ROW, "key-1", or_submit=False)
    assert caught.value.code == "not_sent"
    assert [c.method for c in seller.calls] == ["GET"]


def _others(offset: int, n: int) -> list[dict[str, Any]]:
    return [{"id": f"Q-{offset + i}", "externalId": f"other-{offset + i}", "state": "inProgress"}
            for i in range(n)]


def test_find_reads_an_unfiltered_search_page_by_page_before_sending_again():
    # The seller ignores externalId: a first page of others' quotes does not mean "never sent".
    def listing(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        page = _others(offset, 100) if offset == 0 else \
            [*_others(offset, 1), {"id": "Q-ours", "externalId": "key-1", "state": "inProgress"}]
        return ok(page, **{"X-Total-Count": "102"})
    seller = (Seller().on("GET /quote", listing)
              .on("GET /quote/ID", ok(quote("inProgress", qid="Q-ours"))))
    reply = client(seller).find(ROW, "key-1")
    assert [c.url.params["offset"] for c in seller.calls[:2]] == ["0", "100"]
    assert "POST" not in [c.method for c in seller.calls]
    assert (reply.quote.id, reply.replayed) == ("Q-ours", True)


def test_find_sends_nothing_when_an_unfiltered_search_cannot_be_read_to_its_end():
    # Others' quotes, a full page, and the same page whatever the offset: no way to know.
    seller = Seller().on("GET /quote", ok(_others(0, 100)))
    with pytest.raises(PermanentError, match="cannot tell whether this site was already sent") \
            as caught:
        client(seller).find(ROW, "key-1")
    assert caught.value.code == "search_unfiltered"
    assert [c.method for c in seller.calls] == ["GET", "GET"]


def test_the_health_check_reads_one_search_page_only():
    seller = Seller().on("GET /quote", ok(_others(0, 100), **{"X-Total-Count": "100000"}))
    client(seller).health()
    assert len(seller.calls) == 1


def test_cancel_posts_cancel_quote_and_answers_the_quote_as_left():
    seller = (Seller().on("POST /cancelQuote", ok({"quoteId": "Q-1"}))
              .on("GET /quote/ID", ok(quote("cancelled"))))
    reply = client(seller).cancel("Q-1")
    assert json.loads(seller.calls[0].content)["quoteId"] == "Q-1"
    assert json.loads(seller.calls[0].content)["reason"]
    assert reply.quote.status == "cancelled"


def test_cancelling_a_quote_already_over_answers_it_as_it_is():
    seller = (Seller().on("POST /cancelQuote", ok({"reason": "not cancellable", "code": "invalidValue"}, 422))
              .on("GET /quote/ID", ok(quote())))
    assert client(seller).cancel("Q-1").quote.status == "complete"


# --- the answer -------------------------------------------------------------------------------------

@pytest.mark.parametrize("state,status", sorted(QUOTE_STATES.items()))
def test_every_state_and_its_pre_billie_name_is_mapped(state, status):
    seller = Seller().on("GET /quote/ID", ok(quote(state, item_state="approved.orderable")))
    assert client(seller).poll("Q-1").quote.status == status


@pytest.mark.parametrize("state", ["unableToProvide", "rejected", "cancelled.unableToProvide"])
def test_a_quote_the_seller_cannot_give_fails_with_its_termination_error(state):
    body = quote(state, prices=[], item={"terminationError": [
        {"code": "otherIssue", "value": "no fiber within 2 miles", "propertyPath": "/quoteItem/0/product/place"}]})
    reply = client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1")
    assert reply.quote.status == "failed" and reply.quote.error_code == state
    assert reply.quote.error_message == \
        "Acme Fiber could not quote this site: no fiber within 2 miles (/quoteItem/0/product/place)"


def test_monthly_recurring_is_the_mrc_and_non_recurring_the_nrc_exactly_as_written():
    body = quote(prices=[price("recurring", "1234.56"), price("nonRecurring", "0.10", period=None),
                         price("nonRecurring", "0.20", period=None)])
    [option] = client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1").quote.result.options
    assert (option.mrc, option.nrc, option.currency) == (Decimal("1234.56"), Decimal("0.30"), "USD")
    assert option.carrier == "Acme Fiber" and option.note is None
    assert (option.product, option.bandwidth_mbps, option.term_months) == ("DIA", 500, 36)


def test_another_period_is_converted_to_a_month_and_usage_kept_as_a_note():
    body = quote(prices=[price("recurring", "1200", period="year", name="port"),
                         price("usageBased", "0.05", period=None, name="burst", unitOfMeasure="GB")])
    [option] = client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1").quote.result.options
    assert option.mrc == Decimal("100.00") and option.nrc == Decimal("0.00")
    assert option.note == ("MRC includes port: yearly 1200 USD converted to a month; "
                           "usage-based burst: 0.05 USD per GB")


def test_validity_level_term_and_install_interval_are_read():
    body = quote("answered", quoteLevel="budgetary", validFor={"endDateTime": "2027-01-04T23:59:59Z"},
                 item={"quoteItemInstallationInterval": {"amount": 10, "units": "businessDays"}})
    reply = client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1")
    assert reply.quote.result.valid_until == date(2027, 1, 4)
    [option] = reply.quote.result.options
    assert (option.quote_level, option.is_estimate, option.install_days) == ("budgetary", True, 14)
    assert option.alternate is False


@pytest.mark.parametrize("state,term", [("approved.orderableAlternate", 36), ("approved.orderable", 48)])
def test_an_alternate_is_priced_but_marked(state, term):
    seller = Seller().on("POST /quote", ok(quote(state, term=term), 201))
    [option] = client(seller).submit(ROW, "key-1").quote.result.options
    assert option.alternate is True and option.term_months == term
    assert option.mrc == Decimal("899.10")


def test_a_quote_polled_after_a_restart_reads_product_and_bandwidth_back():
    [option] = client(Seller().on("GET /quote/ID", ok(quote()))).poll("Q-1").quote.result.options
    assert (option.product, option.bandwidth_mbps, option.note) == ("DIA", 500, None)
    bare = quote(item={"product": {}})
    [option] = client(Seller().on("GET /quote/ID", ok(bare))).poll("Q-1").quote.result.options
    assert option.mrc == Decimal("899.10") and option.bandwidth_mbps == 0
    assert option.note == "the seller did not repeat the product and bandwidth it priced"


def test_unknown_fields_are_ignored():
    body = quote(futureField={"x": [1, 2]}, item={"sellerExtra": "yes"})
    assert client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1").quote.status == "complete"


def test_a_priced_state_without_a_price_fails_the_row_with_the_reason():
    reply = client(Seller().on("GET /quote/ID", ok(quote(prices=[])))).poll("Q-1")
    assert (reply.quote.status, reply.quote.error_code) == ("failed", "no_price")


# --- errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers,retry_after", [({"Retry-After": "12"}, 12.0), ({}, None)])
def test_429_is_transient_with_or_without_retry_after(headers, retry_after):
    seller = Seller().on("GET /quote/ID", httpx.Response(429, headers=headers))
    with pytest.raises(TransientError) as caught:
        client(seller).poll("Q-1")
    assert (caught.value.code, caught.value.retry_after) == ("rate_limited", retry_after)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_transient(status):
    seller = Seller().on("GET /quote/ID", ok({"reason": "down for maintenance"}, status))
    with pytest.raises(TransientError, match="down for maintenance"):
        client(seller).poll("Q-1")


@pytest.mark.parametrize("code", ["missingProperty", "invalidValue", "invalidFormat",
                                  "referenceNotFound", "unexpectedProperty", "tooManyRecords",
                                  "otherIssue"])
def test_422_is_permanent_with_the_sellers_code_and_property(code):
    seller = Seller().on("POST /quote", ok({"reason": "bad postcode", "code": code,
                                            "propertyPath": "/quoteItem/0/product/place/0/postcode"}, 422))
    with pytest.raises(PermanentError) as caught:
        client(seller).submit(ROW, "key-1")
    assert (caught.value.code, caught.value.field) == (code, "/quoteItem/0/product/place/0/postcode")
    assert caught.value.message == "bad postcode"


def test_a_422_as_the_spec_writes_it_a_list_of_errors_keeps_the_sellers_words():
    # quoteManagement.api.yaml answers a 422 with an array of Error422, one per problem.
    seller = Seller().on("POST /quote", ok([
        {"reason": "postcode is missing", "code": "missingProperty",
         "propertyPath": "/quoteItem/0/product/place/0/postcode"},
        {"reason": "term not offered", "code": "invalidValue"}], 422))
    with pytest.raises(PermanentError) as caught:
        client(seller).submit(ROW, "key-1")
    assert (caught.value.code, caught.value.field) == ("missingProperty",
                                                      "/quoteItem/0/product/place/0/postcode")
    assert caught.value.message == "postcode is missing; term not offered"


def test_400_is_permanent_and_404_not_found():
    seller = Seller().on("POST /quote", ok({"reason": "unreadable"}, 400))
    with pytest.raises(PermanentError):
        client(seller).submit(ROW, "key-1")
    with pytest.raises(NotFound):
        client(Seller().on("GET /quote/ID", ok({"reason": "no such quote"}, 404))).poll("Q-1")


def test_a_401_gets_one_fresh_token_and_one_retry():
    seller = Seller().on("GET /quote/ID", httpx.Response(401), ok(quote()))
    assert client(seller).poll("Q-1").quote.status == "complete"
    assert seller.tokens == 2
    assert [c.headers["Authorization"] for c in seller.calls] == [f"Bearer tok-{n}-{'x' * 20}" for n in (1, 2)]


def test_a_second_401_is_an_auth_error_without_the_token_or_secret():
    seller = Seller().on("GET /quote/ID", ok({"reason": f"token tok-2-{'x' * 20} refused; secret {SECRET}"}, 401))
    with pytest.raises(AuthError) as caught:
        client(seller).poll("Q-1")
    assert seller.tokens == 2 and len(seller.calls) == 2
    assert "tok-2" not in str(caught.value) and SECRET not in str(caught.value)


def test_a_refused_secret_stops_with_one_sentence():
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})
    built = SonataClient(BASE, SECRET, SETTINGS, transport=httpx.MockTransport(refuse), clock=FakeClock())
    with pytest.raises(AuthError, match="^the seller Acme Fiber refused the client id/secret"):
        built.check_auth()


def test_an_answer_too_large_or_too_deep_is_transient_not_a_crash():
    huge = httpx.Response(200, content=b"[" + b"0," * (3 * 1024 * 1024) + b"0]")
    with pytest.raises(TransientError):
        client(Seller().on("GET /quote/ID", huge)).poll("Q-1")
    deep = quote(item={"x": json.loads("[" * 40 + "]" * 40)})
    with pytest.raises(TransientError, match="nests deeper"):
        client(Seller().on("GET /quote/ID", ok(deep))).poll("Q-1")


def test_a_float_is_never_used_for_money():
    # 0.1 + 0.2 as floats is 0.30000000000000004: kept as the seller's decimals it is 0.3,
    # and 1e-7 of a cent more in 9 million is still exactly what was written.
    body = quote(prices=[price("recurring", "9007199254.74"), price("nonRecurring", "0.1", period=None)])
    with pytest.raises(ProviderError, match="ceiling"):
        client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1")
    body = quote(prices=[price("recurring", "4503599.63"), price("nonRecurring", "0.1", period=None),
                         price("nonRecurring", "0.2", period=None)])
    [option] = client(Seller().on("GET /quote/ID", ok(body))).poll("Q-1").quote.result.options
    assert option.mrc == Decimal("4503599.63") and str(option.nrc) == "0.30"


def test_a_secret_too_short_to_be_one_does_not_mangle_the_sellers_words():
    seller = Seller().on("POST /quote", ok({"reason": "postcode is missing", "code": "missingProperty"}, 422))
    short = SonataClient(BASE, "s", SETTINGS, transport=httpx.MockTransport(seller), clock=FakeClock())
    with pytest.raises(PermanentError) as caught:
        short.submit(ROW, "key-1")
    assert caught.value.message == "postcode is missing"


def test_find_prefers_a_live_quote_to_a_cancelled_one_for_the_same_key():
    seller = (Seller().on("GET /quote", ok([{"id": "Q-1", "externalId": "key-1", "state": "cancelled"},
                                            {"id": "Q-2", "externalId": "key-1", "state": "inProgress"}]))
              .on("GET /quote/ID", ok(quote("inProgress", qid="Q-2"))))
    assert client(seller).find(ROW, "key-1").quote.id == "Q-2"
    assert seller.calls[1].url.path.endswith("/quote/Q-2")


def test_what_a_row_asked_is_kept_only_while_its_quote_is_open():
    seller = (Seller().on("POST /quote", ok(quote("acknowledged"), 201))
              .on("GET /quote/ID", ok(quote("inProgress")), ok(quote())))
    built = client(seller)
    built.submit({**ROW, "service": {**ROW["service"], "bandwidth_mbps": 200}}, "key-1")
    built.poll("Q-1")
    [option] = built.poll("Q-1").quote.result.options
    assert option.bandwidth_mbps == 200          # as asked, not read back from the answer (500)
    # The quote is over: what it asked is forgotten (a worker runs for weeks), and a later
    # look reads the answer's own configuration back.
    [option] = built.poll("Q-1").quote.result.options
    assert option.bandwidth_mbps == 500


def test_neither_the_secret_nor_a_token_reaches_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    seller = (Seller().on("POST /quote", ok(quote("acknowledged"), 201))
              .on("GET /quote/ID", httpx.Response(401), ok(quote())))
    built = client(seller)
    built.submit(ROW, "key-1")
    built.poll("Q-1")
    assert seller.tokens == 2 and caplog.records
    logged = caplog.text
    assert SECRET not in logged and "tok-1-" not in logged and "tok-2-" not in logged


# --- several terms in one quote (issue 18) ------------------------------------------------------

DEAL_ROW = {**ROW, "service": {**ROW["service"], "term_months": 12, "terms": [12, 36, 60]}}


def _item(item_id: str, term: int | None, mrc: str) -> dict[str, Any]:
    body = quote(prices=[price("recurring", mrc)], term=term or 36)["quoteItem"][0]
    body["id"] = item_id
    if term is None:
        del body["quoteItemTerm"]
    return body


def test_a_row_asking_several_terms_sends_one_item_per_term():
    seller = Seller().on("POST /quote", ok(quote("acknowledged"), 201))
    client(seller).submit(DEAL_ROW, "key-1")
    items = json.loads(seller.calls[0].content)["quoteItem"]
    assert [(i["id"], i["requestedQuoteItemTerm"]["duration"]["amount"]) for i in items] == [
        ("1", 12), ("2", 36), ("3", 60)]
    assert len({json.dumps(i["product"], sort_keys=True) for i in items}) == 1   # one site, one product


def test_each_item_is_an_option_of_its_term_and_a_term_not_asked_an_alternate():
    body = quote()
    body["quoteItem"] = [_item("1", 12, "900.00"), _item("2", 36, "700.00"),
                         _item("3", None, "650.00"),     # the seller did not repeat its term
                         _item("4", 24, "800.00")]       # a term nobody asked
    seller = Seller().on("POST /quote", ok(body, 201))
    options = client(seller).submit(DEAL_ROW, "key-1").quote.result.options
    assert [(o.term_months, o.mrc, o.alternate) for o in options] == [
        (12, Decimal("900.00"), False), (36, Decimal("700.00"), False),
        (60, Decimal("650.00"), False), (24, Decimal("800.00"), True)]
