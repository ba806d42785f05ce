"""One checked spreadsheet row: the shape shared by the importer, the store and the GUI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Fields a column can be mapped to, in the order the mapping is shown.
FIELDS: tuple[str, ...] = (
    "street", "unit", "city", "state", "postal_code", "zip4",
    "company", "contact_name", "email", "phone",
    "bandwidth", "term", "product", "site_id",
    "full_address",  # a one-line address, parsed into street/unit/city/state/postal_code
)


class RowStatus(StrEnum):
    VALID = "valid"
    REPAIRED = "repaired"    # quotable, but a value was repaired (e.g. ZIP lost its leading zero)
    INVALID = "invalid"
    DUPLICATE = "duplicate"  # same normalised address and service as an earlier row


@dataclass(frozen=True)
class Problem:
    row: int      # the row number as the rep sees it in their spreadsheet
    field: str    # one of FIELDS (or "row" for the row as a whole)
    message: str


@dataclass
class CheckedRow:
    index: int                      # position in the import (0-based), stable across edits
    row_number: int                 # as the rep sees it in the spreadsheet
    original: dict[str, str]        # the rep's own columns, header -> cell text, untouched
    status: RowStatus
    problems: list[Problem] = field(default_factory=list)  # errors, or notes for repaired/duplicate
    # Normalised values, keys as in momentum-api.md's request:
    location: dict[str, str] = field(default_factory=dict)   # street, unit, city, state, postal_code
    customer: dict[str, str] = field(default_factory=dict)   # company, contact_name, email, phone
    service: dict[str, object] = field(default_factory=dict) # product, bandwidth_mbps, term_months
    site_id: str = ""
    address_set: str = ""           # the address set the location came from ("" with one set)

    @property
    def quotable(self) -> bool:
        return self.status in (RowStatus.VALID, RowStatus.REPAIRED)


def written_address(cells: Mapping[str, object], columns: Mapping[str, str]) -> str:
    """A row's address as its sheet wrote it, on one line, from the columns (field -> the rep's
    column) that hold it: how the window shows a row that was never quoted."""
    def cell(field_name: str) -> str:
        column = columns.get(field_name)
        return str(cells.get(column) or "").strip() if column else ""

    if one_line := cell("full_address"):
        return one_line
    street = " ".join(x for x in (cell("street"), cell("unit")) if x)
    tail = " ".join(x for x in (cell("state"), cell("postal_code")) if x)
    return ", ".join(x for x in (street, cell("city"), tail) if x)
