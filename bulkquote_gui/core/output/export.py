"""Batch results to CSV or XLSX: the whole sheet back, in its order, with every row's outcome.

Every row of the rep's file is written where it was: their own columns first, then its status
and reason (priced; failed and why; invalid and why; duplicate of row N; not sent: cancelled),
the address it was quoted for (cleaned: a ZIP typed "2116" was sent as "02116", and the rep's
own cells keep what they typed), then the quote's answer, and, when the sheet had two or more
address sets, the set each row was quoted from ("Address set", the name `check --rows` prints).
`priced_only` keeps just the rows that got a price.

Safe to open in a spreadsheet: in CSV, text a spreadsheet would run as a formula (starting with
`=`, `+`, `-`, `@`, tab, CR or LF, or their full-width forms, after any spaces) gets a leading
apostrophe, while plain numbers stay numbers. In XLSX every text is written as a string-typed
cell, which a spreadsheet never evaluates, so it is written as it was (`=1+1`, no apostrophe);
a column of the rep's that holds only numbers and blanks (longitude, latitude) is written as
numbers, a blank (spaces too) as an empty cell. The
file is written next to its destination under a temporary name and renamed at the end, so a
failed export never leaves half a file behind, with the permissions any new file of the rep's
gets (not the temporary file's 0600: a colleague on a shared drive must be able to open it).
A batch still running exports what it has so far.
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
from typing import Any, Callable, Iterable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import options as option_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.deal.changes import Changes, compare_batches
from bulkquote_gui.core.output.export_columns import (CHANGE_COLUMNS, RESULT_COLUMNS, BatchShape,
                                                      Column, money_format, row_reason)
from bulkquote_gui.core.file_modes import shared_mode
from bulkquote_gui.core.output.deal_summary import DealSummary, summarise
from bulkquote_gui.core.output.reasons import access_word
from bulkquote_gui.core.states import RowState

__all__ = ["FORMATS", "export_batch", "neutralise", "row_reason"]

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


def export_batch(session_factory: sessionmaker[Session], batch_id: int, path: Path, *,
                 priced_only: bool = False, table: tuple[Column, ...] = RESULT_COLUMNS,
                 compare_with: int | None = None, today: date | None = None) -> int:
    """Write the batch to `path` (.csv or .xlsx by suffix); returns the number of rows written.

    Every row of the sheet in its order (those not quoted too), or with `priced_only` only the
    priced ones; after the rep's columns, those of `table` (core/output/export_columns.py) the batch
    shows. With `compare_with` (an earlier batch), XLSX only, a "Changes" sheet: what changed
    since that batch, site by site (core/deal/changes.py; `today` says which of its offers had
    expired). Raises ValueError for another suffix, KeyError for an unknown batch, OSError
    when the folder cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot export to {path.name!r}: the file name must end in .xlsx or .csv")
    if compare_with is not None and suffix != ".xlsx":
        raise ValueError(f"the Changes sheet is in an Excel file: {path.name!r} must end in .xlsx")
    with session_factory() as session:
        if view_store.get_batch(session, batch_id) is None:
            raise KeyError(f"no batch {batch_id}")
        if compare_with is not None and view_store.get_batch(session, compare_with) is None:
            raise KeyError(f"no batch {compare_with} to compare with")
        columns = view_store.batch_columns(session, batch_id)
        rows = view_store.batch_rows(session, batch_id)
        skipped = [] if priced_only else view_store.batch_skipped(session, batch_id)
    # Decided on the whole batch, so a priced-only export has the same columns as the full one.
    with_sets = any(r.address_set for r in rows) or any(s.address_set for s in skipped)
    if priced_only:
        rows = [r for r in rows if r.status == RowState.COMPLETE]
    for row in [*rows, *skipped]:  # a column the import did not list (should not happen) is kept
        for key in row.original:
            if key not in columns:
                columns.append(key)
    shape = BatchShape(requoted=any(r.previous_mrc is not None for r in rows),
                       address_sets=with_sets)
    shown = [c for c in table if c.shown(shape)]
    headers = columns + [_unique(c.header, columns) for c in shown]
    # Sheet order: quoted rows keep theirs (position), the others go back between them.
    ordered = [r for _n, _k, r in sorted(
        [(r.row_number, 0, r) for r in rows] + [(s.row_number, 1, s) for s in skipped],
        key=lambda t: (t[0], t[1]))]
    records = [_record(r, columns, shown) for r in ordered]
    if suffix == ".csv":
        _write_atomically(path, lambda tmp: _write_csv(tmp, headers, len(columns), records))
    else:
        with session_factory() as session:
            options = option_store.batch_options(session, batch_id)
            changes = None if compare_with is None else compare_batches(
                session, compare_with, batch_id, today=today or date.today())
            chosen = choice_store.read_deal(session, batch_id)
        # A row's number formats: the rep's columns have none; the table's may read the row.
        formats = [None] * len(columns) + [c.number_format for c in shown]
        _write_atomically(path, lambda tmp: _write_xlsx(tmp, headers, len(columns), records,
                                                        formats=formats, rows=ordered,
                                                        options=options, changes=changes,
                                                        summary=summarise(chosen) if chosen else None))
    return len(records)


def _unique(header: str, taken: list[str]) -> str:
    """A result header that does not clash with one of the rep's own columns."""
    name = header
    while name in taken:
        name = f"Quote {name}" if not name.startswith("Quote ") else f"{name} (BulkQuote)"
    return name


def _record(row: view_store.RowView | view_store.SkippedRow, columns: list[str],
            shown: list[Column]) -> list[Any]:
    """The row's values: the rep's cells as text, then each shown column's, as the table fills
    a quoted row or one the batch did not quote."""
    cells = [row.original.get(c, "") for c in columns]
    if isinstance(row, view_store.RowView):
        return cells + [c.quoted(row) for c in shown]
    return cells + [c.skipped(row) for c in shown]


def _write_atomically(path: Path, write: Any) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".part", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, shared_mode())  # mkstemp's 0600 would lock colleagues out
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

_XLSX_NUMBER = re.compile(r"^-?(0|[1-9]\d{0,14})(\.\d{1,15})?$", re.ASCII)


def _numeric_columns(records: list[list[Any]], n_original: int) -> set[int]:
    """The rep's columns that hold only numbers (and blanks): written as numbers, not text.

    A leading zero (ZIP 02134, an account number) or a `+` keeps a column text: as a number it
    would lose what the rep typed.
    """
    numeric = set(range(n_original))
    seen: set[int] = set()
    for record in records:
        for i in list(numeric):
            value = record[i]
            if isinstance(value, str) and not value.strip():
                continue   # a blank, spaces too (a few sites without coordinates)
            if not isinstance(value, str) or not _XLSX_NUMBER.match(value.strip()):
                numeric.discard(i)
            else:
                seen.add(i)
        if not numeric:
            break
    return numeric & seen


def _number(text: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if "." not in text else float(text)


def _write_xlsx(tmp: Path, headers: list[str], n_original: int, records: list[list[Any]], *,
                formats: list[Callable[[Any], str] | None], rows: list[Any],
                options: list[Any] | None = None, changes: Changes | None = None,
                summary: DealSummary | None = None) -> None:
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
        header_cells.append(_text_cell(WriteOnlyCell, ws, h))
        header_cells[-1].font = bold
    ws.append(header_cells)
    numeric = _numeric_columns(records, n_original)
    for record, row in zip(records, rows, strict=True):
        cells = []
        for i, value in enumerate(record):
            if isinstance(value, str):
                if i in numeric:
                    cells.append(WriteOnlyCell(ws, value=_number(value)))   # a blank: empty
                else:
                    cells.append(_text_cell(WriteOnlyCell, ws, value))
                continue
            cell = WriteOnlyCell(ws, value=value)
            if value is not None and formats[i] is not None:
                cell.number_format = formats[i](row)
            cells.append(cell)
        ws.append(cells)
    if summary is not None:
        _summary_sheet(wb, summary, bold)
    if options is not None:
        _options_sheet(wb, options, bold)
    if changes is not None:
        _changes_sheet(wb, changes, bold)
    wb.save(tmp)


def _summary_sheet(wb: Any, deal: DealSummary, bold: Any) -> None:
    """What a rep puts in a proposal (core/output/deal_summary.py): the deal's totals from its
    chosen offers, what the other rules would cost, totals by carrier, and each site's chosen
    offer. Our own figures, so numbers are safe; names from the API are string-typed cells."""
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet("Summary")
    money = money_format(deal.currency)

    def row(*values: Any, money_from: int = 1, heading: bool = False) -> None:
        cells = []
        for i, value in enumerate(values):
            if isinstance(value, str):   # carrier names come from the API: never a formula
                cells.append(_text_cell(WriteOnlyCell, ws, value))
                if heading:
                    cells[-1].font = bold
                continue
            cell = WriteOnlyCell(ws, value=value)
            if heading:
                cell.font = bold
            elif i >= money_from and isinstance(value, Decimal):
                cell.number_format = money
            cells.append(cell)
        ws.append(cells)

    row("Deal summary", f"priced sites at their chosen offer, {deal.currency}", heading=True)
    row("Rule", deal.rule)
    row("Sites priced", deal.overall.sites, money_from=9)
    row("Total MRC", deal.overall.mrc)
    row("Total NRC", deal.overall.nrc)
    row("Total contract value (MRC x term + NRC)", deal.overall.contract_value)
    for label, count in (("Sites priced in another currency (not added)", deal.other_currency_sites),
                         ("Sites with no offer chosen (not added)", deal.not_chosen),
                         ("Sites that need review", deal.needs_review),
                         ("Sites you chose by hand", deal.chosen_by_rep)):
        if count:
            row(label, count, money_from=9)
    if deal.other_rules:
        ws.append([])
        row("Other rules would cost", "MRC", "MRC change", "Contract value",
            "Contract value change", heading=True)
        for other in deal.other_rules:
            row(other.short, other.mrc, other.mrc_change, other.contract_value,
                other.contract_value_change)
    ws.append([])
    row("By carrier", "Sites", "MRC", "NRC", "Contract value", heading=True)
    for carrier, totals in sorted(deal.by_carrier.items()):
        row(carrier, totals.sites, totals.mrc, totals.nrc, totals.contract_value, money_from=2)
    ws.append([])
    row("Chosen offer per site", "Provider", "Carrier", "Term (months)", "MRC", "NRC",
        "Contract value", "Level", "Chosen by", "Needs review", "Lowest contract value",
        heading=True)
    for site in deal.sites:
        o = site.offer
        level = o.level + (", alternate" if o.alternate else "")
        row(f"Row {site.row_number}", o.provider, o.carrier, o.term_months, o.mrc, o.nrc,
            o.contract_value, level, site.chosen_by, "yes" if site.needs_review else "no",
            site.cheapest_contract_value)


def _options_sheet(wb: Any, options: list[Any], bold: Any) -> None:
    """Every carrier option the API returned, one line per option, beside its site's row."""
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet("Options")
    headers = ("Row", "Option", "Recommended", "Carrier", "Product", "Mbps", "Term (months)",
               "MRC", "NRC", "Currency", "Install days", "Access", "Estimate")
    cells = []
    for h in headers:
        cells.append(WriteOnlyCell(ws, value=h))
        cells[-1].font = bold
    ws.append(cells)
    for o in options:
        money = money_format(o.currency)
        values = (o.row_number, o.position + 1, "yes" if o.recommended else "", o.carrier,
                  o.product, o.bandwidth_mbps, o.term_months, o.mrc, o.nrc, o.currency,
                  o.install_days, access_word(o.access),
                  "" if o.is_estimate is None else ("yes" if o.is_estimate else "no"))
        row = []
        for i, value in enumerate(values):
            if isinstance(value, str):   # the API's text: string-typed, never a formula
                row.append(_text_cell(WriteOnlyCell, ws, value))
                continue
            cell = WriteOnlyCell(ws, value=value)
            if i in (7, 8):
                cell.number_format = money
            row.append(cell)
        ws.append(row)


def _changes_sheet(wb: Any, changes: Changes, bold: Any) -> None:
    """What changed since the earlier batch (or deal): a line per site (CHANGE_COLUMNS), then
    what it is compared with, the totals (each in its currency; a change between two currencies
    said, not subtracted) and how many sites of each kind."""
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet("Changes")
    ws.freeze_panes = "A2"

    def line(values: Iterable[Any], formats: Iterable[str | None], heading: bool = False) -> None:
        cells = []
        for value, number_format in zip(values, formats):
            if isinstance(value, str):   # addresses and carriers: string-typed, never a formula
                cell = _text_cell(WriteOnlyCell, ws, value)
            else:
                cell = WriteOnlyCell(ws, value=value)
                if value is not None and number_format:
                    cell.number_format = number_format
            if heading:
                cell.font = bold
            cells.append(cell)
        ws.append(cells)

    line([c.header for c in CHANGE_COLUMNS], [None] * len(CHANGE_COLUMNS), heading=True)
    for site in changes.sites:
        line([c.value(site) for c in CHANGE_COLUMNS], [c.number_format for c in CHANGE_COLUMNS])
    ws.append([])
    if changes.old_side is not None:   # a deal named as one, not as the batch picked of it
        line(["Compared with", changes.old_side.name()], [None, None])

    def side_money(currencies: tuple[str, ...], value: Decimal) -> tuple[Any, str | None]:
        if len(currencies) > 1:   # one side in two currencies: its sum is no amount
            return f"Priced in {', '.join(currencies)}: not added up", None
        return value, money_format(currencies[0] if currencies else "")

    not_compared = f"Not compared: {changes.currency_words()}"
    for label, value in (("Monthly change (sites priced both times)", changes.monthly_change),
                         ("One-time change (sites priced both times)", changes.one_time_change)):
        if changes.currency is None:   # two currencies are never subtracted
            line([label, not_compared], [None, None])
        else:
            line([label, value], [None, money_format(changes.currency)])
    for label, currencies, value in (
            ("Monthly before", changes.old_currencies, changes.old_monthly),
            ("Monthly now", changes.new_currencies, changes.new_monthly),
            ("One-time before", changes.old_currencies, changes.old_one_time),
            ("One-time now", changes.new_currencies, changes.new_one_time)):
        shown, number_format = side_money(currencies, value)
        line([label, shown], [None, number_format])
    for kind, n in changes.counts.items():
        line([f"Sites: {kind}", n], [None, None])


def _text_cell(cell_type: Any, ws: Any, text: str) -> Any:
    """A string-typed cell: openpyxl would make `=1+1` a formula; a string is never evaluated."""
    cell = cell_type(ws, value=None)
    cell._value = _xlsx_text(text)
    cell.data_type = "s"
    return cell


def _xlsx_text(text: str) -> str:
    # Control characters are not allowed in XLSX XML (the cell is string-typed: no formula).
    return _XLSX_ILLEGAL.sub("", text)
