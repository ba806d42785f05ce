"""A file on disk to a table of strings: every cell text, nothing interpreted yet.

CSV/TSV: the encoding is found (UTF-8, UTF-8 with BOM, UTF-16 with BOM, cp1252, latin-1), the
delimiter sniffed, and pandas' C parser does the reading. XLSX/XLS/ODS: python-calamine, cells
turned into the text the rep sees, so ZIP 02134 stored as text stays 02134 and a number 2134.0
becomes "2134" (the address rules then repair it). Errors are `SpreadsheetError`s whose message
is a sentence naming the file: never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

MAX_FILE_BYTES = 200 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".dat", "")
_SNIFF_CHARS = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_KINDS = "CSV, TSV, XLSX, XLS or ODS"


class SpreadsheetError(Exception):
    """The file as a whole cannot be used; str() is a full sentence naming the file."""


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


def _check_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SpreadsheetError(f"{path.name} does not exist ({path})") from None
    except OSError as exc:
        raise SpreadsheetError(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise SpreadsheetError(f"{path.name} is a folder, not a spreadsheet ({_KINDS})")
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(f"{path.name} is {size / 1024 / 1024:.1f} MB, over the "
                               f"{MAX_FILE_BYTES // 1024 // 1024} MB limit")
    if size == 0:
        raise SpreadsheetError(f"{path.name} is empty")
    return size


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(n)
    except OSError as exc:
        raise SpreadsheetError(f"{path.name} cannot be read: {exc.strerror or exc}") from None


def _is_workbook(path: Path) -> bool:
    head = _head(path)
    return head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC)


def list_sheets(path: str | Path) -> list[str]:
    """Worksheet names of a workbook, [] for CSV/TSV."""
    path = Path(path)
    _check_size(path)
    if not _is_workbook(path):
        return []
    workbook = _open_workbook(path)
    try:
        return list(workbook.sheet_names)
    finally:
        workbook.close()


def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    path = Path(path)
    _check_size(path)
    if _is_workbook(path):
        return _read_workbook(path, sheet)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise SpreadsheetError(f"{path.name} is not a valid {path.suffix.lstrip('.').upper()} "
                               "workbook (the file is damaged or has the wrong extension)")
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise SpreadsheetError(f"{path.name} is not a spreadsheet ({_KINDS})")
    if sheet:
        raise SpreadsheetError(f"{path.name} is a text file: it has no sheets (--sheet {sheet})")
    return _read_text(path)


# --- CSV / TSV ----------------------------------------------------------------------------------

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _looks_binary(head: bytes) -> bool:
    """More than 1% control bytes (NUL and the like): an image, a PDF, a database... A text
    export with a stray NUL or two is still read."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > max(2, len(head) // 100)


def _detect_encoding(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _looks_binary(data[:_SNIFF_CHARS]):
        raise SpreadsheetError(f"{name} is not a spreadsheet ({_KINDS})")
    if data.isascii():  # most files, and far cheaper to check than a full decode
        return "utf-8"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:  # Excel's "CSV" on Windows: the commonest non-UTF-8 file a rep has.
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1024 * 1024]).best()
    return best.encoding if best is not None else "latin-1"


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


_SCAN_BLOCK = 1024 * 1024


def _scan_plain_ascii(path: Path) -> bytes | None:
    """The file's first bytes when the whole file is ASCII without NULs (most exports), else
    None. Read in blocks into one buffer: pandas reads the file again, and holding a 30 MB copy
    costs more (allocation, page faults) than the scan itself."""
    buffer = bytearray(_SCAN_BLOCK)
    head = b""
    try:
        with path.open("rb") as f:
            while (size := f.readinto(buffer)) > 0:
                block = buffer if size == _SCAN_BLOCK else buffer[:size]
                if not block.isascii() or b"\x00" in block:
                    return None
                if len(head) < _SNIFF_CHARS * 4:
                    head += bytes(block[: _SNIFF_CHARS * 4 - len(head)])
    except OSError as exc:
        raise SpreadsheetError(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    return head


def _read_text(path: Path) -> RawTable:
    head = _scan_plain_ascii(path)
    if head is not None:  # the same answers as below, without the whole file in memory
        encoding = _detect_encoding(head, path.name)
        sample = head.decode(encoding)[:_SNIFF_CHARS]
        if not sample.strip():
            raise SpreadsheetError(f"{path.name} is empty")
        return _read_with_pandas(path, encoding, _sniff_delimiter(sample), None)
    data = path.read_bytes()
    encoding = _detect_encoding(data, path.name)
    try:
        sample = data[: _SNIFF_CHARS * 4].decode(encoding, errors="ignore")[:_SNIFF_CHARS]
    except LookupError:
        encoding = "latin-1"
        sample = data[:_SNIFF_CHARS].decode(encoding)
    if not sample.strip():
        raise SpreadsheetError(f"{path.name} is empty")
    delimiter = _sniff_delimiter(sample)
    if not encoding.startswith("utf-16") and b"\x00" in data:
        # Stray NULs stop both CSV parsers: drop them and read from memory.
        text = data.replace(b"\x00", b"").decode(encoding, errors="replace")
        return _table(_read_ragged(text, delimiter), encoding, delimiter)
    return _read_with_pandas(path, encoding, delimiter, data)


def _read_with_pandas(path: Path, encoding: str, delimiter: str, data: bytes | None) -> RawTable:
    try:
        # From the path, not the bytes in hand: pandas reads a file faster than a BytesIO.
        # dtype=object: plain str cells, no conversion to pandas' string dtype we'd undo.
        cells = pd.read_csv(path, sep=delimiter, header=None, dtype=object, na_filter=False,
                            skip_blank_lines=False, encoding=encoding, encoding_errors="replace",
                            quotechar='"', engine="c")
    except pd.errors.EmptyDataError:
        raise SpreadsheetError(f"{path.name} is empty") from None
    except OSError as exc:
        raise SpreadsheetError(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    except (pd.errors.ParserError, ValueError):  # ragged rows, odd quoting: the slow, lenient way
        try:
            if data is None:
                data = path.read_bytes()
            cells = _read_ragged(data.decode(encoding, errors="replace"), delimiter)
        except csv.Error as exc:
            raise SpreadsheetError(f"{path.name} cannot be read as CSV: {exc}") from None
    del data
    if isinstance(cells, pd.DataFrame):
        cells = [cells.iloc[:, p].to_numpy(dtype=object) for p in range(cells.shape[1])], len(cells)
    return _table(cells, encoding, delimiter)


def _table(cells: tuple[list[np.ndarray], int], encoding: str, delimiter: str) -> RawTable:
    columns, height = cells
    # Row numbers are record numbers (a quoted cell may span lines), which is what Excel shows.
    return RawTable(columns=columns, row_numbers=np.arange(1, height + 1), encoding=encoding,
                    delimiter=delimiter)


def _read_ragged(text: str, delimiter: str) -> tuple[list[np.ndarray], int]:
    """Rows with more fields than the first: slower, but every field is kept."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    width = max((len(r) for r in rows), default=0)
    padded = [r + [""] * (width - len(r)) for r in rows]
    return _columns_of(padded, width), len(rows)


def _columns_of(rows: list[list], width: int) -> list[np.ndarray]:
    columns = []
    for values in zip(*rows) if rows else [() for _ in range(width)]:
        column = np.empty(len(values), dtype=object)
        column[:] = values
        columns.append(column)
    return columns


# --- workbooks ----------------------------------------------------------------------------------

def _open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    try:
        with path.open("rb") as f:
            return CalamineWorkbook.from_filelike(f)
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for a bad file
        if "password" in str(exc).lower() or type(exc).__name__ == "PasswordError":
            raise SpreadsheetError(f"{path.name} is password-protected: save it without a "
                                   "password and try again") from None
        raise SpreadsheetError(f"{path.name} is not a spreadsheet ({_KINDS}): {exc}") from None


def _cell_text(value: object) -> str:
    if value.__class__ is str:
        return value  # type: ignore[return-value]
    if value.__class__ is float:
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
    return f"{name}: sheet {sheet!r} is empty{hint}"


def _read_workbook(path: Path, sheet: str | None) -> RawTable:
    workbook = _open_workbook(path)
    try:
        names = list(workbook.sheet_names)
        if not names:
            raise SpreadsheetError(f"{path.name} has no sheets")
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            matches = [n for n in names if n.casefold() == sheet.casefold()]
            if not matches:
                raise SpreadsheetError(f"{path.name} has no sheet named {sheet!r} "
                                       f"(sheets: {', '.join(names)})")
            sheet = matches[0]
        try:
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as exc:  # noqa: BLE001
            raise SpreadsheetError(f"{path.name} is damaged: sheet {sheet!r} cannot be read "
                                   f"({exc})") from None
    finally:
        workbook.close()
    if not rows or not rows[0]:
        raise SpreadsheetError(empty_sheet_message(path.name, sheet, names))
    columns = []
    for values in zip(*rows):
        # Most columns hold only text; convert the others' numbers, dates and booleans.
        if set(map(type, values)) != {str}:
            values = [v if v.__class__ is str else _cell_text(v) for v in values]
        column = np.empty(len(values), dtype=object)
        column[:] = values
        columns.append(column)
    return RawTable(columns=columns, row_numbers=np.arange(1, len(rows) + 1), sheet=sheet,
                    sheets=names)
