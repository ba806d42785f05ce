"""Address sets: the column families that each form one address, and which one a row is quoted
from.

Files from customers and CRMs often carry two or three addresses per row: a mailing
(administrative, billing) one, a physical (site, service, location) one, and sometimes a
geocoded or standardised copy: `ADSTREET/ADCITY/ADZIP` beside `PHSTREET/PHCITY/PHZIP` and
`GSTREET/GCITY/GZIP`, or `Mailing Address` beside `Physical Address`. The price is for the
building, so the physical set is the one to quote wherever a row has one.

Invariants:

- A set is a street column plus at least a city or a ZIP column of the same family (same
  prefix or suffix once the field word is taken off the header); its other parts are unit,
  state, ZIP and ZIP+4 of that family. A column belongs to at most one set.
- Sets are ordered by kind: service (physical, site, service, location, premises, install)
  first, then plain (no word), then mailing (mailing, billing, administrative, or a family
  whose streets are mostly PO boxes when its headers carry no word), then geocoded (geocoded, standardised) last. The rep's
  order replaces that; a pinned set is the only one used.
- Per row (`choose`): the first non-geocoded set whose street is there and is a service
  location (not a PO box, not c/o); else a geocoded set that is; else the first set that holds
  anything, so the row is refused for what it holds. One row's address comes from one set:
  parts of two sets are never mixed, except a missing ZIP taken from a geocoded set whose
  street is the same (Publication 28 key), and that row is marked. A geocoder's lone ZIP
  column ("cen_zip" with no street of its own, so no set) likewise fills a row without a ZIP.
- Work is column-wise: a file with one set costs nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bulkquote_gui.core.intake import addresses as addr
from bulkquote_gui.core.intake import usps

LOCATION_FIELDS = ("street", "unit", "city", "state", "postal_code", "zip4")
SERVICE, PLAIN, MAILING, GEOCODED = "service", "plain", "mailing", "geocoded"
_KIND_RANK = {SERVICE: 0, PLAIN: 1, MAILING: 2, GEOCODED: 3}

# The field word of a header in a family (normalised: lower case, letters and digits only).
# Longest first, so "zip4" is not read as "zip" + "4" and "address2" not as "address" + "2".
_FIELD_WORDS: tuple[tuple[str, str], ...] = tuple(sorted((
    *((w, "street") for w in ("streetaddress", "streetaddress1", "addressline1", "address1",
                              "addr1", "address", "street", "addr", "line1", "street1")),
    *((w, "unit") for w in ("addressline2", "address2", "addr2", "line2", "street2", "suite",
                            "unit", "apt")),
    *((w, "city") for w in ("city", "town", "cityname")),
    *((w, "state") for w in ("state", "stabr", "statecode", "stateabbr", "st")),
    *((w, "postal_code") for w in ("zipcode", "postalcode", "zip5", "zip", "postcode")),
    *((w, "zip4") for w in ("zip4", "plus4", "zipplus4", "zip4code")),
), key=lambda wf: -len(wf[0])))

# Words (and the short prefixes CRMs use) that say what kind of address a family is.
_KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(("physical", "phys", "ph", "site", "service", "svc", "location", "loc",
                     "premise", "premises", "install", "installation", "building", "facility"),
                    SERVICE),
    **dict.fromkeys(("mailing", "mail", "ml", "m", "billing", "bill", "bl", "administrative",
                     "admin", "adm", "ad", "office", "corporate", "hq", "postal", "remit"),
                    MAILING),
    **dict.fromkeys(("geocoded", "geocode", "geo", "g", "gc", "standardised", "standardized",
                     "std", "normalised", "normalized", "cass", "verified", "corrected",
                     "matched", "cen", "census", "tiger", "geocoder"), GEOCODED),
}
_LABELS = {SERVICE: "Physical", PLAIN: "Address", MAILING: "Mailing", GEOCODED: "Geocoded"}
_REPEAT = re.compile(r"^(?P<name>.+) \((?P<n>\d+)\)$")
_PO_BOX_SHARE = 0.5  # a family whose streets are mostly PO boxes is a mailing one


@dataclass(frozen=True)
class AddressSet:
    """One family of address columns."""

    name: str                      # as shown to the rep: "Physical", "Mailing (AD)", "Address"
    kind: str                      # SERVICE, PLAIN, MAILING or GEOCODED
    columns: dict[str, str] = field(default_factory=dict)  # location field -> the rep's column
    marker: str = ""               # the family's prefix or suffix ("ph", "mailing", "2")

    def describe(self) -> str:
        parts = [self.columns[f] for f in LOCATION_FIELDS if f in self.columns]
        return f"{self.name} ({', '.join(parts)})"


def _normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(header).lower())


def _marker_and_field(header: str) -> tuple[str, str] | None:
    """("ph", "street") for "PHSTREET", ("mailing", "city") for "Mailing City", ("", "postal_code")
    for "ZIP Code", ("2", "street") for "Street (2)"; None when the header names no part."""
    repeat = _REPEAT.match(header)
    number = ""
    if repeat:  # disambiguate_headers' "Street (2)": a second family, numbered
        header, number = repeat["name"], repeat["n"]
    key = _normalise(header)
    for word, field_name in _FIELD_WORDS:
        if key == word:
            return number, field_name
        if key.endswith(word):
            marker = key[: -len(word)]
        elif key.startswith(word):
            marker = key[len(word):]
        else:
            continue
        marker = re.sub(r"(?:address|addr)$|^(?:address|addr)", "", marker)
        if field_name == "state" and word == "st" and marker not in _KIND_WORDS:
            continue  # "st" is a state only beside a known word: "first", "cost" are not
        if marker.isdigit() and field_name in ("street", "unit"):
            continue  # "address1" / "street2" are parts of one set, not set 1 and set 2
        return marker + number, field_name
    return None


def _kind_of(marker: str) -> str:
    word = marker.rstrip("0123456789")
    if not word:
        return PLAIN
    if word in _KIND_WORDS:
        return _KIND_WORDS[word]
    for known, kind in _KIND_WORDS.items():  # "physicaladdress", "sitelocation"
        if len(known) >= 4 and (word.startswith(known) or word.endswith(known)):
            return kind
    return PLAIN


def _label(marker: str, kind: str, taken: set[str]) -> str:
    word = marker.rstrip("0123456789")
    if word in _KIND_WORDS and len(word) >= 4:
        name = word.capitalize()
    elif marker:
        name = f"{_LABELS[kind]} ({marker.upper()})" if kind != PLAIN else marker.upper()
    else:
        name = _LABELS[kind]
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    return candidate


def find_address_sets(columns: Sequence[str], values: Mapping[str, Sequence[str]]
                      ) -> list[AddressSet]:
    """The address sets of a sheet in their default order; [] or one set when the sheet has
    at most one family (the plain mapping then rules, as before sets existed)."""
    families: dict[str, dict[str, str]] = {}
    for column in columns:
        found = _marker_and_field(column)
        if found is None:
            continue
        marker, field_name = found
        families.setdefault(marker, {}).setdefault(field_name, column)
    sets = []
    taken: set[str] = set()
    for marker, parts in families.items():
        if "street" not in parts or not ({"city", "postal_code"} & parts.keys()):
            continue
        kind = _kind_of(marker)
        if kind == PLAIN and _mostly_po_boxes(values[parts["street"]]):
            kind = MAILING  # by content: a family with no word whose streets are PO boxes
        name = _label(marker, kind, taken)
        taken.add(name)
        sets.append(AddressSet(name, kind, {f: parts[f] for f in LOCATION_FIELDS if f in parts},
                               marker))
    position = {s.name: k for k, s in enumerate(sets)}
    return sorted(sets, key=lambda s: (_KIND_RANK[s.kind], position[s.name]))


def _mostly_po_boxes(values: Sequence[str]) -> bool:
    sample = [str(v) for v in list(values[:1000]) if str(v).strip()][:200]
    return len(sample) >= 3 and sum(map(addr.is_po_box, sample)) / len(sample) >= _PO_BOX_SHARE


def find(sets: Sequence[AddressSet], name: str) -> AddressSet:
    """The set a rep means by `name`: its name, its prefix ("PH"), or its kind ("mailing",
    "physical") when one set only is of that kind; case ignored. KeyError otherwise."""
    key = name.strip().casefold()
    for test in (lambda s: s.name.casefold() == key, lambda s: s.marker.casefold() == key):
        found = [s for s in sets if test(s)]
        if len(found) == 1:
            return found[0]
    kinds = {"physical": SERVICE, "site": SERVICE, "service": SERVICE, "location": SERVICE,
             "mailing": MAILING, "billing": MAILING, "geocoded": GEOCODED, "plain": PLAIN}
    found = [s for s in sets if s.kind == kinds.get(key)]
    if len(found) == 1:
        return found[0]
    raise KeyError(name)


def ordered(sets: list[AddressSet], order: Sequence[str] | None) -> list[AddressSet]:
    """The sets in the rep's order (see `find` for the names), the unnamed after in theirs."""
    if not order:
        return list(sets)
    first: list[AddressSet] = []
    for name in order:
        chosen = find(sets, name)
        if chosen not in first:
            first.append(chosen)
    return first + [s for s in sets if s not in first]


@dataclass
class Choice:
    """Which set each row of a block is quoted from, and its address parts, composed."""

    index: np.ndarray                   # int8: position in the sets list, per row
    parts: dict[str, np.ndarray]        # location field -> the chosen set's cells, per row
    zip_filled: dict[int, str] = field(default_factory=dict)  # row -> note


def choose(sets: list[AddressSet], data: Mapping[str, np.ndarray], n: int,
           pinned: str | None = None) -> Choice:
    """The set each row is quoted from (see the module's invariants), column by column."""
    index = np.full(n, -1, dtype=np.int8)
    if pinned is not None:
        index[:] = next(k for k, s in enumerate(sets) if s.name == pinned)
    else:
        streets = [addr.clean_text(data[s.columns["street"]]) for s in sets]
        usable, holds = [], []
        for s, street in zip(sets, streets):
            present = np.fromiter((bool(v) for v in street), dtype=bool, count=n)
            bad = np.zeros(n, dtype=bool)
            for i, check in addr.check_street_rows(street).items():
                bad[i] = check.po_box or check.care_of
            usable.append(present & ~bad)
            anything = present.copy()
            for column in s.columns.values():
                anything |= np.fromiter((bool(str(v).strip()) for v in data[column]),
                                        dtype=bool, count=n)
            holds.append(anything)
        turn = [k for k, s in enumerate(sets) if s.kind != GEOCODED] + [
            k for k, s in enumerate(sets) if s.kind == GEOCODED]
        for masks in (usable, holds):
            for k in turn:
                index[(index < 0) & masks[k]] = k
        index[index < 0] = turn[0]
    parts: dict[str, np.ndarray] = {}
    for name in LOCATION_FIELDS:
        if not any(name in s.columns for s in sets):
            continue
        cells = np.full(n, "", dtype=object)
        for k, s in enumerate(sets):
            if name in s.columns:
                rows = index == k
                cells[rows] = data[s.columns[name]][rows]
        parts[name] = cells
    zip_filled = _fill_zips(sets, data, index, parts) if pinned is None else {}
    return Choice(index, parts, zip_filled)


def lone_geocoded_zip(columns: Sequence[str], mapping: Mapping[str, str]) -> str | None:
    """A geocoder's ZIP column with no street of its own ("cen_zip" beside "Zip" on a sheet with
    one address set): not a set, so `choose` never lends it; None when there is none, or the
    mapping already reads it."""
    used = set(mapping.values())
    for column in columns:
        found = _marker_and_field(column)
        if found is not None and column not in used and found[1] == "postal_code" \
                and found[0] and _kind_of(found[0]) == GEOCODED:
            return column
    return None


def fill_missing_zips(own: np.ndarray, donor: np.ndarray, donor_column: str
                      ) -> tuple[np.ndarray, dict[int, str]]:
    """The row's own ZIP where it has one, else the geocoder's (said per row). A geocoder
    matched the row's own address, so its ZIP is that address's; the ZIP-in-state check still
    judges it."""
    cells = own.copy()
    notes: dict[int, str] = {}
    for i, value in enumerate(own.tolist()):
        zip_code = addr.clean_one(donor[i])
        if not addr.clean_one(value) and zip_code:
            cells[i] = zip_code
            notes[i] = f"ZIP {zip_code} taken from {donor_column} (a geocoder's), as the row has none"
    return cells, notes


def _fill_zips(sets: list[AddressSet], data: Mapping[str, np.ndarray], index: np.ndarray,
               parts: dict[str, np.ndarray]) -> dict[int, str]:
    """A row whose chosen set has no ZIP takes a geocoded set's ZIP when that set's street is
    the same street (Publication 28 key): the one mix of two sets allowed."""
    notes: dict[int, str] = {}
    postal = parts.get("postal_code")
    geocoded = [k for k, s in enumerate(sets) if s.kind == GEOCODED and "postal_code" in s.columns]
    if postal is None or not geocoded:
        return notes
    missing = [i for i, v in enumerate(postal.tolist()) if not addr.clean_one(v)]
    street = parts["street"]
    for i in missing:
        for k in geocoded:
            if index[i] == k:
                continue
            donor = sets[k]
            zip_code = addr.clean_one(data[donor.columns["postal_code"]][i])
            same = usps.street_key(addr.clean_one(data[donor.columns["street"]][i])) == \
                usps.street_key(addr.clean_one(street[i]))
            if zip_code and same and addr.clean_one(street[i]):
                postal[i] = zip_code
                notes[i] = (f"ZIP {zip_code} taken from the {donor.name} address "
                            f"({donor.columns['postal_code']}), whose street is the same")
                break
    return notes
