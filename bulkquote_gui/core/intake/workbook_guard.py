"""A workbook looked over, in bounded memory and time, before python-calamine may read it.

calamine allocates the whole rectangle a sheet's cells span (one cell at XFD1048576 asks for
1,048,576 x 16,384 cells and the process aborts), expands ODS repeated rows, and believes the
sizes a zip declares. So each workbook is inspected here first, by streaming its parts:

- An OLE file (D0 CF 11 E0) with an EncryptionInfo stream is an encrypted OOXML workbook.
- The zip directory must be readable (else: damaged or truncated), with at most MAX_ZIP_MEMBERS
  members whose declared sizes add up to at most MAX_UNCOMPRESSED_BYTES.
- Every XML part calamine will read is streamed and its bytes counted against what the zip
  declared (a zip can lie: zipfile stops at the declared size and checks the CRC), and refused
  when it carries a DTD (entity expansion, XXE). Parts we parse ourselves go through defusedxml.
- The chosen XLSX sheet: rows, columns (from the cell references), cells and the longest run of
  text are bounded; its error cells (#REF!, #N/A), which calamine turns into blanks, are kept.
- ODS content.xml is walked with defusedxml: repeated rows and columns count as what they
  expand to, trailing empty repeats (LibreOffice writes them) as nothing.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bulkquote_gui.core.intake.limits import (
    MAX_CELL_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_UNCOMPRESSED_BYTES, MAX_ZIP_MEMBERS,
    SpreadsheetError, mb)

_CHUNK = MAX_CELL_BYTES // 2  # see _TextRun
_SMALL_PART = 16 * 1024 * 1024   # workbook.xml, .rels: read whole, so bounded on their own
_ERROR_CELLS_KEPT = MAX_ROWS     # error cells remembered per sheet; more stay blank
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
PASSWORD_MESSAGE = "is password-protected: open it in Excel and save it without a password"


@dataclass
class Inspection:
    """What the inspection found that reading needs."""

    kind: str                                  # "xlsx", "xlsb", "ods" or "xls"
    active: str | None = None                  # the sheet the workbook opens on (XLSX)
    parts: dict[str, str] = field(default_factory=dict)  # XLSX sheet name -> zip member


def _damaged(name: str, what: str) -> SpreadsheetError:
    return SpreadsheetError(f"{name} is damaged or truncated: {what}; open it in Excel and "
                            "save it again")


def _too_big(name: str, size: int) -> SpreadsheetError:
    return SpreadsheetError(f"{name} unpacks to {mb(size)}, over the "
                            f"{mb(MAX_UNCOMPRESSED_BYTES)} limit for a workbook's contents")


def _unsafe(name: str, part: str) -> SpreadsheetError:
    return SpreadsheetError(f"{name} is unsafe to read: its part {part} declares a DTD or XML "
                            "entities, which a spreadsheet never needs")


def check_ole(path: Path, name: str) -> None:
    """An OLE compound file: an encrypted OOXML workbook (refused), or a legacy .xls whose
    sheets calamine builds, all of them, as it opens the file (check_xls)."""
    tail = b""
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            if _ENCRYPTION_INFO in tail + block:
                raise SpreadsheetError(f"{name} {PASSWORD_MESSAGE}")
            tail = block[-len(_ENCRYPTION_INFO):]
    check_xls(path, name)


# BIFF8 records that put a value in a cell (calamine skips BLANK/MULBLANK: formatting only).
_XLS_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0006, 0x0204, 0x0205, 0x00D6})
_XLS_MULRK, _XLS_BOF, _XLS_FILEPASS, _XLS_BOUNDSHEET = 0x00BD, 0x0809, 0x002F, 0x0085


def check_xls(path: Path, name: str) -> None:
    """Each sheet's extent, from the row and column of every value record of the Workbook
    stream, before calamine allocates it (a value at IV65536 is 16.7 M cells: calamine aborts
    at 1 GB). A file olefile cannot read is left for calamine to name."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is None:
                return
            data = ole.openstream(stream).read()
    except Exception:  # noqa: BLE001 - olefile raises several types for a damaged file
        return
    sheet, rows, columns, total = -1, 0, 0, 0
    names: list[str] = []

    def close_sheet() -> None:
        nonlocal total
        if sheet >= 1:  # substream 0 is the workbook globals
            label = names[sheet - 1] if sheet <= len(names) else f"number {sheet}"
            problem = extent_message(name, label, rows, columns)
            if problem:
                raise SpreadsheetError(problem)
            total += rows * columns
            if total > MAX_CELLS:
                raise SpreadsheetError(f"{name}: its sheets hold {total:,} cells, over the "
                                       f"{MAX_CELLS:,}-cell limit")

    at, end = 0, len(data)
    while at + 4 <= end:
        kind, size = struct.unpack_from("<HH", data, at)
        body = at + 4
        if kind == _XLS_BOF:
            close_sheet()
            sheet, rows, columns = sheet + 1, 0, 0
        elif kind == _XLS_BOUNDSHEET and sheet == 0 and size >= 8:
            length, wide = data[body + 6], data[body + 7] & 1
            raw = data[body + 8: body + 8 + length * (2 if wide else 1)]
            names.append(raw.decode("utf-16-le" if wide else "latin-1", "replace"))
        elif kind == _XLS_FILEPASS:
            raise SpreadsheetError(f"{name} {PASSWORD_MESSAGE}")
        elif kind in _XLS_CELLS and size >= 4:
            row, column = struct.unpack_from("<HH", data, body)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind == _XLS_MULRK and size >= 6:
            row = struct.unpack_from("<H", data, body)[0]
            last = struct.unpack_from("<H", data, body + size - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        at = body + size
    close_sheet()


def _zip_member_count(path: Path, name: str, size: int, workbook_suffix: bool) -> int:
    """Entries the zip's end record announces, read before zipfile builds one object each."""
    with path.open("rb") as f:
        f.seek(max(0, size - 65_557))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        if not workbook_suffix:
            raise SpreadsheetError(f"{name} is not a spreadsheet (a damaged zip file)")
        raise _damaged(name, "the end of the file (the zip directory) is missing")
    count = struct.unpack_from("<H", tail, at + 10)[0]
    at64 = tail.rfind(b"PK\x06\x06")
    if count == 0xFFFF and at64 >= 0 and at64 + 40 <= len(tail):
        count = struct.unpack_from("<Q", tail, at64 + 32)[0]
    return count


def open_zip(path: Path, name: str, size: int, workbook_suffix: bool) -> zipfile.ZipFile:
    count = _zip_member_count(path, name, size, workbook_suffix)
    if count > MAX_ZIP_MEMBERS:
        raise SpreadsheetError(f"{name} holds {count:,} zip members, over the "
                               f"{MAX_ZIP_MEMBERS:,} limit for a workbook")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        if not workbook_suffix:
            raise SpreadsheetError(f"{name} is not a spreadsheet (a damaged zip file)") from None
        raise _damaged(name, f"its zip directory cannot be read ({exc})") from None
    declared = sum(info.file_size for info in archive.infolist())
    if declared > MAX_UNCOMPRESSED_BYTES:
        archive.close()
        raise _too_big(name, declared)
    return archive


def _stream(archive: zipfile.ZipFile, member: str, name: str) -> Iterator[bytes]:
    """The member's bytes in chunks, refused on a DTD; never more than the zip declared."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise _damaged(name, f"its part {member} is missing") from None
    counted = 0
    tail = b""  # a declaration split between two chunks is still seen
    try:
        with archive.open(info) as f:
            while chunk := f.read(_CHUNK):
                counted += len(chunk)
                if counted > info.file_size:  # zipfile should stop there; never trust it alone
                    raise _damaged(name, f"its part {member} is larger than the zip says")
                seam = tail + chunk[:16]
                if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk or b"<!DOCTYPE" in seam \
                        or b"<!ENTITY" in seam:
                    raise _unsafe(name, member)
                tail = chunk[-16:]
                yield chunk
    except RuntimeError as exc:  # a zip member with its own (zip) password
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise SpreadsheetError(f"{name} {PASSWORD_MESSAGE}") from None
        raise _damaged(name, f"its part {member} cannot be unpacked ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _damaged(name, f"its part {member} cannot be unpacked ({exc})") from None


def _read_small(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    if archive.getinfo(member).file_size > _SMALL_PART:
        raise _too_big(name, archive.getinfo(member).file_size)
    return b"".join(_stream(archive, member, name))


def _parse_xml(data: bytes, member: str, name: str):
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        return SafeET.fromstring(data)
    except DefusedXmlException:
        raise _unsafe(name, member) from None
    except SafeET.ParseError as exc:
        raise _damaged(name, f"its part {member} is not well-formed XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def inspect(path: Path, name: str, archive: zipfile.ZipFile) -> Inspection:
    """Kind, sheets and the bounded checks of the parts read whatever the sheet."""
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        return _inspect_xlsx(archive, name)
    if "xl/workbook.bin" in names:
        return _inspect_xlsb(archive, name)
    if "content.xml" in names:
        _check_ods(archive, name)
        return Inspection(kind="ods")
    raise SpreadsheetError(f"{name} is not a spreadsheet: it is a zip file with no workbook "
                           "inside (CSV, TSV, XLSX, XLS or ODS)")


def _inspect_xlsx(archive: zipfile.ZipFile, name: str) -> Inspection:
    workbook = _parse_xml(_read_small(archive, "xl/workbook.xml", name), "xl/workbook.xml", name)
    targets: dict[str, str] = {}
    rels = "xl/_rels/workbook.xml.rels"
    if rels in archive.namelist():
        for rel in _parse_xml(_read_small(archive, rels, name), rels, name):
            target = rel.get("Target", "")
            member = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id", "")] = member
    sheets: list[tuple[str, str | None, bool]] = []
    active_tab = 0
    for element in workbook.iter():
        tag = _local(element.tag)
        if tag == "workbookView" and element.get("activeTab", "").isdigit():
            active_tab = int(element.get("activeTab"))
        elif tag == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            hidden = element.get("state", "visible") in ("hidden", "veryHidden")
            sheets.append((element.get("name", ""), targets.get(rid), hidden))
    visible = [s for s in sheets if not s[2]]
    active = None
    if sheets:
        active = sheets[active_tab][0] if active_tab < len(sheets) and not sheets[active_tab][2] \
            else (visible[0][0] if visible else sheets[0][0])
    for part in ("xl/sharedStrings.xml", "xl/styles.xml"):
        if part in archive.namelist():
            _scan_text_part(archive, part, name)
    return Inspection(kind="xlsx", active=active,
                      parts={sheet: part for sheet, part, _ in sheets if part})


class _TextRun:
    """The longest run of bytes between two '<' seen so far, fed the stream in pieces of at most
    _CHUNK (half a cell's limit) bytes. A run longer than MAX_CELL_BYTES must then cover a
    whole piece without '<', so only the runs that cross pieces are measured: O(1) a piece."""

    def __init__(self) -> None:
        self.open = 0  # bytes since the last '<'

    def feed(self, piece: bytes) -> bool:
        """True once a run is longer than MAX_CELL_BYTES."""
        first = piece.find(b"<")
        if first < 0:
            self.open += len(piece)
            return self.open > MAX_CELL_BYTES
        too_long = self.open + first > MAX_CELL_BYTES
        self.open = len(piece) - piece.rfind(b"<") - 1
        return too_long


_STRING_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")


def _scan_text_part(archive: zipfile.ZipFile, part: str, name: str) -> None:
    """Shared strings and styles: counted, DTD-free, no string longer than a cell may be, and
    no more strings than cells a sheet may hold."""
    run, strings = _TextRun(), 0
    for chunk in _stream(archive, part, name):
        if run.feed(chunk):
            raise SpreadsheetError(f"{name} holds a text of over {mb(MAX_CELL_BYTES)} in {part}, "
                                   f"over the {mb(MAX_CELL_BYTES)} limit for one cell")
        strings += chunk.count(b"<si>") + chunk.count(b"<si/>") + chunk.count(b"<si ")
        if strings > MAX_CELLS:
            raise SpreadsheetError(f"{name} holds over {MAX_CELLS:,} shared strings, over the "
                                   f"{MAX_CELLS:,}-cell limit")


_BIG_ROW = re.compile(rb'r="[A-Z]{0,3}(\d{6,})"')
_LONG_COLUMN = re.compile(rb'r="([A-Z]{2,})\d')
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\s([^>]*\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")
# Cell references reduced to their shape (digits 9, capitals A), so one C-speed search tells
# whether a chunk holds a row number of six digits or more, or a column of two letters or more;
# only then does a regex read the numbers. Most chunks of most sheets have neither.
_ANY_ROW = re.compile(rb'r="[A-Z]{0,3}(\d+)"')
# Up to this width, 99,999 rows fit in MAX_CELLS: only six-digit row numbers need reading.
_WIDTH_BOUNDED_BY_SIX_DIGITS = MAX_CELLS // 99_999
_SHAPE = bytes.maketrans(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"9" * 10 + b"A" * 26)


def column_number(letters: bytes | str) -> int:
    """A1-style column letters to 1-based: A = 1, XFD = 16,384."""
    number = 0
    for c in letters.encode() if isinstance(letters, str) else letters:
        number = number * 26 + c - 64
    return number


def extent_message(name: str, sheet: str, rows: int, columns: int) -> str | None:
    where = f"{name}: sheet {sheet!r}"
    if rows > MAX_ROWS:
        return f"{where} reaches row {rows:,}, over the {MAX_ROWS:,}-row limit"
    if columns > MAX_COLUMNS:
        return f"{where} reaches column {columns:,}, over the {MAX_COLUMNS:,}-column limit"
    if rows * columns > MAX_CELLS:
        return (f"{where} spans {rows:,} rows x {columns:,} columns = {rows * columns:,} cells, "
                f"over the {MAX_CELLS:,}-cell limit")
    return None


def check_xlsx_sheet(archive: zipfile.ZipFile, name: str, inspection: Inspection,
                     sheet: str) -> dict[tuple[int, int], str]:
    """Bound the sheet's extent before calamine allocates it; its error cells by (row, column),
    0-based, for the reader to put back."""
    part = inspection.parts.get(sheet)
    if part is None or part not in archive.namelist():
        # We could not follow the workbook to its sheet, but calamine may: bound every part
        # that could be one, rather than let calamine read an unchecked sheet.
        errors: dict[tuple[int, int], str] = {}
        for member in _maybe_sheets(archive, ".xml"):
            errors = _check_xlsx_part(archive, name, member, sheet)
        return errors
    return _check_xlsx_part(archive, name, part, sheet)


def _maybe_sheets(archive: zipfile.ZipFile, suffix: str) -> list[str]:
    return [m for m in archive.namelist() if m.lower().endswith(suffix)
            and "sheet" in m.lower() and not m.lower().endswith(("sharedstrings" + suffix))]


def _check_xlsx_part(archive: zipfile.ZipFile, name: str, part: str,
                     sheet: str) -> dict[tuple[int, int], str]:
    state = _SheetScan()
    run = _TextRun()
    carry = b""
    for piece in _stream(archive, part, name):
        if run.feed(piece):
            raise SpreadsheetError(f"{name}: sheet {sheet!r} holds a text of over "
                                   f"{mb(MAX_CELL_BYTES)}, over the limit for one cell")
        data = carry + piece
        cut = data.rfind(b"</row>") + 6  # whole rows, so no reference or error cell is split
        if cut < 6 and len(data) < 8 * _CHUNK:
            carry = data
            continue
        if cut < 6:
            cut = data.rfind(b">") + 1 or len(data)
        state.take(data[:cut], name, sheet)
        carry = data[cut:]
    if carry:
        state.take(carry, name, sheet)
    if state.max_column > _WIDTH_BOUNDED_BY_SIX_DIGITS:
        # Rows below 100,000 were not read: too many for this width. Read them all, once.
        highest = state.max_row
        for piece in _stream(archive, part, name):
            highest = max([highest, *map(int, _ANY_ROW.findall(piece))])
        problem = extent_message(name, sheet, highest, state.max_column)
        if problem:
            raise SpreadsheetError(problem)
    return state.errors


@dataclass
class _SheetScan:
    """What check_xlsx_sheet has counted so far; `take` refuses as soon as a limit is passed.

    Columns: without a reference of two letters or more the sheet is at most 26 wide, and
    MAX_CELLS allows MAX_ROWS x 26, so single-letter columns need no exact maximum. Rows: only
    numbers of six digits or more are read (see _WIDTH_BOUNDED_BY_SIX_DIGITS for wider sheets);
    the count of <row> elements bounds sheets whose rows carry no number."""

    rows: int = 0
    max_row: int = 0
    max_column: int = 0
    errors: dict[tuple[int, int], str] = field(default_factory=dict)

    def take(self, chunk: bytes, name: str, sheet: str) -> None:
        self.rows += chunk.count(b"<row")
        shape = chunk.translate(_SHAPE)
        if b'999999"' in shape:
            self.max_row = max([self.max_row, *map(int, _BIG_ROW.findall(chunk))])
        if b"AA9" in shape:
            wide = set(_LONG_COLUMN.findall(chunk))
            if wide:
                self.max_column = max(self.max_column, *map(column_number, wide))
        unreferenced = shape.count(b"<c") - shape.count(b'<c r="A')
        if unreferenced > 0 and unreferenced > shape.count(b"<col"):
            # Cells without a reference (allowed; some writers omit it) sit one after another:
            # the widest row counts its cells. Only such chunks pay for the per-row look.
            widest = max(row.count(b"<c ") + row.count(b"<c>") + row.count(b"<c/")
                         for row in chunk.split(b"</row>"))
            self.max_column = max(self.max_column, widest)
        problem = extent_message(name, sheet, max(self.rows, self.max_row),
                                 max(self.max_column, 26))
        if problem:
            raise SpreadsheetError(problem)
        if b't="e"' in chunk and len(self.errors) < _ERROR_CELLS_KEPT:
            for match in _ERROR_CELL.finditer(chunk):
                ref, value = _REF.search(match[1]), _VALUE.search(match[2])
                if ref and value:
                    self.errors[(int(ref[2]) - 1, column_number(ref[1]) - 1)] = \
                        value[1].decode("utf-8", "replace")


# --- XLSB (BIFF12): records of a varint type and a varint size ---------------------------------

_XLSB_ROW, _XLSB_BLANK, _XLSB_LAST_CELL = 0x0000, 0x0001, 0x000B
_XLSB_BUNDLE_SHEET, _XLSB_END_SHEET_DATA = 0x009C, 0x0092


def _varint(buffer: bytes, at: int, most: int) -> tuple[int | None, int]:
    value = 0
    for i in range(most):
        if at >= len(buffer):
            return None, at
        byte = buffer[at]
        at += 1
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            break
    return value, at


def _records(chunks: Iterator[bytes], keep: int = 16) -> Iterator[tuple[int, bytes]]:
    """(type, the first `keep` bytes of the body) of each record, streamed. Bodies are skipped,
    not kept, so a record that declares 4 GB costs only the bytes actually there."""
    buffer, skip = b"", 0
    for chunk in chunks:
        if skip:  # the rest of a body that spans chunks
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            chunk, skip = chunk[skip:], 0
        buffer += chunk
        at = 0
        while True:
            kind, body = _varint(buffer, at, 2)
            if kind is None:
                break
            size, body = _varint(buffer, body, 4)
            if size is None or body + min(size, keep) > len(buffer):
                break  # the header or the bytes kept straddle the chunk: wait for the next
            yield kind, buffer[body: body + min(size, keep)]
            if body + size > len(buffer):
                skip, at = body + size - len(buffer), len(buffer)
                break
            at = body + size
        buffer = buffer[at:]


def _inspect_xlsb(archive: zipfile.ZipFile, name: str) -> Inspection:
    """Sheet names to their parts, from workbook.bin's BrtBundleSh records and the rels."""
    targets: dict[str, str] = {}
    rels = "xl/_rels/workbook.bin.rels"
    if rels in archive.namelist():
        for rel in _parse_xml(_read_small(archive, rels, name), rels, name):
            target = rel.get("Target", "")
            targets[rel.get("Id", "")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    data = _read_small(archive, "xl/workbook.bin", name)
    parts: dict[str, str] = {}
    for kind, body in _records(iter([data]), keep=4096):
        if kind != _XLSB_BUNDLE_SHEET:
            continue
        try:  # hsState, iTabID, then strRelID and strName: u32 length + UTF-16
            length = struct.unpack_from("<I", body, 8)[0]
            rid = body[12: 12 + 2 * length].decode("utf-16-le")
            name_at = 12 + 2 * length
            name_length = struct.unpack_from("<I", body, name_at)[0]
            sheet = body[name_at + 4: name_at + 4 + 2 * name_length].decode("utf-16-le")
        except (struct.error, UnicodeDecodeError):
            continue
        if rid in targets:
            parts[sheet] = targets[rid]
    return Inspection(kind="xlsb", parts=parts)


def check_xlsb_sheet(archive: zipfile.ZipFile, name: str, inspection: Inspection,
                     sheet: str) -> None:
    """The sheet's extent from its row headers and cell records, before calamine builds it."""
    part = inspection.parts.get(sheet)
    if part is None or part not in archive.namelist():
        for member in _maybe_sheets(archive, ".bin"):  # as for XLSX: bound every candidate
            _check_xlsb_part(archive, name, member, sheet)
        return
    _check_xlsb_part(archive, name, part, sheet)


def _check_xlsb_part(archive: zipfile.ZipFile, name: str, part: str, sheet: str) -> None:
    row = rows = columns = 0
    for kind, head in _records(_stream(archive, part, name)):
        if kind == _XLSB_ROW and len(head) >= 4:
            row = struct.unpack_from("<I", head)[0]
            rows = max(rows, min(row, 0x0010_0000) + 1)
        elif _XLSB_BLANK < kind <= _XLSB_LAST_CELL and len(head) >= 4:
            columns = max(columns, struct.unpack_from("<I", head)[0] + 1)
            rows = max(rows, row + 1)
        elif kind == _XLSB_END_SHEET_DATA:
            break
        problem = extent_message(name, sheet, rows, columns)
        if problem:
            raise SpreadsheetError(problem)


class _Counted:
    """A zip member as a file object for iterparse, through _stream's checks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer = chunks, b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ROW, _CELL, _COVERED, _TABLE = (f"{{{_TABLE_NS}}}{t}" for t in
                                 ("table-row", "table-cell", "covered-table-cell", "table"))
_ROWS_REPEATED = f"{{{_TABLE_NS}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{{{_TABLE_NS}}}number-columns-repeated"
_VALUE_TYPE = f"{{{_OFFICE_NS}}}value-type"


def _repeat(element, attribute: str) -> int:
    text = element.get(attribute, "1")
    return int(text) if text.isdigit() and len(text) < 12 else MAX_CELLS + 1


def _check_ods(archive: zipfile.ZipFile, name: str) -> None:
    """Every table of content.xml (calamine reads them all at once) within the limits, counting
    repeated rows and columns as they expand; empty repeats at a table's end count for nothing."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    stream = _Counted(_stream(archive, "content.xml", name))
    total = 0
    table = ""
    row_at = last_row = width = 0
    try:
        for event, element in SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = element.tag
            if event == "start":
                if tag == _TABLE:
                    table = element.get(f"{{{_TABLE_NS}}}name", "")
                    row_at = last_row = width = 0
                continue
            if tag == _ROW:
                repeated = _repeat(element, _ROWS_REPEATED)
                filled = column = 0
                for cell in element:
                    if cell.tag not in (_CELL, _COVERED):
                        continue
                    column += _repeat(cell, _COLUMNS_REPEATED)
                    if cell.get(_VALUE_TYPE) or len(cell) or (cell.text or "").strip():
                        filled = column
                        text = "".join(cell.itertext())
                        if len(text) > MAX_CELL_BYTES:
                            raise SpreadsheetError(
                                f"{name}: sheet {table!r} holds a text of over "
                                f"{mb(MAX_CELL_BYTES)}, over the limit for one cell")
                row_at += repeated
                if filled:
                    last_row, width = row_at, max(width, filled)
                    problem = extent_message(name, table, last_row, width)
                    if problem:
                        raise SpreadsheetError(problem)
                element.clear()
            elif tag == _TABLE:
                total += last_row * width
                if total > MAX_CELLS:
                    raise SpreadsheetError(f"{name}: its sheets hold {total:,} cells, over the "
                                           f"{MAX_CELLS:,}-cell limit")
                element.clear()
    except DefusedXmlException:
        raise _unsafe(name, "content.xml") from None
    except SafeET.ParseError as exc:
        raise _damaged(name, f"its part content.xml is not well-formed XML ({exc})") from None
