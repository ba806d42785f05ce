"""Bandwidth, term and product as people write them ("1G", "500 Mbps", "3 years", "Dedicated
Internet") to the values the Momentum API accepts (core/offer.py).

Each parser takes one cell's text and returns `(value, error)`: value None with no error means
the cell was blank and the batch default applies. Results are cached: a column holds few
distinct values, so a 100,000-row file costs a handful of parses.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bulkquote_gui.core.offer import BANDWIDTHS_MBPS, PRODUCTS, TERMS_MONTHS

_NUMBER_UNIT = re.compile(r"^(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z/ ]*?)\s*$")
_MBPS_UNITS = {"m", "mb", "mbps", "mbit", "mbit/s", "mb/s", "mbs", "meg", "megs", "mbp", "mbps/mbps",
               "megabit", "megabits", "mbits", "mbit/sec", "mb/sec"}
_GBPS_UNITS = {"g", "gb", "gbps", "gbit", "gbit/s", "gb/s", "gig", "gigs", "gigabit", "gigabits",
               "gbits", "gbe", "ge", "gbs", "gbit/sec", "gb/sec"}
_MONTH_UNITS = {"m", "mo", "mos", "mth", "mths", "month", "months", "mon"}
_YEAR_UNITS = {"y", "yr", "yrs", "year", "years"}
_PRODUCT_SYNONYMS = {
    "DIA": "DIA", "DEDICATED INTERNET": "DIA", "DEDICATED INTERNET ACCESS": "DIA",
    "DEDICATED": "DIA", "INTERNET": "DIA", "DEDICATED INTERNET ACCESS DIA": "DIA",
    "BROADBAND": "BROADBAND", "BB": "BROADBAND", "CABLE": "BROADBAND", "COAX": "BROADBAND",
    "BUSINESS BROADBAND": "BROADBAND",
    "ETHERNET": "ETHERNET", "METRO ETHERNET": "ETHERNET", "E LINE": "ETHERNET",
    "ELINE": "ETHERNET", "EPL": "ETHERNET", "EVPL": "ETHERNET", "E LAN": "ETHERNET",
    "ELAN": "ETHERNET", "ETH": "ETHERNET", "ENS": "ETHERNET",
}


def _offered(values: tuple[int, ...], unit: str) -> str:
    return ", ".join(str(v) for v in values) + f" {unit}"


def _number(text: str) -> float:
    return float(text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", text)
                 else text.replace(",", "."))


@lru_cache(maxsize=4096)
def parse_bandwidth(text: str) -> tuple[int | None, str]:
    """'1 Gbps', '1G', '500M', '100 Mbps', '1,000' -> Mbps. A bare number is Mbps, except
    1, 2 and 5 which only make sense as Gbps."""
    raw = text.strip()
    if not raw:
        return None, ""
    down, sep, up = raw.partition("/")
    if sep and re.search(r"\d", up):  # "1 Gbps/1 Gbps": symmetric, one speed
        first, second = parse_bandwidth(down), parse_bandwidth(up)
        if first[0] is not None and first == second:
            return first
        if first[0] is not None and second[0] is not None:
            return None, f"bandwidth {raw!r}: down and up differ; quotes are for one speed"
    cleaned = raw.lower().replace("-", " ").replace("_", " ")
    cleaned = re.sub(r"\b(dia|internet|fiber|fibre|ethernet|circuit|speed)\b", "", cleaned).strip()
    match = _NUMBER_UNIT.match(re.sub(r"(?<=\d),(?=\d{3}\b)", "", cleaned))
    if not match:
        return None, f"bandwidth {raw!r} is not a speed (write e.g. 1 Gbps, 500M, 100 Mbps)"
    number = _number(match["num"])
    unit = match["unit"].replace(" ", "")
    if unit in _GBPS_UNITS:
        mbps = number * 1000
    elif unit in _MBPS_UNITS:
        mbps = number
    elif unit == "":
        mbps = number * 1000 if number in (1, 2, 5) else number
    else:
        return None, f"bandwidth {raw!r} has an unknown unit (write e.g. 1 Gbps, 500M, 100 Mbps)"
    if mbps != int(mbps) or int(mbps) not in BANDWIDTHS_MBPS:
        return None, f"bandwidth {raw!r} is not offered (offered: {_offered(BANDWIDTHS_MBPS, 'Mbps')})"
    return int(mbps), ""


@lru_cache(maxsize=4096)
def parse_term(text: str) -> tuple[int | None, str]:
    """'36', '36 mo', '3 years', '3y' -> months. A bare 1, 2, 3 or 5 means years."""
    raw = text.strip()
    if not raw:
        return None, ""
    match = _NUMBER_UNIT.match(raw.lower().replace("-", " "))
    if not match:
        return None, f"term {raw!r} is not a length of time (write e.g. 36, 36 mo, 3 years)"
    number = _number(match["num"])
    unit = match["unit"].replace(" ", "")
    if unit in _YEAR_UNITS or (unit == "" and number in (1, 2, 3, 5)):
        months = number * 12
    elif unit in _MONTH_UNITS or unit == "":
        months = number
    else:
        return None, f"term {raw!r} has an unknown unit (write e.g. 36, 36 mo, 3 years)"
    if months != int(months) or int(months) not in TERMS_MONTHS:
        return None, f"term {raw!r} is not offered (offered: {_offered(TERMS_MONTHS, 'months')})"
    return int(months), ""


@lru_cache(maxsize=1024)
def parse_product(text: str) -> tuple[str | None, str]:
    """'DIA', 'Dedicated Internet', 'broadband', 'Metro Ethernet' -> the API's product code."""
    raw = text.strip()
    if not raw:
        return None, ""
    key = " ".join(re.sub(r"[^A-Z0-9]+", " ", raw.upper()).split())
    product = _PRODUCT_SYNONYMS.get(key)
    if product is None:
        return None, f"product {raw!r} is not offered (offered: {', '.join(PRODUCTS)})"
    return product, ""
