"""Hostile spreadsheets, generated: every kind of file a customer who does not mean well (or a
broken exporter) can hand a rep, each with the outcome `bulkquote check` must give.

    python tests/corpus/hostile.py OUT_DIR     # writes the files and lists them

Nothing binary is committed: each file is built here, small on disk. The huge ones are huge only
in what they declare (a cell reference, a repeat count, a zip size field) or compress to little,
so the whole corpus is written in a few seconds. `Case.expect` is either `Refused(pattern)`:
exit 2 with a sentence naming the file and the problem, or `Read(...)`: exit 0 with these counts.
"""

from __future__ import annotations

import os
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HEADER = "Street,City,State,ZIP\n"
GOOD_ROW = "1 Main St,Austin,TX,78701\n"


@dataclass
class Refused:
    pattern: str  # regex searched in the message; the file's name is checked separately


@dataclass
class Read:
    rows: int
    valid: int | None = None
    repaired: int | None = None
    invalid: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)   # items that must be in the mapping
    unmapped: tuple[str, ...] = ()                          # fields that must not be mapped
    messages: tuple[str, ...] = ()                          # substrings of some problem message
    check: Callable[[dict], bool] | None = None


@dataclass
class Case:
    name: str                 # file name in the folder (or an absolute path, for /dev/zero)
    expect: Refused | Read
    args: tuple[str, ...] = ()
    what: str = ""
    shown_name: str | None = None  # how the message names it, when not `name`


# --- builders -----------------------------------------------------------------------------------

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
       'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
       'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
       '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
       'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{sheets}</Types>')
_CT_SHEET = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.'
             'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
              'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
              '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
              'Target="xl/workbook.xml"/></Relationships>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_rows(rows: list[list[str]], first: int = 1) -> str:
    """Rows of text cells as sheetData XML."""
    out = []
    for r, cells in enumerate(rows, start=first):
        out.append(f'<row r="{r}">' + "".join(inline(f"{chr(65 + c)}{r}", v)
                                             for c, v in enumerate(cells)) + "</row>")
    return "".join(out)


SITES = [["Street", "City", "State", "ZIP"], ["1 Main St", "Austin", "TX", "78701"],
         ["2 Oak Ave", "Boston", "MA", "02134"]]


def xlsx(path: Path, sheets: list[tuple[str, str, str]], *, active: int | None = None,
         shared: bytes | None = None, prolog: dict[str, str] | None = None,
         dimension: str | None = None) -> None:
    """A workbook written by hand: sheets are (name, sheetData XML, state)."""
    prolog = prolog or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(sheets="".join(
            _CT_SHEET.format(n=n) for n in range(1, len(sheets) + 1))))
        z.writestr("_rels/.rels", _ROOT_RELS)
        entries = "".join(f'<sheet name="{name}" sheetId="{n}" state="{state}" r:id="rId{n}"/>'
                          for n, (name, _, state) in enumerate(sheets, start=1))
        views = f'<bookViews><workbookView activeTab="{active}"/></bookViews>' \
            if active is not None else ""
        z.writestr("xl/workbook.xml", prolog.get("workbook", "") +
                   f'<workbook xmlns="{_MAIN}" xmlns:r="{_R}">{views}<sheets>{entries}</sheets>'
                   "</workbook>")
        rels = "".join(f'<Relationship Id="rId{n}" Type="{_R}/worksheet" '
                       f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(sheets) + 1))
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
        for n, (_, data, _) in enumerate(sheets, start=1):
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            z.writestr(f"xl/worksheets/sheet{n}.xml", prolog.get("sheet", "") +
                       f'<worksheet xmlns="{_MAIN}">{dim}<sheetData>{data}</sheetData></worksheet>')
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)


def patch_member(path: Path, member: str, *, size: int | None = None, flags: int | None = None):
    """Rewrite a member's declared uncompressed size, or its flag bits, in both the local header
    and the central directory: a zip that lies."""
    data = bytearray(path.read_bytes())
    encoded = member.encode()
    for signature, size_at, flag_at, name_len_at, header in (
            (b"PK\x03\x04", 22, 6, 26, 30), (b"PK\x01\x02", 24, 8, 28, 46)):
        at = data.find(signature)
        while at >= 0:
            name_len = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + header: at + header + name_len]) == encoded:
                if size is not None:
                    struct.pack_into("<I", data, at + size_at, size)
                if flags is not None:
                    struct.pack_into("<H", data, at + flag_at, flags)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def shared_strings(texts: list[str]) -> str:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<sst xmlns="{_MAIN}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'


_ODS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:'
             'oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:'
             'opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:'
             'table:1.0" office:version="1.2"><office:body><office:spreadsheet>')
_ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def ods_cell(text: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (f'<table:table-cell office:value-type="string"{rep}><text:p>{text}</text:p>'
            "</table:table-cell>")


def ods_row(cells: list[str], repeat: int = 1) -> str:
    rep = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{rep}>" + "".join(cells) + "</table:table-row>"


def ods(path: Path, body: str, prolog: str = "") -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:'
                   'manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type="application'
                   '/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
        content = _ODS_HEAD + body + _ODS_TAIL
        if prolog:
            content = content.replace('<?xml version="1.0" encoding="UTF-8"?>',
                                      '<?xml version="1.0" encoding="UTF-8"?>' + prolog)
        z.writestr("content.xml", content)


def ods_sites(extra_rows: str = "") -> str:
    header = ods_row([ods_cell(c) for c in SITES[0]])
    rows = "".join(ods_row([ods_cell(c) for c in r]) for r in SITES[1:])
    return f'<table:table table:name="Sites">{header}{rows}{extra_rows}</table:table>'


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _record(kind: int, body: bytes = b"") -> bytes:
    return _varint(kind) + _varint(len(body)) + body


def _wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb(path: Path, rows: list[tuple[int, list[tuple[int, object]]]]) -> None:
    """A binary workbook (BIFF12) by hand: one sheet, rows of (column, text or number)."""
    book = (_record(0x83) + _record(0x8F) + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1")
                                                     + _wide("Data")) + _record(0x90) + _record(0x84))
    data = b""
    for r, cells in rows:
        data += _record(0x0000, struct.pack("<IIHBBBI", r, 0, 300, 0, 0, 0, 0))
        for c, v in cells:
            data += _record(0x0006, struct.pack("<I", c) + b"\0" * 4 + _wide(v)) if isinstance(v, str) \
                else _record(0x0005, struct.pack("<I", c) + b"\0" * 4 + struct.pack("<d", v))
    sheet = (_record(0x81) + _record(0x94, b"\0" * 16) + _record(0x91) + data + _record(0x92)
             + _record(0x82))
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/content-types"><Override PartName="/xl/workbook.bin" ContentType="'
                   'application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')
        z.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package'
                   f'/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.bin"/></Relationships>')
        z.writestr("xl/_rels/workbook.bin.rels", '<Relationships xmlns="http://schemas.openxmlformats'
                   f'.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                   'Target="worksheets/sheet1.bin"/></Relationships>')
        z.writestr("xl/workbook.bin", book)
        z.writestr("xl/worksheets/sheet1.bin", sheet)


def ole_with(names: list[str]) -> bytes:
    """An OLE compound file's first sectors: its header, and a directory sector naming the
    streams (an encrypted OOXML workbook has EncryptionInfo and EncryptedPackage)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack(
        "<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * (512 - 34)
    entries = b""
    for name in ["Root Entry", *names]:
        encoded = (name + "\x00").encode("utf-16-le")
        entries += encoded.ljust(64, b"\x00") + struct.pack("<H", len(encoded)) + \
            b"\x02" + b"\x00" * 61
    return header + entries.ljust(512 * 2, b"\x00") + os.urandom(4096)


# --- the cases ----------------------------------------------------------------------------------

def build(folder: Path | None) -> list[Case]:
    """Write every hostile file into `folder` (None: write nothing); the cases, in order."""
    cases: list[Case] = []

    def add(name: str, data: bytes | str | Callable[[Path], object] | None, expect, *,
            args: tuple[str, ...] = (), what: str = "", shown: str | None = None) -> None:
        cases.append(Case(name, expect, args, what, shown))
        if folder is None or not name or name.startswith("/"):
            return
        path = Path(folder) / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", newline="")
        elif isinstance(data, bytes):
            path.write_bytes(data)
        elif data is not None:
            data(path)

    # ---------------------------------------------------------------- workbooks: extent, sizes
    add("far_cell.xlsx", lambda p: xlsx(p, [("Data", sheet_rows(SITES[:1]) +
                                             '<row r="1048576"><c r="XFD1048576"><v>1</v></c>'
                                             "</row>", "visible")]),
        Refused(r"reaches row 1,048,576, over the 200,000-row limit"),
        what="one cell at XFD1048576: calamine would allocate 512 GiB")
    add("far_column.xlsx", lambda p: xlsx(p, [("Data", '<row r="1">' + inline("A1", "Street") +
                                               '<c r="XFD1"><v>1</v></c></row>', "visible")]),
        Refused(r"reaches column 16,384, over the 1,000-column limit"))
    add("wide_and_long.xlsx", lambda p: xlsx(p, [("Data", '<row r="1">' + inline("A1", "Street") +
                                                  '<c r="ALL1"><v>1</v></c></row><row r="6000">'
                                                  '<c r="A6000"><v>1</v></c></row>', "visible")]),
        Refused(r"spans 6,000 rows x 1,000 columns = 6,000,000 cells, over the 5,200,000-cell"))
    add("wide_then_far_row.xlsx", lambda p: xlsx(p, [("Data", '<row r="1">' + inline("A1", "Street")
                                                      + '<c r="BZ1"><v>1</v></c></row><row r="2">'
                                                      '<c r="A90000"><v>1</v></c></row>',
                                                      "visible")]),
        Refused(r"spans 90,000 rows x 78 columns"),
        what="a five-digit row in a sheet wider than 52 columns: read exactly, in a second pass")
    wide_header = SITES[0] + [f"Extra {n}" for n in range(24)]
    add("wide_28_columns.xlsx", lambda p: xlsx(p, [("Data", "".join(
        f'<row r="{r}">' + "".join(inline(f"{col}{r}", v) for col, v in zip(
            [chr(65 + c) for c in range(26)] + ["AA", "AB"], cells)) + "</row>"
        for r, cells in enumerate([wide_header, SITES[1] + ["x"] * 24], start=1)), "visible")]),
        Read(rows=1, valid=1), what="a legitimate 28-column sheet (the CMS export's width)")
    add("cells_without_refs.xlsx", lambda p: xlsx(p, [("Data", sheet_rows(SITES) + '<row r="4">'
                                                       + "<c><v>1</v></c>" * 20_000 + "</row>",
                                                       "visible")]),
        Refused(r"reaches column 20,000, over the 1,000-column limit"),
        what="20,000 cells without a reference in one row")
    add("refless_row_among_many.xlsx", lambda p: xlsx(p, [("Data", sheet_rows(SITES * 3000) +
                                                          '<row r="9001">' + "<c/>" * 1_500 +
                                                          "<c><v>1</v></c></row>", "visible")]),
        Refused(r"reaches column 1,501, over the 1,000-column limit"),
        what="one wide unreferenced row hidden among 9,000 narrow ones")
    add("refless_but_fine.xlsx", lambda p: xlsx(p, [("Data", "".join(
        "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row) + "</row>"
        for row in SITES), "visible")]), Read(rows=2, valid=2),
        what="a writer that omits every reference")
    def unresolvable_sheet(p: Path) -> None:
        xlsx(p, [("Data", sheet_rows(SITES[:1]) + '<row r="1048576"><c r="XFD1048576"><v>1</v>'
                          "</c></row>", "visible")])
        data = p.read_bytes().replace(b'Target="worksheets/sheet1.xml"',
                                      b'Target="./worksheets//sheet1.xml"')
        p.write_bytes(data)
    add("odd_sheet_target.xlsx", unresolvable_sheet, Refused(r"reaches row 1,048,576"),
        what="a sheet path written oddly (./ and //) still leads to the sheet that is bounded")
    add("row_300000.xlsx", lambda p: xlsx(p, [("Data", sheet_rows(SITES) +
                                               '<row r="300000"><c r="B300000"><v>1</v></c></row>',
                                               "visible")]),
        Refused(r"reaches row 300,000"))
    add("row_tags_no_refs.xlsx", lambda p: xlsx(p, [("Data", sheet_rows(SITES) + "<row/>" * 250_000,
                                                     "visible")]),
        Refused(r"reaches row 250,00\d, over the 200,000-row limit"),
        what="a quarter million rows without a reference, 4 KB compressed")
    add("dimension_only.xlsx", lambda p: xlsx(p, [("Data", sheet_rows(SITES), "visible")],
                                              dimension="A1:XFD1048576"),
        Read(rows=2, valid=2), what="a lying <dimension>: only the cells that exist count")

    def declared_2gb_shared_string(p: Path) -> None:
        xlsx(p, [("Data", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "visible")],
             shared=shared_strings(["Street"]).encode())
        patch_member(p, "xl/sharedStrings.xml", size=2 * 1024 ** 3)
    add("declares_2gb.xlsx", declared_2gb_shared_string,
        Refused(r"unpacks to 2048\.\d MB, over the 256\.0 MB limit"),
        what="one 2 GB shared string, as the zip declares it")

    def declared_billion_rows(p: Path) -> None:
        xlsx(p, [("Data", sheet_rows(SITES) + "<row/>" * 1000, "visible")])
        patch_member(p, "xl/worksheets/sheet1.xml", size=3_600_000_000)
    add("declares_billion_rows.xlsx", declared_billion_rows, Refused(r"unpacks to 3433\.\d MB"))

    def zip_lies_smaller(p: Path) -> None:
        xlsx(p, [("Data", sheet_rows(SITES * 50), "visible")])
        patch_member(p, "xl/worksheets/sheet1.xml", size=200)
    add("zip_lies_smaller.xlsx", zip_lies_smaller,
        Refused(r"damaged or truncated: its part xl/worksheets/sheet1\.xml"),
        what="a member that unpacks to more than its declared size")
    add("long_shared_string.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES[:1]) + '<row r="2"><c r="A2" t="s"><v>0</v>'
                                    "</c></row>", "visible")],
                       shared=shared_strings(["A" * 3_000_000]).encode()),
        Refused(r"holds a text of over 1\.0 MB in xl/sharedStrings\.xml"),
        what="a 3 MB shared string (3 KB compressed)")
    add("long_inline_string.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES[:1]) + '<row r="2">' +
                            inline("A2", "B" * 2_000_000) + "</row>", "visible")]),
        Refused(r"sheet 'Data' holds a text of over 1\.0 MB"))
    add("many_shared_strings.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES), "visible")],
                       shared=(f'<sst xmlns="{_MAIN}">' + "<si/>" * 5_300_000 + "</sst>").encode()),
        Refused(r"over 5,200,000 shared strings"))

    def many_members(p: Path) -> None:
        xlsx(p, [("Data", sheet_rows(SITES), "visible")])
        with zipfile.ZipFile(p, "a") as z:
            for n in range(10_001):
                z.writestr(f"xl/media/x{n}", b"")
    add("many_members.xlsx", many_members, Refused(r"holds 10,00\d zip members, over the 10,000"))

    # ---------------------------------------------------------------- workbooks: damaged, unsafe
    good: list[bytes] = []

    def cut(keep: Callable[[bytes], bytes]) -> Callable[[Path], None]:
        def write(p: Path) -> None:
            if not good:
                xlsx(p, [("Data", sheet_rows(SITES * 200), "visible")])
                good.append(p.read_bytes())
            p.write_bytes(keep(good[0]))
        return write

    def scramble(data: bytes) -> bytes:
        damaged = bytearray(data)
        at = damaged.find(b"xl/worksheets/sheet1.xml") + 40
        damaged[at: at + 200] = os.urandom(200)
        return bytes(damaged)

    add("truncated.xlsx", cut(lambda b: b[: len(b) // 2]),
        Refused(r"damaged or truncated: the end of the file \(the zip directory\) is missing"))
    add("truncated_tail.xlsx", cut(lambda b: b[:-8]), Refused(r"damaged or truncated"))
    add("corrupt_member.xlsx", cut(scramble), Refused(r"damaged"))
    add("encrypted.xlsx", ole_with(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"]),
        Refused(r"is password-protected: open it in Excel and save it without a password"),
        what="an encrypted OOXML workbook is an OLE file with an EncryptionInfo stream")

    def zip_password(p: Path) -> None:
        xlsx(p, [("Data", sheet_rows(SITES), "visible")])
        patch_member(p, "xl/workbook.xml", flags=0x1)
    add("zip_password.xlsx", zip_password, Refused(r"is password-protected"))
    xxe = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           f'<sst xmlns="{_MAIN}"><si><t>&xxe;</t></si></sst>')
    add("xxe_shared_strings.xlsx",
        lambda p: xlsx(p, [("Data", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "visible")],
                       shared=xxe.encode()),
        Refused(r"unsafe to read: its part xl/sharedStrings\.xml declares a DTD"))
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
              '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    add("billion_laughs_sheet.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES), "visible")], prolog={"sheet": laughs}),
        Refused(r"unsafe to read: its part xl/worksheets/sheet1\.xml"))
    add("dtd_workbook.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES), "visible")], prolog={"workbook": laughs}),
        Refused(r"unsafe to read: its part xl/workbook\.xml"))

    def zip_without_workbook(p: Path) -> None:
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("word/document.xml", "<w:document/>")
    add("report.xlsx", zip_without_workbook, Refused(r"is not a spreadsheet: it is a zip file "
                                                     r"with no workbook inside"))
    add("notes.docx", b"PK\x03\x04" + b"\x00" * 60, Refused(r"is not a spreadsheet"))
    add("csv_named.xlsx", HEADER + GOOD_ROW, Refused(r"is not a valid XLSX workbook"))
    add("garbage.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(2000),
        Refused(r"is not a spreadsheet"))

    def fake_xlsb(p: Path) -> None:
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("xl/workbook.bin", os.urandom(300))
            z.writestr("[Content_Types].xml", "<Types/>")
    add("fake.xlsb", fake_xlsb, Refused(r"damaged|not a spreadsheet"))

    # ---------------------------------------------------------------- workbooks: which sheet
    notes = sheet_rows([["Internal notes"], ["do not quote"]])
    add("hidden_first_sheet.xlsx",
        lambda p: xlsx(p, [("Secret", notes, "hidden"), ("Sites", sheet_rows(SITES), "visible")]),
        Read(rows=2, valid=2, mapping={"street": "Street"}),
        what="the visible sheet is read, not the hidden first one")
    add("very_hidden_first_sheet.xlsx",
        lambda p: xlsx(p, [("Secret", notes, "veryHidden"), ("Sites", sheet_rows(SITES), "visible")]),
        Read(rows=2, valid=2))
    add("active_third_sheet.xlsx",
        lambda p: xlsx(p, [("Notes", notes, "visible"), ("Old", notes, "visible"),
                           ("Sites", sheet_rows(SITES), "visible")], active=2),
        Read(rows=2, valid=2), what="the sheet the workbook opens on")
    add("active_but_hidden.xlsx",
        lambda p: xlsx(p, [("Secret", notes, "hidden"), ("Sites", sheet_rows(SITES), "visible")],
                       active=0),
        Read(rows=2, valid=2))
    add("hidden_by_name.xlsx",
        lambda p: xlsx(p, [("Secret", sheet_rows(SITES[:2]), "hidden"),
                           ("Sites", sheet_rows(SITES), "visible")]),
        Read(rows=1, valid=1), args=("--sheet", "Secret"), what="a hidden sheet only by --sheet")
    error_row = ('<row r="3"><c r="A3" t="e"><v>#REF!</v></c><c r="B3" t="e"><v>#N/A</v></c>'
                 '<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="D3" t="e"><v>#VALUE!</v></c>'
                 "</row>")
    add("error_cells_row.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES[:2]) + error_row + sheet_rows(SITES[2:], 4),
                            "visible")]),
        Read(rows=3, valid=2, invalid=1, messages=("street is #REF!, a spreadsheet error",)),
        what="a row of error cells is kept (invalid), not dropped")
    add("formula_street.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows(SITES + [["=cmd|' /C calc'!A0", "Austin", "TX",
                                                           "78701"]]), "visible")]),
        Read(rows=3, valid=2, invalid=1, messages=("looks like a formula, not an address",)))
    add("duplicate_street.xlsx",
        lambda p: xlsx(p, [("Data", sheet_rows([["Street", "Street", "City", "State", "ZIP"],
                                                ["1 Main St", "Rear", "Austin", "TX", "78701"]]),
                            "visible")]),
        Read(rows=1, valid=1, mapping={"street": "Street"}, unmapped=("unit",)))

    # ---------------------------------------------------------------- legacy XLS (BIFF8)
    def xls(cells: dict[str, dict[tuple[int, int], object]]) -> Callable[[Path], None]:
        def write(p: Path) -> None:
            import xlwt  # the test extra that writes .xls

            book = xlwt.Workbook()
            for sheet_name, values in cells.items():
                sheet = book.add_sheet(sheet_name)
                for (r, c), value in values.items():
                    sheet.write(r, c, value)
            book.save(str(p))
        return write

    sites = {(r, c): v for r, row in enumerate(SITES) for c, v in enumerate(row)}
    add("far_cell.xls", xls({"Data": {(0, 0): "Street", (65535, 255): 1}}),
        Refused(r"far_cell.xls: sheet 'Data' spans 65,536 rows x 256 columns"),
        what="calamine builds every .xls sheet as it opens the file: IV65536 aborted it")
    add("big_second_sheet.xls", xls({"Sites": sites, "Big": {(60000, 200): 1.5}}),
        Refused(r"sheet 'Big' spans 60,001 rows x 201 columns"))
    add("plain.xls", xls({"Sites": sites}), Read(rows=2, valid=2))

    # ---------------------------------------------------------------- XLSB (BIFF12)
    site_rows = [(r, list(enumerate(row))) for r, row in enumerate(SITES)]
    add("far_cell.xlsb", lambda p: xlsb(p, [(0, [(0, "Street")]), (1_048_575, [(16_383, 1.0)])]),
        Refused(r"far_cell.xlsb: sheet 'Data' reaches row 1,048,576"),
        what="the binary workbook's far cell: calamine asked for 512 GiB")
    add("far_column.xlsb", lambda p: xlsb(p, [(0, [(0, "Street"), (4_000_000_000, 1.0)])]),
        Refused(r"reaches column 4,000,000,001, over the 1,000-column limit"))
    add("plain.xlsb", lambda p: xlsb(p, site_rows), Read(rows=2, valid=2))

    # ---------------------------------------------------------------- ODS
    add("rows_repeated.ods", lambda p: ods(p, ods_sites(ods_row(
        [ods_cell("1 Main St"), ods_cell("Austin"), ods_cell("TX"), ods_cell("78701")],
        repeat=1_000_000))),
        Refused(r"sheet 'Sites' reaches row 1,000,00\d, over the 200,000-row limit"),
        what='number-rows-repeated="1000000" in under 1 KB')
    add("columns_repeated.ods", lambda p: ods(p, ods_sites(ods_row([ods_cell("x", 20_000)]))),
        Refused(r"reaches column 20,000, over the 1,000-column limit"))
    add("rows_times_columns.ods", lambda p: ods(p, ods_sites(ods_row([ods_cell("x", 900)],
                                                                     repeat=10_000))),
        Refused(r"cells, over the 5,200,000-cell limit"))
    add("trailing_empty_repeats.ods", lambda p: ods(p, ods_sites(
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>')),
        Read(rows=2, valid=2), what="what LibreOffice writes after the last row is not data")
    add("dtd.ods", lambda p: ods(p, ods_sites(), prolog='<!DOCTYPE x [<!ENTITY a "b">]>'),
        Refused(r"unsafe to read: its part content\.xml"))
    add("long_text.ods", lambda p: ods(p, ods_sites(ods_row([ods_cell("C" * 1_500_000)]))),
        Refused(r"holds a text of over 1\.0 MB"))
    add("plain.ods", lambda p: ods(p, ods_sites()), Read(rows=2, valid=2))

    # ---------------------------------------------------------------- CSV: size and shape
    add("wide_last_row.csv", HEADER + GOOD_ROW * 20_000 + ",".join(["x"] * 20_001) + "\n",
        Refused(r"row 20,002 has 20,001 cells, over the 1,000-column limit"),
        what="629 KB whose last row is 20,001 cells: no padding every row to it")
    add("ragged_cells.csv", HEADER + GOOD_ROW * 6_000 + ",".join(["x"] * 999) + "\n",
        Refused(r"aligned to its widest row \(999 cells\).*over the 5,200,000-cell limit"))
    add("one_char_cells.csv", ("a," * 3_000_000 + "a\n") * 2,
        Refused(r"more than 5,200,000 cells, over the 5,200,000-cell limit"),
        what="14 MB of one-character cells: refused before parsing")
    add("million_rows.csv", HEADER + GOOD_ROW * 1_000_000,
        Refused(r"more than 200,000 rows, over the 200,000-row limit"),
        what="26 MB, a million rows")
    add("rows_over_limit_quoted.csv", HEADER + '"1 Main St\nRear",Austin,TX,78701\n' * 210_000,
        Refused(r"more than 200,000 rows"))
    add("many_lines_few_rows.csv", HEADER + '"1 Main St\n\n\n",Austin,TX,78701\n' * 60_000,
        Read(rows=60_000, check=lambda s: s["rows"] == 60_000),
        what="240,000 lines but 60,000 records: quotes are counted")
    add("nul_and_long_field.csv", (HEADER + "1 Main\x00 St,Austin,TX,78701\n" +
                                   "2 Oak Ave," + "N" * 200_000 + ",TX,78701\n"),
        Read(rows=2, check=lambda s: s["rows"] == 2),
        what="a NUL byte and a 200 KB field: once a _csv.Error traceback")
    add("ragged_long_field.csv", (HEADER + GOOD_ROW + "2 Oak Ave,Austin,TX,78701,extra\n" +
                                  '"3 Elm St",' + '"' + "L" * 200_000 + '",TX,78701\n'),
        Read(rows=3, check=lambda s: s["rows"] == 3),
        what="ragged rows and a 200 KB field that pandas reads")
    add("cell_over_limit.csv", HEADER + GOOD_ROW + "2 Oak Ave,Austin,TX,78701,extra\n" +
        "3 Elm," + "M" * 1_200_000 + ",TX,78701\n",
        Refused(r"row 4 has a cell over the 1,048,576-character limit"))
    add("cell_over_limit_rectangular.csv", HEADER + "3 Elm," + "M" * 1_200_000 + ",TX,78701\n",
        Refused(r"row 2 has a cell of 1,200,000 characters, over the 1,048,576-character limit"))
    lines = [HEADER.strip()] + [f"{n} Main St,Austin,TX,78701" for n in range(1, 151)]
    lines[4] = '"5 Main St,Austin,TX,78701'  # line 5: a quote never closed
    add("unterminated_quote_eof.csv", "\n".join(lines) + "\n",
        Refused(r"a quote opened on line 5 is not closed.*up to the end of the file"),
        what="an unclosed quote swallowing the rest of the file")
    lines = [HEADER.strip()] + [f"{n} Main St,Austin,TX,78701" for n in range(1, 151)]
    lines[4] = '5 Main St,"Austin,TX,78701'
    lines[107] = '108 Main St,Austin,TX,78701"'
    add("unterminated_quote_closed_later.csv", "\n".join(lines) + "\n",
        Refused(r"a quote opened on line 5 is not closed where the cell ends, so the 103 lines "
                r"up to line 108"),
        what="swallows 102 rows into one cell, closed by a stray quote")
    add("multiline_addresses.csv", HEADER + '"1 Main St\nBuilding 2, Floor 3",Austin,TX,78701\n'
        '"2 Oak Ave\nRear",Boston,MA,02134\n',
        Read(rows=2, check=lambda s: s["rows"] == 2), what="quoted line breaks are not a lost quote")
    add("cr_only.csv", (HEADER + GOOD_ROW + "2 Oak Ave,Boston,MA,02134\n").replace("\n", "\r"),
        Read(rows=2, valid=2))

    # ---------------------------------------------------------------- CSV: text and formulas
    for n, street in enumerate(["=cmd|' /C calc'!A0", "@SUM(1,1)", "+1+1 Main", "-2+3 Main",
                                "\t=1+2", "\r=1+2", "＝1+1", "＠SUM(1)", "＋1"]):
        quoted = '"' + street.replace('"', '""') + '"'
        add(f"formula_{n}.csv", HEADER + GOOD_ROW + f"{quoted},Austin,TX,78702\n",
            Read(rows=2, valid=1, invalid=1, messages=("looks like a formula, not an address",)),
            what=f"street {street!r} is not quotable")
    add("formula_city.csv", HEADER + "1 Main St,=HYPERLINK(\"http://x\"),TX,78701\n",
        Read(rows=1, invalid=1, messages=("city", "looks like a formula")))
    add("fullwidth_zip.csv", HEADER + "1 Main St,Boston,MA,０２１３４\n",
        Read(rows=1, repaired=1, check=lambda s: any("'02134'" in p["message"]
                                                     for p in s["problems"])),
        what="full-width digits read as 02134, marked repaired")
    add("arabic_indic_zip.csv", HEADER + "1 Main St,Boston,MA,٠٢١٣٤\n", Read(rows=1, repaired=1))
    add("fullwidth_street.csv", HEADER + "１２ Ｍａｉｎ Ｓｔ,Austin,TX,78701\n",
        Read(rows=1, repaired=1, messages=("read as '12 Main St'",)))
    add("zero_width.csv", HEADER + "1 Main\u200b St,Aus\u200dtin,TX,78701\n",
        Read(rows=1, repaired=1, messages=("invisible characters removed",)))
    add("nbsp_and_controls.csv", HEADER + "1\u00a0Main St,Austin\x07,TX,78701\n",
        Read(rows=1, repaired=1))
    add("duplicate_street.csv", "Street,Street,City,State,ZIP\n1 Main St,Rear,Austin,TX,78701\n",
        Read(rows=1, valid=1, mapping={"street": "Street"}, unmapped=("unit",)),
        what="a second Street column is not the unit")

    # ---------------------------------------------------------------- CSV: encodings
    text = HEADER + "1 César Chávez St,San José,CA,95112\n"
    has_jose = lambda s: s["rows"] == 1 and not any("\ufffd" in p["message"]  # noqa: E731
                                                    for p in s["problems"])
    add("bom_lies.csv", b"\xef\xbb\xbf" + text.encode("cp1252"),
        Refused(r"starts with a UTF-8 byte-order mark but is not UTF-8"),
        what="cp1252 behind a UTF-8 BOM: once Caf\ufffd")
    add("utf16_bom_lies.csv", b"\xff\xfe" + text.encode("utf-16-le") + b"\x00\xd8A\x00",
        Refused(r"starts with a UTF-16 byte-order mark but is not UTF-16"))
    add("utf32le.csv", text.encode("utf-32"), Read(rows=1, valid=1, check=has_jose))
    add("utf32be.csv", b"\x00\x00\xfe\xff" + text.encode("utf-32-be"), Read(rows=1, valid=1))
    add("utf16le_no_bom.csv", text.encode("utf-16-le"), Read(rows=1, valid=1, check=has_jose),
        what="UTF-16 without a BOM: once 'not a spreadsheet'")
    add("utf16be_no_bom.csv", text.encode("utf-16-be"), Read(rows=1, valid=1))
    add("cp1252.csv", text.encode("cp1252"), Read(rows=1, valid=1))
    add("late_utf8.csv", (HEADER + GOOD_ROW * 40_000 + "1 César St,San José,CA,95112\n").encode(),
        Read(rows=40_001, check=lambda s: s["rows"] == 40_001),
        what="UTF-8 only past the first MB: decided on the whole file")

    # ---------------------------------------------------------------- not files, not text
    add("empty.csv", b"", Refused(r"is empty"))
    add("blank.csv", b"\r\n\r\n  \n", Refused(r"is empty"))
    add("zeros.csv", b"\x00" * 4096, Refused(r"is not a spreadsheet"))
    add("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000),
        Refused(r"is not a spreadsheet"))
    add("fifo.csv", lambda p: os.mkfifo(p), Refused(r"is not a regular file \(a pipe\)"))
    add("/dev/zero", None, Refused(r"zero is not a regular file \(a device\)"), shown="zero")
    add("", None, Refused(r"no file given: the path is empty"), shown="")
    add("a_folder", lambda p: p.mkdir(), Refused(r"is a folder"))
    def sparse(p: Path) -> None:
        with p.open("wb") as f:  # no disk used
            f.truncate(205 * 1024 * 1024)
    add("sparse_huge.csv", sparse,
        Refused(r"is 205\.0 MB, over the 200 MB limit"))
    bad_name = os.fsdecode(b"sites_\xff\xfe.csv")
    add(bad_name, HEADER + GOOD_ROW, Read(rows=1, valid=1,
                                          check=lambda s: s["file"].endswith("sites_\ufffd\ufffd.csv")),
        what="a file name with undecodable bytes: --json stays valid UTF-8")
    add(os.fsdecode(b"bad_\xff.xlsx"), b"not a workbook", Refused(r"bad_\ufffd\.xlsx is not a valid"),
        shown="bad_\ufffd.xlsx")
    return cases


def path_of(folder: Path, case: Case) -> str:
    if not case.name or case.name.startswith("/"):
        return case.name
    return str(Path(folder) / case.name)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_corpus")
    out.mkdir(parents=True, exist_ok=True)
    for case in build(out):
        print(f"{case.name or '(empty path)'}: {case.expect}")
