"""Batch results to CSV or XLSX: the rep's own columns first, then the quote's answer.

Safe to open in a spreadsheet: text a spreadsheet would run as a formula (starting with `=`, `+`,
`-`, `@`, tab, CR or LF, or their full-width forms, after any spaces) gets a leading apostrophe,
in CSV and XLSX alike, while plain numbers stay numbers. The file is
written next to its destination under a temporary name and renamed at the end, so a failed
export never leaves half a file behind. A batch still running exports what it has so far.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core import store

RESULT_HEADERS = ("Status", "Carrier", "MRC", "NRC", "Currency", "Install days", "Access",
                  "Estimate", "Valid until", "Options", "Error")
FORMATS = (".csv", ".xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)
# Spreadsheets skip these before looking for a formula sign (Sheets and LibreOffice trim spaces
# on import), and NFKC folds full-width and small forms into the sign itself: `＝`, `﹦`, `＋`.
_SKIPPED_FIRST = " \u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MIN_WIDTH, _MAX_WIDTH, _WIDTH_SAMPLE = 6, 50, 500


def neutralise(text: str) -> str:
    """Prefix ' to text a spreadsheet would evaluate; leave plain numbers such as -5 or +1.5.

    Evaluated: a first character (after spaces and zero-width ones) that is, or NFKC-folds to,
    `=`, `+`, `-`, `@`, tab, CR or LF: every OWASP CSV-injection payload and its full-width form.
    """
    if not text:
        return text
    first = text.lstrip(_SKIPPED_FIRST)[:1]
    if not first:
        return text
    if first.isascii():
        sign = first in _FORMULA_START
    else:
        sign = unicodedata.normalize("NFKC", first)[:1] in _FORMULA_START
    if sign and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def export_batch(session_factory: sessionmaker[Session], batch_id: int, path: Path) -> int:
    """Write the batch to `path` (.csv or .xlsx by suffix); returns the number of rows written.

    Raises ValueError for another suffix, KeyError for an unknown batch, OSError when the
    folder cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot export to {path.name!r}: the file name must end in .xlsx or .csv")
    with session_factory() as session:
        if store.get_batch(session, batch_id) is None:
            raise KeyError(f"no batch {batch_id}")
        columns = store.batch_columns(session, batch_id)
        rows = store.batch_rows(session, batch_id)
    for row in rows:  # a column the import did not list (should not happen) is still kept
        for key in row.original:
            if key not in columns:
                columns.append(key)
    headers = columns + [_unique(h, columns) for h in RESULT_HEADERS]
    records = [_record(row, columns) for row in rows]
    _write_atomically(path, lambda tmp: (_write_csv if suffix == ".csv" else _write_xlsx)(
        tmp, headers, len(columns), records))
    return len(records)


def _unique(header: str, taken: list[str]) -> str:
    """A result header that does not clash with one of the rep's own columns."""
    name = header
    while name in taken:
        name = f"Quote {name}" if not name.startswith("Quote ") else f"{name} (BulkQuote)"
    return name


def _record(row: store.RowView, columns: list[str]) -> list[Any]:
    """The row's values: original cells as text, then typed result values."""
    error = ""
    if row.error_code or row.error_message:
        error = ": ".join(x for x in (row.error_code, row.error_message) if x)
    estimate = "" if row.is_estimate is None else ("yes" if row.is_estimate else "no")
    return ([row.original.get(c, "") for c in columns]
            + [row.status, row.carrier or "", row.mrc, row.nrc, row.currency or "",
               row.install_days, row.access or "", estimate, row.valid_until,
               row.option_count or None, error])


def _write_atomically(path: Path, write: Any) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".part", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- CSV

def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def _write_csv(tmp: Path, headers: list[str], _n_original: int, records: Iterable[list[Any]]) -> None:
    # utf-8-sig: the BOM makes Excel read the file as UTF-8 (accents, non-Latin names).
    with tmp.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([neutralise(h) for h in headers])
        for record in records:
            writer.writerow([_csv_cell(v) for v in record])


# --------------------------------------------------------------------------- XLSX

def _money_format(currency: str) -> str:
    return '"$"#,##0.00' if currency in ("", "USD") else f'#,##0.00 "{currency}"'


def _write_xlsx(tmp: Path, headers: list[str], n_original: int, records: list[list[Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Quotes")
    ws.freeze_panes = "A2"
    widths = [len(h) for h in headers]
    for record in records[:_WIDTH_SAMPLE]:
        for i, value in enumerate(record):
            widths[i] = max(widths[i], len(_csv_cell(value)))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(_MAX_WIDTH, max(_MIN_WIDTH, width + 2))
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=_xlsx_text(h))
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    mrc_at, nrc_at = n_original + 2, n_original + 3
    currency_at, valid_at = n_original + 4, n_original + 8
    for record in records:
        cells = []
        money_format = _money_format(record[currency_at] or "")
        for i, value in enumerate(record):
            if isinstance(value, str):
                value = _xlsx_text(value)
            cell = WriteOnlyCell(ws, value=value)
            if i in (mrc_at, nrc_at) and value is not None:
                cell.number_format = money_format
            elif i == valid_at and value is not None:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        ws.append(cells)
    wb.save(tmp)


def _xlsx_text(text: str) -> str:
    # Control characters are not allowed in XLSX XML; a formula-like text must stay text.
    return neutralise(_XLSX_ILLEGAL.sub("", text))
