"""The seller's OAuth 2.0 client-credentials token: fetched with Authlib, kept in memory only,
renewed before it runs out.

Authlib does the grant (the form, the client's authentication as HTTP Basic or in the form, the
reading of an OAuth error answer); this module decides when a token is needed and turns every
failure into the seam's errors. The expiry is judged on the client's own clock (injectable), not
Authlib's wall clock, so a test can let an hour pass in a microsecond.

Neither the client secret nor a token ever reaches a log line, an exception or a repr: every
text kept from the token endpoint is cleaned with both masked.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from typing import Any

import authlib.deprecate  # noqa: F401 - first: it sets its warnings to "always" when imported
import httpx
from authlib.common.errors import AuthlibBaseError

with warnings.catch_warnings():
    # Authlib 1.9 warns at import that it prefers the httpx2 fork; plain httpx is what the app
    # uses (pinned below Authlib 2), and a rep's terminal is no place for the notice.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

from bulkquote_gui.core.clock import Clock
from bulkquote_gui.core.quoting.http_deadline import call_deadline
from bulkquote_gui.core.quoting.momentum import clean_text, secret_forms
from bulkquote_gui.core.quoting.provider import AuthError, TransientError, Unreachable

log = logging.getLogger(__name__)

# A token is renewed this long before the seller said it expires: a call that starts with it
# must still carry it when it arrives. Tokens shorter-lived than twice this are renewed at half
# their life instead.
RENEW_BEFORE_S = 60.0
# No expires_in in the answer (RFC 6749 makes it optional): keep the token this long, and
# rely on a 401 to say it ran out sooner.
DEFAULT_LIFETIME_S = 300.0
MAX_LIFETIME_S = 24 * 3600.0
MAX_TOKEN_CHARS = 4096
MAX_TOKEN_ANSWER_BYTES = 64 * 1024   # a token answer is a few hundred bytes
# A secret this short is no secret worth mangling the seller's words for (as for Momentum's key):
# masking "s" would hide every s of every message.
MIN_MASKED_CHARS = 8
TOKEN_DEADLINE_S = 30.0
# How the client id and secret go to the token endpoint (RFC 6749 2.3.1: Basic is the default).
AUTH_METHODS = {"basic": "client_secret_basic", "form": "client_secret_post"}


class TokenSource:
    """The current bearer token for one seller account, shared by the client's lanes: one
    lock, so no lane reads a token another is replacing."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, *, seller: str,
                 clock: Clock, transport: httpx.BaseTransport, auth_method: str = "basic",
                 user_agent: str = "BulkQuote") -> None:
        if not client_id or not client_id.strip():
            raise ValueError("the client id is empty")
        if not client_secret or not client_secret.strip():
            raise ValueError("the client secret is empty")
        if auth_method not in AUTH_METHODS:
            raise ValueError(f"the client authentication must be one of {', '.join(AUTH_METHODS)}")
        self.token_url = token_url
        self.seller = seller
        self._clock = clock
        self._secret = client_secret.strip()
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.RLock()
        self._oauth = OAuth2Client(
            client_id=client_id.strip(), client_secret=self._secret,
            token_endpoint_auth_method=AUTH_METHODS[auth_method],
            transport=_Capped(transport, MAX_TOKEN_ANSWER_BYTES),
            follow_redirects=False, trust_env=False,
            timeout=httpx.Timeout(20.0, connect=10.0),
            headers={"User-Agent": user_agent, "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"TokenSource(token_url={self.token_url!r}, secret=<hidden>, token=<hidden>)"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every text to mask wherever a seller's words are kept: the secret and the token, as a
        server might echo them."""
        kept = [t for t in (self._secret, self._token) if t and len(t) >= MIN_MASKED_CHARS]
        return tuple(form for text in kept for form in secret_forms(text))

    def bearer(self) -> str:
        """A token good for the next call: the one held, or a fresh one when it is near its end."""
        with self._lock:
            if self._token is None or self._clock.monotonic() >= self._renew_at:
                self.renew()
            assert self._token is not None
            return self._token

    def renew(self) -> None:
        """Fetch a fresh token now (the seller refused the one held, or it is running out)."""
        with self._lock:
            self._renew()

    def _renew(self) -> None:
        self._token = None
        answer = self._fetch()
        token = answer.get("access_token")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS \
                or any(not 0x21 <= ord(ch) <= 0x7E for ch in token):
            raise TransientError(f"the seller {self.seller}'s token endpoint answered without a "
                                 "usable access_token", code="broken_token")
        kind = answer.get("token_type")
        if isinstance(kind, str) and kind.lower() != "bearer":
            raise AuthError(f"the seller {self.seller} gave a {clean_text(kind, 20, self.secrets)!r} "
                            "token; BulkQuote speaks only Bearer", code="token_type")
        lifetime = _lifetime(answer.get("expires_in"))
        self._token = token
        self._renew_at = self._clock.monotonic() + max(lifetime - RENEW_BEFORE_S, lifetime / 2)
        log.debug("token from %s for %.0f s", self.token_url, lifetime)

    def forget(self) -> None:
        self._token = None

    def close(self) -> None:
        self._token = None
        self._oauth.close()

    def _fetch(self) -> dict[str, Any]:
        try:
            with call_deadline(self._clock.monotonic() + TOKEN_DEADLINE_S):
                return dict(self._oauth.fetch_token(self.token_url, grant_type="client_credentials"))
        except AuthlibBaseError as exc:  # the endpoint's OAuth error: invalid_client, ...
            said = " ".join(str(p) for p in (exc.error, exc.description) if p)
            message = (f"the seller {self.seller} refused the client id/secret: "
                       f"{clean_text(said, 200, self.secrets) or 'no reason given'}")
            raise AuthError(message, code="oauth_refused",
                            sentence=f"{message}; set the right secret, then resume the batch") \
                from None
        except httpx.HTTPStatusError as exc:  # 5xx, or a 4xx that is not an OAuth answer
            status = exc.response.status_code
            if status in (400, 401, 403):
                message = (f"the seller {self.seller} refused the client id/secret "
                           f"(HTTP {status} from the token endpoint)")
                raise AuthError(message, status=status, code="oauth_refused",
                                sentence=f"{message}; set the right secret, then resume the "
                                         "batch") from None
            raise TransientError(f"the seller {self.seller}'s token endpoint answered HTTP {status}",
                                 status=status, code="token_endpoint") from None
        except httpx.ConnectError:
            host = httpx.URL(self.token_url).host
            raise Unreachable(f"can't reach the token endpoint {host}", code="unreachable",
                              host=host, reason="connection failed") from None
        except (httpx.HTTPError, ValueError, RecursionError) as exc:  # timeouts, broken, too deep
            raise TransientError(f"the seller {self.seller}'s token endpoint failed "
                                 f"({type(exc).__name__})", code="token_endpoint") from None


class _TooLarge(httpx.ReadError):
    """A token answer larger than any token answer: not read further."""


class _Capped(httpx.BaseTransport):
    """The token endpoint's answers cut off at `limit` bytes: Authlib reads a body whole."""

    def __init__(self, inner: httpx.BaseTransport, limit: int) -> None:
        self._inner, self._limit = inner, limit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        inner_stream, limit = response.stream, self._limit

        class _Stream(httpx.SyncByteStream):
            def __iter__(self):
                size = 0
                for chunk in inner_stream:  # type: ignore[union-attr]
                    size += len(chunk)
                    if size > limit:
                        raise _TooLarge(f"the token answer is over {limit} bytes", request=request)
                    yield chunk

            def close(self) -> None:
                if isinstance(inner_stream, httpx.SyncByteStream):
                    inner_stream.close()

        return httpx.Response(response.status_code, headers=response.headers, stream=_Stream(),
                              extensions=response.extensions, request=request)

    def close(self) -> None:
        self._inner.close()


def _lifetime(value: Any) -> float:
    """Seconds the token lives, from expires_in (a number, or a numeric string some send)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S
    if math.isnan(seconds) or seconds <= 0:  # NaN or nonsense: a short life, 401s will tell
        return DEFAULT_LIFETIME_S
    return min(seconds, MAX_LIFETIME_S)
