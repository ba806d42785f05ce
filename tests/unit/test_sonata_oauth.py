"""The Sonata seller's OAuth 2.0 client-credentials token (core/quoting/sonata/oauth.py): fetched
through Authlib against a token endpoint on httpx.MockTransport, kept on a fake clock."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest

from bulkquote_gui.core.quoting.provider import AuthError, TransientError, Unreachable
from bulkquote_gui.core.quoting.sonata.oauth import RENEW_BEFORE_S, TokenSource
from tests.helpers.fakes import FakeClock

TOKEN_URL = "https://seller.example/oauth2/token"
SECRET = "s3cr3t-Client-Secret-value"


class TokenEndpoint:
    """Hands out tok-1, tok-2, ... and records how the client authenticated."""

    def __init__(self, expires_in: object = 3600, refuse: bool = False, status: int = 200) -> None:
        self.expires_in, self.refuse, self.status = expires_in, refuse, status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, text="gateway trouble")
        if self.refuse:
            return httpx.Response(401, json={"error": "invalid_client",
                                             "error_description": f"bad secret {SECRET}"})
        body = {"access_token": f"tok-{len(self.requests)}", "token_type": "Bearer"}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return httpx.Response(200, json=body)

    def form(self, i: int = -1) -> dict[str, list[str]]:
        return parse_qs(self.requests[i].content.decode())


def _source(endpoint: TokenEndpoint, clock: FakeClock | None = None, **kw) -> TokenSource:
    return TokenSource(TOKEN_URL, "client-42", SECRET, seller="Acme Fiber", clock=clock or FakeClock(),
                       transport=httpx.MockTransport(endpoint), **kw)


def test_the_token_is_fetched_once_with_basic_auth_and_kept_in_memory():
    endpoint = TokenEndpoint()
    source = _source(endpoint)
    assert source.bearer() == "tok-1"
    assert source.bearer() == "tok-1"
    assert len(endpoint.requests) == 1
    request = endpoint.requests[0]
    assert request.headers["Authorization"] == \
        "Basic " + base64.b64encode(f"client-42:{SECRET}".encode()).decode()
    assert endpoint.form() == {"grant_type": ["client_credentials"]}
    assert SECRET not in repr(source) and "tok-1" not in repr(source)


def test_the_client_may_send_its_id_and_secret_in_the_form_instead():
    endpoint = TokenEndpoint()
    _source(endpoint, auth_method="form").bearer()
    assert "Authorization" not in endpoint.requests[0].headers
    assert endpoint.form() == {"grant_type": ["client_credentials"], "client_id": ["client-42"],
                               "client_secret": [SECRET]}


def test_the_token_is_renewed_before_it_expires_not_after():
    clock = FakeClock()
    endpoint = TokenEndpoint(expires_in=3600)
    source = _source(endpoint, clock)
    source.bearer()
    clock.advance(3600 - RENEW_BEFORE_S - 1)
    assert source.bearer() == "tok-1"
    clock.advance(2)  # within the margin: a call made now could arrive after the expiry
    assert source.bearer() == "tok-2"


@pytest.mark.parametrize("expires_in", [None, -5, 0, "600"])
def test_a_token_without_a_usable_lifetime_is_still_used_and_renewed(expires_in):
    clock = FakeClock()
    endpoint = TokenEndpoint(expires_in=expires_in)
    source = _source(endpoint, clock)
    assert source.bearer() == "tok-1"
    clock.advance(3600)
    assert source.bearer() == "tok-2"


def test_a_refused_secret_is_one_sentence_for_the_rep_without_the_secret():
    source = _source(TokenEndpoint(refuse=True))
    with pytest.raises(AuthError) as caught:
        source.bearer()
    text = str(caught.value)
    assert text.startswith("the seller Acme Fiber refused the client id/secret: invalid_client")
    assert SECRET not in text and SECRET not in repr(caught.value)
    assert "\n" not in text


@pytest.mark.parametrize("status,kind", [(503, TransientError), (429, TransientError),
                                         (401, AuthError), (200, TransientError)])
def test_a_token_endpoint_fault_is_typed(status, kind):
    endpoint = TokenEndpoint(status=status)
    if status == 200:  # a 200 that is not a token
        endpoint = lambda request: httpx.Response(200, text="<html>login</html>")
    source = TokenSource(TOKEN_URL, "client-42", SECRET, seller="Acme Fiber", clock=FakeClock(),
                         transport=httpx.MockTransport(endpoint))
    with pytest.raises(kind) as caught:
        source.bearer()
    assert SECRET not in str(caught.value)


def test_a_lifetime_that_is_not_a_number_is_a_broken_answer_not_a_crash():
    source = _source(TokenEndpoint(expires_in="soon"))
    with pytest.raises(TransientError, match="token endpoint failed"):
        source.bearer()


def test_an_unreachable_token_endpoint_is_unreachable():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")
    source = TokenSource(TOKEN_URL, "client-42", SECRET, seller="Acme Fiber", clock=FakeClock(),
                         transport=httpx.MockTransport(refuse))
    with pytest.raises(Unreachable):
        source.bearer()


def test_empty_credentials_are_refused_before_any_call():
    with pytest.raises(ValueError, match="client secret is empty"):
        TokenSource(TOKEN_URL, "id", " ", seller="x", clock=FakeClock(),
                    transport=httpx.MockTransport(TokenEndpoint()))


@pytest.mark.parametrize("body", [b"[" * 200_000 + b"]" * 200_000,      # deeper than Python parses
                                  b'{"access_token": "tok-0123456789", "token_type": "Bearer", '
                                  b'"padding": "' + b"x" * (3 * 1024 * 1024) + b'"}'])  # too big
def test_a_hostile_token_answer_is_a_transient_error_not_a_crash(body):
    source = TokenSource(TOKEN_URL, "client-42", SECRET, seller="Acme Fiber", clock=FakeClock(),
                         transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    with pytest.raises(TransientError):
        source.bearer()
