"""The MEF LSO Sonata Quote Management adapter: one seller account behind the quote-provider seam
(core/quoting/provider.py), built by core/quoting/factory.py with kind "sonata".

The calls (shared/sonata-profile.md): POST {base}/quote, GET {base}/quote/{id},
GET {base}/quote?externalId=..., POST {base}/cancelQuote; each with the OAuth 2.0 bearer token
(oauth.py). Sonata has no idempotency key: the row's key goes out as `externalId`, and `find`
looks a lost quote up by it before asking again.

Like core/quoting/momentum.py, whatever a seller sends is bounded (size, depth, texts) and every failure
is one of the seam's kinds: 401 after one fresh token and one retry -> AuthError (403 too); 429
(with or without Retry-After) and 5xx -> TransientError; 400/422 -> PermanentError (422 with the
seller's code and propertyPath); 404 -> NotFound; a connection that cannot be made -> Unreachable.
Neither the client secret nor a token ever reaches an error, a log line or a repr.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import quote as url_quote

import httpx

from bulkquote_gui import __version__
from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.quoting.http_deadline import call_deadline, deadline_transport
from bulkquote_gui.core.quoting.momentum import (
    BrokenBody,
    _connect_reason,
    check_api_url,
    parse_retry_after,
    read_body,
)
from bulkquote_gui.core.quoting.provider import (
    AuthError,
    NotFound,
    PermanentError,
    RemoteQuote,
    Reply,
    Throttled,
    TransientError,
    Unreachable,
)
from bulkquote_gui.core.quoting.sonata.mapping import (
    MAX_BODY_BYTES,
    Asked,
    Broken,
    decode,
    error_parts,
    found_ids,
    parse_quote,
    quote_request,
    terms_asked,
)
from bulkquote_gui.core.quoting.sonata.oauth import TokenSource
from bulkquote_gui.core.quoting.sonata.settings import SonataSettings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
SEARCH_PAGE = 100          # quotes asked for per page of GET /quote?externalId=
MAX_SEARCH_PAGES = 50     # an unfiltered listing read this far without our quote: give up
CANCEL_REASON = "withdrawn by the buyer (BulkQuote: cancelled by the rep or timed out)"


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class SonataClient:
    """One Sonata seller account at one Quote Management root, shared by the engine's lanes
    (httpx's client and the token source are safe across threads)."""

    kind = "sonata"              # quoting/factory.SONATA: the account's kind in the store

    def __init__(self, base_url: str, client_secret: str, settings: SonataSettings, *,
                 transport: httpx.BaseTransport | None = None, clock: Clock | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, deadline_s: float = 60.0,
                 allow_insecure_http: bool = False) -> None:
        url = check_api_url(base_url, allow_insecure_http=allow_insecure_http)
        token_url = check_api_url(settings.token_url, allow_insecure_http=allow_insecure_http)
        if deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        self.base_url = str(url).rstrip("/")
        self.settings = settings
        self.display_name = settings.seller   # the rep's sentences name the seller
        self.lanes = settings.lanes           # the engine runs this many quotes at once
        self.deadline_s = deadline_s
        self._clock = clock or SystemClock()
        self._aborted = threading.Event()
        user_agent = f"BulkQuote/{__version__}"
        self._token = TokenSource(
            str(token_url), settings.client_id, client_secret, seller=settings.seller,
            clock=self._clock, auth_method=settings.client_auth, user_agent=user_agent,
            transport=transport or deadline_transport(token_url, self._clock.monotonic, self._aborted))
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            transport=transport or deadline_transport(url, self._clock.monotonic, self._aborted),
            timeout=timeout, follow_redirects=False, trust_env=False,
            headers={"User-Agent": user_agent, "Accept": "application/json"})
        self._asked: dict[str, Asked] = {}   # quote id -> what its row asked for (this process)

    def __repr__(self) -> str:
        return f"SonataClient(base_url={self.base_url!r}, secret=<hidden>)"

    # -- the app's side (factory.ProviderClient) --------------------------------------------------

    def check_auth(self) -> None:
        """A fresh token, then a harmless authenticated search; makes no quote."""
        self._token.renew()
        self._search("bulkquote-check-" + uuid.uuid4().hex, within=None, every_page=False)

    def health(self) -> None:
        """Sonata has no health call: the seller answers a search, or it is not well."""
        self._search("bulkquote-health-" + uuid.uuid4().hex, within=None, every_page=False)

    def abort(self) -> None:
        self._aborted.set()

    def close(self) -> None:
        self._token.close()
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the seam ---------------------------------------------------------------------------------

    def submit(self, request: dict[str, Any], key: str, *, within: float | None = None) -> Reply:
        if not key:
            raise ValueError("every quote request needs the row's key (externalId)")
        body = quote_request(request, key, self.settings)   # refuses before anything is sent
        answer = self._call("POST", "quote", json_body=body, within=within)
        reply = self._reply(answer, _asked(request), replayed=False)
        if not reply.quote.terminal:
            self._asked[reply.quote.id] = _asked(request)
        return reply

    def find(self, request: dict[str, Any], key: str, *, within: float | None = None,
             or_submit: bool = True) -> Reply:
        """The quote an earlier submit with this key made, found by its externalId; if none
        reached the seller, the one a submit makes now (`or_submit`), else NotFound."""
        ids = self._search(key, within=within)
        if not ids and not or_submit:
            raise NotFound(f"{self.settings.seller} has no quote for this row: its lost request "
                           "never arrived", code="not_sent")
        if not ids:
            return self.submit(request, key, within=within)
        answer = self._call("GET", f"quote/{_path_id(ids[0])}", within=within)
        reply = self._reply(answer, _asked(request), replayed=True)
        if not reply.quote.terminal:
            self._asked[ids[0]] = _asked(request)
        return reply

    def poll(self, quote_id: str, *, within: float | None = None) -> Reply:
        answer = self._call("GET", f"quote/{_path_id(quote_id)}", within=within)
        reply = self._reply(answer, self._asked.get(quote_id), replayed=False)
        if reply.quote.terminal:  # its row is done with it: a worker runs for weeks
            self._asked.pop(quote_id, None)
        return reply

    def cancel(self, quote_id: str) -> Reply:
        """POST cancelQuote, then the quote as the seller left it. A quote already over cannot
        be cancelled (a 422): it is answered as it is."""
        _path_id(quote_id)
        try:
            self._raise_for_error(self._call("POST", "cancelQuote", json_body={
                "quoteId": quote_id, "reason": CANCEL_REASON}))
        except PermanentError as exc:
            if isinstance(exc, NotFound):
                raise
        return self.poll(quote_id)

    # -- plumbing ---------------------------------------------------------------------------------

    def _search(self, key: str, *, within: float | None, every_page: bool = True) -> list[str]:
        """The ids of the quotes made with this externalId. A seller that ignores the filter and
        lists others' quotes a page at a time is read to its last page: its first page without
        ours says nothing, and reading it as "never sent" would quote the site twice."""
        offset, seen = 0, set()
        for _ in range(MAX_SEARCH_PAGES):
            answer = self._call("GET", "quote", params={
                "externalId": key, "offset": str(offset), "limit": str(SEARCH_PAGE)}, within=within)
            self._raise_for_error(answer)
            try:
                page = decode(answer.body)
                ours = found_ids(page, key)
            except Broken as exc:
                raise self._broken(answer, exc) from None
            if ours or not every_page or not _more_pages(page, key, offset, answer.headers):
                return ours
            ids = {q.get("id") for q in page if isinstance(q, dict)}
            if ids <= seen:   # the same page again: the seller ignores offset too
                break
            seen |= ids
            offset += len(page)
        raise PermanentError(
            f"{self.settings.seller}'s quote search ignores externalId and lists too many "
            "quotes to read: BulkQuote cannot tell whether this site was already sent, so it "
            "is not sent again", code="search_unfiltered")

    def _call(self, method: str, path: str, *, json_body: Any = None,
              params: dict[str, str] | None = None, within: float | None = None) -> _Answer:
        """One call with a bearer token; a 401 gets one fresh token and one retry."""
        answer = self._send(method, path, json_body, params, within)
        if answer.status == 401:
            log.info("%s /%s: token refused; fetching a fresh one", method, path.split("/")[0])
            self._token.forget()
            answer = self._send(method, path, json_body, params, within)
        return answer

    def _send(self, method: str, path: str, json_body: Any, params: dict[str, str] | None,
              within: float | None) -> _Answer:
        where = f"{method} /{path.split('/')[0]}"
        if self._aborted.is_set():
            raise TransientError(f"{where}: not sent, the client was stopped", code="aborted")
        row_bound = within is not None and within < self.deadline_s
        limit = max(0.0, within) if within is not None and row_bound else self.deadline_s
        deadline = self._clock.monotonic() + limit
        headers = {"Authorization": f"Bearer {self._token.bearer()}"}
        content = None
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json;charset=utf-8"
        try:
            with call_deadline(deadline), self._http.stream(
                    method, path, content=content, params=params, headers=headers) as response:
                body = read_body(response, self._clock.monotonic, deadline, limit,
                                 max_bytes=MAX_BODY_BYTES)
        except httpx.ConnectTimeout:
            if row_bound and self._clock.monotonic() >= deadline:
                raise TransientError(f"{where}: the quote's time ran out before the seller "
                                     "answered", code="timeout") from None
            raise self._unreachable(where, "no answer to the connection") from None
        except httpx.TimeoutException as exc:
            raise TransientError(f"{where}: the seller did not answer in time "
                                 f"({type(exc).__name__})", code="timeout") from None
        except httpx.RequestError as exc:
            if self._aborted.is_set():
                raise TransientError(f"{where}: stopped by the app", code="aborted") from None
            if isinstance(exc, httpx.ConnectError):
                raise self._unreachable(where, _connect_reason(exc)) from None
            raise TransientError(f"{where}: connection failed ({type(exc).__name__})",
                                 code="connection_error") from None
        except httpx.InvalidURL:
            raise PermanentError(f"{where}: cannot build the request URL", code="invalid_url") from None
        log.debug("%s -> %s (%d bytes)", where, response.status_code, len(body))
        return _Answer(response.status_code, response.headers, body)

    def _unreachable(self, where: str, reason: str) -> Unreachable:
        host = httpx.URL(self.base_url).netloc.decode("ascii", "replace")
        return Unreachable(f"{where}: can't reach {host} ({reason})", code="unreachable",
                           host=host, reason=reason)

    def _retry_after(self, answer: _Answer) -> float | None:
        return parse_retry_after(answer.headers.get("Retry-After"), self._clock.now())

    def _reply(self, answer: _Answer, asked: Asked | None, *, replayed: bool) -> Reply:
        self._raise_for_error(answer)
        if answer.status not in (200, 201):
            raise TransientError(f"unexpected HTTP {answer.status} for a quote",
                                 status=answer.status, code="unexpected_status",
                                 retry_after=self._retry_after(answer))
        try:
            quote: RemoteQuote = parse_quote(decode(answer.body), seller=self.settings.seller,
                                             settings=self.settings, asked=asked,
                                             secret=self._token.secrets)
        except Broken as exc:
            raise self._broken(answer, exc) from None
        return Reply(quote=quote, retry_after=self._retry_after(answer), replayed=replayed)

    def _broken(self, answer: _Answer, exc: Exception) -> BrokenBody:
        what = "a web page, not JSON: check the base URL" \
            if answer.headers.get("Content-Type", "").lower().startswith("text/html") else str(exc)
        return BrokenBody(f"{self.settings.seller} sent an answer this client cannot read: {what}",
                          status=answer.status, code="broken_body",
                          retry_after=self._retry_after(answer))

    def _raise_for_error(self, answer: _Answer) -> None:
        status = answer.status
        if 200 <= status < 300:
            return
        try:
            body = decode(answer.body)
        except Broken:
            body = None
        code, words, path = error_parts(body, self._token.secrets)
        common: dict[str, Any] = {"status": status, "field": path,
                                  "retry_after": self._retry_after(answer)}
        seller = self.settings.seller
        if status in (401, 403):
            # Reached only with a fresh token (a 401 gets one and one retry): the secret gets
            # tokens the seller will not take, so the rep has something to fix.
            message = f"{seller} refused BulkQuote's access (HTTP {status})" \
                + (f": {words}" if words else "")
            raise AuthError(message, code=code or "unauthorized", **common, sentence=(
                f"the seller {message}, with a fresh token; check the client id and secret "
                "and what the seller lets them do, then resume the batch"))
        if status == 404:
            raise NotFound(words or f"{seller} has no such quote", code=code or "not_found", **common)
        if status in (400, 422):
            raise PermanentError(words or f"{seller} refused the request",
                                 code=code or ("bad_request" if status == 400 else "invalid"),
                                 **common)
        if status == 429:
            raise Throttled(words or f"{seller} asks BulkQuote to slow down (too many requests)",
                            code="rate_limited", **common)
        if status >= 500:
            raise TransientError(words or f"{seller} reported an error", code=code or "server_error",
                                 **common)
        if 300 <= status < 400:
            raise TransientError(f"{seller} redirected the request (HTTP {status}); BulkQuote does "
                                 "not follow redirects, which would take the token along: check "
                                 "the base URL", code="redirect", **common)
        raise TransientError(words or f"unexpected HTTP status {status}",
                             code=code or "unexpected_status", **common)


def _more_pages(page: Any, key: str, offset: int, headers: httpx.Headers) -> bool:
    """Whether a search page that lacks this key's quote may have it on a later page: the seller
    says more results exist, or it lists others' quotes (the filter ignored) in a full page."""
    if not isinstance(page, list) or not page:
        return False
    if headers.get("X-Pagination-Throttled", "").strip().lower() == "true":
        return True
    total = headers.get("X-Total-Count", "").strip()
    if total.isdigit():
        return int(total) > offset + len(page)
    unfiltered = any(isinstance(q, dict) and q.get("externalId") != key for q in page)
    return unfiltered and len(page) >= SEARCH_PAGE


def _asked(request: dict[str, Any]) -> Asked:
    service = request["service"]
    return Asked(str(service["product"]).upper(), int(service["bandwidth_mbps"]),
                 int(service["term_months"]), terms_asked(service))


def _path_id(quote_id: str) -> str:
    """A quote id as one path segment: an id with '/' or '..' cannot reach another endpoint."""
    if not isinstance(quote_id, str) or not quote_id:
        raise ValueError("a quote id is a non-empty string")
    segment = url_quote(quote_id, safe="")
    return segment.replace(".", "%2E") if set(segment) == {"."} else segment
