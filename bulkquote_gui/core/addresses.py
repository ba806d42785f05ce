"""Normalise and validate US service addresses.

Everything here works on whole pandas Series at once (an import of 100,000 rows must stay close
to the speed of the bare file read), so a rule is a vectorised string operation, and only the
rows that break a rule are looked at one by one. One-line addresses are split with usaddress,
cached per distinct string because it costs ~100 µs a call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

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

_PO_BOX = re.compile(
    r"(?:^|[\s,])(?:P\.?\s*O\.?\s*B(?:OX|\.)|POST\s+OFFICE\s+(?:BOX|DRAWER)|P\.?\s*O\.?\s+DRAWER"
    r"|POB\s+\d|PO\s*#|LOCK\s*BOX|^BOX\s+\d|^DRAWER\s+\d)", re.IGNORECASE)
_BOX_MARKER = (r"(?:P\.?\s*O\.?\s*B(?:OX\b|\.)|POST\s+OFFICE\s+(?:BOX|DRAWER)\b"
               r"|P\.?\s*O\.?\s+DRAWER\b|POB\s+(?=\d)|PO\s*#|LOCK\s*BOX\b)")
_STREET_THEN_PO_BOX = re.compile(
    r"^(?P<street>.*?[A-Za-z0-9].*?)[\s,;/\-]*(?:MAIL\s+)?(?P<box>" + _BOX_MARKER + r".*)$",
    re.IGNORECASE)
_PO_BOX_THEN_STREET = re.compile(
    r"^\s*(?P<box>" + _BOX_MARKER + r"\s*#?\s*[\w-]+)\s*[,;/\-]\s*(?P<street>\S.*)$",
    re.IGNORECASE)
_CARE_OF = re.compile(r"(?:^|[\s,(])(?:C/O|C\\O|CARE\s+OF)(?=[\s:.]|$)", re.IGNORECASE)
_CANADIAN_POSTCODE = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d\b", re.IGNORECASE)
# "New Mexico" is a state, not Mexico.
_NON_US_COUNTRY = re.compile(r"(?<!NEW )\b(?:" + "|".join(_NON_US_COUNTRIES) + r")\b", re.IGNORECASE)

# A unit written at the end of the street cell ("1251 MULDOON ROAD, SUITE 158", "... #176").
_TRAILING_UNIT = re.compile(
    r"^(?P<street>.*?\S)[\s,]+(?P<unit>(?:(?:SUITE|STE|UNIT|APT|APARTMENT|RM|ROOM|BLDG|BUILDING"
    r"|FL|FLOOR|DEPT|SPC|SPACE|LOT|OFC|OFFICE|TRLR)\b\.?\s*#?\s*[\w-]+|#\s*[\w-]+"
    r"|\d+(?:ST|ND|RD|TH)\s+(?:FL|FLR|FLOOR)\b\.?))$",
    re.IGNORECASE)

_DUP_WORDS = {
    "STREET": "ST", "AVENUE": "AVE", "AV": "AVE", "ROAD": "RD", "DRIVE": "DR", "BOULEVARD": "BLVD",
    "LANE": "LN", "COURT": "CT", "PLACE": "PL", "PARKWAY": "PKWY", "HIGHWAY": "HWY", "SUITE": "STE",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "CIRCLE": "CIR", "SQUARE": "SQ",
    "FLOOR": "FL", "FLR": "FL", "APARTMENT": "APT", "TERRACE": "TER", "TRAIL": "TRL",
}
_DUP_WORD_RE = r"\b(" + "|".join(_DUP_WORDS) + r")\b"


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


def clean_text(values: pd.Series) -> pd.Series:
    """Trim, collapse inner whitespace, and read spreadsheet error values (#N/A) as blank."""
    values = values.fillna("").astype(str)
    out = values.str.strip()
    needs_collapse = out.str.contains(r"\s\s|[\t\r\n\xa0]", regex=True)
    if needs_collapse.any():
        out = out.where(~needs_collapse, out[needs_collapse].str.replace(r"\s+", " ", regex=True))
    errors = out.str.startswith("#") & out.str.upper().isin(EXCEL_ERRORS)
    if errors.any():
        out = out.mask(errors, "")
    return out


@dataclass
class StateCheck:
    code: pd.Series      # USPS code, "" where unknown or blank
    unknown: pd.Series   # bool: a value is there but names no US state or territory
    foreign: pd.Series   # bool: the value is a Canadian province


def normalise_states(raw: pd.Series) -> StateCheck:
    """Two-letter codes and full names ("alabama", "Puerto Rico") to USPS codes."""
    key = raw.str.upper().str.replace(".", "", regex=False).str.strip()
    code = key.map(STATE_LOOKUP).fillna("").astype(str)
    present = raw != ""
    unknown = present & (code == "")
    foreign = unknown & key.isin(_PROVINCE_LOOKUP.keys())
    return StateCheck(code=code, unknown=unknown, foreign=foreign)


@dataclass
class ZipCheck:
    postal_code: pd.Series   # "12345" or "12345-6789", "" when missing or invalid
    repaired: pd.Series      # bool: a lost leading zero was put back
    error: pd.Series         # message for invalid ZIPs, "" otherwise
    note: pd.Series          # what was repaired, "" otherwise


def _zero_prefix_ok(padded: pd.Series, state: pd.Series) -> pd.Series:
    prefix = pd.to_numeric(padded.str[:3], errors="coerce")
    ok = pd.Series(False, index=padded.index)
    for code, ranges in ZERO_ZIP_PREFIXES.items():
        in_state = state == code
        if not in_state.any():
            continue
        for lo, hi in ranges:
            ok |= in_state & prefix.between(lo, hi)
    return ok


def normalise_zips(raw_zip: pd.Series, raw_zip4: pd.Series | None, state: pd.Series) -> ZipCheck:
    """ZIP (and an optional ZIP+4 column) to `12345` / `12345-6789`.

    A ZIP that lost its leading zero(s) ("8540", "2134.0", a number in Excel) is repaired when
    the state's ZIPs start with 0 and the padded prefix belongs to that state; the row is then
    marked repaired. Anything else that is not a ZIP is an error with the reason.
    """
    index = raw_zip.index
    z = raw_zip.str.replace(r"\.0+$", "", regex=True)       # 2134.0 read from a number cell
    z = z.str.replace(r"^(\d{5})\s*-?\s*(\d{4})$", r"\1-\2", regex=True)
    postal = pd.Series("", index=index, dtype=object)
    error = pd.Series("", index=index, dtype=object)
    note = pd.Series("", index=index, dtype=object)
    repaired = pd.Series(False, index=index)

    five = z.str.fullmatch(r"\d{5}(?:-\d{4})?")
    postal = postal.mask(five, z)
    short = ~five & z.str.fullmatch(r"\d{3,4}(?:-?\d{4})?")
    if short.any():
        digits = z[short].str.replace("-", "", regex=False)
        has_plus4 = digits.str.len() >= 7
        base = digits.where(~has_plus4, digits.str[:-4]).str.zfill(5)
        fixed = base.where(~has_plus4, base + "-" + digits.str[-4:])
        fixable = _zero_prefix_ok(base, state[short])
        good = fixable[fixable].index
        postal.loc[good] = fixed[good]
        repaired.loc[good] = True
        note.loc[good] = "ZIP " + raw_zip[good] + " repaired to " + fixed[good]
        bad = fixable[~fixable].index
        error.loc[bad] = ("ZIP " + raw_zip[bad] + " is too short for "
                          + state[bad].where(state[bad] != "", "this state")
                          + " (its ZIPs do not start with 0)")
    other = (raw_zip != "") & ~five & ~short
    if other.any():
        error.loc[other] = "ZIP " + raw_zip[other] + " is not a US ZIP code (12345 or 12345-6789)"
    missing = raw_zip == ""
    if missing.any():
        error.loc[missing] = "ZIP is missing"

    if raw_zip4 is not None:
        plus4 = raw_zip4.str.replace(r"\.0+$", "", regex=True)
        # "M" (missing), blank or a ZIP that already has its +4 leave the ZIP as it is.
        usable = (postal.str.len() == 5) & plus4.str.fullmatch(r"\d{1,4}")
        if usable.any():
            padded4 = plus4[usable].str.zfill(4)
            postal.loc[usable] = postal[usable] + "-" + padded4
            lost = usable & (plus4.str.len() < 4)
            if lost.any():
                repaired |= lost
                note.loc[lost] = _join_notes(note[lost], "ZIP+4 " + plus4[lost] + " repaired to "
                                             + plus4[lost].str.zfill(4))
    return ZipCheck(postal_code=postal, repaired=repaired, error=error, note=note)


def _join_notes(first: pd.Series, second: pd.Series) -> pd.Series:
    return first.where(first == "", first + "; ") + second


def is_po_box(street: pd.Series) -> pd.Series:
    return street.str.contains(_PO_BOX, regex=True)


def strip_po_box(street: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split "401 VANITY FAIR LANE, PO BOX 618" into the street and the box.

    Returns (street without the box, the box text); rows without a box, or where the box is
    all there is, are left as they are with "" as the box.
    """
    rest = street.copy()
    box = pd.Series("", index=street.index, dtype=object)
    for pattern in (_PO_BOX_THEN_STREET, _STREET_THEN_PO_BOX):
        candidates = box == ""
        parts = rest[candidates].str.extract(pattern)
        found = parts["street"].notna() & (parts["street"].str.strip(" ,;/-").str.len() >= 3)
        found &= ~parts["street"].fillna("").str.contains(_PO_BOX, regex=True)
        if found.any():
            hit = found[found].index
            rest.loc[hit] = parts.loc[hit, "street"].str.strip(" ,;/-")
            box.loc[hit] = parts.loc[hit, "box"].str.strip(" ,;/-")
    return rest, box


def is_care_of(street: pd.Series) -> pd.Series:
    return street.str.contains(_CARE_OF, regex=True)


def looks_foreign(text: pd.Series) -> pd.Series:
    """A country other than the US, or a Canadian postcode, written into a one-line address."""
    return text.str.contains(_NON_US_COUNTRY, regex=True) | text.str.contains(
        _CANADIAN_POSTCODE, regex=True)


def split_trailing_unit(street: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Move a unit written at the end of the street ("..., SUITE 158") to its own value."""
    parts = street.str.extract(_TRAILING_UNIT)
    found = parts["unit"].notna()
    if not found.any():
        return street, pd.Series("", index=street.index, dtype=object)
    trimmed = parts["street"].str.rstrip(" ,-")
    return street.where(~found, trimmed), parts["unit"].fillna("").astype(str)


def duplicate_key_part(text: pd.Series) -> pd.Series:
    """Street/unit/city text reduced to what decides "the same place": case, punctuation and
    common abbreviations do not count."""
    key = text.str.upper().str.replace(r"[.,#'\-]", " ", regex=True)
    key = key.str.replace(_DUP_WORD_RE, lambda m: _DUP_WORDS[m.group(1)], regex=True)
    return key.str.split().str.join(" ")


def unit_key(unit: pd.Series) -> pd.Series:
    """"Ste. 820", "Suite 820" and "#820" are the same unit."""
    key = unit.str.upper().str.replace(
        r"\b(SUITE|STE|UNIT|APT|APARTMENT|RM|ROOM|NO|NUMBER)\b\.?|#", " ", regex=True)
    return key.str.replace(r"[.,\-]", " ", regex=True).str.split().str.join(" ")


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
