"""A spreadsheet on disk to validated, normalised rows, each with the reason it can't be quoted.

    file --readers--> table of strings --column_mapping--> field -> column
         --validation (column-wise, here)--> per-row status, problems, normalised values

Validation runs column by column, each rule once per distinct value (addresses.map_distinct),
so 100,000 rows cost about as much again as reading them; `CheckedRow` objects are built only
when asked for (the GUI grid asks for the visible rows' cells and statuses, the engine
iterates `quotable_rows()`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bulkquote_gui.core.intake import address_sets as sets_
from bulkquote_gui.core.intake import addresses as addr
from bulkquote_gui.core.intake.column_mapping import (
    auto_mapping, country_column, disambiguate_headers, excel_column_letter, header_score,
    is_fix_list_reason, looks_like_header)
from bulkquote_gui.core.intake.limits import display_name
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.intake.readers import (
    RawTable, SpreadsheetError, empty_sheet_message, list_sheets, read_table)
from bulkquote_gui.core.intake.rows import FIELDS, CheckedRow, Problem, RowStatus, written_address
from bulkquote_gui.core.intake.service_terms import parse_bandwidth, parse_product, parse_term
from bulkquote_gui.core.intake.text_normalise import needs_normalising, normalise
from bulkquote_gui.core.intake.zip_table import zip_table

__all__ = ["ImportResult", "SpreadsheetError", "import_file", "list_sheets"]

_HEADER_SEARCH_ROWS = 10
_LOCATION_KEYS = ("street", "unit", "city", "state", "postal_code")
_CUSTOMER_KEYS = ("company", "contact_name", "email", "phone")
_STATUS_ORDER = (RowStatus.VALID, RowStatus.REPAIRED, RowStatus.INVALID, RowStatus.DUPLICATE)
_VALID, _REPAIRED, _INVALID, _DUPLICATE = range(4)
# Where the importer puts a multi-set file's composed address parts (never a rep's header).
_PART = "\x00set:"
_ZIP_CANDIDATES_SHOWN = 5


@dataclass
class _Issue:
    field: str
    message: str
    reason: str      # short category for the summary ("PO box", "ZIP missing", ...)
    is_error: bool   # False: a note on a repaired row
    column: str | None = None  # the rep's column at fault, when no mapped field names it


@dataclass
class _Checked:
    """What validation found for a block of rows (positional, 0..n-1)."""

    base: np.ndarray                  # int8 codes: _VALID / _REPAIRED / _INVALID
    values: dict[str, list]           # normalised location and service values, per row
    issues: dict[int, list[_Issue]]   # only rows that have any


class _Flags:
    """Collects issues per row; only the rows that have one cost anything."""

    def __init__(self, n: int) -> None:
        self.issues: dict[int, list[_Issue]] = {}
        self.errors = np.zeros(n, dtype=bool)
        self.notes = np.zeros(n, dtype=bool)

    def add(self, rows: Iterable[int], field: str, message: str | Callable[[int], str],
            reason: str, is_error: bool = True, column: str | None = None,
            repaired: bool = True) -> None:
        """An error makes the row invalid; a note makes it repaired, unless `repaired` is
        False: then it only informs (a city USPS spells otherwise, a unit moved out)."""
        marks = self.errors if is_error else self.notes if repaired else None
        for i in rows:
            text = message if isinstance(message, str) else message(i)
            self.issues.setdefault(i, []).append(_Issue(field, text, reason, is_error, column))
            if marks is not None:
                marks[i] = True


def _blank_rows(values: list[str]) -> list[int]:
    if "" not in values:  # a C-speed scan; most columns have no blanks
        return []
    return [i for i, v in enumerate(values) if not v]


def _rows_with(values: list, wanted: set) -> list[int]:
    """Rows whose value is one of `wanted` (distinct values found bad): free when none are."""
    if not wanted:
        return []
    return [i for i, v in enumerate(values) if v in wanted]


def _fill_blanks(values: list[str], fallback: list[str]) -> list[str]:
    return [v or f for v, f in zip(values, fallback)]


@dataclass
class _Address:
    """The address columns of a block of rows, cleaned, as plain lists (fast to index)."""

    street: list[str]
    unit: list[str]
    city: list[str]
    state: list[str]        # as written; see _check_states for the codes
    postal_code: list[str]  # as written; see _check_zips for the normalised values


def _validate(data: Mapping[str, np.ndarray], n: int, mapping: dict[str, str],
              defaults: BatchDefaults, country_column: str | None = None,
              zip_filled: Mapping[int, str] | None = None) -> _Checked:
    """Every rule, column by column; each rule runs once per distinct value. `zip_filled`:
    rows whose ZIP an address set's geocoded copy gave (address_sets.choose), marked repaired."""
    flags = _Flags(n)
    if zip_filled:
        flags.add(sorted(zip_filled), "postal_code", zip_filled.__getitem__, "ZIP filled in",
                  is_error=False)
    if country_column is not None:
        countries = addr.clean_text(data[country_column])
        abroad = {c for c in dict.fromkeys(countries) if not addr.is_us_country(c)}
        flags.add(_rows_with(countries, abroad), "row", lambda i: f"country {countries[i]!r}: "
                  "only US sites can be quoted", "non-US address", column=country_column)

    raw_text: dict[str, list[str]] = {}

    def get(field: str) -> list[str]:
        column = mapping.get(field)
        if column is None:
            return [""] * n
        raw_text[field] = data[column].tolist()
        return addr.clean_text(_plain_text(raw_text[field], field, flags))

    cells = _Address(get("street"), get("unit"), get("city"), get("state"), get("postal_code"))
    for field, values in (("street", cells.street), ("city", cells.city)):
        if field in raw_text:
            flags.add(_formula_rows(raw_text[field], values), field,
                      lambda i, f=field: f"{f} {raw_text[f][i].strip()!r} looks like a formula, "
                      "not an address", "looks like a formula")
    care_of_rows: set[int] = set()
    if "full_address" in mapping:
        care_of_rows |= _fill_from_one_line(cells, get("full_address"), flags)
    else:
        flags.add(_blank_rows(cells.street), "street",
                  lambda i: _missing_or_error("street", raw_text.get("street"), i), "street missing")
    care_of_rows |= _check_streets(cells, flags)
    flags.add(sorted(care_of_rows), "street", "a c/o (care of) address is not a service location",
              "c/o address")
    _check_house_numbers(cells.street, care_of_rows, flags)
    flags.add(_blank_rows(cells.city), "city", "city is missing", "city missing")
    state, state_shown = _check_states(cells.state, flags)
    postal = _check_zips(cells.postal_code, state, get("zip4") if "zip4" in mapping else None,
                         cells.city, flags)
    _check_zip_places(postal, state, cells.city, flags)
    service = {
        field: _check_service(get(field), parser, default, field, flags) if field in mapping
        else [default] * n
        for field, parser, default in (("bandwidth", parse_bandwidth, defaults.bandwidth_mbps),
                                       ("term", parse_term, defaults.term_months),
                                       ("product", parse_product, defaults.product))}

    base = np.full(n, _VALID, dtype=np.int8)
    base[flags.notes] = _REPAIRED
    base[flags.errors] = _INVALID
    values = {"street": cells.street, "unit": cells.unit, "city": cells.city, "state": state_shown,
              "postal_code": postal, "product": service["product"],
              "bandwidth_mbps": service["bandwidth"], "term_months": service["term"]}
    return _Checked(base=base, values=values, issues=flags.issues)


def _missing_or_error(field: str, raw: list[str] | None, i: int) -> str:
    """ "street is missing", or what the cell held when it was a spreadsheet error (#REF!):
    the row of error cells is reported as such, not as if it were blank."""
    held = str(raw[i]).strip() if raw is not None else ""
    if held.upper() in addr.EXCEL_ERRORS:
        return f"{field} is {held}, a spreadsheet error, not an address"
    return f"{field} is missing"


def _plain_text(values: list[str], field: str, flags: _Flags) -> list[str]:
    """Values as text_normalise makes them; a row whose text visibly changed is repaired, with
    a note saying how. Printable ASCII columns (the rule) cost one C-speed check."""
    if not needs_normalising(values):
        return values
    plain = addr.distinct(values, lambda v: normalise(v) if isinstance(v, str) else (v, ""))
    changed = {t for t, (_, note) in plain.items() if note}
    flags.add(_rows_with(values, changed), field,
              lambda i: f"{field} {values[i]!r} read as {plain[values[i]][0]!r} "
              f"({plain[values[i]][1]})", "characters normalised", is_error=False)
    return [plain[v][0] for v in values]


_FORMULA_CELL = re.compile("\x00[" + re.escape("".join(addr.FORMULA_STARTS)) + "]")


def _formula_rows(raw: list[str], cleaned: list[str]) -> list[int]:
    """Rows whose cell a spreadsheet would run as a formula (=, +, -, @, a leading tab or CR,
    full-width forms included): never an address, and dangerous to echo back. A C-speed search
    on the joined column first; most columns have no such cell."""
    if not (_FORMULA_CELL.search("\x00" + "\x00".join(cleaned))
            or (raw != cleaned   # as a rule the same cells (a pointer compare each): one search
                and _FORMULA_CELL.search("\x00" + "\x00".join(map(str, raw))))):
        return []
    return [i for i, (r, c) in enumerate(zip(raw, cleaned))
            if c and (str(r)[:1] in ("\t", "\r") or addr.looks_like_formula(c))]


def _fill_from_one_line(cells: _Address, one_line: list[str], flags: _Flags) -> set[int]:
    """Parts of one-line addresses fill the parts the sheet has no column (or value) for.
    Flags what cannot be quoted; returns the c/o rows."""
    parsed = addr.map_distinct(one_line, addr.parse_one_line)
    cells.street = _fill_blanks(cells.street, [p.street for p in parsed])
    cells.unit = _fill_blanks(cells.unit, [p.unit for p in parsed])
    cells.city = _fill_blanks(cells.city, [p.city for p in parsed])
    cells.state = _fill_blanks(cells.state, [p.state for p in parsed])
    cells.postal_code = _fill_blanks(cells.postal_code, [p.postal_code for p in parsed])
    care_of = {t for t, found in addr.distinct(one_line, addr.is_care_of).items() if found}
    foreign_texts = {t for t, found in addr.distinct(one_line, addr.looks_foreign).items() if found}
    foreign = _rows_with(one_line, foreign_texts)
    flags.add(foreign, "full_address", "not a US address: only US sites can be quoted",
              "non-US address")
    no_street = _blank_rows(cells.street)
    unread = [i for i in no_street if one_line[i] and one_line[i] not in foreign_texts]
    words = {t for t in dict.fromkeys(one_line[i] for i in unread) if _not_an_address(t)}
    flags.add([i for i in unread if one_line[i] in words], "full_address",
              lambda i: f"{one_line[i]!r} is not an address (a name or a note: no house number "
              "or street)", "not an address")
    flags.add([i for i in unread if one_line[i] not in words],
              "full_address", lambda i: f"address {one_line[i]!r} could not be read as a US "
              "street address", "address unreadable")
    flags.add([i for i in no_street if not one_line[i]], "street", "street is missing",
              "street missing")
    return set(_rows_with(one_line, care_of))


# "One Meadowlands Plaza": a house number in words is still a street.
_NUMBER_WORD = re.compile(r"\s*(?:ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE|TEN)\b", re.IGNORECASE)


def _not_an_address(text: str) -> bool:
    """A one-line cell that holds a company name or a note ("TBD"), not a failed address: its
    part before the first comma has words but no digit and no house number in words
    ("Riordan Fulkerson Hupert & Coleman, Chicago, IL 60602")."""
    head = text.split(",")[0]
    return bool(head.strip()) and not any(c.isdigit() for c in head) and not _NUMBER_WORD.match(head)


_CORNER = re.compile(r"\s(?:&|AND|AT)\s|\s*/\s*", re.IGNORECASE)


def _lacks_house_number(street: str) -> bool:
    """ "Jackson St.", "none_given", "Caanen Section": no digit and no number in words. A carrier
    prices a building, so such a street cannot be quoted (a street with any digit passes:
    "Highway 9", "Mile 186 Glenn Highway" are for the carrier to judge)."""
    return not any(c.isdigit() for c in street) and not _NUMBER_WORD.match(street)


def _check_house_numbers(street: list[str], care_of_rows: set[int], flags: _Flags) -> None:
    lacking = {t for t, found in addr.distinct(street, _lacks_house_number).items()
               if t and found}
    rows = [i for i in _rows_with(street, lacking) if i not in care_of_rows]
    flags.add(rows, "street", lambda i: (
        f"street {street[i]!r} names a corner, not a building: add the house number"
        if _CORNER.search(street[i]) else f"street {street[i]!r} has no house number"),
        "no house number")


def _check_streets(cells: _Address, flags: _Flags) -> set[int]:
    """PO boxes (alone: invalid; beside a street: removed, row repaired) and units written at
    the end of the street. Only streets a cheap look finds suspect are examined. Returns the
    c/o rows."""
    street, unit = cells.street, cells.unit
    checks = addr.check_street_rows(street)
    flags.add([i for i, check in checks.items() if check.box], "street",
              lambda i: f"{checks[i].box!r} removed from street: a PO box is not a service "
              "location", "PO box removed", is_error=False)
    flags.add([i for i, check in checks.items() if check.po_box], "street",
              lambda i: f"street {checks[i].street!r} is a PO box, not a service location",
              "PO box")
    moved = []
    for i, check in checks.items():
        if check.unit and not unit[i]:
            street[i], unit[i] = check.street, check.unit
            moved.append(i)
        else:  # the sheet has its own unit column value: keep the street's text whole
            street[i] = check.without_box
    # What is sent changed (the street lost its end), so it is said; the row stays as it was.
    flags.add(moved, "unit", lambda i: f"unit {unit[i]!r} moved out of the street",
              "unit moved", is_error=False, repaired=False)
    return {i for i, check in checks.items() if check.care_of}


def _check_states(state_raw: list[str], flags: _Flags) -> tuple[list[str], list[str]]:
    """USPS codes per row ("" where unknown), and what to show (the code, else the text)."""
    states = addr.distinct(state_raw, addr.state_code)
    codes = {raw: code for raw, (code, _) in states.items()}
    if all(code == raw for raw, code in codes.items()):  # already USPS codes, as a rule
        state = list(state_raw)
    else:
        state = list(map(codes.__getitem__, state_raw))
    bad = {raw for raw, (_, why) in states.items() if why}
    rows: dict[str, list[int]] = {"missing": [], "foreign": [], "unknown": []}
    for i in _rows_with(state_raw, bad):
        rows[states[state_raw[i]][1]].append(i)
    flags.add(rows["missing"], "state", "state is missing", "state missing")
    flags.add(rows["foreign"], "state", lambda i: f"state {state_raw[i]!r} is a Canadian "
              "province: only US sites can be quoted", "non-US address")
    flags.add(rows["unknown"], "state", lambda i: f"state {state_raw[i]!r} is not a US "
              "state or territory", "unknown state")
    shown = [code or raw for code, raw in zip(state, state_raw)] if bad else state
    return state, shown


def _check_service(texts: list[str], parser, default, field: str, flags: _Flags) -> list:
    """Bandwidth, term or product per row: the parsed value, the default where blank."""
    parsed = addr.distinct(texts, parser)
    bad = {t for t, (_, error) in parsed.items() if error}
    flags.add(_rows_with(texts, bad), field, lambda i: parsed[texts[i]][1], f"{field} not offered")
    chosen = {t: default if value is None else value for t, (value, _) in parsed.items()}
    return list(map(chosen.__getitem__, texts))


def _check_zips(zip_raw: list[str], state: list[str], plus4: list[str] | None,
                city: list[str], flags: _Flags) -> list[str]:
    """Postal codes per row; flags the ZIPs that are missing, invalid or repaired (a missing
    one is filled when the row's city and state have exactly one ZIP).

    A plain five-digit ZIP is right whatever the state, so only the other rows (few, as a rule)
    go through addresses.check_zip with their state.
    """
    distinct = dict.fromkeys(zip_raw)
    plain = {z for z in distinct if len(z) == 5 and z.isascii() and z.isdigit()}
    if plus4 is None:
        postal = list(zip_raw)
        odd = _rows_with(zip_raw, distinct.keys() - plain)
    else:
        suffix = {p: f"-{p}" if len(p) == 4 and p.isdigit() else "" for p in dict.fromkeys(plus4)}
        # "M", blank or text: no +4, nothing to say. Digits that are not four need a look.
        simple = {p for p, tail in suffix.items() if tail or not p[:1].isdigit()}
        postal = [z + suffix[p] for z, p in zip(zip_raw, plus4)]
        odd = [i for i, (z, p) in enumerate(zip(zip_raw, plus4)) if z not in plain or p not in simple]
    checks: dict[tuple[str, str, str], addr.ZipResult] = {}
    results: dict[int, addr.ZipResult] = {}
    for i in odd:
        key = (zip_raw[i], state[i], plus4[i] if plus4 is not None else "")
        result = checks.get(key)
        if result is None:
            result = checks[key] = addr.check_zip(*key)
        postal[i] = result.postal_code or zip_raw[i]
        results[i] = result
    _repair_missing_zips([i for i in odd if not zip_raw[i]], postal, city, state, flags)
    flags.add([i for i in odd if zip_raw[i] and results[i].error], "postal_code",
              lambda i: results[i].error, "ZIP invalid")
    flags.add([i for i in odd if results[i].repaired], "postal_code", lambda i: results[i].note,
              "ZIP repaired", is_error=False)
    return postal


def _repair_missing_zips(rows: list[int], postal: list[str], city: list[str], state: list[str],
                         flags: _Flags) -> None:
    """A row without ZIP whose city and state have exactly one delivery ZIP in the offline
    table gets it (marked repaired); otherwise it is refused, with a few candidates named."""
    if not rows:
        return
    table = zip_table()
    found: dict[tuple[str, str], list[str]] = {}
    for i in rows:
        key = (city[i], state[i])
        if key not in found:
            found[key] = table.zips_of(*key) if all(key) else []
    one = [i for i in rows if len(found[city[i], state[i]]) == 1]
    for i in one:
        postal[i] = found[city[i], state[i]][0]
    flags.add(one, "postal_code", lambda i: f"ZIP was missing: {postal[i]} is the only ZIP of "
              f"{city[i]}, {state[i]}", "ZIP repaired", is_error=False)
    flags.add([i for i in rows if len(found[city[i], state[i]]) != 1], "postal_code",
              lambda i: _missing_zip_message(found[city[i], state[i]], city[i], state[i]),
              "ZIP missing")


def _missing_zip_message(candidates: list[str], city: str, state: str) -> str:
    if not candidates:
        return "ZIP is missing"
    shown = ", ".join(candidates[:_ZIP_CANDIDATES_SHOWN])
    more = ", ..." if len(candidates) > _ZIP_CANDIDATES_SHOWN else ""
    return f"ZIP is missing ({city}, {state} has {len(candidates)} ZIPs: {shown}{more})"


def _check_zip_places(postal: list[str], state: list[str], city: list[str], flags: _Flags) -> None:
    """ZIP against state and city, from the offline table, once per distinct value: a ZIP of
    another state is an error naming both; a city USPS does not name for the ZIP is only a
    note (USPS accepts several names per ZIP, and reps write neighbourhoods). A ZIP the table
    does not know is let through: the table may lag a new ZIP.

    Rows are compared as pandas factor codes (C speed): only the distinct ZIPs, and the
    distinct (ZIP, city) pairs, are looked up in Python."""
    if not postal:
        return
    import pandas as pd  # here, as in _duplicated: a refused file never imports it

    table = zip_table()
    zip_codes, zips = pd.factorize(np.asarray(postal, dtype=object))
    state_codes, states = pd.factorize(np.asarray(state, dtype=object))
    # The table's state of each distinct ZIP, as a code of the row states (-2: not a state
    # any row has, -1: unknown ZIP or none), so rows compare as integers.
    position = {s: k for k, s in enumerate(states)}
    expected = np.array([position.get(table.state_of(z), -2) if table.state_of(z) else -1
                         for z in zips], dtype=np.int64)[zip_codes]
    known = (expected != -1) & (np.asarray(states, dtype=object)[state_codes] != "")
    wrong = np.flatnonzero(known & (expected != state_codes)).tolist()
    zip_state = {z: table.state_of(z) for z in {postal[i] for i in wrong}}
    flags.add(wrong, "postal_code", lambda i: f"ZIP {postal[i][:5]} is in {zip_state[postal[i]]}, "
              f"the row says {state[i]}", "ZIP in another state")
    city_codes, cities = pd.factorize(np.asarray(city, dtype=object))
    pair = zip_codes.astype(np.int64) * (len(cities) + 1) + city_codes
    pair_codes, pairs = pd.factorize(pair)
    first_row = np.empty(len(pairs), dtype=np.int64)
    first_row[pair_codes[::-1]] = np.arange(len(pair) - 1, -1, -1)  # the last write wins
    bad_pairs = [k for k, i in enumerate(first_row.tolist())
                 if postal[i] and city[i] and not table.city_matches(postal[i], city[i])]
    if not bad_pairs:
        return
    odd = np.isin(pair_codes, bad_pairs) & ~flags.errors
    odd[wrong] = False
    flags.add(np.flatnonzero(odd).tolist(), "city", lambda i: f"city {city[i]!r} is not a name USPS "
              f"uses for ZIP {postal[i][:5]} ({table.info(postal[i]).city.upper()})",
              "city not of ZIP", is_error=False, repaired=False)


# Polynomial hash weights P**i mod 2**64: distinct short keys get distinct sums (weights in
# arithmetic progression would not: the sum would only take a few thousand values).
_HASH_WEIGHTS = np.array([pow(0x100000001B3, i, 2**64) for i in range(1, 19)], dtype=np.uint64)


def _coarse_keys(street: list[str], postal: list[str]) -> np.ndarray:
    """Rows that share a house number, the next word's first letter and ZIP5 with another row:
    the only ones that can be duplicates. Done with numpy on fixed-width copies of the first
    characters, because a Python key per row costs more than the rest of the check."""
    n = len(street)
    if n < 2:
        return np.zeros(n, dtype=bool)
    try:
        return _coarse_keys_ascii(street, postal)
    except UnicodeEncodeError:  # a non-ASCII street or ZIP: the same key on 4-byte characters
        pass
    head = np.array(street, dtype="U12").view(np.uint32).reshape(n, 12)
    head = np.where((head >= 97) & (head <= 122), head - 32, head)  # ASCII upper case
    leading_digits = np.cumprod((head >= 48) & (head <= 57), axis=1).astype(bool)
    run = leading_digits.sum(axis=1)
    next_letter = head[np.arange(n), np.minimum(run + 1, 11)]
    zip5 = np.array(postal, dtype="U5").view(np.uint32).reshape(n, 5)
    parts = np.concatenate([np.where(leading_digits, head, 0), next_letter[:, None], zip5], axis=1)
    key = (parts.astype(np.uint64) * _HASH_WEIGHTS[: parts.shape[1]]).sum(axis=1)
    return _duplicated(key)


_WORD_WEIGHTS = (np.uint64(0x100000001B3), np.uint64(0x9E3779B97F4A7C15))


def _coarse_keys_ascii(street: list[str], postal: list[str]) -> np.ndarray:
    """_coarse_keys on one byte per character (a quarter of the memory traffic), the key's 18
    bytes hashed as three 64-bit words. A hash collision only adds a row to the candidates,
    which the full key then tells apart. UnicodeEncodeError when the text is not ASCII."""
    n = len(street)
    head = np.array(street, dtype="S12").view(np.uint8).reshape(n, 12)
    zip5 = np.array(postal, dtype="S5").view(np.uint8).reshape(n, 5)
    head = np.where((head >= 97) & (head <= 122), head - 32, head).astype(np.uint8)
    digits = (head >= 48) & (head <= 57)
    run = np.where(digits.all(axis=1), 12, digits.argmin(axis=1))  # leading digits
    parts = np.zeros((n, 24), dtype=np.uint8)
    parts[:, :12] = np.where(np.arange(12) < run[:, None], head, 0)
    parts[:, 12] = head[np.arange(n), np.minimum(run + 1, 11)]
    parts[:, 13:18] = zip5
    words = parts.view(np.uint64)
    with np.errstate(over="ignore"):
        key = (words[:, 0] * _WORD_WEIGHTS[0] + words[:, 1]) * _WORD_WEIGHTS[1] + words[:, 2]
    return _duplicated(key)


def _flag_duplicates(base: np.ndarray, values: dict[str, list]) -> tuple[np.ndarray, dict[int, int]]:
    """Final status codes, and for each duplicate the index of the row it repeats.

    A cheap key (house number and ZIP5, hashed with numpy) finds the rows that could repeat
    one another; only those get the full normalised street/unit/city key.
    """
    status = base.copy()
    street, unit, city = values["street"], values["unit"], values["city"]
    product, bandwidth, term, state = (values["product"], values["bandwidth_mbps"],
                                       values["term_months"], values["state"])
    postal = values["postal_code"]
    maybe = _coarse_keys(street, postal) & (base != _INVALID)
    # Units and cities repeat: normalise each distinct one once.
    unit_keys: dict[str, str] = {}
    city_keys: dict[str, str] = {}
    first_by_key: dict[tuple, int] = {}
    dup_of: dict[int, int] = {}
    for i in np.flatnonzero(maybe).tolist():
        unit_key = unit_keys.get(unit[i])
        if unit_key is None:
            unit_key = unit_keys[unit[i]] = addr.unit_key(unit[i])
        city_key = city_keys.get(city[i])
        if city_key is None:
            city_key = city_keys[city[i]] = addr.duplicate_key_part(city[i])
        full = ((postal[i][:5], product[i], bandwidth[i], term[i], state[i]),
                addr.duplicate_key_part(street[i]), unit_key, city_key)
        first = first_by_key.setdefault(full, i)
        if first != i:
            dup_of[i] = first
            status[i] = _DUPLICATE
    return status, dup_of


def _duplicated(key: np.ndarray) -> np.ndarray:
    """Rows whose key another row shares. pandas is imported here, not at the top: a refused
    file (`bulkquote check` on a hostile one) then never pays for importing it."""
    import pandas as pd

    return pd.Series(key).duplicated(keep=False).to_numpy()


class ImportResult:
    """The rows of one imported sheet: original cells, mapping, and what validation found.

    `address_sets` are the sheet's address families in the order they are tried (the rep's
    order when given); with fewer than two, `mapping` alone says where the address is, as it
    always did. With two or more, `mapping`'s location fields are those of the first set (or
    the pinned one), and each row is quoted from the set `address_set_at(i)` names.
    """

    def __init__(self, *, path: Path, sheet: str | None, has_header: bool, columns: list[str],
                 data: dict[str, np.ndarray], row_numbers: np.ndarray, mapping: dict[str, str],
                 defaults: BatchDefaults, address_sets: list[sets_.AddressSet] | None = None,
                 pinned_set: str | None = None, sheet_note: str = "",
                 ignored_columns: list[str] | None = None) -> None:
        self.path = path
        # Columns read but never used: a fix list's "BulkQuote reason" (_without_fix_list_reason).
        self.ignored_columns = list(ignored_columns or [])
        self.sheet = sheet
        self.sheet_note = sheet_note  # why this sheet was read when it was not the first
        self.has_header = has_header
        self.columns = columns
        self.address_sets = list(address_sets or [])
        if len(self.address_sets) < 2:
            self.address_sets, pinned_set = [], None
        self.pinned_set = pinned_set
        self.mapping = _with_set_columns(dict(mapping), self._primary_set(), self.address_sets)
        self.defaults = defaults
        self._data = data
        self._row_numbers = row_numbers
        self._country_column = country_column(columns)
        self._checked, self._set_index = self._validate_block(data, len(row_numbers))
        self._status, self._dup_of = _flag_duplicates(self._checked.base, self._checked.values)

    def _primary_set(self) -> sets_.AddressSet | None:
        if not self.address_sets:
            return None
        if self.pinned_set is not None:
            return next(s for s in self.address_sets if s.name == self.pinned_set)
        return self.address_sets[0]

    def _validate_block(self, data: Mapping[str, np.ndarray], n: int
                        ) -> tuple[_Checked, np.ndarray | None]:
        """_validate on a block of rows; with address sets, on the parts each row's set gives."""
        if not self.address_sets:
            donor = sets_.lone_geocoded_zip(list(data), self.mapping)
            if donor is None or "street" not in self.mapping:
                return _validate(data, n, self.mapping, self.defaults, self._country_column), None
            own = data[self.mapping["postal_code"]] if "postal_code" in self.mapping \
                else np.full(n, "", dtype=object)
            cells, notes = sets_.fill_missing_zips(own, data[donor], donor)
            composed = {**data, _PART + "postal_code": cells}
            mapping = {**self.mapping, "postal_code": _PART + "postal_code"}
            return _validate(composed, n, mapping, self.defaults, self._country_column,
                             notes), None
        choice = sets_.choose(self.address_sets, data, n, self.pinned_set)
        composed = dict(data)
        mapping = {f: c for f, c in self.mapping.items()
                   if f not in sets_.LOCATION_FIELDS and f != "full_address"}
        for field, cells in choice.parts.items():
            composed[_PART + field] = cells
            mapping[field] = _PART + field
        checked = _validate(composed, n, mapping, self.defaults, self._country_column,
                            choice.zip_filled)
        return checked, choice.index

    def address_set_at(self, i: int) -> str:
        """The name of the address set row i is quoted from ("" when the sheet has one)."""
        if self._set_index is None:
            return ""
        return self.address_sets[self._set_index[i]].name

    def counts_by_set(self) -> dict[str, int]:
        """Rows per address set they are quoted from, in the sets' order ({} with one set)."""
        if self._set_index is None:
            return {}
        tally = np.bincount(self._set_index, minlength=len(self.address_sets))
        return {s.name: int(tally[k]) for k, s in enumerate(self.address_sets)}

    def _column_of(self, i: int, field: str) -> str | None:
        """The rep's column that holds `field` for row i (its own set's, with address sets)."""
        if self._set_index is not None and field in sets_.LOCATION_FIELDS:
            return self.address_sets[self._set_index[i]].columns.get(field)
        return self.mapping.get(field)

    def written_address_at(self, i: int) -> str:
        """Row i's address as the sheet wrote it, from the set it is quoted from (a refused
        row's set may not be the mapping's: a PO box from the mailing set)."""
        fields = (*_LOCATION_KEYS, "full_address")
        return written_address({c: self._data[c][i] for c in self.columns},
                               {f: c for f in fields if (c := self._column_of(i, f))})

    def address_used_at(self, i: int) -> str:
        """Row i's address on one line: cleaned as it is sent for a quotable row, as its set
        wrote it for a refused one (the preview's "Address used", beside the set's name)."""
        if self._status[i] not in (_VALID, _REPAIRED):
            return self.written_address_at(i)
        values = self._checked.values
        return written_address({f: values[f][i] for f in _LOCATION_KEYS},
                               {f: f for f in _LOCATION_KEYS})

    # --- cheap per-row access, for the grid -----------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_numbers)

    def cell(self, i: int, column: str) -> str:
        return self._data[column][i]

    def status_at(self, i: int) -> RowStatus:
        return _STATUS_ORDER[self._status[i]]

    def row_number_at(self, i: int) -> int:
        return int(self._row_numbers[i])

    def problems_at(self, i: int) -> list[Problem]:
        row_number = self.row_number_at(i)
        problems = [Problem(row_number, issue.field, issue.message)
                    for issue in self._checked.issues.get(i, ())]
        if i in self._dup_of:
            first = self._dup_of[i]
            problems.append(Problem(row_number, "row", "duplicate of row "
                                    f"{self.row_number_at(first)} (same address and service)"))
        return problems

    def invalid_columns_at(self, i: int) -> set[str]:
        """The rep's columns holding the value(s) that make row i invalid."""
        if self._status[i] != _INVALID:
            return set()
        columns: set[str] = set()
        for issue in self._checked.issues.get(i, ()):
            if not issue.is_error:
                continue
            column = issue.column or self._column_of(i, issue.field)
            if column is None and issue.field in _LOCATION_KEYS:
                column = self.mapping.get("full_address")  # the part came from the one-liner
            if column is not None:
                columns.add(column)
        return columns

    def row(self, i: int) -> CheckedRow:
        if not 0 <= i < len(self):
            raise IndexError(i)
        values = self._checked.values
        location = {key: str(values[key][i]) for key in _LOCATION_KEYS}
        customer = {key: self._cleaned(key, i) for key in _CUSTOMER_KEYS}
        if not customer["company"]:
            customer["company"] = self.defaults.company
        customer = {key: value for key, value in customer.items() if value}
        service = {"product": str(values["product"][i]),
                   "bandwidth_mbps": int(values["bandwidth_mbps"][i]),
                   "term_months": int(values["term_months"][i])}
        return CheckedRow(
            index=i, row_number=self.row_number_at(i),
            original={c: self._data[c][i] for c in self.columns},
            status=self.status_at(i), problems=self.problems_at(i), location=location,
            customer=customer, service=service, site_id=self._cleaned("site_id", i),
            address_set=self.address_set_at(i))

    def _cleaned(self, field: str, i: int) -> str:
        """Customer fields are not validated, so they are cleaned only when a row is built."""
        column = self.mapping.get(field)
        return addr.clean_one(self._data[column][i]) if column is not None else ""

    def rows(self) -> Iterator[CheckedRow]:
        for i in range(len(self)):
            yield self.row(i)

    def quotable_rows(self) -> Iterator[CheckedRow]:
        for i in np.flatnonzero((self._status == _VALID) | (self._status == _REPAIRED)).tolist():
            yield self.row(i)

    # --- summaries ------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        tally = np.bincount(self._status, minlength=4)
        return {"rows": len(self), "valid": int(tally[_VALID]), "repaired": int(tally[_REPAIRED]),
                "invalid": int(tally[_INVALID]), "duplicates": int(tally[_DUPLICATE]),
                "quotable": int(tally[_VALID] + tally[_REPAIRED])}

    def invalid_by_reason(self) -> dict[str, int]:
        """Invalid rows per reason; a row with two faults counts under both."""
        tally: dict[str, int] = {}
        for i, issues in self._checked.issues.items():
            if self._status[i] != _INVALID:
                continue
            for reason in dict.fromkeys(issue.reason for issue in issues if issue.is_error):
                tally[reason] = tally.get(reason, 0) + 1
        return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))

    def problems(self) -> list[Problem]:
        rows = sorted(set(self._checked.issues) | set(self._dup_of))
        return [p for i in rows for p in self.problems_at(i)]

    def summary_json(self) -> dict:
        counts = self.counts()
        return {
            "file": display_name(str(self.path)), "rows": counts["rows"], "valid": counts["valid"],
            "repaired": counts["repaired"], "invalid": counts["invalid"],
            "duplicates": counts["duplicates"], "mapping": dict(self.mapping),
            **({"address_sets": [{"name": s.name, "kind": s.kind, "columns": dict(s.columns),
                                  "rows": self.counts_by_set()[s.name],
                                  "pinned": s.name == self.pinned_set}
                                 for s in self.address_sets]} if self.address_sets else {}),
            **({"sheet_note": self.sheet_note} if self.sheet_note else {}),
            **({"ignored_columns": list(self.ignored_columns)} if self.ignored_columns else {}),
            "problems": [{"row": p.row, "field": p.field, "message": p.message}
                         for p in self.problems()],
        }

    # --- edits ----------------------------------------------------------------------------------

    def set_cell(self, i: int, column: str, value: str) -> list[int]:
        """Edit one cell, revalidate its row and re-flag duplicates; the rows whose status
        changed (so the grid repaints only those)."""
        if column not in self._data:
            raise KeyError(column)
        cells = self._data[column]
        if not cells.flags.writeable:  # still the reader's own buffer: copy on first edit
            cells = self._data[column] = cells.copy()
        cells[i] = "" if value is None else str(value)
        before = self._status.copy()
        one, one_set = self._validate_block({c: a[i:i + 1] for c, a in self._data.items()}, 1)
        if one_set is not None:
            self._set_index[i] = one_set[0]
        self._checked.base[i] = one.base[0]
        for key, values in one.values.items():
            self._checked.values[key][i] = values[0]
        self._checked.issues.pop(i, None)
        if 0 in one.issues:
            self._checked.issues[i] = one.issues[0]
        self._status, self._dup_of = _flag_duplicates(self._checked.base, self._checked.values)
        changed = set(np.flatnonzero(before != self._status).tolist())
        changed.add(i)  # its problems may have changed even if its status did not
        return sorted(changed)

    def with_mapping(self, mapping: dict[str, str]) -> ImportResult:
        """The same rows under a whole new mapping (field -> column), revalidated."""
        _check_mapping(mapping, self.columns, self.path)
        # Address fields that are exactly one set's columns put that set first (how the
        # mapping panel reorders the sets); any other hand mapping of them turns sets off.
        chosen = next((s for s in self.address_sets if all(
            mapping.get(f) == s.columns.get(f) for f in sets_.LOCATION_FIELDS)), None)
        if chosen is None:
            return self._copy(mapping=mapping, defaults=self.defaults, address_sets=[])
        if chosen is self._primary_set():
            return self._copy(mapping=mapping, defaults=self.defaults)
        return self._copy(mapping=mapping, defaults=self.defaults,
                          address_sets=sets_.ordered(self.address_sets, [chosen.name]))

    def with_defaults(self, defaults: BatchDefaults) -> ImportResult:
        return self._copy(mapping=self.mapping, defaults=defaults)

    def with_set_order(self, order: list[str] | None, pinned: str | None = None) -> ImportResult:
        """The same rows with the address sets tried in `order` (names; the unnamed follow
        in theirs), or only `pinned` used. KeyError names an unknown set."""
        sets = sets_.ordered(self.address_sets, order)
        if pinned is not None:
            pinned = sets_.find(sets, pinned).name
        return self._copy(mapping=self.mapping, defaults=self.defaults, address_sets=sets,
                          pinned_set=pinned)

    def _copy(self, *, mapping: dict[str, str], defaults: BatchDefaults,
              address_sets: list[sets_.AddressSet] | None = None,
              pinned_set: str | None = None) -> ImportResult:
        keep_pin = address_sets is None
        return ImportResult(path=self.path, sheet=self.sheet, has_header=self.has_header,
                            columns=list(self.columns),
                            data={c: a.copy() for c, a in self._data.items()},
                            row_numbers=self._row_numbers, mapping=mapping, defaults=defaults,
                            address_sets=self.address_sets if keep_pin else address_sets,
                            pinned_set=self.pinned_set if keep_pin else pinned_set,
                            sheet_note=self.sheet_note, ignored_columns=self.ignored_columns)


def _with_set_columns(mapping: dict[str, str], primary: sets_.AddressSet | None,
                      address_sets: list[sets_.AddressSet]) -> dict[str, str]:
    """The mapping with its address fields those of the primary set (when there are sets):
    a set's columns belong to it, so no other field keeps one."""
    if primary is None:
        return mapping
    taken = {c for s in address_sets for c in s.columns.values()}
    out = {f: c for f, c in mapping.items()
           if f not in sets_.LOCATION_FIELDS and f != "full_address" and c not in taken}
    out.update(primary.columns)
    return {f: out[f] for f in FIELDS if f in out}


def _check_mapping(mapping: dict[str, str], columns: list[str], path: Path) -> None:
    for field, column in mapping.items():
        if field not in FIELDS:
            raise SpreadsheetError(f"{path.name}: {field!r} is not a field to map "
                                   f"(fields: {', '.join(FIELDS)})")
        if column not in columns:
            raise SpreadsheetError(f"{path.name} has no column {column!r} to map to {field} "
                                   f"(columns: {', '.join(columns)})")


def _resolve_column(name: str, columns: list[str]) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _apply_overrides(auto: dict[str, str], overrides: dict[str, str], columns: list[str],
                     path: Path) -> dict[str, str]:
    mapping = dict(auto)
    for field, name in overrides.items():
        if field not in FIELDS:
            raise SpreadsheetError(f"{path.name}: {field!r} is not a field to map "
                                   f"(fields: {', '.join(FIELDS)})")
        if not name:
            mapping.pop(field, None)
            continue
        column = _resolve_column(name, columns)
        if column is None:
            raise SpreadsheetError(f"{path.name} has no column {name!r} to map to {field} "
                                   f"(columns: {', '.join(columns)})")
        # One column feeds one field: the override wins over what was guessed.
        mapping = {f: c for f, c in mapping.items() if c != column and f != field}
        mapping[field] = column
    if "street" in overrides or {"city", "state", "postal_code"} & overrides.keys():
        if {"street", "city"} <= mapping.keys() and "full_address" not in overrides:
            mapping.pop("full_address", None)
    return {f: mapping[f] for f in FIELDS if f in mapping}


def _find_header(raw: RawTable, nonempty: np.ndarray) -> int | None:
    """Position of the header row, or None for a file without one. Title lines above the
    header ("Sites for Q3") are passed over when a later line names more fields."""
    candidates = np.flatnonzero(nonempty)[:_HEADER_SEARCH_ROWS].tolist()
    if not candidates:
        return None
    first = candidates[0]
    scores = {pos: header_score(raw.row(pos)) for pos in candidates}
    best = max(candidates, key=lambda pos: (scores[pos], -pos))
    if scores[best] >= 2 and scores[best] > scores[first]:
        return best
    return first if looks_like_header(raw.row(first)) else None


def _nonempty_rows(columns: list[np.ndarray], height: int) -> np.ndarray:
    """Rows with any non-blank cell. Most rows have a first cell, so only the others are
    looked at across the whole width."""
    if not columns:
        return np.zeros(height, dtype=bool)
    first = columns[0].tolist()
    if "" not in first and not any(map(str.isspace, first)):  # C-speed scans, the usual case
        return np.ones(height, dtype=bool)
    blank = np.array([not v or v.isspace() for v in first], dtype=bool)
    for column in columns[1:]:
        candidates = np.flatnonzero(blank)
        if not candidates.size:
            break
        blank[candidates] = [not v or v.isspace() for v in column[candidates].tolist()]
    return ~blank


def import_file(path: str | Path, *, sheet: str | None = None,
                mapping: dict[str, str] | None = None,
                defaults: BatchDefaults = BatchDefaults(),
                progress: Callable[[float], None] | None = None,
                set_order: list[str] | None = None,
                pin_set: str | None = None) -> ImportResult:
    """Read, map and validate a spreadsheet. File-level trouble raises SpreadsheetError.

    Without `sheet`, a workbook is read at its opening sheet; when that sheet holds no address
    columns (a cover page, notes) the visible sheet that does is read instead, and named.
    `set_order` / `pin_set` choose among the address sets by name (see address_sets)."""
    if not str(path).strip():  # Path("") would be ".", the current folder
        raise SpreadsheetError("no file given: the path is empty")
    path = Path(path)
    report = progress or (lambda _fraction: None)
    report(0.0)
    raw = read_table(path, sheet)
    report(0.5)
    sheet_note = ""
    if sheet is None and raw.sheet is not None and len(raw.sheets or ()) > 1:
        raw, sheet_note = _sheet_with_addresses(path, raw)
    nonempty = _nonempty_rows(raw.columns, raw.height)
    if not nonempty.any():
        if raw.sheet is not None:
            raise SpreadsheetError(empty_sheet_message(path.name, raw.sheet, raw.sheets or []))
        raise SpreadsheetError(f"{path.name} is empty")
    table = _table(raw, nonempty)
    columns, data, row_numbers, has_header = table
    columns, data, row_numbers, ignored = _without_fix_list_reason(columns, data, row_numbers)
    auto = auto_mapping(columns, data)
    report(0.6)
    overrides = mapping or {}
    final_mapping = _apply_overrides(auto, overrides, columns, path)
    found_sets = []
    if not (set(overrides) & {*sets_.LOCATION_FIELDS, "full_address"}):  # by hand: sets off
        found_sets = sets_.find_address_sets(columns, data)
    try:
        found_sets = sets_.ordered(found_sets, set_order)
        if pin_set is not None:
            pin_set = sets_.find(found_sets, pin_set).name
    except KeyError as exc:
        names = ", ".join(s.name for s in found_sets) or "none"
        raise SpreadsheetError(f"{path.name} has no address set {exc.args[0]!r} "
                               f"(address sets: {names})") from None
    result = ImportResult(path=path, sheet=raw.sheet, has_header=has_header,
                          columns=columns, data=data, row_numbers=row_numbers,
                          mapping=final_mapping, defaults=defaults, address_sets=found_sets,
                          pinned_set=pin_set, sheet_note=sheet_note, ignored_columns=ignored)
    report(1.0)
    return result


def _without_fix_list_reason(columns: list[str], data: dict[str, np.ndarray],
                             row_numbers: np.ndarray
                             ) -> tuple[list[str], dict[str, np.ndarray], np.ndarray, list[str]]:
    """A fix list dropped back in: its "BulkQuote reason" column (core/output/fix_list.py) is ours, not
    the rep's, so it is never mapped, validated, sent or stored; a row left with nothing but its
    reason (the rep cleared it) is no row. Returns the columns, data and rows kept, and the
    columns dropped."""
    ignored = [c for c in columns if is_fix_list_reason(c)]
    if not ignored:
        return columns, data, row_numbers, []
    kept = [c for c in columns if c not in ignored]
    data = {c: data[c] for c in kept}
    if kept:
        filled = _nonempty_rows([data[c] for c in kept], len(row_numbers))
    else:
        filled = np.zeros(len(row_numbers), dtype=bool)
    if not filled.all():
        data = {c: cells[filled] for c, cells in data.items()}
        row_numbers = row_numbers[filled]
    return kept, data, row_numbers, ignored


def _has_addresses(columns: list[str], data: Mapping[str, np.ndarray]) -> bool:
    mapping = auto_mapping(columns, data)
    return "full_address" in mapping or {"street", "city"} <= mapping.keys() or \
        {"street", "postal_code"} <= mapping.keys()


def _sheet_with_addresses(path: Path, raw: RawTable) -> tuple[RawTable, str]:
    """The opening sheet when it holds addresses; else the first other visible sheet that
    does (a cover page or notes sheet comes first in many workbooks), with a note saying so."""
    nonempty = _nonempty_rows(raw.columns, raw.height)
    if nonempty.any() and _has_addresses(*_table(raw, nonempty)[:2]):
        return raw, ""
    for name in _visible_sheets(path, raw.sheets or []):
        if name == raw.sheet:
            continue
        try:
            other = read_table(path, name)
        except SpreadsheetError:
            continue
        other_nonempty = _nonempty_rows(other.columns, other.height)
        if not other_nonempty.any():
            continue
        columns, data, row_numbers, _ = _table(other, other_nonempty)
        if len(row_numbers) and _has_addresses(columns, data):
            return other, (f"sheet {raw.sheet!r} has no address columns: "
                           f"read sheet {name!r} instead")
    return raw, ""


def _visible_sheets(path: Path, names: list[str]) -> list[str]:
    """The workbook's sheets less the hidden ones (those are read only when named)."""
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        try:
            return [m.name for m in workbook.sheets_metadata
                    if str(m.visible).endswith("Visible") and m.name in names]
        finally:
            workbook.close()
    except Exception:  # noqa: BLE001 - visibility is a nicety: keep every sheet
        return list(names)


def _table(raw: RawTable, nonempty: np.ndarray
           ) -> tuple[list[str], dict[str, np.ndarray], np.ndarray, bool]:
    """Columns (headers), their data cells, the rows' numbers, and whether a header was found.
    Blank rows anywhere (a gap between blocks) are left out; rows after them are read."""
    header_at = _find_header(raw, nonempty)
    width = len(raw.columns)
    if header_at is None:
        headers = ["Address"] if width == 1 else [f"Column {excel_column_letter(p)}"
                                                  for p in range(width)]
        data_mask = nonempty
    else:
        headers = disambiguate_headers(raw.row(header_at))
        data_mask = nonempty.copy()
        data_mask[: header_at + 1] = False
    first = 0 if header_at is None else header_at + 1
    contiguous = bool(data_mask[first:].all()) and not data_mask[:first].any()
    data: dict[str, np.ndarray] = {}
    for p, column in enumerate(raw.columns):
        # A slice is a view, no copy; set_cell copies a read-only column before a write.
        cells = column[first:] if contiguous else column[data_mask]
        blank_header = header_at is None or not str(raw.columns[p][header_at]).strip()
        if blank_header and header_at is not None and not any(cells):
            continue  # neither a header nor a value: the sheet's empty margin
        data[headers[p]] = cells
    return list(data), data, raw.row_numbers[data_mask], header_at is not None
