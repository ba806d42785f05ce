"""Normalise and validate US service addresses, one value at a time.

An import of 100,000 rows must stay close to the speed of the bare file read, so each rule is a
plain function on one cell, applied once per distinct value (`map_distinct`), and the costlier
street rules run only on streets a cheap first regex finds suspect. One-line addresses are split
with usaddress, cached per distinct string because it costs ~100 µs a call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np

from bulkquote_gui.core.intake import usps

T = TypeVar("T")
R = TypeVar("R")

# USPS codes: the states, DC, the territories and the military "states".
STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands", "FM": "Micronesia", "MH": "Marshall Islands", "PW": "Palau",
    "AA": "Armed Forces Americas", "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific",
}

_EXTRA_STATE_SPELLINGS: dict[str, str] = {
    "VIRGIN ISLANDS": "VI", "US VIRGIN ISLANDS": "VI", "USVI": "VI", "D C": "DC", "WASHINGTON DC": "DC",
    "DIST OF COLUMBIA": "DC", "NORTHERN MARIANA IS": "MP", "FEDERATED STATES OF MICRONESIA": "FM",
}

# Canadian provinces: the commonest "not in the US" value found in a state column.
CANADIAN_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}

# 3-digit ZIP prefixes that start with 0, by state: what a ZIP that lost its leading zero(s)
# can be repaired to. Every other state's ZIPs start with 1-9, so a short ZIP there is an error.
ZERO_ZIP_PREFIXES: dict[str, tuple[tuple[int, int], ...]] = {
    "NY": ((5, 5),), "PR": ((6, 7), (9, 9)), "VI": ((8, 8),), "MA": ((10, 27), (55, 55)),
    "RI": ((28, 29),), "NH": ((30, 38),), "ME": ((39, 49),), "VT": ((50, 54), (56, 59)),
    "CT": ((60, 69),), "NJ": ((70, 89),), "AE": ((90, 98),),
}

EXCEL_ERRORS = frozenset({"#N/A", "#N/A N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?",
                          "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!"})

_NON_US_COUNTRIES = ("CANADA", "MEXICO", "FRANCE", "UNITED KINGDOM", "ENGLAND", "GERMANY",
                     "IRELAND", "AUSTRALIA", "INDIA", "CHINA", "JAPAN", "BRAZIL", "SPAIN",
                     "ITALY", "NETHERLANDS", "BELGIUM", "SWITZERLAND", "ISRAEL")

# A bare "BOX 886" is a box only where nothing but its number follows: "100 Box Elder Rd" is a
# street. A unit word before it ("STE BOX 238", a geocoder's reading of "PO BOX 238") is a box too.
_BARE_BOX = r"BOX\s*#?\s*\d+[A-Z]?\)?\s*$"
_UNIT_THEN_BOX = (r"^(?:" + "|".join(re.escape(w) for w in usps.UNIT_WORDS if w != "#")
                  + r")\.?\s*#?\s*BOX\s*#?\s*\d")
_PO_BOX = re.compile(
    r"(?:^|[\s,(])(?:P\.?\s*O\.?\s*B(?:OX|\.)|POST\s+OFFICE\s+(?:BOX|DRAWER)|P\.?\s*O\.?\s+DRAWER"
    r"|POB\s+\d|PO\s*#|LOCK\s*BOX|^BOX\s+\d|^DRAWER\s+\d)"
    r"|[,;(]\s*" + _BARE_BOX + r"|(?<=\s)" + _BARE_BOX + r"|" + _UNIT_THEN_BOX, re.IGNORECASE)
_BOX_MARKER = (r"(?:P\.?\s*O\.?\s*B(?:OX\b|\.)|POST\s+OFFICE\s+(?:BOX|DRAWER)\b"
               r"|P\.?\s*O\.?\s+DRAWER\b|POB\s+(?=\d)|PO\s*#|LOCK\s*BOX\b)")
# Searched for, so no lazy "^(.*?)" prefix has to backtrack over the street. "(P O BOX 966)":
# the bracket goes with the box.
_BOX_AFTER_STREET = re.compile(
    r"[\s,;/\-(]+(?:MAIL\s+)?(?P<box>" + _BOX_MARKER + r".*|" + _BARE_BOX + r")$", re.IGNORECASE)
# "RR 2 BOX 15", "HC 65 BOX 100": a rural route's box is its delivery point, not a box beside a
# street; what is left without it ("RR 2") is no street either, so such a line is kept whole.
_ROUTE = r"^(?:RR|R\.\s*R\.|RURAL\s+ROUTE|HC|HCR|STAR\s+ROUTE)\s*#?\s*\d+"
_RURAL_ROUTE = re.compile(_ROUTE + r"$", re.IGNORECASE)
_RURAL_ROUTE_BOX = re.compile(_ROUTE + r"\W+BOX\s*#?\s*\d+[A-Z]?$", re.IGNORECASE)
# What a bare "BOX 130" leaves of "P O BOX 130": not a street.
_PO_WORDS_AT_END = re.compile(r"(?:^|\s)(?:P\.?\s*O\.?|POST\s+OFFICE)$", re.IGNORECASE)
_UNIT_WORD_ALONE = re.compile(r"^(?:" + "|".join(re.escape(w) for w in usps.UNIT_WORDS)
                              + r")\.?$", re.IGNORECASE)
_PO_BOX_THEN_STREET = re.compile(
    r"^\s*(?P<box>(?:" + _BOX_MARKER + r"|BOX(?=\s*#?\s*\d))\s*#?\s*[\w-]+)\s*[,;/\-]\s*"
    r"(?P<street>\S.*)$",
    re.IGNORECASE)
_CARE_OF = re.compile(r"(?:^|[\s,(])(?:C/O|C\\O|CARE\s+OF)(?=[\s:.]|$)", re.IGNORECASE)
_CANADIAN_POSTCODE = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d\b", re.IGNORECASE)
# "New Mexico" is a state, not Mexico.
_NON_US_COUNTRY = re.compile(r"(?<!NEW )\b(?:" + "|".join(_NON_US_COUNTRIES) + r")\b", re.IGNORECASE)

# Cheap first look: a street without any of these needs none of the checks below.
# Between them these cover every form _PO_BOX and _CARE_OF know ("POB 12", "P.O.B. 3", "PO #4").
# The unit words are Publication 28's designators (usps.UNIT_WORDS: APARTMENT and ROOM too).
_SUSPECT_PARTS = ("BOX", "DRAWER", "POB", "O.B", "O B", "C/O", "C\\O", "CARE",
                  *usps.UNIT_WORDS)
_STREET_SUSPECT = re.compile(
    r"BOX|DRAWER|POB|P\.?\s*O\.?\s*B\.|C/O|C\\O|CARE\s+OF|#|\b(?:"
    + "|".join(w for w in usps.UNIT_WORDS if w != "#") + r")\b",
    re.IGNORECASE)


def _state_lookup() -> dict[str, str]:
    table = {code: code for code in STATE_NAMES}
    for code, name in STATE_NAMES.items():
        table[name.upper()] = code
        table[name.upper().replace(".", "")] = code
    table.update(_EXTRA_STATE_SPELLINGS)
    return table


STATE_LOOKUP: dict[str, str] = _state_lookup()
_PROVINCE_LOOKUP: dict[str, str] = {
    **{code: name for code, name in CANADIAN_PROVINCES.items()},
    **{name.upper(): name for name in CANADIAN_PROVINCES.values()},
}


def distinct(values: Iterable[T], rule: Callable[[T], R]) -> dict[T, R]:
    """rule(value) once per distinct value: a spreadsheet column repeats itself (cities,
    states, speeds), and Python caches str hashes, so this is far cheaper than 100,000 calls."""
    answers = dict.fromkeys(values)
    for value in answers:
        answers[value] = rule(value)
    return answers


def map_distinct(values: Iterable[T], rule: Callable[[T], R]) -> list[R]:
    """rule(value) for every value, computed once per distinct value."""
    values = values if isinstance(values, list) else list(values)
    return list(map(distinct(values, rule).__getitem__, values))


def clean_one(text: object) -> str:
    """Trim, collapse inner whitespace, read spreadsheet error values (#N/A) as blank and
    ="02134" as 02134."""
    if text.__class__ is not str:
        text = "" if text is None else str(text)
    if not (text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "):
        text = " ".join(text.split())
    if text[:1] == "#" and text.upper() in EXCEL_ERRORS:
        return ""
    if text[:2] == '="' and text[-1:] == '"':  # ="02134": Excel's way to keep a leading zero
        return clean_one(text[2:-1])
    return text


# What makes Excel, LibreOffice or Google Sheets evaluate a cell (OWASP CSV injection), and the
# full-width forms NFKC folds into them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(text: str) -> bool:
    """A street or city starting like a formula (`=cmd|' /C calc'!A0`, `@SUM(1,1)`): not an
    address, whatever follows."""
    return text[:1] in FORMULA_STARTS


def _all_clean(values: list) -> bool:
    """True when no cell needs clean_one: checked on the joined column, at C speed."""
    try:
        joined = "\x00".join(values)
    except TypeError:  # a non-str cell
        return False
    if joined.isascii():
        return _all_clean_ascii(joined, len(values))
    return ("".join(values).isprintable() and "  " not in joined and " \x00" not in joined
            and "\x00 " not in joined and joined[:1] != " " and joined[-1:] != " "
            and "\x00#" not in joined and joined[:1] != "#"
            and '\x00="' not in joined and joined[:2] != '="')


def _all_clean_ascii(joined: str, count: int) -> bool:
    """_all_clean for ASCII text, as numpy passes over the bytes: str.isprintable and
    substring searches for "  " or "\x00#" cost several times more on a long column."""
    cells = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    if not cells.size:
        return True
    control = (cells < 32) | (cells == 127)
    if np.count_nonzero(control) != count - 1:  # a control character besides the separators
        return False
    first = np.empty(cells.size, dtype=bool)  # the first character of a cell
    first[0], first[1:] = True, control[:-1]
    last = np.empty(cells.size, dtype=bool)
    last[-1], last[:-1] = True, control[1:]
    space = cells == 32
    return not ((space & (first | last)).any() or (space[1:] & space[:-1]).any()
                or (first & (cells == ord("#"))).any()
                or (first[:-1] & (cells[:-1] == ord("=")) & (cells[1:] == ord('"'))).any())


def clean_text(values: Iterable[object]) -> list[str]:
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    if _all_clean(values):  # as a rule: checked on the whole column, no per-value work
        return values
    return map_distinct(values, clean_one)


def state_code(text: str) -> tuple[str, str]:
    """(USPS code, "") or ("", why not): "unknown", "foreign" (a Canadian province), "missing"."""
    if not text:
        return "", "missing"
    key = text.upper().replace(".", "").strip()
    code = STATE_LOOKUP.get(key) or STATE_LOOKUP.get(" ".join(key.split()))
    if code:
        return code, ""
    return "", "foreign" if key in _PROVINCE_LOOKUP else "unknown"


@dataclass(frozen=True)
class ZipResult:
    postal_code: str = ""   # "12345" or "12345-6789"; "" when missing or invalid
    repaired: bool = False  # a lost leading zero was put back
    error: str = ""         # why it is invalid, "" when it is not
    note: str = ""          # what was repaired


_FLOAT_TAIL = re.compile(r"\.0+$")
_ZIP = re.compile(r"(\d{5})(?:\s*-?\s*(\d{4}))?")
_SHORT_ZIP = re.compile(r"(\d{3,4})(?:-?(\d{4}))?")
_PLUS4 = re.compile(r"\d{1,4}")


def _zero_prefix_ok(padded: str, state: str) -> bool:
    prefix = int(padded[:3])
    return any(lo <= prefix <= hi for lo, hi in ZERO_ZIP_PREFIXES.get(state, ()))


def check_zip(raw: str, state: str, raw_plus4: str = "") -> ZipResult:
    """ZIP (and an optional ZIP+4 cell) to `12345` / `12345-6789`.

    A ZIP that lost its leading zero(s) ("8540", "2134.0", a number cell in Excel) is repaired
    when the state's ZIPs start with 0 and the padded prefix belongs to that state; the row is
    then marked repaired. Anything else that is not a ZIP is an error with the reason.
    """
    if not raw:
        return ZipResult(error="ZIP is missing")
    text = _FLOAT_TAIL.sub("", raw)
    notes: list[str] = []
    match = _ZIP.fullmatch(text)
    if match:
        postal = match[1] + (f"-{match[2]}" if match[2] else "")
    else:
        short = _SHORT_ZIP.fullmatch(text)
        if not short:
            return ZipResult(error=f"ZIP {raw} is not a US ZIP code (12345 or 12345-6789)")
        base = short[1].zfill(5)
        if not _zero_prefix_ok(base, state):
            where = state or "this state"
            return ZipResult(error=f"ZIP {raw} is too short for {where} (its ZIPs do not start with 0)")
        postal = base + (f"-{short[2]}" if short[2] else "")
        notes.append(f"ZIP {raw} repaired to {postal}")
    plus4 = _FLOAT_TAIL.sub("", raw_plus4)
    # "M" (missing), blank or a ZIP that already has its +4 leave the ZIP as it is.
    if len(postal) == 5 and _PLUS4.fullmatch(plus4):
        postal = f"{postal}-{plus4.zfill(4)}"
        if len(plus4) < 4:
            notes.append(f"ZIP+4 {plus4} repaired to {plus4.zfill(4)}")
    return ZipResult(postal_code=postal, repaired=bool(notes), note="; ".join(notes))


_US_COUNTRY_NAMES = frozenset({"", "US", "USA", "U S", "U S A", "UNITED STATES",
                               "UNITED STATES OF AMERICA", "AMERICA", "ESTADOS UNIDOS"})


def is_us_country(text: str) -> bool:
    """A country cell that means the US (or one of its territories), or is blank."""
    key = " ".join(text.upper().replace(".", " ").split())
    return key in _US_COUNTRY_NAMES or key in STATE_LOOKUP and len(key) > 2 or key in (
        "PR", "GU", "VI", "AS", "MP")


def _case_sensitive(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern without IGNORECASE, for ASCII text put in upper case first: it matches the
    same (every literal in the pattern is upper case). Worth it for _STREET_SUSPECT, run on
    every candidate street: its alternation costs about twice as much case-insensitively."""
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


_STREET_SUSPECT_UPPER = _case_sensitive(_STREET_SUSPECT)


def is_po_box(street: str) -> bool:
    return _PO_BOX.search(street) is not None and not _RURAL_ROUTE_BOX.match(street.strip())


def is_care_of(text: str) -> bool:
    return _CARE_OF.search(text) is not None


def _is_suspect(street: str) -> bool:
    if street.isascii():
        return _STREET_SUSPECT_UPPER.search(street.upper()) is not None
    return _STREET_SUSPECT.search(street) is not None


def looks_foreign(text: str) -> bool:
    """A country other than the US, or a Canadian postcode, written into a one-line address."""
    return bool(_NON_US_COUNTRY.search(text) or _CANADIAN_POSTCODE.search(text))


def strip_po_box(street: str) -> tuple[str, str]:
    """Split "401 VANITY FAIR LANE, PO BOX 618" (or "P O BOX 1990, 10 EAST 31ST ST") into the
    street and the box. A street that is only a box comes back unchanged with "" as the box."""
    if not _PO_BOX.search(street):
        return street, ""
    match = _PO_BOX_THEN_STREET.match(street)
    if match:
        rest, box = match["street"], match["box"]
    else:
        match = _BOX_AFTER_STREET.search(street)
        if not match:
            return street, ""
        rest, box = street[: match.start()], match["box"]
    rest = rest.strip(" ,;/-(")
    if (len(rest) < 3 or _PO_BOX.search(rest) or _RURAL_ROUTE.match(rest)
            or _UNIT_WORD_ALONE.match(rest) or _PO_WORDS_AT_END.search(rest)):
        return street, ""
    return rest, box.strip(" ,;/-()")


def split_trailing_unit(street: str) -> tuple[str, str]:
    """Move a unit written at the end of the street ("..., SUITE 158", "APARTMENT 5",
    "33rd Floor": Publication 28's designators) to its own value."""
    return usps.split_trailing_unit(street)


@dataclass(frozen=True)
class StreetCheck:
    street: str        # the street to quote (a box beside it and a trailing unit taken out)
    unit: str = ""     # a unit found at the end of the street
    box: str = ""      # a PO box found beside the street, and removed
    po_box: bool = False   # the street is nothing but a PO box
    care_of: bool = False  # a "c/o" line
    without_box: str = ""  # the street with only the box taken out (when the unit is elsewhere)


def check_street(street: str) -> StreetCheck:
    if not street or not _is_suspect(street):
        return StreetCheck(street, without_box=street)
    return _examine_street(street)


def _examine_street(street: str) -> StreetCheck:
    care_of = is_care_of(street)
    without_box, box = strip_po_box(street)
    po_box = is_po_box(without_box)
    rest, unit = split_trailing_unit(without_box)
    if unit and not box and not po_box:  # "500 MAIN ST, BOX 3, SUITE 2": the box before the unit
        rest, box = strip_po_box(rest)
        without_box = f"{rest} {unit}" if box else without_box
    return StreetCheck(rest, unit, box, po_box, care_of, without_box)


@lru_cache(maxsize=8)
def _any_of(parts: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, parts)))


def _containing(texts: list[str], parts: Iterable[str]) -> set[int]:
    """Indexes of the texts that contain any of `parts` (upper case), found with one regex
    scan over all texts joined instead of a regex call per text. (No part holds a newline, so
    a match never spans two texts, and one match per text is all we need.)"""
    if not texts:
        return set()
    joined = "\n".join(texts)
    upper = joined.upper()
    if len(upper) != len(joined):  # "ß" -> "SS" would shift the offsets: look one by one
        return {i for i, t in enumerate(texts) if any(p in t.upper() for p in parts)}
    parts = tuple(parts)
    pattern = _any_of(parts)
    if upper.isascii():
        hits = _prefix_hits(upper, parts)
    else:
        hits = np.array([match.start() for match in pattern.finditer(upper)], dtype=np.int64)
    if not hits.size:
        return set()
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1)
    rows = set(np.searchsorted(ends, hits, side="right").tolist())
    if upper.isascii():  # the byte scan matched up to three characters: confirm the rest
        rows = {i for i in rows if pattern.search(texts[i].upper())}
    return rows


@lru_cache(maxsize=8)
def _prefix_codes(parts: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """For _prefix_hits: a code per byte pair (0: starts no part, 1: starts a part of three or
    more characters, 2: starts with a whole part), and the 3-byte starts of the longer parts."""
    pairs = np.zeros(1 << 16, dtype=np.uint8)
    starts = []
    for part in (p.encode("ascii") for p in parts):
        if len(part) == 1:
            pairs[part[0] << 8: (part[0] + 1) << 8] = 2  # whatever follows
        elif len(part) == 2:
            pairs[part[0] << 8 | part[1]] = 2
        else:
            pairs[part[0] << 8 | part[1]] = max(pairs[part[0] << 8 | part[1]], 1)
            starts.append(part[0] << 16 | part[1] << 8 | part[2])
    return pairs, np.array(starts, dtype=np.uint32)


def _prefix_hits(upper: str, parts: tuple[str, ...]) -> np.ndarray:
    """Offsets in ASCII `upper` where a part's first (up to) three characters are: numpy over
    the bytes, several times faster than a regex alternation scanning a long text."""
    pairs, starts = _prefix_codes(parts)
    text = np.frombuffer(upper.encode("ascii") + b"\0\0", dtype=np.uint8)
    pair = (text[:-1].astype(np.uint16) << 8) | text[1:]
    found = np.flatnonzero(np.take(pairs != 0, pair))  # bools: the fast path of both calls
    kind = pairs[pair[found]]
    longer = found[kind == 1]
    three = (pair[longer].astype(np.uint32) << 8) | text[longer + 2]
    return np.concatenate([found[kind == 2], longer[np.isin(three, starts)]])


def _needs_change(street: str, check: StreetCheck) -> bool:
    return bool(check.box or check.po_box or check.care_of or check.unit or check.street != street)


def check_streets(streets: Iterable[str]) -> dict[str, StreetCheck]:
    """The checks of the streets that need any (most need none), by street text."""
    unique = [s for s in (streets if isinstance(streets, dict) else dict.fromkeys(streets)) if s]
    candidates = (unique[i] for i in sorted(_containing(unique, _SUSPECT_PARTS)))
    checks = {s: _examine_street(s) for s in candidates if _is_suspect(s)}
    return {s: c for s, c in checks.items() if _needs_change(s, c)}


def check_street_rows(streets: list[str]) -> dict[int, StreetCheck]:
    """check_streets by row position, for a whole column: the cheap look runs over every row
    at once (no per-row hashing: most streets are distinct), and each distinct suspect street
    is examined once."""
    found: dict[str, StreetCheck | None] = {}
    checks: dict[int, StreetCheck] = {}
    for i in sorted(_containing(streets, _SUSPECT_PARTS)):
        street = streets[i]
        if street not in found:
            check = _examine_street(street) if _is_suspect(street) else None
            found[street] = check if check is not None and _needs_change(street, check) else None
        if found[street] is not None:
            checks[i] = found[street]
    return checks


def duplicate_key_part(text: str) -> str:
    """Street/city text reduced to what decides "the same place": case, punctuation and
    Publication 28's abbreviations (DRIVE/DR, EAST/E) do not count."""
    return usps.street_key(text)


def unit_key(unit: str) -> str:
    """ "Ste. 820", "Suite 820" and "#820" are the same unit; "33rd Floor" is "FL 33"."""
    return usps.unit_key(unit)


# --- one-line addresses -------------------------------------------------------------------------

_UNIT_TAGS = ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier",
              "BuildingName")
_STREET_TAGS = ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix", "StreetNamePreModifier",
                "StreetNamePreDirectional", "StreetNamePreType", "StreetName", "StreetNamePostType",
                "StreetNamePostDirectional", "StreetNamePostModifier", "USPSBoxType", "USPSBoxID",
                "USPSBoxGroupType", "USPSBoxGroupID", "LandmarkName", "CornerOf",
                "IntersectionSeparator", "SecondStreetNamePreDirectional", "SecondStreetName",
                "SecondStreetNamePostType", "SecondStreetNamePostDirectional")


@dataclass(frozen=True)
class ParsedAddress:
    street: str = ""
    unit: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    recipient: str = ""   # a name or "c/o" line found before the street


# "One Meadowlands Plaza, #902, E. Rutherford, NJ 7073": the comma layout most sheets use, for
# when usaddress finds no street in a string it does not know (a building named in words).
_COMMA_LAYOUT = re.compile(
    r"^\s*(?P<street>(?:\d|ONE\b|TWO\b|THREE\b|FOUR\b|FIVE\b|SIX\b|SEVEN\b|EIGHT\b|NINE\b|TEN\b)"
    r"[^,]*?)\s*(?:,\s*(?P<unit>[^,]*?))?\s*,\s*(?P<city>[^,]+?)\s*,\s*(?P<state>[A-Za-z][A-Za-z .]*?)"
    r"\.?\s*(?P<zip>\d{3,5}(?:-\d{4})?)?\s*$", re.IGNORECASE)
_UNIT_ONLY = re.compile(r"^\d+(?:ST|ND|RD|TH)\s+(?:FL|FLR|FLOOR)\b|^(?:SUITE|STE|FLOOR|FL)\b",
                        re.IGNORECASE)


def _parse_by_commas(text: str) -> ParsedAddress | None:
    match = _COMMA_LAYOUT.match(text)
    if not match or _UNIT_ONLY.match(match["street"]):
        return None
    return ParsedAddress(street=match["street"].rstrip(" ."), unit=(match["unit"] or "").strip(),
                         city=match["city"], state=match["state"].strip(),
                         postal_code=match["zip"] or "")


@lru_cache(maxsize=65536)
def parse_one_line(text: str) -> ParsedAddress:
    """Split "221 N LaSalle St., Ste. 820, Chicago, IL 60601" into its parts.

    usaddress is probabilistic: it may mislabel a messy string. What it cannot label is left
    out, and the validation then says which part is missing.
    """
    import usaddress  # imported here: only one-line files pay for it

    text = text.strip()
    if not text:
        return ParsedAddress()
    try:
        tokens = usaddress.parse(text)
    except Exception:  # noqa: BLE001 - usaddress raises odd errors on odd strings
        return ParsedAddress(street=text)
    groups: dict[str, list[str]] = {}
    for token, label in tokens:
        groups.setdefault(label, []).append(token)

    def joined(*labels: str) -> str:
        words = [w for lab in labels for w in groups.get(lab, [])]
        return " ".join(words).strip(" ,;")

    # Keep the street tokens in their original order.
    street = " ".join(tok for tok, lab in tokens if lab in _STREET_TAGS).strip(" ,;")
    street = re.sub(r"\s+,", ",", street).strip(" ,")
    unit = " ".join(tok for tok, lab in tokens if lab in _UNIT_TAGS).strip(" ,;")
    zip_code = joined("ZipCode")
    plus4 = joined("ZipPlus4")
    if zip_code and plus4:
        zip_code = f"{zip_code}-{plus4}"
    if not street:
        fallback = _parse_by_commas(text)
        if fallback is not None:
            return fallback
    return ParsedAddress(
        street=street.rstrip(","), unit=unit.replace(" ,", ""),
        city=joined("PlaceName"), state=joined("StateName").rstrip("."),
        postal_code=zip_code, recipient=joined("Recipient"),
    )
