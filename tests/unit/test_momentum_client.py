"""The Momentum client against httpx.MockTransport: every status, Retry-After, broken bodies, secrecy."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timezone
from decimal import Decimal

import httpx
import pytest

from bulkquote_gui.core.quoting.momentum import (
    ApiError,
    AuthError,
    MomentumClient,
    NotFound,
    PermanentError,
    QuoteInFlight,
    TransientError,
    parse_retry_after,
    Unreachable,
)
from tests.helpers.fakes import FakeClock

KEY = "sk_live_TOPSECRET_0123456789"
BASE = "https://api.momentum.example/v1"
NOW = datetime(2026, 11, 29, 14, 0, 0, tzinfo=timezone.utc)

OPTION = {"carrier": "Lumen", "product": "DIA", "bandwidth_mbps": 1000, "term_months": 36,
          "mrc": "899.00", "nrc": "0.00", "currency": "USD", "install_days": 45,
          "access": "on_net", "is_estimate": False}
OPTION_2 = {"carrier": "Spectrum", "product": "DIA", "bandwidth_mbps": 1000, "term_months": 36,
            "mrc": "749.00", "nrc": "500.00", "currency": "USD"}
REQUEST = {"reference": "batch-1/row-2", "customer": {"company": "Acme"},
           "location": {"street": "600 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701"},
           "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}}


def quote(status: str = "queued", **extra: object) -> dict:
    body = {"id": "q_1", "reference": "batch-1/row-2", "status": status,
            "created_at": "2026-11-29T14:03:11Z", "updated_at": "2026-11-29T14:04:02Z",
            "request": REQUEST, "result": None, "error": None}
    if status == "complete":
        body["result"] = {"options": [OPTION, OPTION_2], "recommended": 1, "valid_until": "2026-12-29"}
    body.update(extra)
    return body


def err(code: str, message: str = "nope", **extra: object) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def make(handler, clock: FakeClock | None = None, **kwargs) -> MomentumClient:
    return MomentumClient(BASE, KEY, transport=httpx.MockTransport(handler), clock=clock or FakeClock(),
                          **kwargs)


def answering(status: int, body: object = None, headers: dict | None = None, raw: bytes | None = None):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if raw is not None:
            return httpx.Response(status, content=raw, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


# --- the happy paths -----------------------------------------------------------------------------

def test_create_quote_sends_the_contract_request_and_reads_201():
    handler = answering(201, quote(), {"Location": "/v1/quotes/q_1", "Retry-After": "7"})
    with make(handler) as client:
        reply = client.create_quote(REQUEST, "idem-123")
    sent = handler.seen[0]
    assert sent.method == "POST"
    assert str(sent.url) == f"{BASE}/quotes"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Idempotency-Key"] == "idem-123"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith("BulkQuote/")
    assert json.loads(sent.content) == REQUEST
    assert reply.quote.id == "q_1" and reply.quote.status == "queued" and not reply.quote.terminal
    assert reply.quote.reference == "batch-1/row-2"
    assert reply.quote.created_at == datetime(2026, 11, 29, 14, 3, 11, tzinfo=timezone.utc)
    assert reply.retry_after == 7.0
    assert reply.replayed is False


def test_a_200_answer_to_post_is_an_idempotent_replay():
    with make(answering(200, quote("processing"))) as client:
        reply = client.create_quote(REQUEST, "idem-123")
    assert reply.replayed is True and reply.quote.status == "processing"


def test_complete_quote_parses_money_as_decimal_and_ignores_unknown_fields():
    body = quote("complete", surprise={"nested": [1, 2]}, another="x")
    body["result"]["options"][0] = {**OPTION, "carrier_ref": "L-77", "mrc": "1899.99"}
    body["result"]["colour"] = "blue"
    with make(answering(200, body)) as client:
        reply = client.get_quote("q_1")
    q = reply.quote
    assert q.terminal and q.status == "complete"
    assert reply.retry_after is None
    result = q.result
    assert result is not None
    assert result.options[0].mrc == Decimal("1899.99") and isinstance(result.options[0].mrc, Decimal)
    assert result.options[0].install_days == 45 and result.options[0].access == "on_net"
    assert result.options[0].is_estimate is False
    assert result.options[1].install_days is None and result.options[1].access is None
    assert result.options[1].is_estimate is None
    assert result.recommended_option.carrier == "Spectrum"
    assert result.recommended_option.nrc == Decimal("500.00")
    assert result.valid_until == date(2026, 12, 29)


@pytest.mark.parametrize("index", [2, 99, -1])
def test_recommended_index_out_of_range_falls_back_to_the_first_option(index):
    body = quote("complete")
    body["result"]["recommended"] = index
    with make(answering(200, body)) as client:
        result = client.get_quote("q_1").quote.result
    assert result.recommended_option.carrier == "Lumen"


def test_optional_result_and_timestamp_fields_may_be_missing():
    body = quote("complete")
    del body["result"]["valid_until"]
    del body["created_at"], body["updated_at"], body["reference"], body["request"]
    with make(answering(200, body)) as client:
        q = client.get_quote("q_1").quote
    assert q.result.valid_until is None and q.created_at is None and q.reference is None


def test_failed_quote_carries_the_error_code_and_message():
    body = quote("failed", error={"code": "no_coverage", "message": "no carrier serves it", "x": 1})
    with make(answering(200, body)) as client:
        q = client.get_quote("q_1").quote
    assert q.terminal and q.result is None
    assert (q.error_code, q.error_message) == ("no_coverage", "no carrier serves it")


def test_cancel_sends_delete_and_the_id_stays_one_path_segment():
    handler = answering(200, quote("cancelled"))
    with make(handler) as client:
        assert client.cancel_quote("q_1").quote.status == "cancelled"
        client.cancel_quote("../../health")
        client.get_quote("..")
    assert handler.seen[0].method == "DELETE"
    assert handler.seen[0].url.path == "/v1/quotes/q_1"
    assert handler.seen[1].url.raw_path == b"/v1/quotes/..%2F..%2Fhealth"
    assert handler.seen[2].url.raw_path == b"/v1/quotes/%2E%2E"


def test_health_needs_no_key_and_wants_status_ok():
    handler = answering(200, {"status": "ok", "version": "9"})
    with make(handler) as client:
        client.health()
        assert "Authorization" not in handler.seen[0].headers
        assert handler.seen[0].url.path == "/v1/health"
    with make(answering(200, {"status": "degraded"})) as client, pytest.raises(TransientError):
        client.health()
    with make(answering(503, err("unavailable"), {"Retry-After": "5"})) as client:
        with pytest.raises(TransientError) as caught:
            client.health()
    assert caught.value.retry_after == 5.0


def test_check_auth_accepts_a_404_error_body_and_raises_on_401():
    handler = answering(404, err("not_found", "no quote"))
    with make(handler) as client:
        client.check_auth()
    assert handler.seen[0].url.path.startswith("/v1/quotes/")
    assert handler.seen[0].headers["Authorization"] == f"Bearer {KEY}"
    with make(answering(401, err("unauthorized", "bad key"))) as client, pytest.raises(AuthError):
        client.check_auth()


def test_check_auth_spots_a_url_that_is_not_the_api():
    page = b"<html><body>404 Not Found</body></html>"
    with make(answering(404, raw=page, headers={"Content-Type": "text/html"})) as client:
        with pytest.raises(NotFound) as caught:
            client.check_auth()
    assert caught.value.code == "not_momentum_api" and "check the API URL" in str(caught.value)


# --- the error classes ---------------------------------------------------------------------------

@pytest.mark.parametrize("status,body,kind,code", [
    (400, err("malformed_json", "bad json"), PermanentError, "malformed_json"),
    (401, err("unauthorized", "bad key"), AuthError, "unauthorized"),
    (404, err("not_found", "no such quote"), NotFound, "not_found"),
    (409, {**err("quote_in_flight", "busy"), "in_flight_id": "q_0"}, QuoteInFlight, "quote_in_flight"),
    (422, err("unsupported_term", "term 18", field="service.term_months"), PermanentError,
     "unsupported_term"),
    (422, err("idempotency_mismatch", "other body"), PermanentError, "idempotency_mismatch"),
    (429, err("rate_limited", "slow down"), TransientError, "rate_limited"),
    (500, err("internal", "boom"), TransientError, "internal"),
    (502, err("bad_gateway", "proxy"), TransientError, "bad_gateway"),
    (503, err("unavailable", "maintenance"), TransientError, "unavailable"),
    (504, err("gateway_timeout", "slow"), TransientError, "gateway_timeout"),
    (418, err("teapot", "?"), TransientError, "teapot"),
    (302, {}, TransientError, "redirect"),
])
def test_each_status_maps_to_its_error_class(status, body, kind, code):
    with make(answering(status, body, {"Retry-After": "3"})) as client:
        with pytest.raises(kind) as caught:
            client.create_quote(REQUEST, "idem")
    exc = caught.value
    assert type(exc) is kind
    assert exc.status == status and exc.code == code and exc.retry_after == 3.0
    if status not in (302,):
        assert exc.message == body["error"]["message"]


def test_validation_error_names_the_field():
    with make(answering(422, err("invalid_address", "ZIP 7870 is not a ZIP",
                                 field="location.postal_code"))) as client:
        with pytest.raises(PermanentError) as caught:
            client.create_quote(REQUEST, "idem")
    assert caught.value.field == "location.postal_code"
    assert "ZIP 7870 is not a ZIP" in str(caught.value) and "location.postal_code" in str(caught.value)


def test_quote_in_flight_carries_the_blocking_id_at_top_level_or_inside_error():
    for body in ({**err("quote_in_flight", "busy"), "in_flight_id": "q_top"},
                 err("quote_in_flight", "busy", in_flight_id="q_inner")):
        with make(answering(409, body)) as client, pytest.raises(QuoteInFlight) as caught:
            client.create_quote(REQUEST, "idem")
        assert caught.value.in_flight_id in ("q_top", "q_inner")
    with make(answering(409, raw=b"busy")) as client, pytest.raises(QuoteInFlight) as caught:
        client.create_quote(REQUEST, "idem")
    assert caught.value.in_flight_id is None and caught.value.code == "quote_in_flight"


def test_an_error_status_without_a_json_body_keeps_its_class_with_a_plain_message():
    with make(answering(422, raw=b"<h1>Unprocessable</h1>")) as client:
        with pytest.raises(PermanentError) as caught:
            client.create_quote(REQUEST, "idem")
    assert caught.value.code == "validation_error" and caught.value.message
    with make(answering(502, raw=b"Bad Gateway")) as client, pytest.raises(TransientError):
        client.get_quote("q_1")


@pytest.mark.parametrize("exc", [
    httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect"), httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    httpx.ReadError("reset"), httpx.WriteError("broken pipe"), httpx.PoolTimeout("pool"),
])
def test_transport_failures_are_transient(exc):
    def handler(request):
        raise exc

    with make(handler) as client:
        for call in (lambda: client.get_quote("q_1"), lambda: client.create_quote(REQUEST, "k"),
                     client.health, client.check_auth):
            with pytest.raises(TransientError) as caught:
                call()
            assert caught.value.status is None
            # A connection never made is Unreachable (the batch waits for the API); the rest
            # reached the server, so they are the call's transient trouble.
            connect = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
            assert isinstance(caught.value, Unreachable) == connect
            assert caught.value.code in (("unreachable",) if connect else ("timeout", "connection_error"))


def test_truncated_body_from_the_wire_is_transient():
    def handler(request):
        def chunks():
            yield b'{"id": "q_1", "sta'
            raise httpx.RemoteProtocolError("incomplete body")
        return httpx.Response(200, content=chunks())

    with make(handler) as client, pytest.raises(TransientError):
        client.get_quote("q_1")


BROKEN_BODIES = {
    "not json": b"<html>oops</html>",
    "cut json": json.dumps(quote("complete")).encode()[:60],
    "array": b"[]",
    "empty": b"",
    "bad utf-8": b'{"id": "\xff\xfe"}',
    "no id": json.dumps({k: v for k, v in quote().items() if k != "id"}).encode(),
    "empty id": json.dumps(quote(id="")).encode(),
    "numeric id": json.dumps(quote(id=17)).encode(),
    "no status": json.dumps({k: v for k, v in quote().items() if k != "status"}).encode(),
    "unknown status": json.dumps(quote("thinking")).encode(),
    "complete without result": json.dumps(quote("complete", result=None)).encode(),
    "no options": json.dumps(quote("complete", result={"options": [], "recommended": 0})).encode(),
    "options not a list": json.dumps(quote("complete", result={"options": {}, "recommended": 0})).encode(),
    "float money": json.dumps(quote("complete", result={
        "options": [{**OPTION, "mrc": 899.0}], "recommended": 0})).encode(),
    "money without cents": json.dumps(quote("complete", result={
        "options": [{**OPTION, "mrc": "899"}], "recommended": 0})).encode(),
    "money with comma": json.dumps(quote("complete", result={
        "options": [{**OPTION, "nrc": "1,500.00"}], "recommended": 0})).encode(),
    "missing nrc": json.dumps(quote("complete", result={
        "options": [{k: v for k, v in OPTION.items() if k != "nrc"}], "recommended": 0})).encode(),
    "bad currency": json.dumps(quote("complete", result={
        "options": [{**OPTION, "currency": "usd"}], "recommended": 0})).encode(),
    "bandwidth as text": json.dumps(quote("complete", result={
        "options": [{**OPTION, "bandwidth_mbps": "1000"}], "recommended": 0})).encode(),
    "term as bool": json.dumps(quote("complete", result={
        "options": [{**OPTION, "term_months": True}], "recommended": 0})).encode(),
    "recommended missing": json.dumps(quote("complete", result={"options": [OPTION]})).encode(),
    "option not an object": json.dumps(quote("complete", result={"options": ["Lumen"],
                                                                "recommended": 0})).encode(),
}


@pytest.mark.parametrize("name", list(BROKEN_BODIES))
@pytest.mark.parametrize("status", [200, 201])
def test_a_2xx_that_is_not_a_valid_quote_is_transient(name, status):
    with make(answering(status, raw=BROKEN_BODIES[name])) as client:
        with pytest.raises(TransientError) as caught:
            client.create_quote(REQUEST, "idem") if status == 201 else client.get_quote("q_1")
    assert caught.value.code == "broken_body" and caught.value.status == status


# --- Retry-After ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("12", 12.0), (" 0 ", 0.0), ("1.5", 1.5), ("120", 120.0),
    ("Sun, 29 Nov 2026 14:00:30 GMT", 30.0),     # IMF-fixdate
    ("Sunday, 29-Nov-26 14:01:00 GMT", 60.0),    # obsolete RFC 850
    ("Sun Nov 29 14:00:05 2026", 5.0),           # asctime
    ("Sun, 29 Nov 2026 13:59:00 GMT", 0.0),      # already past: ask now, never negative
    (None, None), ("", None), ("soon", None), ("-5", None), ("12 seconds", None), ("nan", None),
    ("Sun, 99 Nov 2026 14:00:30 GMT", None),
])
def test_parse_retry_after_both_forms(value, expected):
    assert parse_retry_after(value, NOW) == expected


def test_retry_after_http_date_is_measured_from_the_injected_clock():
    clock = FakeClock()
    handler = answering(200, quote("processing"), {"Retry-After": "Sun, 29 Nov 2026 14:00:20 GMT"})
    with make(handler, clock) as client:
        assert client.get_quote("q_1").retry_after == 20.0
        clock.advance(15)
        assert client.get_quote("q_1").retry_after == 5.0


def test_a_429_with_an_http_date_carries_the_delay():
    headers = {"Retry-After": "Sun, 29 Nov 2026 14:00:09 GMT"}
    with make(answering(429, err("rate_limited", "slow down"), headers)) as client:
        with pytest.raises(TransientError) as caught:
            client.get_quote("q_1")
    assert caught.value.retry_after == 9.0


# --- deadline ------------------------------------------------------------------------------------

def test_the_overall_deadline_bounds_a_slow_drip_body():
    clock = FakeClock()
    delivered: list[int] = []

    def handler(request):
        def drip():
            body = json.dumps(quote("complete")).encode()
            for i in range(len(body)):
                clock.advance(1.0)  # one byte a second: no read timeout would ever fire
                delivered.append(i)
                yield body[i:i + 1]
        return httpx.Response(200, content=drip())

    with make(handler, clock, deadline_s=10.0) as client, pytest.raises(TransientError) as caught:
        client.get_quote("q_1")
    assert caught.value.code == "timeout"
    assert len(delivered) <= 11  # gave up right after the deadline, not at the end of the body


def test_a_fast_answer_within_the_deadline_is_fine():
    clock = FakeClock()

    def handler(request):
        clock.advance(9.0)
        return httpx.Response(200, json=quote("queued"))

    with make(handler, clock, deadline_s=10.0) as client:
        assert client.get_quote("q_1").quote.status == "queued"


# --- the key stays secret ------------------------------------------------------------------------

def test_the_key_is_never_in_reprs_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    echo = err("unauthorized", f"key {KEY} is not valid for Bearer {KEY}")
    answers = iter([
        httpx.Response(401, json=echo),
        httpx.Response(409, json={**err("quote_in_flight", f"busy {KEY}"), "in_flight_id": "q_0"}),
        httpx.Response(200, json=quote()),
    ])

    def handler(request):
        try:
            return next(answers)
        except StopIteration:
            raise httpx.ConnectError(f"cannot connect with {request.headers['Authorization']}")

    errors: list[ApiError] = []
    with make(handler) as client:
        assert KEY not in repr(client) and KEY not in str(client.__dict__.get("base_url"))
        for call in (lambda: client.create_quote(REQUEST, "k"), lambda: client.create_quote(REQUEST, "k"),
                     lambda: client.get_quote("q_1"), lambda: client.get_quote("q_1")):
            try:
                call()
            except ApiError as exc:
                logging.getLogger("test").exception("call failed: %s", exc)
                errors.append(exc)
    assert len(errors) == 3
    for exc in errors:
        assert KEY not in str(exc) and KEY not in repr(exc) and KEY not in exc.message
        assert exc.__cause__ is None or KEY not in str(exc.__cause__)
    assert "<hidden>" in errors[0].message
    assert KEY not in caplog.text


def test_constructor_refuses_bad_url_and_key_without_quoting_the_key():
    with pytest.raises(ValueError):
        MomentumClient("ftp://x", KEY)
    with pytest.raises(ValueError):
        MomentumClient(BASE, "  ")
    with pytest.raises(ValueError) as caught:
        MomentumClient(BASE, "secret with space")
    assert "secret" not in str(caught.value)
    with pytest.raises(ValueError) as caught:
        MomentumClient(BASE, "s\u00e9cret")
    assert "cret" not in str(caught.value)


def test_client_closes_its_transport():
    closed = []

    class Transport(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    client = MomentumClient(BASE, KEY, transport=Transport(answering(200, quote())))
    client.close()
    assert closed == [True]


def test_integral_floats_and_a_byte_order_mark_are_still_a_valid_quote():
    body = quote("complete")
    body["result"]["options"][0] = {**OPTION, "bandwidth_mbps": 1000.0, "install_days": 45.0}
    body["result"]["recommended"] = 0.0
    raw = b"\xef\xbb\xbf" + json.dumps(body).encode()
    with make(answering(200, raw=raw)) as client:
        result = client.get_quote("q_1").quote.result
    assert result.options[0].bandwidth_mbps == 1000 and type(result.options[0].bandwidth_mbps) is int
    assert result.options[0].install_days == 45 and result.recommended == 0
    body["result"]["options"][0]["term_months"] = 36.5
    with make(answering(200, body)) as client, pytest.raises(TransientError):
        client.get_quote("q_1")
