"""A file on disk to a table of strings: every cell text, nothing interpreted yet.

CSV/TSV: the encoding is decided on the whole file (UTF-8, a BOM that is checked, UTF-16/32
with or without one, cp1252, latin-1), the delimiter sniffed, and pandas' C parser does the
reading. XLSX/XLS/ODS: python-calamine, once workbook_guard has bounded what it will allocate;
cells turned into the text the rep sees, so ZIP 02134 stored as text stays 02134 and a number
2134.0 becomes "2134" (the address rules then repair it).

Every limit of core/intake/limits.py is checked on what the file holds before the table is built, in
memory bounded by the limits (one pass over the file in blocks, never the declared extent).
Every failure is a `SpreadsheetError` whose message is a sentence naming the file: never a
traceback.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bulkquote_gui.core.intake import workbook_guard as guard
from bulkquote_gui.core.intake.limits import (
    MAX_CELL_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, SpreadsheetError,
    display_name, mb)

__all__ = ["MAX_FILE_BYTES", "RawTable", "SpreadsheetError", "empty_sheet_message",
           "list_sheets", "read_table"]

DELIMITERS = (",", ";", "\t", "|")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".dat", "")
_SNIFF_CHARS = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an encrypted OOXML workbook
_KINDS = "CSV, TSV, XLSX, XLS or ODS"


@dataclass
class RawTable:
    """Cells column by column (object arrays of str, "" for blank), header row included."""

    columns: list[np.ndarray]
    row_numbers: np.ndarray    # the spreadsheet row number of each row
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheets: list[str] | None = None  # every sheet of a workbook

    @property
    def height(self) -> int:
        return len(self.row_numbers)

    def row(self, position: int) -> list[str]:
        return [column[position] for column in self.columns]

    def rows(self) -> list[list[str]]:
        return [list(r) for r in zip(*self.columns)] if self.columns else []


def _name(path: Path) -> str:
    return display_name(path.name)


def _check_file(path: str | Path) -> tuple[Path, int]:
    """The path as a regular, non-empty file within the size limit, and its size."""
    if not str(path).strip():
        raise SpreadsheetError("no file given: the path is empty")
    path = Path(path)
    name = _name(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SpreadsheetError(f"{name} does not exist ({display_name(str(path))})") from None
    except OSError as exc:
        raise SpreadsheetError(f"{name} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SpreadsheetError(f"{name} is a folder, not a spreadsheet ({_KINDS})")
    if not stat.S_ISREG(info.st_mode):
        kind = "a pipe" if stat.S_ISFIFO(info.st_mode) else \
            "a socket" if stat.S_ISSOCK(info.st_mode) else "a device"
        raise SpreadsheetError(f"{name} is not a regular file ({kind}): save the spreadsheet "
                               "to a file and open that")
    if info.st_size > MAX_FILE_BYTES:
        raise SpreadsheetError(f"{name} is {mb(info.st_size)}, over the "
                               f"{MAX_FILE_BYTES // 1024 // 1024} MB limit")
    if info.st_size == 0:
        raise SpreadsheetError(f"{name} is empty")
    if not os.access(path, os.R_OK):
        raise SpreadsheetError(f"{name} cannot be read: permission denied")
    return path, info.st_size


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(n)
    except OSError as exc:
        raise SpreadsheetError(f"{_name(path)} cannot be read: {exc.strerror or exc}") from None


def _is_workbook(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC)


def list_sheets(path: str | Path) -> list[str]:
    """Worksheet names of a workbook (hidden ones included), [] for CSV/TSV."""
    path, size = _check_file(path)
    if not _is_workbook(_head(path)):
        return []
    workbook, _inspection, archive = _open_workbook(path, size)
    try:
        return list(workbook.sheet_names)
    finally:
        workbook.close()
        if archive is not None:
            archive.close()


def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    path, size = _check_file(path)
    if _is_workbook(_head(path)):
        return _read_workbook(path, size, sheet)
    name = _name(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise SpreadsheetError(f"{name} is not a valid {path.suffix.lstrip('.').upper()} "
                               "workbook (the file is damaged or has the wrong extension)")
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise SpreadsheetError(f"{name} is not a spreadsheet ({_KINDS})")
    if sheet:
        raise SpreadsheetError(f"{name} is a text file: it has no sheets (--sheet {sheet})")
    try:
        return _read_text(path, size)
    except MemoryError:  # the limits should make this unreachable; never a traceback
        raise SpreadsheetError(f"{name} is too large to read in the memory available") from None


# --- CSV / TSV ----------------------------------------------------------------------------------

_BLOCK = MAX_CELL_BYTES // 2  # a line longer than a cell may be leaves a block without a newline
_HEAD_BYTES = 4 * _SNIFF_CHARS
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
# Checked longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"),
         (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"))
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _looks_binary(head: bytes) -> bool:
    """More than 1% control bytes (NUL and the like): an image, a PDF, a database... A text
    export with a stray NUL or two is still read."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > max(2, len(head) // 100)


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told by where the NUL bytes fall: ASCII text in UTF-16LE
    has a NUL at every odd offset, in UTF-32BE at three offsets of every four."""
    sample = head[: min(len(head), 64 * 1024) // 4 * 4]
    if len(sample) < 8:
        return None
    nul = (np.frombuffer(sample, dtype=np.uint8).reshape(-1, 4) == 0).mean(axis=0)
    if min(nul[1:]) > 0.9 and nul[0] < 0.5:
        return "utf-32-le"
    if min(nul[:3]) > 0.9 and nul[3] < 0.5:
        return "utf-32-be"
    even, odd = (nul[0] + nul[2]) / 2, (nul[1] + nul[3]) / 2
    if odd > 0.7 and even < 0.2:
        return "utf-16-le"
    if even > 0.7 and odd < 0.2:
        return "utf-16-be"
    return None


@dataclass
class _Scan:
    """One pass over the whole file, in blocks: what decides the encoding and bounds the parse."""

    encoding: str
    newline: str = "\n"
    newlines: int = 0
    delimiters: int = 0
    nul: bool = False
    long_line: bool = False  # some block has no newline: a cell may be over MAX_CELL_BYTES


def _blocks(path: Path):
    try:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                yield block
    except OSError as exc:
        raise SpreadsheetError(f"{_name(path)} cannot be read: {exc.strerror or exc}") from None


def _lying_bom(name: str, encoding: str, offset: int) -> SpreadsheetError:
    label = encoding.upper().replace("-SIG", "").replace("-LE", "").replace("-BE", "")
    return SpreadsheetError(f"{name} starts with a {label} byte-order mark but is not {label} "
                            f"(byte {offset:,} does not decode): save it again as CSV UTF-8")


def _scan_wide(path: Path, encoding: str, delimiter: str, marked: bool) -> _Scan:
    """UTF-16/32: decoded block by block (strictly: a wrong guess or a lying BOM is refused)."""
    scan = _Scan(encoding=encoding)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    counts = {"\n": 0, "\r": 0}
    for block in _blocks(path):
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:
            if marked:
                raise _lying_bom(_name(path), encoding, offset + exc.start) from None
            raise SpreadsheetError(f"{_name(path)} looks like {encoding.upper()} text without a "
                                   "byte-order mark, but does not decode as it: the encoding "
                                   "is unknown; save it again as CSV UTF-8") from None
        offset += len(block)
        n = text.count("\n")
        counts["\n"] += n
        counts["\r"] += text.count("\r")
        scan.delimiters += text.count(delimiter)
        scan.nul = scan.nul or "\x00" in text
        scan.long_line = scan.long_line or (n == 0 and len(text) * 2 >= _BLOCK)
    scan.newline = "\n" if counts["\n"] or not counts["\r"] else "\r"
    scan.newlines = counts[scan.newline]
    return scan


def _scan_bytes(path: Path, head: bytes, delimiter: str) -> _Scan:
    """8-bit text: UTF-8 if the whole file decodes as UTF-8, else cp1252 if none of its five
    undefined bytes occur, else charset-normalizer's guess on the first MB, else latin-1."""
    marked = head.startswith(b"\xef\xbb\xbf")
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, cp1252, offset = True, True, 0
    counts = {b"\n": 0, b"\r": 0}
    scan = _Scan(encoding="utf-8")
    wanted = delimiter.encode("ascii")
    for block in _blocks(path):
        if not block.isascii() or decoder.getstate()[0]:
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    if marked:
                        raise _lying_bom(_name(path), "utf-8", offset + exc.start) from None
                    utf8 = False
            if cp1252:  # every block: the fallback must hold for the whole file too
                cp1252 = not any(b in block for b in _CP1252_UNDEFINED)
        offset += len(block)
        n = block.count(b"\n")
        counts[b"\n"] += n
        if not n:  # only a file without LF counts records by CR (old Mac exports)
            counts[b"\r"] += block.count(b"\r")
        scan.delimiters += block.count(wanted)
        scan.nul = scan.nul or b"\x00" in block
        scan.long_line = scan.long_line or (n == 0 and len(block) == _BLOCK)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if marked:
                raise _lying_bom(_name(path), "utf-8", offset) from None
            utf8 = False
    if utf8:
        scan.encoding = "utf-8-sig" if marked else "utf-8"
    elif cp1252:  # Excel's "CSV" on Windows: the commonest non-UTF-8 file a rep has.
        scan.encoding = "cp1252"
    else:
        from charset_normalizer import from_bytes

        with path.open("rb") as f:
            best = from_bytes(f.read(1024 * 1024)).best()
        scan.encoding = best.encoding if best is not None else "latin-1"
        try:
            codecs.lookup(scan.encoding)
        except LookupError:
            scan.encoding = "latin-1"
    newline = b"\n" if counts[b"\n"] or not counts[b"\r"] else b"\r"
    scan.newline, scan.newlines = newline.decode(), counts[newline]
    return scan


def _count_records(path: Path, scan: _Scan, delimiter: str) -> tuple[int, int]:
    """(records, cells) counted outside quotes: exact for RFC 4180 quoting (a doubled quote
    toggles twice). Only run when the quote-blind counts are over a limit; stops past one."""
    wide = scan.encoding.startswith(("utf-16", "utf-32"))
    decoder = codecs.getincrementaldecoder(scan.encoding)(errors="replace") if wide else None
    quote, newline, sep = ('"', scan.newline, delimiter) if wide else \
        (b'"', scan.newline.encode(), delimiter.encode())
    inside = records = cells = 0
    for block in _blocks(path):
        chunk = decoder.decode(block) if decoder else block
        parts = chunk.split(quote)
        outside = (quote[:0]).join(parts[inside::2])
        lines = outside.count(newline)
        records += lines
        cells += outside.count(sep) + lines
        inside = (inside + len(parts) - 1) % 2
        if records > MAX_ROWS or cells > MAX_CELLS:
            break
    return records + 1, cells + 1


def _read_text(path: Path, size: int) -> RawTable:
    name = _name(path)
    head = _head(path, _HEAD_BYTES)
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None)
    marked = encoding is not None
    if encoding is None or encoding == "utf-8-sig":
        wide = None if marked else _wide_encoding(head)
        if wide is None and _looks_binary(head):
            raise SpreadsheetError(f"{name} is not a spreadsheet ({_KINDS})")
        encoding = wide or encoding
    if encoding is not None and encoding.startswith(("utf-16", "utf-32")):
        sample = head.decode(encoding, errors="ignore")[:_SNIFF_CHARS]
        delimiter = _sniff_delimiter(sample)
        scan = _scan_wide(path, encoding, delimiter, marked)
    else:
        sample = head.decode("latin-1")[:_SNIFF_CHARS]  # the delimiters are ASCII
        delimiter = _sniff_delimiter(sample)
        scan = _scan_bytes(path, head, delimiter)
    if not sample.strip("\ufeff\x00 \t\r\n"):
        raise SpreadsheetError(f"{name} is empty")
    if scan.newlines + 1 > MAX_ROWS or scan.delimiters + scan.newlines + 1 > MAX_CELLS:
        records, cells = _count_records(path, scan, delimiter)
        if records > MAX_ROWS:
            raise SpreadsheetError(f"{name} has more than {MAX_ROWS:,} rows, over the "
                                   f"{MAX_ROWS:,}-row limit: split it into smaller files")
        if cells > MAX_CELLS:
            raise SpreadsheetError(f"{name} has more than {MAX_CELLS:,} cells, over the "
                                   f"{MAX_CELLS:,}-cell limit: split it into smaller files")
    eof_in_quote = None
    if scan.nul:  # stray NULs stop pandas' parser: the lenient reader drops them
        cells = _read_ragged(path, scan.encoding, delimiter, strip_nul=True)
    else:
        cells, eof_in_quote = _read_with_pandas(path, scan.encoding, delimiter)
    table = _table(cells, scan.encoding, delimiter)
    _check_table(table, name, check_cell_size=scan.long_line)
    if eof_in_quote is not None or table.height < scan.newlines:  # some cell holds a newline
        _check_quotes(table, name, delimiter, scan.newline, eof_in_quote)
    return table


def _check_table(table: RawTable, name: str, check_cell_size: bool) -> None:
    width = len(table.columns)
    if table.height > MAX_ROWS:
        raise SpreadsheetError(f"{name} has {table.height:,} rows, over the {MAX_ROWS:,}-row "
                               "limit: split it into smaller files")
    if width > MAX_COLUMNS:
        raise SpreadsheetError(f"{name} has {width:,} columns, over the {MAX_COLUMNS:,}-column "
                               "limit")
    if width * table.height > MAX_CELLS:
        raise SpreadsheetError(f"{name} has {table.height:,} rows x {width:,} columns, over the "
                               f"{MAX_CELLS:,}-cell limit")
    if check_cell_size:
        for p, column in enumerate(table.columns):
            longest = max(map(len, column.tolist()), default=0)
            if len(column) and longest > MAX_CELL_BYTES:
                at = int(np.argmax([len(v) for v in column.tolist()]))
                raise SpreadsheetError(
                    f"{name}: row {int(table.row_numbers[at]):,} has a cell of {longest:,} "
                    f"characters, over the {MAX_CELL_BYTES:,}-character limit for one cell")


_SWALLOWED_LINES = 2  # a quoted cell holding this many whole-looking records is a lost quote


def _check_quotes(table: RawTable, name: str, delimiter: str, newline: str,
                  eof_at: int | None) -> None:
    """A quote left open swallows the lines after it into one cell, until the file ends or a
    stray quote closes it. A multi-line address holds a line or two with a comma; a swallowed
    record holds as many delimiters as a row has. Refused, naming the line the quote opens on."""
    width = len(table.columns)
    needed = max(2, width - 1)
    found: tuple[int, str] | None = None
    inner = np.zeros(table.height, dtype=np.int64)  # newlines inside each record's cells
    for column in table.columns:
        values = column.tolist()
        if newline not in "".join(values):
            continue
        for i, value in enumerate(values):
            if newline in value:
                inner[i] += value.count(newline)
                lines = value.split(newline)[1:]
                if found is None and sum(line.count(delimiter) >= needed for line in lines) \
                        >= _SWALLOWED_LINES:
                    found = (i, value)
    if found is None and eof_at is not None and eof_at < table.height:
        last = table.row(eof_at)
        if any(newline in v and v.split(newline, 1)[1].strip() for v in last):
            found = (eof_at, next(v for v in last if newline in v))
    if found is None:
        return
    at, value = found
    line = at + 1 + int(inner[:at].sum())
    swallowed = value.count(newline)
    ending = "the end of the file" if eof_at is not None and at == eof_at \
        else f"line {line + swallowed:,}"
    raise SpreadsheetError(f"{name}: a quote opened on line {line:,} is not closed where the "
                           f"cell ends, so the {swallowed:,} lines up to {ending} were read as "
                           "one cell; close or remove that quote and try again")


def _sniff_delimiter(sample: str) -> str:
    """The candidate that splits the first lines into the same number (>1) of fields most often.

    Quotes are honoured, so commas inside a quoted one-line address do not count.
    """
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and len(sample) >= _SNIFF_CHARS:
        lines = lines[:-1]  # the last line may be cut short
    text = "".join(lines[:200])
    best, best_score = ",", 0.0
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        if common < 2:
            continue
        score = widths.count(common) / len(widths) + common / 1000  # consistency, then width
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_with_pandas(path: Path, encoding: str, delimiter: str
                      ) -> tuple[tuple[list[np.ndarray], int], int | None]:
    """The cells, and the record where pandas found an unclosed quote running to the end."""
    import pandas as pd  # here: a file refused before parsing never pays for the import

    eof_at = None
    try:
        # dtype=object: plain str cells, no conversion to pandas' string dtype we'd undo.
        cells = pd.read_csv(path, sep=delimiter, header=None, dtype=object, na_filter=False,
                            skip_blank_lines=False, encoding=encoding, encoding_errors="replace",
                            quotechar='"', engine="c")
    except pd.errors.EmptyDataError:
        raise SpreadsheetError(f"{_name(path)} is empty") from None
    except OSError as exc:
        raise SpreadsheetError(f"{_name(path)} cannot be read: {exc.strerror or exc}") from None
    except (pd.errors.ParserError, ValueError) as exc:  # ragged rows, odd quoting: the lenient way
        text = str(exc)
        if "EOF inside string starting at row" in text:
            eof_at = int(text.rsplit("row", 1)[1].split()[0].strip(" ,."))
        return _read_ragged(path, encoding, delimiter, strip_nul=False), eof_at
    return ([cells.iloc[:, p].to_numpy(dtype=object) for p in range(cells.shape[1])],
            len(cells)), None


def _table(cells: tuple[list[np.ndarray], int], encoding: str, delimiter: str) -> RawTable:
    columns, height = cells
    # Row numbers are record numbers (a quoted cell may span lines), which is what Excel shows.
    return RawTable(columns=columns, row_numbers=np.arange(1, height + 1), encoding=encoding,
                    delimiter=delimiter)


def _read_ragged(path: Path, encoding: str, delimiter: str,
                 strip_nul: bool) -> tuple[list[np.ndarray], int]:
    """Rows with more fields than the first: slower, but every field is kept. Streamed, and
    bounded as it goes: a row wider than MAX_COLUMNS, or a table that aligned to its widest row
    would pass MAX_CELLS, is refused at that row. Rows are never padded: each column is built
    from the rows that reach it."""
    name = _name(path)
    csv.field_size_limit(MAX_CELL_BYTES)
    rows: list[list[str]] = []
    width = 0
    try:
        with path.open("r", encoding=encoding, errors="replace", newline="") as f:
            source = (line.replace("\x00", "") for line in f) if strip_nul else f
            for row in csv.reader(source, delimiter=delimiter):
                if len(row) > width:
                    width = len(row)
                    if width > MAX_COLUMNS:
                        raise SpreadsheetError(
                            f"{name}: row {len(rows) + 1:,} has {width:,} cells, over the "
                            f"{MAX_COLUMNS:,}-column limit")
                rows.append(row)
                if len(rows) > MAX_ROWS:
                    raise SpreadsheetError(f"{name} has more than {MAX_ROWS:,} rows, over the "
                                           f"{MAX_ROWS:,}-row limit: split it into smaller files")
                if width * len(rows) > MAX_CELLS:
                    raise SpreadsheetError(
                        f"{name}: aligned to its widest row ({width:,} cells), its first "
                        f"{len(rows):,} rows make more than {MAX_CELLS:,} cells, over the "
                        f"{MAX_CELLS:,}-cell limit")
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise SpreadsheetError(f"{name}: row {len(rows) + 1:,} has a cell over the "
                                   f"{MAX_CELL_BYTES:,}-character limit for one cell") from None
        raise SpreadsheetError(f"{name} cannot be read as CSV: {exc}") from None
    except OSError as exc:
        raise SpreadsheetError(f"{name} cannot be read: {exc.strerror or exc}") from None
    columns = []
    for p in range(width):
        column = np.empty(len(rows), dtype=object)
        column[:] = [r[p] if p < len(r) else "" for r in rows]
        columns.append(column)
    return columns, len(rows)


# --- workbooks ----------------------------------------------------------------------------------

def _open_workbook(path: Path, size: int):
    """(calamine workbook, inspection or None for a legacy .xls, open zip or None), after
    workbook_guard has bounded what calamine will be asked to read."""
    from python_calamine import CalamineWorkbook

    name = _name(path)
    workbook_suffix = path.suffix.lower() in WORKBOOK_SUFFIXES
    archive = inspection = None
    if _head(path).startswith(_OLE_MAGIC):
        guard.check_ole(path, name)
    else:
        archive = guard.open_zip(path, name, size, workbook_suffix)
        try:
            inspection = guard.inspect(path, name, archive)
        except BaseException:
            archive.close()
            raise
    try:
        with path.open("rb") as f:
            return CalamineWorkbook.from_filelike(f), inspection, archive
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for a bad file
        if archive is not None:
            archive.close()
        if "password" in str(exc).lower() or type(exc).__name__ == "PasswordError":
            raise SpreadsheetError(f"{name} {guard.PASSWORD_MESSAGE}") from None
        if archive is not None:  # a zip that holds a workbook, which calamine cannot read
            raise SpreadsheetError(f"{name} is damaged: its workbook cannot be read "
                                   f"({exc})") from None
        raise SpreadsheetError(f"{name} is not a spreadsheet ({_KINDS}): {exc}") from None


def _cell_text(value: object) -> str:
    if value.__class__ is str:
        return value  # type: ignore[return-value]
    if value.__class__ is float:
        if value != value or value in (float("inf"), float("-inf")):  # type: ignore[operator]
            return ""
        return str(int(value)) if value.is_integer() else repr(value)  # type: ignore[attr-defined]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def empty_sheet_message(name: str, sheet: str, sheets: list[str]) -> str:
    others = [s for s in sheets if s != sheet]
    hint = f" (other sheets: {', '.join(others)}; choose one with --sheet)" if others else ""
    return f"{display_name(name)}: sheet {sheet!r} is empty{hint}"


def _default_sheet(workbook, inspection) -> str:
    """The sheet the workbook opens on when it is visible, else the first visible one: a hidden
    (or veryHidden) sheet is read only when asked for by name."""
    names = list(workbook.sheet_names)
    if inspection is not None and inspection.active in names:
        return inspection.active
    try:
        visible = [m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")]
    except Exception:  # noqa: BLE001 - metadata is a nicety; the first sheet will do
        visible = []
    return visible[0] if visible else names[0]


def _read_workbook(path: Path, size: int, sheet: str | None) -> RawTable:
    name = _name(path)
    workbook, inspection, archive = _open_workbook(path, size)
    errors: dict[tuple[int, int], str] = {}
    try:
        names = list(workbook.sheet_names)
        if not names:
            raise SpreadsheetError(f"{name} has no sheets")
        if sheet is None:
            sheet = _default_sheet(workbook, inspection)
        elif sheet not in names:
            matches = [n for n in names if n.casefold() == sheet.casefold()]
            if not matches:
                raise SpreadsheetError(f"{name} has no sheet named {sheet!r} "
                                       f"(sheets: {', '.join(names)})")
            sheet = matches[0]
        if inspection is not None and inspection.kind == "xlsx":
            errors = guard.check_xlsx_sheet(archive, name, inspection, sheet)
        elif inspection is not None and inspection.kind == "xlsb":
            guard.check_xlsb_sheet(archive, name, inspection, sheet)
        try:
            found = workbook.get_sheet_by_name(sheet)
            problem = guard.extent_message(name, sheet, found.height, found.width)
            if problem:  # xls, xlsb: calamine's own extent, before the cells are converted
                raise SpreadsheetError(problem)
            rows = found.to_python(skip_empty_area=False)
        except SpreadsheetError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise SpreadsheetError(f"{name} is damaged: sheet {sheet!r} cannot be read "
                                   f"({exc})") from None
    finally:
        workbook.close()
        if archive is not None:
            archive.close()
    if not rows or not rows[0]:
        raise SpreadsheetError(empty_sheet_message(path.name, sheet, names))
    for (r, c), text in errors.items():  # calamine reads an error cell as blank; keep #REF!
        if r < len(rows) and c < len(rows[r]) and rows[r][c] in ("", None):
            rows[r][c] = text
    columns = []
    for values in zip(*rows):
        # Most columns hold only text; convert the others' numbers, dates and booleans.
        if set(map(type, values)) != {str}:
            values = [v if v.__class__ is str else _cell_text(v) for v in values]
        column = np.empty(len(values), dtype=object)
        column[:] = values
        columns.append(column)
    table = RawTable(columns=columns, row_numbers=np.arange(1, len(rows) + 1), sheet=sheet,
                     sheets=names)
    _check_table(table, name, check_cell_size=False)
    return table
