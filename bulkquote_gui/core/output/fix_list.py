"""The fix list: the rows that were not quoted, as an XLSX the rep fixes in Excel and drops back in.

From the preview it holds the invalid rows; from a batch, the rows it did not price for a reason
the rep can act on: invalid, duplicate (the import's verdict) and failed (the API's). Layout:

    A: "BulkQuote reason"   B…: the rep's own columns, in the file's order, cells as they were

The reason is the FIRST column and the pane is frozen beside it (and under the header), so on a
28-column sheet the reason stays in sight while the rep scrolls to the cell at fault. The reason
starts with the row's number in the rep's file ("Row 15: ZIP 191O3 is not a US ZIP code"). The
cells the reason is about have a red fill: those the preview highlights
(`ImportResult.invalid_columns_at`); for a row the API refused, the columns the batch's mapping
gives the refused field (the address for "address not found", the speed column for "speed not
offered"); none for a failure no cell can fix (no coverage, manual pricing, a timeout).

Written as core/output/export.py writes XLSX: every text (the rep's cells, the reason, the headers) a
string-typed cell, never evaluated, so `=1+1` stays `=1+1`; a column of the rep's holding only
numbers stays numbers; atomically, with the rep's usual file permissions.

Dropped back in, the importer drops the "BulkQuote reason" column (column_mapping.
is_fix_list_reason; matched exactly, case and punctuation aside, so a customer's own "Reason"
column is kept): it is never mapped to a field, never sent, never stored with the new batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.intake.column_mapping import FIX_LIST_REASON, is_fix_list_reason
from bulkquote_gui.core.output.export import (
    _MAX_WIDTH, _MIN_WIDTH, _WIDTH_SAMPLE, _number, _numeric_columns, _text_cell,
    _write_atomically, row_reason)
from bulkquote_gui.core.states import RowState

__all__ = ["FIX_LIST_REASON", "FixRow", "SHEET", "batch_fix_rows", "export_batch_fix_list",
           "preview_fix_rows", "write_fix_list", "write_preview_fix_list"]

SHEET = "Fix list"
FILL = "FFC7CE"          # Excel's own "bad" red: the cell the reason is about
FONT = "9C0006"
REASON_FILL = "F2F2F2"   # the reason column, set apart from the rep's cells

# The fields a refusal of the API is about (reasons.py's codes); others name no cell.
_FIELDS_OF_CODE = {
    "address_not_found": ("street", "unit", "city", "state", "postal_code", "zip4", "full_address"),
    "invalid_address": ("street", "unit", "city", "state", "postal_code", "zip4", "full_address"),
    "unsupported_product": ("product",),
    "unsupported_bandwidth": ("bandwidth",),
    "unsupported_term": ("term",),
}


@dataclass(frozen=True)
class FixRow:
    """One line of the fix list: where it was, why it is there, its cells, the cells at fault."""

    row_number: int
    reason: str
    original: dict[str, str]
    marked: frozenset[str] = frozenset()


def _reason(row_number: int, text: str) -> str:
    text = text.strip()
    return f"Row {row_number}: {text[:1].upper()}{text[1:]}" if text else f"Row {row_number}"


def _from_skipped(skipped: Iterable[dict[str, Any]] | Iterable[view_store.SkippedRow]) -> list[FixRow]:
    out = []
    for s in skipped:
        if isinstance(s, dict):
            number, reason, original = s["row"], s["reason"], s["original"]
            columns = s.get("columns") or ()
        else:
            number, reason, original, columns = s.row_number, s.reason, s.original, s.columns
        out.append(FixRow(int(number), _reason(int(number), reason), dict(original),
                          frozenset(columns)))
    return out


def preview_fix_rows(result: Any) -> list[FixRow]:
    """The invalid rows of an import (as edited in the preview), in sheet order, with the words
    the batch export uses for them and the preview's highlighted cells."""
    skipped = [s for s in batch_store.skipped_rows(result) if s["status"] == "invalid"]
    return _from_skipped(skipped)


def batch_fix_rows(session_factory: sessionmaker[Session], batch_id: int
                   ) -> tuple[list[str], list[FixRow]]:
    """The batch's columns and its rows to fix: invalid and duplicate rows (not sent) and failed
    ones (the API's answer), in sheet order. KeyError for an unknown batch."""
    with session_factory() as session:
        if view_store.get_batch(session, batch_id) is None:
            raise KeyError(f"no batch {batch_id}")
        columns = view_store.batch_columns(session, batch_id)
        mapping = view_store.batch_mapping(session, batch_id)
        failed = [r for r in view_store.batch_rows(session, batch_id) if r.status == RowState.FAILED]
        skipped = view_store.batch_skipped(session, batch_id)
    rows = _from_skipped(skipped)
    for r in failed:
        fields = _FIELDS_OF_CODE.get(r.error_code or "", ())
        marked = frozenset(mapping[f] for f in fields if f in mapping)
        rows.append(FixRow(r.row_number, _reason(r.row_number, row_reason(r)), dict(r.original),
                           marked))
    rows.sort(key=lambda r: r.row_number)
    return columns, rows


def _all_columns(columns: list[str], rows: list[FixRow]) -> list[str]:
    """The file's columns in its order (a stale reason column left out), then any a row has that
    the list missed (should not happen; kept rather than lost)."""
    out = [c for c in columns if not is_fix_list_reason(c)]
    for row in rows:
        for key in row.original:
            if key not in out and not is_fix_list_reason(key):
                out.append(key)
    return out


def write_fix_list(path: str | Path, columns: list[str], rows: list[FixRow]) -> int:
    """Write the fix list to `path` (.xlsx); the number of rows written (the header not
    counted). ValueError for another suffix, OSError when the file cannot be written."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"cannot write a fix list to {path.name!r}: the file name must end in .xlsx")
    columns = _all_columns(columns, rows)
    _write_atomically(path, lambda tmp: _write(tmp, columns, rows))
    return len(rows)


def write_preview_fix_list(result: Any, path: str | Path) -> int:
    """The preview's fix list (`bulkquote check FILE --fix-list OUT.xlsx`, the upload page)."""
    return write_fix_list(path, list(result.columns), preview_fix_rows(result))


def export_batch_fix_list(session_factory: sessionmaker[Session], batch_id: int,
                          path: str | Path) -> int:
    """A batch's fix list (`bulkquote export BATCH --fix-list -o OUT.xlsx`, the finished page)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":  # before reading the batch: a bad name is said at once
        raise ValueError(f"cannot write a fix list to {path.name!r}: the file name must end in .xlsx")
    columns, rows = batch_fix_rows(session_factory, batch_id)
    return write_fix_list(path, columns, rows)


def _write(tmp: Path, columns: list[str], rows: list[FixRow]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cells_of = [[row.original.get(c, "") for c in columns] for row in rows]
    numeric = _numeric_columns(cells_of, len(columns))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.freeze_panes = "B2"   # the reason beside every cell the rep scrolls to
    headers = [FIX_LIST_REASON, *columns]
    widths = [len(h) for h in headers]
    for row, cells in zip(rows[:_WIDTH_SAMPLE], cells_of):
        for i, value in enumerate([row.reason, *cells]):
            widths[i] = max(widths[i], len(str(value)))
    widths[0] = min(widths[0], 70)   # a long reason wraps rather than pushing the sheet away
    for i, width in enumerate(widths, start=1):
        limit = 70 if i == 1 else _MAX_WIDTH
        ws.column_dimensions[get_column_letter(i)].width = min(limit, max(_MIN_WIDTH, width + 2))
    bold = Font(bold=True)
    bad_fill = PatternFill(fill_type="solid", start_color=FILL, end_color=FILL)
    bad_font = Font(color=FONT)
    reason_fill = PatternFill(fill_type="solid", start_color=REASON_FILL, end_color=REASON_FILL)
    wrap, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    header_cells = []
    for h in headers:
        cell = _text_cell(WriteOnlyCell, ws, h)
        cell.font = bold
        header_cells.append(cell)
    header_cells[0].fill = reason_fill
    ws.append(header_cells)
    for row, cells in zip(rows, cells_of):
        reason = _text_cell(WriteOnlyCell, ws, row.reason)
        reason.fill, reason.alignment = reason_fill, wrap
        line = [reason]
        for i, (column, value) in enumerate(zip(columns, cells)):
            if i in numeric and value:
                cell = WriteOnlyCell(ws, value=_number(value))
            else:
                cell = _text_cell(WriteOnlyCell, ws, value)
            cell.alignment = top   # level with the first line of a wrapped reason
            if column in row.marked:
                cell.fill, cell.font = bad_fill, bad_font
            line.append(cell)
        ws.append(line)
    wb.save(tmp)
