"""The Sonata simulator's rules: a seller's token endpoint and Quote Management (MEF 115, v8) in
memory, priced by services/simulator_pricing.py so a site costs what the Momentum simulator says.

One seller, one carrier: an item's price is the pricing's recommended option for the site at
the item's term (a quote may ask several terms, one item each, as a deal's does). A deferred quote is `acknowledged`, `inProgress` once looked at, and reaches its end state after
the site's processing time (scaled); an instant one (`instantSyncQuote: true`) is answered at
once. At most `max_in_progress` quotes are open at a time; a POST beyond gets a 429 with
Retry-After, as a gateway in front of a seller sends. The HTTP side is sonata_simulator.py.
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from bulkquote_gui.core.clock import Clock, SystemClock
from bulkquote_gui.core.quoting.provider import QuoteStatus
from bulkquote_gui.core.quoting.sonata.mapping import bandwidth_in
from bulkquote_gui.core.quoting.sonata.settings import default_templates
from bulkquote_gui.services.simulator_pricing import (
    TERM_FACTOR,
    answer_for,
    processing_seconds,
)
from bulkquote_gui.services.simulator_state import SimResponse

SELLER = "Sonata Simulator Fiber"
TOKEN_LIFETIME_S = 3600
OPEN_STATES = frozenset({"acknowledged", "inProgress"})
# The configuration types the simulator prices, and as which product.
_PRODUCTS = {"basic-internet-access": "DIA", "access-eline": "ETHERNET"}


# The spec's code for an error of each status (Error400 ... Error404; 422 says its own).
_CODES = {400: "invalidBody", 401: "invalidCredentials", 403: "accessDenied", 404: "notFound"}


def sonata_error(status: int, reason: str, *, code: str | None = None, path: str | None = None,
                 retry_after_s: float | None = None) -> SimResponse:
    """A Sonata Error body: reason (at most 255 characters), code, propertyPath. A 422 is a list
    of them (Error422[] in the spec), here always of one."""
    body: dict[str, Any] = {"reason": reason[:255]}
    code = code or _CODES.get(status)
    if code:
        body["code"] = code
    if path:
        body["propertyPath"] = path
    return SimResponse(status, [body] if status == 422 else body,  # type: ignore[arg-type]
                       retry_after_s=retry_after_s)


class _Invalid(Exception):
    def __init__(self, reason: str, code: str, path: str) -> None:
        super().__init__(reason)
        self.reason, self.code, self.path = reason, code, path


@dataclass
class SimQuote:
    id: str
    request: dict[str, Any]
    created: datetime
    ready_at: float                 # monotonic: when the answer is known
    answer: Any                     # simulator_pricing.Answer of the first item
    product: str
    # item id -> the pricing's Answer at that item's term (the first item's is `answer`)
    item_answers: dict[str, Any] = field(default_factory=dict)
    state: str = "acknowledged"
    looked_at: bool = False
    history: list[str] = field(default_factory=list)


class SonataState:
    def __init__(self, *, clients: dict[str, str] | None = None, time_scale: float = 1.0,
                 max_in_progress: int = 4, clock: Clock | None = None) -> None:
        """`clients`: client id -> secret accepted (None: any non-empty pair)."""
        if max_in_progress < 1:
            raise ValueError("max_in_progress must be at least 1")
        self.clients = clients
        self.time_scale = time_scale
        self.max_in_progress = max_in_progress
        self.clock = clock or SystemClock()
        self._tokens: dict[str, float] = {}
        self._quotes: dict[str, SimQuote] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.most_in_progress = 0

    # -- tokens -----------------------------------------------------------------------------------

    def token(self, headers: Any, body: bytes) -> SimResponse:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return SimResponse(400, {"error": "unsupported_grant_type"})
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return SimResponse(401, {"error": "invalid_client"})
        if not client_id or not secret or (self.clients is not None
                                           and self.clients.get(client_id) != secret):
            return SimResponse(401, {"error": "invalid_client",
                                     "error_description": "unknown client or wrong secret"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = self.clock.monotonic() + TOKEN_LIFETIME_S
        return SimResponse(200, {"access_token": token, "token_type": "Bearer",
                                 "expires_in": TOKEN_LIFETIME_S})

    def authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self._lock:
            expiry = self._tokens.get(header[7:])
        return expiry is not None and expiry > self.clock.monotonic()

    def expire_tokens(self) -> None:
        """Every token handed out so far stops working (a test's expired token)."""
        with self._lock:
            self._tokens.clear()

    # -- quotes -----------------------------------------------------------------------------------

    def create(self, request: Any) -> SimResponse:
        try:
            location, service, item_terms = _site_and_service(request)
        except _Invalid as bad:
            return sonata_error(422, bad.reason, code=bad.code, path=bad.path)
        with self._lock:
            self._advance_all()
            in_progress = sum(q.state in OPEN_STATES for q in self._quotes.values())
            if in_progress >= self.max_in_progress:
                self._count("throttled")
                return sonata_error(429, f"at most {self.max_in_progress} quotes in progress",
                                    retry_after_s=1.0)
            now = self.clock.now()
            quote = SimQuote(
                id=f"SQ-{next(self._ids):06d}", request=request, created=now,
                ready_at=self.clock.monotonic() + processing_seconds(location) * self.time_scale,
                answer=answer_for(location, service, now.date()), product=service["product"],
                item_answers={item_id: answer_for(location, {**service, "term_months": term},
                                                  now.date()) for item_id, term in item_terms})
            if request.get("instantSyncQuote") is True:
                quote.ready_at = self.clock.monotonic()
            self._quotes[quote.id] = quote
            self._advance(quote)
            self._count("quotes")
            self.most_in_progress = max(self.most_in_progress, in_progress + (quote.state in OPEN_STATES))
            return SimResponse(201, self._body(quote))

    def get(self, quote_id: str) -> SimResponse:
        with self._lock:
            quote = self._quotes.get(quote_id)
            if quote is None:
                return sonata_error(404, "no such quote")
            quote.looked_at = True
            self._advance(quote)
            return SimResponse(200, self._body(quote))

    def find(self, query: dict[str, list[str]]) -> SimResponse:
        """listQuote: filtered by externalId, projectId and state, a page at a time (offset,
        limit) with X-Total-Count. A filter the spec does not allow is a 400 invalidQuery."""
        try:
            wanted, offset, limit = _list_query(query)
        except _Invalid as bad:
            return sonata_error(400, bad.reason, code="invalidQuery")
        with self._lock:
            self._advance_all()
            self._count("searches")
            found = [{"id": q.id, "externalId": q.request.get("externalId"), "state": q.state,
                      "quoteDate": _stamp(q.created), "projectId": q.request.get("projectId")}
                     for q in self._quotes.values()]
        found = [q for q in found if all(q[name] == value for name, value in wanted.items())]
        page = found[offset:offset + limit]
        return SimResponse(200, page,  # type: ignore[arg-type]  # Sonata lists are JSON arrays
                           headers={"X-Total-Count": str(len(found)), "X-Result-Count": str(len(page))})

    def cancel(self, body: Any) -> SimResponse:
        quote_id = body.get("quoteId") if isinstance(body, dict) else None
        if not isinstance(quote_id, str):
            return sonata_error(422, "quoteId is required", code="missingProperty", path="/quoteId")
        with self._lock:
            quote = self._quotes.get(quote_id)
            if quote is None:  # the spec gives cancelQuote no 404: an unknown id is a 422
                return sonata_error(422, "no such quote", code="referenceNotFound", path="/quoteId")
            self._advance(quote)
            if quote.state not in OPEN_STATES:
                return sonata_error(422, f"the quote is {quote.state}; it cannot be cancelled",
                                    code="invalidValue", path="/quoteId")
            quote.state = "cancelled"
            self._count("cancelled")
        return SimResponse(200, {"quoteId": quote_id, "reason": body.get("reason", "")})

    def in_progress(self) -> int:
        with self._lock:
            self._advance_all()
            return sum(q.state in OPEN_STATES for q in self._quotes.values())

    def quotes(self) -> list[SimQuote]:
        with self._lock:
            return list(self._quotes.values())

    def count_answer(self, status: int) -> None:  # the HTTP plumbing's bookkeeping
        with self._lock:
            self._count(f"answered_{status}")

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    # -- the life of a quote (lock held) ------------------------------------------------------------

    def _advance_all(self) -> None:
        for quote in self._quotes.values():
            self._advance(quote)

    def _advance(self, quote: SimQuote) -> None:
        if quote.state not in OPEN_STATES:
            return
        if self.clock.monotonic() >= quote.ready_at:
            priced = quote.answer.status == QuoteStatus.COMPLETE
            budgetary = quote.request.get("buyerRequestedQuoteLevel") == "budgetary"
            quote.state = ("answered" if budgetary else "approved.orderable") if priced \
                else "unableToProvide"
        elif quote.looked_at:
            quote.state = "inProgress"

    def _body(self, quote: SimQuote) -> dict[str, Any]:
        request = quote.request
        level = request.get("buyerRequestedQuoteLevel", "firm")
        body: dict[str, Any] = {
            "id": quote.id, "href": f"/quote/{quote.id}", "externalId": request.get("externalId"),
            "projectId": request.get("projectId"), "state": quote.state,
            "quoteDate": _stamp(quote.created), "instantSyncQuote": request.get("instantSyncQuote"),
            "buyerRequestedQuoteLevel": level,
            "relatedContactInformation": list(request.get("relatedContactInformation") or []) + [
                {"role": "sellerContactInformation", "name": "Sam Seller",
                 "emailAddress": "quotes@seller.example", "number": "555-0199"}],
            "quoteItem": [self._item(quote, item) for item in request["quoteItem"]],
        }
        if quote.state in ("approved.orderable", "answered"):
            body["quoteLevel"] = "budgetary" if level == "budgetary" else "firm"
            body["validFor"] = {"endDateTime": _stamp(
                datetime.fromisoformat(quote.answer.result["valid_until"]).replace(tzinfo=UTC)
                + timedelta(hours=23, minutes=59, seconds=59))}
            body["effectiveQuoteCompletionDate"] = _stamp(self.clock.now())
        return body

    def _item(self, quote: SimQuote, item: dict[str, Any]) -> dict[str, Any]:
        answered = {"id": item["id"], "action": item.get("action", "add"), "state": quote.state,
                    "requestedQuoteItemTerm": item["requestedQuoteItemTerm"],
                    "product": item["product"]}
        if quote.state in ("approved.orderable", "answered"):
            option = price_of(quote.item_answers.get(item["id"], quote.answer))
            answered["quoteItemTerm"] = [item["requestedQuoteItemTerm"]]
            answered["quoteItemPrice"] = [
                _price("recurring", "Monthly service", option["mrc"], period="month"),
                _price("nonRecurring", "Installation", option["nrc"])]
            answered["quoteItemInstallationInterval"] = {"amount": option["install_days"],
                                                         "units": "calendarDays"}
        elif quote.state == "unableToProvide":
            answered["terminationError"] = [{"code": "otherIssue",
                                             "value": quote.answer.error_message,
                                             "propertyPath": "/quoteItem/0/product/place"}]
        return answered


def price_of(answer: Any) -> dict[str, Any]:
    """The seller's one price: the pricing's recommended option for the site."""
    return answer.result["options"][answer.result["recommended"]]


def _price(kind: str, name: str, amount: str, *, period: str | None = None) -> dict[str, Any]:
    price: dict[str, Any] = {"priceType": kind, "name": name,
                             "price": {"dutyFreeAmount": {"unit": "USD", "value": Decimal(amount)}}}
    if period:
        price["recurringChargePeriod"] = period
    return price


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# listQuote's query: what this seller filters by, what it only checks, and its page size.
_FILTERS = ("externalId", "projectId", "state")
_STATES = frozenset({"accepted", "acknowledged", "answered", "approved.orderable",
                     "approved.orderableAlternate", "cancelled", "unableToProvide", "declined",
                     "expired", "inProgress", "inProgress.draft", "rejected"})
_DATES = tuple(f"{name}.{side}" for name in ("quoteDate", "requestedQuoteCompletionDate",
                                             "expectedQuoteCompletionDate",
                                             "effectiveQuoteCompletionDate")
               for side in ("gt", "lt"))
MAX_PAGE = 100
_WHOLE = re.compile(r"-?[0-9]{1,1000}")
_INT32 = 2 ** 31  # limit is an int32 in the spec


def _list_query(query: dict[str, list[str]]) -> tuple[dict[str, str], int, int]:
    """(filters, offset, limit) of a listQuote query; _Invalid names the parameter at fault."""
    one: dict[str, str] = {}
    for name, values in query.items():
        if len(values) != 1:
            raise _Invalid(f"{name} is given {len(values)} times", "invalidQuery", name)
        one[name] = values[0]
    if one.get("state", "accepted") not in _STATES:
        raise _Invalid("state is not a quote state", "invalidQuery", "state")
    if one.get("quoteLevel", "firm") not in ("budgetary", "firmSubjectToFeasibilityCheck", "firm"):
        raise _Invalid("quoteLevel is not a quote level", "invalidQuery", "quoteLevel")
    for name in _DATES:
        if name in one and not _is_date_time(one[name]):
            raise _Invalid(f"{name} is not a date-time", "invalidQuery", name)
    numbers = {}
    for name, default, bound in (("offset", 0, None), ("limit", MAX_PAGE, _INT32)):
        text = one.get(name, str(default))
        if not _WHOLE.fullmatch(text) or (bound and not -bound <= int(text) < bound):
            raise _Invalid(f"{name} is not a whole number{' of 32 bits' if bound else ''}",
                           "invalidQuery", name)
        numbers[name] = int(text)
    # The spec sets no lower bound: a negative one is read as none, a limit past a page as a page.
    return ({name: one[name] for name in _FILTERS if name in one}, max(0, numbers["offset"]),
            min(max(0, numbers["limit"]), MAX_PAGE))


def _is_date_time(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None  # RFC 3339 has an offset
    except ValueError:
        return False


def _site_and_service(request: Any) -> tuple[dict[str, Any], dict[str, Any],
                                             list[tuple[str, int]]]:
    """The pricing's location and service (the first item's term) from a quote request, and
    each item's (id, term); _Invalid names what is wrong. The items of one quote ask the same
    product at the same place, each for its own term."""
    if not isinstance(request, dict):
        raise _Invalid("the body is not a Quote", "invalidFormat", "/")
    for key, kind in (("externalId", str), ("instantSyncQuote", bool), ("quoteItem", list)):
        if not isinstance(request.get(key), kind):
            raise _Invalid(f"{key} is required", "missingProperty", f"/{key}")
    items = request["quoteItem"]
    if not items or len(items) > len(TERM_FACTOR) or not all(isinstance(i, dict) for i in items):
        raise _Invalid(f"this seller quotes 1 to {len(TERM_FACTOR)} items per quote", "otherIssue",
                       "/quoteItem")
    item = items[0]
    item_terms = []
    for index, each in enumerate(items):
        if each.get("product") != item.get("product"):
            raise _Invalid("the items of one quote ask the same product at the same place",
                           "otherIssue", f"/quoteItem/{index}/product")
        if not isinstance(each.get("id"), str) or each["id"] in dict(item_terms):
            raise _Invalid("each item needs an id of its own", "invalidValue", f"/quoteItem/{index}/id")
        term = ((each.get("requestedQuoteItemTerm") or {}).get("duration") or {})
        if term.get("units") != "calendarMonths" or term.get("amount") not in TERM_FACTOR:
            raise _Invalid(f"terms offered: {', '.join(map(str, TERM_FACTOR))} calendarMonths",
                           "invalidValue", f"/quoteItem/{index}/requestedQuoteItemTerm/duration")
        item_terms.append((each["id"], term["amount"]))
    product = item.get("product") if isinstance(item.get("product"), dict) else {}
    if not isinstance((product.get("productOffering") or {}).get("id"), str):
        raise _Invalid("productOffering.id is required", "missingProperty",
                       "/quoteItem/0/product/productOffering/id")
    places = [p for p in product.get("place") or [] if isinstance(p, dict)
              and p.get("role") == "INSTALL_LOCATION" and p.get("@type") == "FieldedAddress"]
    if not places or not places[0].get("postcode") or not places[0].get("streetName"):
        raise _Invalid("an INSTALL_LOCATION FieldedAddress with streetName and postcode is required",
                       "missingProperty", "/quoteItem/0/product/place")
    config = product.get("productConfiguration")
    kind = config.get("@type", "") if isinstance(config, dict) else ""
    name = next((p for part, p in _PRODUCTS.items() if part in kind), None)
    bandwidth = bandwidth_in(config, default_templates()[name]) if name else None
    if name is None or bandwidth is None or bandwidth < 1:
        raise _Invalid("a basic-internet-access or access-eline configuration with its bandwidth "
                       "is required", "invalidValue", "/quoteItem/0/product/productConfiguration")
    place = places[0]
    street = " ".join(str(place.get(k, "")) for k in ("streetNr", "streetNrSuffix", "streetSuffix",
                                                        "streetName", "streetType") if place.get(k))
    location = {"street": street, "city": place.get("city", ""),
                "state": place.get("stateOrProvince", ""), "postal_code": str(place["postcode"])}
    return location, {"product": name, "bandwidth_mbps": bandwidth,
                      "term_months": item_terms[0][1]}, item_terms
