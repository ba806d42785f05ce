"""A row as a Sonata quote request, and a Sonata answer as the seam's offer (shared/sonata-profile.md).

Requests: `quote_request` builds the POST /quote body from the row's body as the store keeps it
(core/store/work.py: reference, customer, location, service) and the seller's settings; a product
the seller has no offering or template for is refused here, before anything is sent.

Answers are bounded and validated before they reach the store or the screen, like Momentum's
(core/quoting/momentum.py): at most MAX_BODY_BYTES, nesting at most MAX_JSON_DEPTH; Money read as the
decimal the seller wrote (`parse_float=Decimal`, never a float); texts cleaned and cut; unknown
fields ignored. What breaks a bound raises `Broken` (a ValueError), which the client turns into a
transient BrokenBody.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bulkquote_gui.core.quoting.momentum import (
    MAX_BANDWIDTH_MBPS,
    MAX_CARRIER_CHARS,
    MAX_CODE_CHARS,
    MAX_FIELD_CHARS,
    MAX_INSTALL_DAYS,
    MAX_MESSAGE_CHARS,
    MAX_MONEY,
    MAX_PRODUCT_CHARS,
    MAX_REFERENCE_CHARS,
    MAX_TERM_MONTHS,
    Secret,
    clean_text,
    decode_json,
    valid_quote_id,
)
from bulkquote_gui.core.quoting.provider import (
    PermanentError,
    QuoteOption,
    QuoteResult,
    QuoteStatus,
    RemoteQuote,
)
from bulkquote_gui.core.quoting.sonata.settings import SonataSettings
from bulkquote_gui.core.quoting.sonata.states import (
    ALTERNATE_STATES,
    ITEM_FAILED,
    ITEM_PRICED,
    QUOTE_LEVELS,
    seam_status,
)

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_JSON_DEPTH = 32       # a Quote echoing an MEF 106 configuration nests about 16 deep
MAX_ITEMS = 50            # quote items read per quote (one per term asked; a seller may add)
MAX_PRICES = 50           # prices read per item
MAX_FOUND = 1000          # quotes read from one GET /quote?externalId=
MAX_ERRORS = 20           # errors read from one 422 (the spec sends a list)
MAX_NOTE_CHARS = 500
_MAX_NUMBER_CHARS = 32
_CENT = Decimal("0.01")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# A recurring charge of another period, as months (a year of 365.25 days).
_PER_MONTH = {"month": Decimal(1), "year": Decimal(1) / 12, "week": Decimal("365.25") / 12 / 7,
              "day": Decimal("365.25") / 12, "hour": Decimal("365.25") * 24 / 12}
_PERIOD_WORD = {"year": "yearly", "week": "weekly", "day": "daily", "hour": "hourly"}


class Broken(ValueError):
    """An answer this client cannot read; the message names the field and the rule."""


# --- the request ---------------------------------------------------------------------------------

def quote_request(row: dict[str, Any], key: str, settings: SonataSettings) -> dict[str, Any]:
    """The POST /quote body for one row. Raises PermanentError (code no_offering / no_template)
    when the seller's settings cannot say what to ask for."""
    from bulkquote_gui.core.quoting.sonata.address import install_location

    service = row["service"]
    product = str(service["product"]).upper()
    offering = settings.offerings.get(product)
    if not offering:
        raise PermanentError(f"{settings.seller} has no product offering id for {product} in "
                             "BulkQuote's settings; nothing was sent", code="no_offering")
    template = settings.template_for(product)
    if template is None:
        raise PermanentError(f"{settings.seller} has no product configuration template for "
                             f"{product}; nothing was sent", code="no_template")
    reference = str(row["reference"])
    contact = {"role": "buyerContactInformation", "name": settings.contact.name,
               "emailAddress": settings.contact.email, "number": settings.contact.phone}
    if settings.contact.company:
        contact["organization"] = settings.contact.company
    return {
        "externalId": key,
        "projectId": reference.rsplit("/", 1)[0] if "/" in reference else reference,
        "description": reference,
        "buyerRequestedQuoteLevel": settings.quote_level,
        "instantSyncQuote": settings.instant,
        "relatedContactInformation": [contact],
        # One item per term asked (issue 18): the seller prices every term of the site at once.
        "quoteItem": [{
            "id": str(number),
            "action": "add",
            "requestedQuoteItemTerm": {"duration": {"amount": term, "units": "calendarMonths"},
                                       "endOfTermAction": "roll", "name": f"{term} months"},
            "product": {
                "productOffering": {"id": offering},
                "place": [install_location(row["location"])],
                "productConfiguration": configuration(template, int(service["bandwidth_mbps"])),
            },
        } for number, term in enumerate(terms_asked(service), start=1)],
    }


def terms_asked(service: dict[str, Any]) -> list[int]:
    """The terms a row's service asks: its `terms` (a deal's batch asking several), else its
    `term_months` alone."""
    return [int(t) for t in service.get("terms") or [service["term_months"]]]


def configuration(template: dict[str, Any], bandwidth_mbps: int) -> dict[str, Any]:
    """The template's productConfiguration with the bandwidth written where it says."""
    config = json.loads(json.dumps(template["productConfiguration"]))  # a deep copy
    for pointer in template["bandwidthAt"]:
        parent, last = _resolve_parent(config, pointer)
        parent[int(last) if isinstance(parent, list) else last] = bandwidth_mbps
    return config


def bandwidth_in(config: Any, template: dict[str, Any]) -> int | None:
    """The bandwidth a configuration carries where the template puts it (None: not there)."""
    try:
        parent, last = _resolve_parent(config, template["bandwidthAt"][0])
        value = parent[int(last) if isinstance(parent, list) else last]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _resolve_parent(doc: Any, pointer: str) -> tuple[Any, str]:
    steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer.lstrip("/").split("/")]
    node = doc
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node, steps[-1]


# --- reading an answer -----------------------------------------------------------------------------

def decode(body: bytes) -> Any:
    """Strict JSON, numbers with a fraction as Decimal, nesting at most MAX_JSON_DEPTH."""
    if len(body) > MAX_BODY_BYTES:
        raise Broken("the answer is far larger than any quote")
    try:
        return decode_json(body, parse_float=Decimal, max_depth=MAX_JSON_DEPTH)
    except ValueError as exc:   # momentum's _BrokenBody: the same sentence, in this module's kind
        raise Broken(str(exc)) from None


def error_parts(body: Any, secret: Secret) -> tuple[str | None, str | None, str | None]:
    """(code, words for the rep, propertyPath) of a Sonata Error body; Nones where absent.

    The spec answers a 422 with a list of Error422, one per problem: the first gives the code
    and property, every one its reason."""
    errors = [e for e in body[:MAX_ERRORS] if isinstance(e, dict)] if isinstance(body, list) \
        else [body] if isinstance(body, dict) else []
    if not errors:
        return None, None, None
    code, _, path = _one_error(errors[0], secret)
    words = "; ".join(dict.fromkeys(w for e in errors if (w := _one_error(e, secret)[1])))
    return code, (clean_text(words, MAX_MESSAGE_CHARS) if words else None), path


def _one_error(body: dict[str, Any], secret: Secret) -> tuple[str | None, str | None, str | None]:
    texts = [clean_text(body[k], MAX_MESSAGE_CHARS, secret) for k in ("reason", "message")
             if isinstance(body.get(k), str)]
    words = ": ".join(dict.fromkeys(t for t in texts if t)) or None
    code = _text_or_none(body.get("code"), MAX_CODE_CHARS, secret)
    path = _text_or_none(body.get("propertyPath"), MAX_FIELD_CHARS, secret)
    return code, words and clean_text(words, MAX_MESSAGE_CHARS), path


def found_ids(body: Any, key: str) -> list[str]:
    """The ids of the quotes a GET /quote?externalId= answer lists for this key, a live or priced
    one first (a quote cancelled or over is adopted only when there is no other). A seller that
    ignores the filter and lists others' quotes is read the same: only this key's are kept."""
    if not isinstance(body, list):
        raise Broken("the answer to a search is not a list")
    found = [q for q in body[:MAX_FOUND]
             if isinstance(q, dict) and q.get("externalId") == key and valid_quote_id(q.get("id"))]
    live = (QuoteStatus.QUEUED, QuoteStatus.PROCESSING, QuoteStatus.COMPLETE)
    found.sort(key=lambda q: (seam_status(q["state"]) if isinstance(q.get("state"), str)
                              else None) not in live)
    return [q["id"] for q in found]


class Asked:
    """What the row asked for, to fill what the answer does not repeat. `terms`: every term
    asked, item "1" the first (None: `term_months` alone)."""

    def __init__(self, product: str, bandwidth_mbps: int, term_months: int,
                 terms: list[int] | None = None) -> None:
        self.product, self.bandwidth_mbps, self.term_months = product, bandwidth_mbps, term_months
        self.terms = tuple(terms or (term_months,))

    def term_of_item(self, item_id: Any) -> int:
        """The term asked by the item numbered `item_id` (quote_request numbers them from 1);
        the first term for an id it did not make."""
        number = int(item_id) if isinstance(item_id, str) and item_id.isdigit() else 0
        return self.terms[number - 1] if 1 <= number <= len(self.terms) else self.term_months


def parse_quote(body: Any, *, seller: str, settings: SonataSettings, asked: Asked | None,
                secret: Secret = None) -> RemoteQuote:
    """A Sonata Quote -> RemoteQuote within the bounds; Broken when it cannot be one."""
    if not isinstance(body, dict):
        raise Broken("the body is not a JSON object")
    quote_id = body.get("id")
    if not valid_quote_id(quote_id):
        raise Broken("'id' is missing or not 1-100 printable ASCII characters")
    if any(form in quote_id for form in _forms(secret)):
        raise Broken("'id' carries a secret")
    state = body.get("state")
    status = seam_status(state) if isinstance(state, str) else None
    if status is None:
        shown = clean_text(state, 40, secret) if isinstance(state, str) else type(state).__name__
        raise Broken(f"unknown quote state {shown!r}")
    items = body.get("quoteItem")
    items = [i for i in items[:MAX_ITEMS] if isinstance(i, dict)] if isinstance(items, list) else []
    level = body.get("quoteLevel") if body.get("quoteLevel") in QUOTE_LEVELS else None
    result, code, message = None, None, None
    if status == QuoteStatus.COMPLETE:
        alternate = state in ALTERNATE_STATES
        options = [o for o in (_option(i, seller, settings, asked, level, alternate, secret)
                               for i in items) if o is not None]
        if options:
            result = QuoteResult(options=tuple(options), recommended=_cheapest(options),
                                 valid_until=_day(_get(body, "validFor", "endDateTime")),
                                 dropped_options=max(0, len(body["quoteItem"]) - MAX_ITEMS))
        else:
            status, code = QuoteStatus.FAILED, "no_price"
            message = (f"{seller} answered {state} without a price "
                       f"{_reasons(body, items, secret) or ''}").strip()
    elif status in (QuoteStatus.FAILED, QuoteStatus.CANCELLED, QuoteStatus.EXPIRED):
        code = clean_text(state, MAX_CODE_CHARS, secret)
        reasons = _reasons(body, items, secret)
        message = {QuoteStatus.FAILED: f"{seller} could not quote this site",
                   QuoteStatus.CANCELLED: f"the quote was {state} at {seller}",
                   QuoteStatus.EXPIRED: f"the quote expired at {seller}"}[status]
        message = clean_text(f"{message}: {reasons}" if reasons else message, MAX_MESSAGE_CHARS)
    return RemoteQuote(
        id=quote_id, status=status,
        reference=_text_or_none(body.get("externalId"), MAX_REFERENCE_CHARS, secret),
        result=result, error_code=code, error_message=message,
        created_at=_timestamp(body.get("quoteDate")),
        updated_at=_timestamp(body.get("effectiveQuoteCompletionDate")),
    )


def _option(item: dict[str, Any], seller: str, settings: SonataSettings, asked: Asked | None,
            level: str | None, alternate: bool, secret: Secret) -> QuoteOption | None:
    """One priced quote item as an option; None for an item that is not priced."""
    state = item.get("state")
    if state in ITEM_FAILED or (isinstance(state, str) and state not in ITEM_PRICED
                                and item.get("quoteItemPrice") is None):
        return None
    prices = item.get("quoteItemPrice")
    if not isinstance(prices, list):
        return None
    mrc, nrc, currencies, notes, priced = Decimal(0), Decimal(0), set(), [], False
    for index, price in enumerate(prices[:MAX_PRICES]):
        if not isinstance(price, dict):
            continue
        kind = price.get("priceType")
        amount = _get(price, "price", "dutyFreeAmount")
        if not isinstance(amount, dict):
            raise Broken(f"price {index} has no dutyFreeAmount")
        value = _number(amount.get("value"), f"price {index}'s value")
        unit = amount.get("unit")
        if not (isinstance(unit, str) and re.fullmatch(r"[A-Z]{3}", unit)):
            raise Broken(f"price {index}'s unit is not an ISO 4217 code")
        name = _text_or_none(price.get("name"), 60, secret) or kind
        if kind == "recurring":
            period = price.get("recurringChargePeriod") or "month"
            if period not in _PER_MONTH:
                raise Broken(f"price {index} recurs per {clean_text(str(period), 20)!r}")
            if value < 0:
                raise Broken(f"price {index} is a negative recurring charge")
            mrc += value * _PER_MONTH[period]
            if period != "month":
                notes.append(f"MRC includes {name}: {_PERIOD_WORD[period]} {value} {unit} "
                             "converted to a month")
            priced = True
        elif kind == "nonRecurring":
            nrc += value
            priced = True
        elif kind == "usageBased":
            per = _text_or_none(price.get("unitOfMeasure"), 30, secret)
            notes.append(f"usage-based {name}: {value} {unit}" + (f" per {per}" if per else ""))
        else:
            continue
        currencies.add(unit)
    if not priced:
        return None
    if len(currencies) > 1:
        raise Broken(f"one item is priced in several currencies ({', '.join(sorted(currencies))})")
    mrc, nrc = _cents(mrc, "MRC", notes), _cents(nrc, "NRC", notes)
    if mrc > MAX_MONEY or abs(nrc) > MAX_MONEY:
        raise Broken(f"a price is beyond the ceiling of {MAX_MONEY:,}")
    term = _months(_get(item, "quoteItemTerm", 0, "duration")) or \
        (asked.term_of_item(item.get("id")) if asked else None)
    if term is None or not 1 <= term <= MAX_TERM_MONTHS:
        raise Broken("the item names no term in months within 1..600")
    product, bandwidth = _what(item, settings, asked, notes)
    item_alternate = alternate or state in ALTERNATE_STATES or \
        (asked is not None and term not in asked.terms)
    return QuoteOption(
        carrier=clean_text(seller, MAX_CARRIER_CHARS) or "the seller",
        product=clean_text(product, MAX_PRODUCT_CHARS),
        bandwidth_mbps=bandwidth, term_months=term, mrc=mrc, nrc=nrc, currency=currencies.pop(),
        install_days=_days(item.get("quoteItemInstallationInterval")),
        is_estimate=level == "budgetary" if level else state == "answered" or None,
        quote_level=level, alternate=item_alternate,
        note=clean_text("; ".join(notes), MAX_NOTE_CHARS, secret) or None,
    )


def _what(item: dict[str, Any], settings: SonataSettings, asked: Asked | None,
          notes: list[str]) -> tuple[str, int]:
    """(product, bandwidth): as asked in this process; else read back from the offering id and
    the configuration the seller repeats (a quote polled after a restart). A seller that repeats
    neither still has its price kept, with a note saying what it did not say."""
    if asked is not None:
        return asked.product, asked.bandwidth_mbps
    offering = _get(item, "product", "productOffering", "id")
    product = next((p for p, o in settings.offerings.items() if o == offering), None)
    template = settings.template_for(product) if product else None
    bandwidth = bandwidth_in(_get(item, "product", "productConfiguration"), template) \
        if template else None
    if bandwidth is None or not 1 <= bandwidth <= MAX_BANDWIDTH_MBPS:
        notes.append("the seller did not repeat the product and bandwidth it priced")
        bandwidth = 0
    return product or (offering if isinstance(offering, str) else "") or "?", bandwidth


def _reasons(body: dict[str, Any], items: list[dict[str, Any]], secret: Secret) -> str:
    """The seller's terminationError texts, of the quote and of its items, in one line."""
    texts: list[str] = []
    for errors in [body.get("terminationError")] + [i.get("terminationError") for i in items]:
        for error in errors[:10] if isinstance(errors, list) else ():
            if not isinstance(error, dict):
                continue
            value = _text_or_none(error.get("value"), 200, secret)
            code = _text_or_none(error.get("code"), MAX_CODE_CHARS, secret)
            path = _text_or_none(error.get("propertyPath"), MAX_FIELD_CHARS, secret)
            text = value or code
            if text:
                texts.append(f"{text} ({path})" if path else text)
    return clean_text("; ".join(dict.fromkeys(texts)), MAX_MESSAGE_CHARS)


def _number(value: Any, what: str) -> Decimal:
    """A JSON number (or a decimal string some sellers send) as the Decimal the seller wrote."""
    if isinstance(value, bool):
        raise Broken(f"{what} is not a number")
    if isinstance(value, int) or isinstance(value, str) and len(value) <= _MAX_NUMBER_CHARS and _DECIMAL_TEXT.fullmatch(value):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise Broken(f"{what} is not a number")
    if abs(value) > MAX_MONEY * 1000:  # checked before any arithmetic on a huge exponent
        raise Broken(f"{what} is beyond the ceiling of {MAX_MONEY:,}")
    return value


def _cents(amount: Decimal, what: str, notes: list[str]) -> Decimal:
    try:
        cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise Broken(f"the {what} is not a price") from None
    if cents != amount:
        notes.append(f"{what} rounded to the cent from {amount.normalize():f}"[:80])
    return Decimal("0.00") if cents == 0 else cents


def _months(duration: Any) -> int | None:
    if not isinstance(duration, dict):
        return None
    amount, units = duration.get("amount"), duration.get("units")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or amount > 10**6:
        return None
    if units == "calendarMonths":
        return amount
    if units == "calendarDays":
        return max(1, round(amount / 30.4375))
    return None


def _days(duration: Any) -> int | None:
    """An installation interval in calendar days (a business week is 7 days for 5)."""
    if not isinstance(duration, dict):
        return None
    amount, units = duration.get("amount"), duration.get("units")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= 10**6:
        return None
    days = {"calendarDays": lambda a: a, "businessDays": lambda a: math.ceil(a * 7 / 5),
            "calendarMonths": lambda a: math.ceil(a * 30.4375),
            "calendarHours": lambda a: math.ceil(a / 24), "businessHours": lambda a: math.ceil(a / 8 * 7 / 5),
            "calendarMinutes": lambda a: math.ceil(a / 1440),
            "businessMinutes": lambda a: math.ceil(a / 480 * 7 / 5)}.get(units)
    value = days(amount) if days else None
    return value if value is not None and value <= MAX_INSTALL_DAYS else None


def _cheapest(options: list[QuoteOption]) -> int:
    """The option to recommend: the cheapest asked-for one, else the cheapest."""
    order = sorted(range(len(options)), key=lambda i: (options[i].alternate, options[i].mrc))
    return order[0]


def _get(obj: Any, *path: Any) -> Any:
    for step in path:
        if isinstance(step, int):
            obj = obj[step] if isinstance(obj, list) and len(obj) > step else None
        else:
            obj = obj.get(step) if isinstance(obj, dict) else None
    return obj


def _forms(secret: Secret) -> tuple[str, ...]:
    return (secret,) if isinstance(secret, str) and secret else secret or ()


def _text_or_none(value: Any, max_chars: int, secret: Secret) -> str | None:
    text = clean_text(value, max_chars, secret) if isinstance(value, str) else ""
    return text or None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    stamp = _timestamp(value)
    return stamp.date() if stamp else None
