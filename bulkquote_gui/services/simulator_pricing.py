"""The simulator's answers: plausible, deterministic carrier prices for an address and a service.

The same street and ZIP always get the same carriers, the same outcome (about 5 % no coverage,
3 % manual pricing, obviously fake streets not found) and the same processing time, so demo
screenshots and tests are repeatable. Prices scale with bandwidth, term and product; a 1 Gbps
DIA circuit on 36 months costs $600-1,800 a month and $0-1,500 to install, as in real life.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bulkquote_gui.core.quoting.provider import QuoteStatus

# carrier -> (monthly price of 1 Gbps DIA on 36 months, chance the building is on its own net)
CARRIERS: dict[str, tuple[int, float]] = {
    "Lumen": (950, 0.45),
    "Spectrum": (800, 0.55),
    "Comcast Business": (760, 0.55),
    "Zayo": (1100, 0.35),
    "AT&T": (1050, 0.5),
    "Verizon": (1150, 0.45),
    "Cogent": (720, 0.3),
}
BROADBAND_CARRIERS = ("Spectrum", "Comcast Business", "AT&T", "Verizon")
TERM_FACTOR = {12: Decimal("1.22"), 24: Decimal("1.09"), 36: Decimal("1.00"), 60: Decimal("0.90")}
PRODUCT_FACTOR = {"DIA": Decimal("1.00"), "ETHERNET": Decimal("0.90"), "BROADBAND": Decimal("0.30")}
NO_COVERAGE_PER_MILLE = 50
MANUAL_PRICING_PER_MILLE = 30
QUOTE_VALID_DAYS = 30
_FAKE_STREET = re.compile(
    r"\b(FAKE|TEST|TESTING|NOWHERE|ASDF|QWERTY|DUMMY|SAMPLE|UNKNOWN|TBD|N/?A|XXX+|PO BOX|P O BOX)\b")
_FAKE_ZIPS = frozenset({"00000", "99999"})
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Answer:
    """What a quote ends as: `result` when complete, else the failure's code and message."""

    status: QuoteStatus               # complete or failed
    result: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None


def address_key(location: dict[str, Any]) -> str:
    """Normalised street + ZIP5: what makes two spellings of a site the same site."""
    street = re.sub(r"[^A-Z0-9/ ]+", " ", str(location.get("street", "")).upper())
    street = re.sub(r"\s+", " ", street).strip()
    return f"{street}|{str(location.get('postal_code', ''))[:5]}"


def _roll(key: str, label: str, modulo: int) -> int:
    digest = hashlib.sha256(f"{label}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulo


def _fraction(key: str, label: str) -> float:
    return _roll(key, label, 1_000_000) / 1_000_000


def processing_seconds(location: dict[str, Any]) -> float:
    """Unscaled time a quote for this site spends processing: 5-20 s."""
    return 5.0 + _roll(address_key(location), "processing", 16)


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _option(key: str, carrier: str, service: dict[str, Any]) -> dict[str, Any]:
    base, on_net_chance = CARRIERS[carrier]
    product = service["product"]
    bandwidth = int(service["bandwidth_mbps"])
    term = int(service["term_months"])
    on_net = _fraction(key, f"on_net:{carrier}") < on_net_chance
    # Per-site spread of -15 %..+30 %: construction and competition differ building by building.
    spread = Decimal(str(0.85 + 0.45 * _fraction(key, f"spread:{carrier}")))
    speed = Decimal(str(0.12 + 0.88 * (bandwidth / 1000) ** 0.6))
    mrc = (Decimal(base) * spread * speed * TERM_FACTOR[term] * PRODUCT_FACTOR[product]).quantize(Decimal(1))
    if on_net:
        nrc = Decimal(0) if term >= 24 else Decimal(250)
        install_days = 20 + _roll(key, f"install:{carrier}", 26)
    else:
        nrc = Decimal(500 + 50 * _roll(key, f"nrc:{carrier}", 21))  # 500..1500
        nrc = nrc * Decimal("1.5") if term == 12 else nrc
        install_days = 45 + _roll(key, f"install:{carrier}", 76)
    if product == "BROADBAND":
        nrc = Decimal(0) if on_net else Decimal(199)
        install_days = 7 + _roll(key, f"install:{carrier}", 15)
    return {
        "carrier": carrier, "product": product, "bandwidth_mbps": bandwidth, "term_months": term,
        "mrc": _money(mrc), "nrc": _money(nrc), "currency": "USD", "install_days": install_days,
        "access": "on_net" if on_net else "off_net",
        "is_estimate": (not on_net and _fraction(key, f"estimate:{carrier}") < 0.6)
        or product == "BROADBAND",
    }


def answer_for(location: dict[str, Any], service: dict[str, Any], created: date) -> Answer:
    """The deterministic outcome of quoting `service` at `location` (both as accepted by the API)."""
    key = address_key(location)
    street = key.split("|")[0]
    if _FAKE_STREET.search(street) or not re.search(r"[A-Z]", street) or \
            str(location.get("postal_code", ""))[:5] in _FAKE_ZIPS:
        return Answer(QuoteStatus.FAILED, error_code="address_not_found",
                      error_message="the address could not be found in the carrier databases")
    outcome = _roll(key, "outcome", 1000)
    if outcome < NO_COVERAGE_PER_MILLE:
        return Answer(QuoteStatus.FAILED, error_code="no_coverage", error_message="no carrier serves this address")
    if outcome < NO_COVERAGE_PER_MILLE + MANUAL_PRICING_PER_MILLE:
        return Answer(QuoteStatus.FAILED, error_code="manual_pricing_required",
                      error_message="the carriers price this site by hand; a sales engineer will follow up")
    pool = list(BROADBAND_CARRIERS if service["product"] == "BROADBAND" else CARRIERS)
    pool.sort(key=lambda c: _roll(key, f"order:{c}", 1 << 30))
    count = min(len(pool), 2 + _roll(key, "count", 3))
    options = [_option(key, carrier, service) for carrier in pool[:count]]
    # Recommend the lowest cost over the whole term, installation included.
    total = [Decimal(o["mrc"]) * o["term_months"] + Decimal(o["nrc"]) for o in options]
    recommended = total.index(min(total))
    valid_until = created + timedelta(days=QUOTE_VALID_DAYS)
    return Answer(QuoteStatus.COMPLETE, result={"options": options, "recommended": recommended,
                                      "valid_until": valid_until.isoformat()})
