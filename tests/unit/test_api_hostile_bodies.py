"""Hostile answers through httpx.MockTransport: whatever the API sends is bounded or refused.

Refused answers raise BrokenBody (a TransientError, code "broken_body") naming the field and the
rule; accepted ones reach the caller with every text cut and cleaned, money exact and in range,
and at most MAX_OPTIONS options. Each table row is one answer a broken or malicious server
(or a proxy in front of it) could send.
"""

from __future__ import annotations

import base64
import json
import unicodedata
import urllib.parse
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bulkquote_gui.core.quoting import momentum
from bulkquote_gui.core.quoting.momentum import (
    MAX_CARRIER_CHARS,
    MAX_CODE_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_OPTIONS,
    MAX_REFERENCE_CHARS,
    ApiError,
    BrokenBody,
    MomentumClient,
    PermanentError,
    QuoteInFlight,
    RemoteQuote,
    TransientError,
)
from tests.helpers.fakes import FakeClock

KEY = "sk_live_HOSTILE_key_5f3a9c"
BASE = "https://api.momentum.example/v1"
REQUEST = {"reference": "batch-1/row-2", "customer": {"company": "Acme"},
           "location": {"street": "600 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701"},
           "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}}
OPTION = {"carrier": "Lumen", "product": "DIA", "bandwidth_mbps": 1000, "term_months": 36,
          "mrc": "899.00", "nrc": "0.00", "currency": "USD", "install_days": 45,
          "access": "on_net", "is_estimate": False}


def quote(status: str = "complete", *, options: list[Any] | None = None, recommended: Any = 0,
          **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "q_1", "reference": "batch-1/row-2", "status": status,
                            "created_at": "2026-11-29T14:03:11Z",
                            "updated_at": "2026-11-29T14:04:02Z", "request": REQUEST,
                            "result": None, "error": None}
    if status == "complete":
        body["result"] = {"options": [OPTION] if options is None else options,
                          "recommended": recommended, "valid_until": "2026-12-29"}
    body.update(extra)
    return body


def option(**changes: Any) -> dict[str, Any]:
    return {**OPTION, **changes}


def without(field: str) -> dict[str, Any]:
    return {k: v for k, v in OPTION.items() if k != field}


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def encoded(body: Any) -> bytes:
    return json.dumps(body).encode()


def client_answering(status: int, raw: bytes, headers: dict[str, str] | None = None) -> MomentumClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=raw, headers=headers)

    return MomentumClient(BASE, KEY, transport=httpx.MockTransport(handler), clock=FakeClock())


def fetch(status: int, raw: bytes, headers: dict[str, str] | None = None) -> RemoteQuote:
    with client_answering(status, raw, headers) as client:
        if status == 201:
            return client.create_quote(REQUEST, "idem-1").quote
        return client.get_quote("q_1").quote


# --- refused: (body, words the message must hold) ------------------------------------------------

REFUSED: dict[str, tuple[bytes, str]] = {
    # shape and encoding
    "html page": (b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>", "not JSON"),
    "json string": (b'"complete"', "not a JSON object"),
    "json null": (b"null", "not a JSON object"),
    "json number": (b"17", "not a JSON object"),
    "NaN constant": (b'{"id": "q_1", "status": "queued", "x": NaN}', "not JSON"),
    "Infinity in install days": (encoded(quote()).replace(b'"install_days": 45', b'"install_days": Infinity'),
                                 "not JSON"),
    "nesting 33 deep in an unknown field": (encoded(quote("queued", junk=nested(33))), "nests deeper than 32"),
    "nesting 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
    "integer of 5,000 digits": (b'{"id": "q_1", "status": "queued", "n": ' + b"7" * 5000 + b"}", "not JSON"),
    "lone byte 0xff": (b'{"id": "q_\xff", "status": "queued"}', "not UTF-8"),
    # ids
    "id too long": (encoded(quote("queued", id="q_" + "A" * 99)), "'id'"),
    "id with a space": (encoded(quote("queued", id="q 1")), "'id'"),
    "id with a newline": (encoded(quote("queued", id="q_1\n")), "'id'"),
    "id with non-ASCII": (encoded(quote("queued", id="q_\u00e91")), "'id'"),
    "id carrying the key": (encoded(quote("queued", id=f"q_{KEY}")), "carries the API key"),
    "id an object": (encoded(quote("queued", id={"v": "q_1"})), "'id'"),
    "status a list": (encoded({**quote("queued"), "status": ["complete"]}), "'status'"),
    "status unknown": (encoded({**quote("queued"), "status": "done\x1b[2J"}), "unknown status"),
    # money
    "negative mrc": (encoded(quote(options=[option(mrc="-899.00")])), "'mrc' is negative"),
    "mrc above the ceiling": (encoded(quote(options=[option(mrc="10000000.00")])), "ceiling"),
    "nrc credit beyond the ceiling": (encoded(quote(options=[option(nrc="-10000000.00")])), "ceiling"),
    "mrc of 40 digits": (encoded(quote(options=[option(mrc="9" * 40 + ".00")])), "money string"),
    "mrc three decimals": (encoded(quote(options=[option(mrc="899.001")])), "3 decimals"),
    "mrc one decimal": (encoded(quote(options=[option(mrc="899.0")])), "1 decimals"),
    "mrc without decimals": (encoded(quote(options=[option(mrc="899")])), "money string"),
    "mrc exponent": (encoded(quote(options=[option(mrc="8.99e2")])), "money string"),
    "mrc hex": (encoded(quote(options=[option(mrc="0x383")])), "money string"),
    "mrc padded": (encoded(quote(options=[option(mrc=" 899.00")])), "money string"),
    "mrc trailing newline": (encoded(quote(options=[option(mrc="899.00\n")])), "money string"),
    "mrc fullwidth digits": (encoded(quote(options=[option(mrc="\uff18\uff19\uff19.00")])), "money string"),
    "mrc NaN string": (encoded(quote(options=[option(mrc="NaN")])), "money string"),
    "mrc a float": (encoded(quote(options=[option(mrc=899.0)])), "money string"),
    "mrc an object": (encoded(quote(options=[option(mrc={"amount": "899.00"})])), "money string"),
    "mrc missing": (encoded(quote(options=[without("mrc")])), "'mrc'"),
    "currency lower case": (encoded(quote(options=[option(currency="usd")])), "ISO 4217"),
    "currency four letters": (encoded(quote(options=[option(currency="USDT")])), "ISO 4217"),
    "currency a number": (encoded(quote(options=[option(currency=840)])), "'currency'"),
    # integers
    "install days negative": (encoded(quote(options=[option(install_days=-1)])), "'install_days' is outside"),
    "install days a century": (encoded(quote(options=[option(install_days=36500)])), "'install_days' is outside"),
    "install days text": (encoded(quote(options=[option(install_days="45")])), "'install_days'"),
    "install days fractional": (encoded(quote(options=[option(install_days=4.5)])), "'install_days'"),
    "bandwidth zero": (encoded(quote(options=[option(bandwidth_mbps=0)])), "'bandwidth_mbps' is outside"),
    "bandwidth a trillion": (encoded(quote(options=[option(bandwidth_mbps=10**12)])), "'bandwidth_mbps'"),
    "term a thousand years": (encoded(quote(options=[option(term_months=12_000)])), "'term_months'"),
    "recommended text": (encoded(quote(recommended="1")), "'recommended'"),
    # texts that cannot be shown
    "carrier empty": (encoded(quote(options=[option(carrier="")])), "'carrier' is blank"),
    "carrier only control characters": (encoded(quote(options=[option(carrier="\x00\x07\u202e")])),
                                        "'carrier' is blank"),
    "carrier a number": (encoded(quote(options=[option(carrier=7)])), "'carrier'"),
    "product missing": (encoded(quote(options=[without("product")])), "'product'"),
    # options
    "options an object": (encoded(quote(options={"0": OPTION})), "no options"),
    "options empty": (encoded(quote(options=[])), "no options"),
    "one bad option among good ones": (encoded(quote(options=[OPTION] * 7 + [option(mrc="-1.00")])),
                                       "option 7"),
    "option a string": (encoded(quote(options=["Lumen 899.00"])), "option 0 is not an object"),
    "result a list": (encoded({**quote("queued"), "status": "complete", "result": [OPTION]}), "no result"),
}


@pytest.mark.parametrize("name", list(REFUSED))
@pytest.mark.parametrize("status", [200, 201])
def test_a_hostile_2xx_is_refused_as_a_broken_body_that_names_the_rule(name, status):
    raw, words = REFUSED[name]
    with pytest.raises(BrokenBody) as caught:
        fetch(status, raw)
    exc = caught.value
    assert isinstance(exc, TransientError) and exc.code == "broken_body" and exc.status == status
    assert words in exc.message, exc.message
    assert KEY not in str(exc) and KEY not in repr(exc)
    assert len(exc.message) < 200 and all(ch.isprintable() for ch in exc.message), exc.message


def test_an_html_page_with_its_content_type_says_to_check_the_url():
    page = b"<html><head><title>Sign in</title></head><body>Corporate proxy</body></html>"
    with pytest.raises(BrokenBody) as caught:
        fetch(200, page, {"Content-Type": "text/html; charset=utf-8"})
    assert "web page" in caught.value.message and "check the API URL" in caught.value.message


def test_a_body_far_larger_than_a_quote_is_not_read_to_its_end():
    pulled: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        def chunks():
            for i in range(1000):  # 64 MiB offered
                pulled.append(i)
                yield b" " * 65536
        return httpx.Response(200, content=chunks())

    with MomentumClient(BASE, KEY, transport=httpx.MockTransport(handler), clock=FakeClock()) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1")
    assert caught.value.code == "body_too_large"
    assert len(pulled) <= momentum.MAX_BODY_BYTES // 65536 + 1


def test_nesting_at_the_limit_is_still_read():
    # The quote itself is depth 1, `junk` adds 31 list levels: 32 in all.
    assert fetch(200, encoded(quote("queued", junk=nested(31)))).status == "queued"


# --- accepted, but bounded -----------------------------------------------------------------------

def assert_fit_for_screen_and_store(q: RemoteQuote) -> None:
    texts = [q.id, q.reference, q.error_code, q.error_message]
    if q.result is not None:
        for o in q.result.options:
            texts += [o.carrier, o.product, o.currency, o.access]
    for text in filter(None, texts):
        text.encode("utf-8")  # no lone surrogates: SQLite, files and Qt can all hold it
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text), repr(text)
        assert KEY not in text


def test_thousands_of_options_keep_the_first_fifty_and_say_how_many_were_dropped():
    options = [option(carrier=f"Carrier {i}", mrc=f"{100 + i}.00") for i in range(3000)]
    options[2000] = "garbage past the limit is never read"
    q = fetch(200, encoded(quote(options=options, recommended=7)))
    assert q.result is not None
    assert len(q.result.options) == MAX_OPTIONS == 50
    assert q.result.dropped_options == 2950
    assert q.result.recommended_option.carrier == "Carrier 7"


def test_a_recommended_option_beyond_the_fifty_kept_is_kept_in_their_place():
    options = [option(carrier=f"Carrier {i}", mrc=f"{100 + i}.00") for i in range(400)]
    q = fetch(200, encoded(quote(options=options, recommended=321)))
    assert q.result is not None and len(q.result.options) == MAX_OPTIONS
    assert q.result.recommended == MAX_OPTIONS - 1
    assert q.result.recommended_option.carrier == "Carrier 321"
    assert q.result.recommended_option.mrc == Decimal("421.00")
    assert [o.carrier for o in q.result.options[:3]] == ["Carrier 0", "Carrier 1", "Carrier 2"]


CUT = {
    "carrier of 10,000 characters": (option(carrier="Lumen " * 2000), "carrier", MAX_CARRIER_CHARS),
    "product of 500 characters": (option(product="DIA" * 500), "product", momentum.MAX_PRODUCT_CHARS),
}


@pytest.mark.parametrize("name", list(CUT))
def test_long_texts_are_cut_with_an_ellipsis(name):
    raw_option, field, limit = CUT[name]
    q = fetch(200, encoded(quote(options=[raw_option])))
    value = getattr(q.result.options[0], field)
    assert len(value) == limit and value.endswith("\u2026")
    assert_fit_for_screen_and_store(q)


def test_failed_quote_texts_are_cut_cleaned_and_never_carry_the_key():
    error = {"code": "no_coverage_" + "x" * 5000,
             "message": f"\x1b[31mno carrier\x1b[0m serves\u202e it; key={KEY} " + "y" * 10**6}
    q = fetch(200, encoded(quote("failed", error=error, reference="r" * 5000)))
    assert len(q.error_code) == MAX_CODE_CHARS and len(q.error_message) == MAX_MESSAGE_CHARS
    assert len(q.reference) == MAX_REFERENCE_CHARS
    assert q.error_message.startswith("[31mno carrier[0m serves it; key=<hidden> yyy")
    assert_fit_for_screen_and_store(q)


def test_control_bidi_and_surrogate_characters_never_reach_the_caller():
    raw = (encoded(quote(options=[option(carrier="\u202eLumen\u200b\tFiber\r\n",
                                          product="D\x00IA")]))
           .replace(b'"batch-1/row-2"', b'"batch-1/\\ud800row-2"'))
    q = fetch(200, raw)
    o = q.result.options[0]
    assert (o.carrier, o.product, q.reference) == ("Lumen Fiber", "DIA", "batch-1/row-2")
    assert_fit_for_screen_and_store(q)


def test_the_key_echoed_in_a_carrier_name_is_masked():
    q = fetch(200, encoded(quote(options=[option(carrier=f"Lumen {KEY}")])))
    assert q.result.options[0].carrier == "Lumen <hidden>"


def test_the_key_echoed_encoded_is_masked_too():
    b64 = base64.b64encode(KEY.encode()).decode().rstrip("=")
    header = base64.urlsafe_b64encode(f"Bearer {KEY}".encode()).decode().rstrip("=")
    error = {"code": "failed", "message": f"saw {urllib.parse.quote(KEY + '/', safe='')} {b64} {header}"}
    q = fetch(200, encoded(quote("failed", error=error, options=None)))
    assert q.error_message == "saw <hidden>%2F <hidden> <hidden>"
    for form in momentum.secret_forms(KEY):
        assert form not in q.error_message


@pytest.mark.parametrize("raw,expected", [
    ("0.00", Decimal("0.00")), ("-0.00", Decimal("0.00")), ("0.01", Decimal("0.01")),
    ("9999999.99", Decimal("9999999.99")), ("000899.50", Decimal("899.50")),
])
def test_money_in_range_is_exact(raw, expected):
    q = fetch(200, encoded(quote(options=[option(mrc=raw, nrc=raw)])))
    o = q.result.options[0]
    assert o.mrc == expected and o.nrc == expected and str(o.mrc) == str(expected)
    assert not o.mrc.is_signed()


def test_a_negative_install_price_is_a_credit_the_contract_allows():
    # Money in momentum-api.yaml is ^-?[0-9]+\.[0-9]{2}$: an NRC credit is contract-valid; a
    # negative monthly price is not a price and is refused (see REFUSED["negative mrc"]).
    q = fetch(200, encoded(quote(options=[option(nrc="-250.00")])))
    assert q.result.options[0].nrc == Decimal("-250.00")


def test_informative_fields_of_the_wrong_type_are_dropped_not_fatal():
    q = fetch(200, encoded(quote(options=[option(access=["on_net"], install_days=None)],
                                 reference={"r": 1}, created_at="x" * 10**5,
                                 error={"code": 7, "message": ["?"]})))
    o = q.result.options[0]
    assert (o.access, o.install_days, q.reference, q.created_at) == (None, None, None, None)
    q = fetch(200, encoded(quote(options=[option(access="wormhole", bandwidth_mbps=1000.0)])))
    assert q.result.options[0].access is None and q.result.options[0].bandwidth_mbps == 1000


# --- error answers: their class survives, their texts are bounded --------------------------------

@pytest.mark.parametrize("raw", [
    b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>",
    b'{"error": {"code": "internal", "message": "boom", "trace": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    encoded({"error": {"code": "\x1b]0;owned\x07", "message": "m" * 10**6,
                       "field": "f" * 10**4}}),
])
def test_a_hostile_5xx_stays_transient_with_a_bounded_printable_message(raw):
    with client_answering(500, raw) as client, pytest.raises(TransientError) as caught:
        client.get_quote("q_1")
    exc = caught.value
    assert exc.status == 500 and not isinstance(exc, BrokenBody)
    assert len(exc.message) <= MAX_MESSAGE_CHARS and len(exc.code) <= MAX_CODE_CHARS
    assert len(exc.field or "") <= momentum.MAX_FIELD_CHARS
    assert all(ch.isprintable() for ch in str(exc)), str(exc)
    assert "<html" not in exc.message


def test_a_422_echoing_the_key_keeps_its_class_and_hides_the_key():
    body = encoded({"error": {"code": "invalid_address", "message": f"bad key {KEY}\n" * 3,
                              "field": "location.postal_code"}})
    with client_answering(422, body) as client, pytest.raises(PermanentError) as caught:
        client.create_quote(REQUEST, "idem")
    assert KEY not in str(caught.value) and "<hidden>" in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("blocking_id", ["q_" + "9" * 200, "q 1", "q_1/../../health", f"q_{KEY}", 7,
                                         "", None])
def test_a_409_with_an_unusable_blocking_id_gives_no_id(blocking_id):
    body = encoded({"error": {"code": "quote_in_flight", "message": "busy"},
                    "in_flight_id": blocking_id})
    with client_answering(409, body) as client, pytest.raises(QuoteInFlight) as caught:
        client.create_quote(REQUEST, "idem")
    expected = blocking_id if blocking_id == "q_1/../../health" else None  # printable: one path segment
    assert caught.value.in_flight_id == expected


def test_every_hostile_body_gives_an_api_error_and_nothing_else():
    """Whatever the table holds, at any status, only ApiError subclasses come out."""
    bodies = [raw for raw, _ in REFUSED.values()] + [b"", b"\x00" * 64, b"{" * 10]
    for status in (200, 201, 400, 401, 404, 409, 422, 429, 500, 503, 302, 418):
        for raw in bodies:
            with pytest.raises(ApiError):  # an accepted body fails here, as any other error
                fetch(status, raw)
