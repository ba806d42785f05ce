"""What will be quoted, one line per input row: `bulkquote check FILE --rows OUT.csv` and the
preview's "Export cleaned addresses".

Invariants: one line per row of the import, in the sheet's order, whatever its status; the
address columns are what `CheckedRow.location` holds, i.e. exactly what would be sent; the
reason joins the row's problems (errors and notes) in the order validation found them; every
cell a spreadsheet would evaluate is prefixed with `'` (export.neutralise). Written as UTF-8
with a BOM, so Excel reads accents right, and atomically (a temporary file renamed).
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from bulkquote_gui.core.file_modes import shared_mode
from bulkquote_gui.core.intake.importer import ImportResult
from bulkquote_gui.core.output.export import neutralise
from bulkquote_gui.core.output.export_columns import ADDRESS_SET

HEADERS = ("Row", "Status", "Reason", "Street", "Unit", "City", "State", "ZIP", ADDRESS_SET)
_PARTS = ("street", "unit", "city", "state", "postal_code")
SINGLE_SET_NAME = "Address"   # core/intake/address_sets' label for a plain set


def cleaned_records(result: ImportResult):
    """The lines of the export, as lists of text (the header first)."""
    yield list(HEADERS)
    for i in range(len(result)):
        row = result.row(i)
        reason = "; ".join(p.message for p in row.problems)
        yield [str(row.row_number), row.status.value, reason,
               *(row.location.get(part, "") for part in _PARTS),
               row.address_set or _single_set_name(result)]


def _single_set_name(result: ImportResult) -> str:
    """With one address set, the name the window gives a plain set ("Address"), not the rep's
    street column ("Street Address"): one word for it on screen and in the file."""
    mapped = result.mapping.get("street") or result.mapping.get("full_address")
    return SINGLE_SET_NAME if mapped else ""


def write_cleaned_rows(result: ImportResult, path: str | Path) -> int:
    """Write the CSV; the number of rows written (the header not counted)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".bulkquote-", suffix=".csv", dir=folder)
    count = -1
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f, lineterminator="\r\n")
            for record in cleaned_records(result):
                writer.writerow([neutralise(cell) for cell in record])
                count += 1
        os.chmod(tmp, shared_mode())  # the rep's file, like any export: not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
