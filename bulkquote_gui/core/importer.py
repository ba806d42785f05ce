"""A spreadsheet on disk to validated, normalised rows, each with the reason it can't be quoted.

    file --readers--> table of strings --column_mapping--> field -> column
         --validation (vectorised, here)--> per-row status, problems, normalised values

Validation runs over whole columns with pandas string operations, so 100,000 rows cost about
as much as reading them; `CheckedRow` objects are built only when asked for (the GUI grid
asks for the visible rows' cells and statuses, the engine iterates `quotable_rows()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bulkquote_gui.core import addresses as addr
from bulkquote_gui.core.column_mapping import (
    auto_mapping, disambiguate_headers, excel_column_letter, header_score, looks_like_header)
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.readers import SpreadsheetError, list_sheets, read_table
from bulkquote_gui.core.rows import FIELDS, CheckedRow, Problem, RowStatus
from bulkquote_gui.core.service_terms import parse_bandwidth, parse_product, parse_term

__all__ = ["ImportResult", "SpreadsheetError", "import_file", "list_sheets"]

_HEADER_SEARCH_ROWS = 10
_LOCATION_KEYS = ("street", "unit", "city", "state", "postal_code")
_CUSTOMER_KEYS = ("company", "contact_name", "email", "phone")
_STATUS_ORDER = (RowStatus.VALID, RowStatus.REPAIRED, RowStatus.INVALID, RowStatus.DUPLICATE)
_VALID, _REPAIRED, _INVALID, _DUPLICATE = range(4)


@dataclass
class _Issue:
    field: str
    message: str
    reason: str      # short category for the summary ("PO box", "ZIP missing", ...)
    is_error: bool   # False: a note on a repaired row


@dataclass
class _Checked:
    """What validation found for a block of rows (positional, 0..n-1)."""

    base: np.ndarray                  # int8 codes: _VALID / _REPAIRED / _INVALID
    values: dict[str, np.ndarray]     # normalised location/customer/service/site_id values
    issues: dict[int, list[_Issue]]   # only rows that have any
    dup_key: np.ndarray               # "" for rows that cannot be duplicates


def _blank(n: int, index: pd.Index) -> pd.Series:
    return pd.Series([""] * n, index=index, dtype=object)


def _parse_column(values: pd.Series, parser) -> tuple[pd.Series, pd.Series]:
    """Apply a cached scalar parser once per distinct value."""
    parsed = {text: parser(text) for text in values.unique()}
    return values.map(lambda t: parsed[t][0]), values.map(lambda t: parsed[t][1])


def _validate(frame: pd.DataFrame, mapping: dict[str, str], defaults: BatchDefaults) -> _Checked:
    n = len(frame)
    index = pd.RangeIndex(n)
    issues: dict[int, list[_Issue]] = {}
    error_rows = np.zeros(n, dtype=bool)
    note_rows = np.zeros(n, dtype=bool)

    def get(field: str) -> pd.Series:
        column = mapping.get(field)
        if column is None:
            return _blank(n, index)
        return addr.clean_text(frame[column].reset_index(drop=True))

    def flag(mask: pd.Series, field: str, message: pd.Series | str, reason: str,
             is_error: bool = True) -> None:
        mask = mask.to_numpy(dtype=bool) if isinstance(mask, pd.Series) else mask
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        texts = ([message] * len(rows) if isinstance(message, str)
                 else message.iloc[rows].tolist() if len(message) == n else message.tolist())
        for i, text in zip(rows.tolist(), texts):
            issues.setdefault(i, []).append(_Issue(field, text, reason, is_error))
        if is_error:
            error_rows[rows] = True
        else:
            note_rows[rows] = True

    street, unit, city = get("street"), get("unit"), get("city")
    state_raw, zip_raw = get("state"), get("postal_code")
    zip4_raw = get("zip4") if "zip4" in mapping else None
    foreign_text = pd.Series(False, index=index)
    care_of = pd.Series(False, index=index)

    if "full_address" in mapping:
        one_line = get("full_address")
        parts = {text: addr.parse_one_line(text) for text in one_line.unique()}
        parsed = one_line.map(parts)
        for name, series in (("street", street), ("unit", unit), ("city", city),
                             ("state", state_raw), ("postal_code", zip_raw)):
            from_line = parsed.map(lambda p, name=name: getattr(p, name))
            fill = (series == "") & (from_line != "")
            series.mask(fill, from_line, inplace=True)
        recipient = parsed.map(lambda p: p.recipient)
        care_of |= addr.is_care_of(recipient) | addr.is_care_of(one_line)
        foreign_text |= addr.looks_foreign(one_line)
        unreadable = (one_line != "") & (street == "") & ~foreign_text
        flag(unreadable, "full_address", "address " + one_line.map(repr)
             + " could not be read as a US street address", "address unreadable")
        street_missing = (street == "") & (one_line == "")
    else:
        street_missing = street == ""

    no_unit = unit == ""
    if no_unit.any():
        street_only, unit_found = addr.split_trailing_unit(street)
        moved = no_unit & (unit_found != "")
        street = street.mask(moved, street_only)
        unit = unit.mask(moved, unit_found)

    flag(foreign_text, "full_address", "not a US address: only US sites can be quoted",
         "non-US address")
    flag(street_missing, "street", "street is missing", "street missing")
    street_part, box = addr.strip_po_box(street)
    boxed = box != ""
    flag(boxed, "street", box.map(repr) + " removed from street: a PO box is not a service "
         "location", "PO box removed", is_error=False)
    street = street.mask(boxed, street_part)
    po_box = addr.is_po_box(street)
    flag(po_box, "street", "street " + street.map(repr)
         + " is a PO box, not a service location", "PO box")
    care_of |= addr.is_care_of(street)
    flag(care_of, "street", "a c/o (care of) address is not a service location", "c/o address")
    flag(city == "", "city", "city is missing", "city missing")

    states = addr.normalise_states(state_raw)
    flag(state_raw == "", "state", "state is missing", "state missing")
    flag(states.foreign, "state", "state " + state_raw.map(repr)
         + " is a Canadian province: only US sites can be quoted", "non-US address")
    flag(states.unknown & ~states.foreign, "state", "state " + state_raw.map(repr)
         + " is not a US state or territory", "unknown state")

    zips = addr.normalise_zips(zip_raw, zip4_raw, states.code)
    zip_error = zips.error != ""
    zip_reason = np.where(zip_raw == "", "ZIP missing", "ZIP invalid")
    for reason in ("ZIP missing", "ZIP invalid"):
        flag(zip_error & (zip_reason == reason), "postal_code", zips.error, reason)
    flag(zips.repaired & ~zip_error, "postal_code", zips.note, "ZIP repaired", is_error=False)

    bandwidth, bandwidth_error = _parse_column(get("bandwidth"), parse_bandwidth)
    term, term_error = _parse_column(get("term"), parse_term)
    product, product_error = _parse_column(get("product"), parse_product)
    flag(bandwidth_error != "", "bandwidth", bandwidth_error, "bandwidth not offered")
    flag(term_error != "", "term", term_error, "term not offered")
    flag(product_error != "", "product", product_error, "product not offered")
    bandwidth = bandwidth.fillna(defaults.bandwidth_mbps).astype(int)
    term = term.fillna(defaults.term_months).astype(int)
    product = product.fillna(defaults.product).astype(object)

    company = get("company")
    if defaults.company:
        company = company.mask(company == "", defaults.company)

    base = np.full(n, _VALID, dtype=np.int8)
    base[note_rows] = _REPAIRED
    base[error_rows] = _INVALID
    zip5 = zips.postal_code.str[:5]
    dup_key = (addr.duplicate_key_part(street) + "|" + addr.unit_key(unit) + "|"
               + addr.duplicate_key_part(city) + "|" + states.code + "|" + zip5 + "|"
               + product + "|" + bandwidth.astype(str) + "|" + term.astype(str)
               ).to_numpy(object, copy=True)
    dup_key[base == _INVALID] = ""

    values = {
        "street": street, "unit": unit, "city": city, "state": states.code.where(
            states.code != "", state_raw), "postal_code": zips.postal_code.where(
            zips.postal_code != "", zip_raw),
        "company": company, "contact_name": get("contact_name"), "email": get("email"),
        "phone": get("phone"), "site_id": get("site_id"),
        "product": product, "bandwidth_mbps": bandwidth, "term_months": term,
    }
    return _Checked(base=base, values={k: v.to_numpy(object, copy=True) for k, v in values.items()},
                    issues=issues, dup_key=dup_key)


def _flag_duplicates(base: np.ndarray, dup_key: np.ndarray,
                     row_numbers: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """Final status codes, and for each duplicate the index of the row it repeats."""
    status = base.copy()
    quotable = np.flatnonzero(base != _INVALID)
    keys = pd.Series(dup_key[quotable], index=quotable)
    repeated = keys.duplicated(keep="first")
    if not repeated.any():
        return status, {}
    first_by_key = {key: i for i, key in keys[~repeated].items()}
    dups = keys[repeated]
    status[dups.index.to_numpy()] = _DUPLICATE
    return status, {i: first_by_key[key] for i, key in dups.items()}


class ImportResult:
    """The rows of one imported sheet: original cells, mapping, and what validation found."""

    def __init__(self, *, path: Path, sheet: str | None, has_header: bool, columns: list[str],
                 data: dict[str, np.ndarray], row_numbers: np.ndarray, mapping: dict[str, str],
                 defaults: BatchDefaults) -> None:
        self.path = path
        self.sheet = sheet
        self.has_header = has_header
        self.columns = columns
        self.mapping = dict(mapping)
        self.defaults = defaults
        self._data = data
        self._row_numbers = row_numbers
        self._checked = _validate(self._frame(), self.mapping, defaults)
        self._status, self._dup_of = _flag_duplicates(
            self._checked.base, self._checked.dup_key, row_numbers)

    def _frame(self, rows: slice | list[int] | None = None) -> pd.DataFrame:
        if rows is None:
            return pd.DataFrame({c: self._data[c] for c in self.columns}, columns=self.columns)
        return pd.DataFrame({c: self._data[c][rows] for c in self.columns}, columns=self.columns)

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
            column = self.mapping.get(issue.field)
            if column is None and issue.field in _LOCATION_KEYS:
                column = self.mapping.get("full_address")  # the part came from the one-liner
            if column is None and issue.field == "postal_code" and "zip4" in self.mapping:
                column = None
            if column is not None:
                columns.add(column)
        return columns

    def row(self, i: int) -> CheckedRow:
        if not 0 <= i < len(self):
            raise IndexError(i)
        values = self._checked.values
        location = {key: str(values[key][i]) for key in _LOCATION_KEYS}
        customer = {key: str(values[key][i]) for key in _CUSTOMER_KEYS if values[key][i]}
        service = {"product": str(values["product"][i]),
                   "bandwidth_mbps": int(values["bandwidth_mbps"][i]),
                   "term_months": int(values["term_months"][i])}
        return CheckedRow(
            index=i, row_number=self.row_number_at(i),
            original={c: self._data[c][i] for c in self.columns},
            status=self.status_at(i), problems=self.problems_at(i), location=location,
            customer=customer, service=service, site_id=str(values["site_id"][i]))

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
            "file": str(self.path), "rows": counts["rows"], "valid": counts["valid"],
            "repaired": counts["repaired"], "invalid": counts["invalid"],
            "duplicates": counts["duplicates"], "mapping": dict(self.mapping),
            "problems": [{"row": p.row, "field": p.field, "message": p.message}
                         for p in self.problems()],
        }

    # --- edits ----------------------------------------------------------------------------------

    def set_cell(self, i: int, column: str, value: str) -> list[int]:
        """Edit one cell, revalidate its row and re-flag duplicates; the rows whose status
        changed (so the grid repaints only those)."""
        if column not in self._data:
            raise KeyError(column)
        self._data[column][i] = "" if value is None else str(value)
        before = self._status.copy()
        one = _validate(self._frame([i]), self.mapping, self.defaults)
        self._checked.base[i] = one.base[0]
        self._checked.dup_key[i] = one.dup_key[0]
        for key, array in one.values.items():
            self._checked.values[key][i] = array[0]
        self._checked.issues.pop(i, None)
        if 0 in one.issues:
            self._checked.issues[i] = one.issues[0]
        self._status, self._dup_of = _flag_duplicates(
            self._checked.base, self._checked.dup_key, self._row_numbers)
        changed = set(np.flatnonzero(before != self._status).tolist())
        changed.add(i)  # its problems may have changed even if its status did not
        return sorted(changed)

    def with_mapping(self, mapping: dict[str, str]) -> ImportResult:
        """The same rows under a whole new mapping (field -> column), revalidated."""
        _check_mapping(mapping, self.columns, self.path)
        return self._copy(mapping=mapping, defaults=self.defaults)

    def with_defaults(self, defaults: BatchDefaults) -> ImportResult:
        return self._copy(mapping=self.mapping, defaults=defaults)

    def _copy(self, *, mapping: dict[str, str], defaults: BatchDefaults) -> ImportResult:
        return ImportResult(path=self.path, sheet=self.sheet, has_header=self.has_header,
                            columns=list(self.columns),
                            data={c: a.copy() for c, a in self._data.items()},
                            row_numbers=self._row_numbers, mapping=mapping, defaults=defaults)


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


def _find_header(cells: pd.DataFrame, nonempty: np.ndarray) -> int | None:
    """Position of the header row, or None for a file without one. Title lines above the
    header ("Sites for Q3") are passed over when a later line names more fields."""
    candidates = np.flatnonzero(nonempty)[:_HEADER_SEARCH_ROWS].tolist()
    if not candidates:
        return None
    first = candidates[0]
    scores = {pos: header_score(cells.iloc[pos].tolist()) for pos in candidates}
    best = max(candidates, key=lambda pos: (scores[pos], -pos))
    if scores[best] >= 2 and scores[best] > scores[first]:
        return best
    return first if looks_like_header(cells.iloc[first].tolist()) else None


def import_file(path: str | Path, *, sheet: str | None = None,
                mapping: dict[str, str] | None = None,
                defaults: BatchDefaults = BatchDefaults(),
                progress: Callable[[float], None] | None = None) -> ImportResult:
    """Read, map and validate a spreadsheet. File-level trouble raises SpreadsheetError."""
    path = Path(path)
    report = progress or (lambda _fraction: None)
    report(0.0)
    raw = read_table(path, sheet)
    report(0.5)
    cells = raw.cells
    nonempty = (cells != "").any(axis=1).to_numpy()
    if not nonempty.any():
        raise SpreadsheetError(f"{path.name} is empty" + (f" (sheet {raw.sheet!r})" if raw.sheet else ""))
    header_at = _find_header(cells, nonempty)
    width = cells.shape[1]
    if header_at is None:
        headers = ["Address"] if width == 1 else [f"Column {excel_column_letter(p)}"
                                                  for p in range(width)]
        data_mask = nonempty
    else:
        headers = disambiguate_headers(cells.iloc[header_at].tolist())
        data_mask = nonempty.copy()
        data_mask[: header_at + 1] = False
    data_rows = cells[data_mask]
    # Columns with neither a header nor any value are the sheet's empty margin.
    keep = [p for p in range(width)
            if header_at is None or str(cells.iat[header_at, p]).strip()
            or (data_rows.iloc[:, p] != "").any()]
    columns = [headers[p] for p in keep]
    data = {headers[p]: data_rows.iloc[:, p].to_numpy(dtype=object, copy=True) for p in keep}
    row_numbers = raw.row_numbers[data_mask]
    frame = pd.DataFrame(data, columns=columns)
    auto = auto_mapping(columns, frame)
    report(0.6)
    final_mapping = _apply_overrides(auto, mapping or {}, columns, path)
    result = ImportResult(path=path, sheet=raw.sheet, has_header=header_at is not None,
                          columns=columns, data=data, row_numbers=row_numbers,
                          mapping=final_mapping, defaults=defaults)
    report(1.0)
    return result
