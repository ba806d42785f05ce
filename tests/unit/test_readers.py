"""File -> table of strings: encodings, delimiters, line endings, workbooks, refusals."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from bulkquote_gui.core.intake.readers import MAX_FILE_BYTES, SpreadsheetError, list_sheets, read_table

HEADER = "Address,City,State,ZIP\n"


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(table) -> list[list[str]]:
    return table.rows()


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("utf-16", b""),
])
def test_encoding_is_found_not_assumed(tmp_path, encoding, prefix):
    text = HEADER + "1 César Chávez St – Rear,San José,CA,95112\n"
    path = write(tmp_path, "sites.csv", prefix + text.encode(encoding))
    table = read_table(path)
    assert rows(table)[0] == ["Address", "City", "State", "ZIP"]  # no BOM left on the header
    assert rows(table)[1] == ["1 César Chávez St – Rear", "San José", "CA", "95112"]


def test_latin1_bytes_that_cp1252_cannot_decode_still_read(tmp_path):
    path = write(tmp_path, "odd.csv", b"Address,City\n1 Main \x81St,Austin\n")
    assert rows(read_table(path))[1][1] == "Austin"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    text = delimiter.join(["Address", "City", "State", "ZIP"]) + "\n" + delimiter.join(
        ['"1 Main St, Suite 2"', "Austin", "TX", "78701"]) + "\n"
    table = read_table(write(tmp_path, "s.txt", text.encode()))
    assert table.delimiter == delimiter
    assert rows(table)[1] == ["1 Main St, Suite 2", "Austin", "TX", "78701"]


def test_single_column_of_quoted_addresses_is_one_column(tmp_path):
    data = b'"3 Park Avenue, 33rd Floor, NY, NY 10016"\r\n"758 N Larrabee, Chicago, IL 60654"\r\n'
    table = read_table(write(tmp_path, "one.csv", data))
    assert (len(table.columns), table.height) == (1, 2)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_line_endings_and_embedded_newlines_keep_record_numbers(tmp_path, newline):
    lines = [b"Address,City", b'"1 Main St' + newline + b'Building 2",Austin', b",", b"9 Oak,Waco"]
    table = read_table(write(tmp_path, "nl.csv", newline.join(lines) + newline))
    assert rows(table) == [["Address", "City"], ["1 Main St" + newline.decode() + "Building 2", "Austin"],
                           ["", ""], ["9 Oak", "Waco"]]
    assert table.row_numbers.tolist() == [1, 2, 3, 4]  # records, as Excel numbers them


def test_a_stray_nul_byte_does_not_refuse_a_text_export(tmp_path):
    table = read_table(write(tmp_path, "nul.csv", b"Address,City\n1 Main\x00 St,Austin\n"))
    assert rows(table) == [["Address", "City"], ["1 Main St", "Austin"]]


def test_ragged_rows_keep_every_field(tmp_path):
    table = read_table(write(tmp_path, "r.csv", b"a,b\n1,2,3\n4\n"))
    assert rows(table) == [["a", "b", ""], ["1", "2", "3"], ["4", "", ""]]


def test_xlsx_cells_read_as_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sites"
    ws.append(["Address", "ZIP", "Phone", "Rate", "Flag"])
    ws.append(["1 Main St", "02134", 5125550100, 2.5, True])
    ws.append(["2 Oak St", 2134, None, None, None])
    ws["B4"] = "#N/A"  # openpyxl stores this as an error cell
    other = wb.create_sheet("Other")
    other.append(["Address"])
    other.append(["9 Elm"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert list_sheets(path) == ["Sites", "Other"]
    table = read_table(path)
    assert table.sheet == "Sites"
    assert rows(table)[1] == ["1 Main St", "02134", "5125550100", "2.5", "TRUE"]
    assert rows(table)[2][:3] == ["2 Oak St", "2134", ""]
    assert rows(table)[3][1] in ("", "#N/A")  # error cell: never a crash, blank for validation
    assert rows(read_table(path, sheet="other"))[1] == ["9 Elm"]  # case-insensitive name
    with pytest.raises(SpreadsheetError, match=r"book.xlsx has no sheet named 'Nope' \(sheets: Sites, Other\)"):
        read_table(path, sheet="Nope")


def _minimal_xlsx(path, cells_xml: str) -> None:
    """A hand-written workbook whose formula cells carry cached values (openpyxl cannot)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
            'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'))
        z.writestr("xl/worksheets/sheet1.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
            f'org/spreadsheetml/2006/main"><sheetData>{cells_xml}</sheetData></worksheet>'))


def test_formula_cached_values_and_error_cells(tmp_path):
    path = tmp_path / "formulas.xlsx"
    _minimal_xlsx(path, (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Street</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>ZIP</t></is></c></row>'
        '<row r="3"><c r="A3" t="str"><f>CONCAT("1 ","Main St")</f><v>1 Main St</v></c>'
        '<c r="B3"><f>1000+1134</f><v>2134</v></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>2 Oak</t></is></c>'
        '<c r="B4" t="e"><f>VLOOKUP(1,C:C,1)</f><v>#N/A</v></c></row>'))
    table = read_table(path)
    assert rows(table)[2] == ["1 Main St", "2134"]
    assert rows(table)[3][0] == "2 Oak" and rows(table)[3][1] in ("", "#N/A")
    assert table.row_numbers.tolist() == [1, 2, 3, 4]  # the blank row 2 still counts


def test_ods_workbook(tmp_path):
    path = tmp_path / "sites.ods"
    pd.DataFrame({"Address": ["1 Main St"], "ZIP": ["02134"]}).to_excel(path, engine="odf", index=False)
    assert list_sheets(path) == ["Sheet1"]
    assert rows(read_table(path)) == [["Address", "ZIP"], ["1 Main St", "02134"]]


def test_csv_has_no_sheets(tmp_path):
    path = write(tmp_path, "a.csv", HEADER.encode())
    assert list_sheets(path) == []
    with pytest.raises(SpreadsheetError, match="a.csv is a text file: it has no sheets"):
        read_table(path, sheet="Sheet1")


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", b"", "empty.csv is empty"),
    ("blank.csv", b"\r\n\r\n  \n", "blank.csv is empty"),
    ("orders.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", r"orders.pdf is not a spreadsheet \(CSV, TSV, XLSX, XLS or ODS\)"),
    ("notes.docx", b"PK\x03\x04" + b"\x00" * 60, "notes.docx is not a spreadsheet"),
    ("fake.xlsx", b"Address,City\n1 Main,Austin\n", "fake.xlsx is not a valid XLSX workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.xls is not a spreadsheet"),
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv is not a spreadsheet"),
])
def test_refusals_are_sentences_naming_the_file(tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(SpreadsheetError, match=message):
        read_table(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SpreadsheetError, match="nope.csv does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(SpreadsheetError, match="is a folder"):
        read_table(tmp_path)


def test_file_over_the_size_limit_is_refused_with_size_and_limit(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:  # sparse: no real disk used
        f.truncate(MAX_FILE_BYTES + 5 * 1024 * 1024)
    with pytest.raises(SpreadsheetError, match=r"huge.csv is 205.0 MB, over the 200 MB limit"):
        read_table(path)


# --- bounded reading (core/intake/limits.py): each limit refused before the table is built --------------

from bulkquote_gui.core.intake.limits import MAX_CELL_BYTES, MAX_ROWS  # noqa: E402
from tests.corpus.hostile import (  # noqa: E402
    SITES, ods, ods_cell, ods_row, ods_sites, ole_with, patch_member, sheet_rows,
    shared_strings, xlsx)


def test_rows_past_the_limit_are_refused_before_parsing(tmp_path):
    path = write(tmp_path, "many.csv", (HEADER + "1 Main,Austin,TX,78701\n" * MAX_ROWS).encode())
    with pytest.raises(SpreadsheetError, match=r"many.csv has more than 200,000 rows, over the "
                                               r"200,000-row limit"):
        read_table(path)


def test_quoted_line_breaks_are_not_counted_as_rows(tmp_path):
    path = write(tmp_path, "q.csv", (HEADER + '"1 Main\n\nRear",Austin,TX,78701\n' * 70_000).encode())
    assert read_table(path).height == 70_001  # 210,001 lines, 70,001 records


def test_a_row_wider_than_the_column_limit_names_its_row(tmp_path):
    path = write(tmp_path, "w.csv", (HEADER + "1,2,3,4\n" * 10 + ",".join("x" * 1001) + "\n").encode())
    with pytest.raises(SpreadsheetError, match=r"w.csv: row 12 has 1,001 cells, over the 1,000-column"):
        read_table(path)


def test_ragged_rows_are_not_padded_row_by_row_and_keep_their_cells(tmp_path):
    table = read_table(write(tmp_path, "r.csv", b"a,b\n1,2,3,4,5\n6\n"))
    assert [len(c) for c in table.columns] == [3] * 5
    assert rows(table) == [["a", "b", "", "", ""], ["1", "2", "3", "4", "5"], ["6", "", "", "", ""]]


@pytest.mark.parametrize("nul", [b"", b"\x00"])
def test_a_200_kb_field_is_read_in_a_ragged_file_and_beside_a_nul(tmp_path, nul):
    data = HEADER.encode() + b"1 Main" + nul + b",Austin,TX,78701,extra\n2 Oak," + b"L" * 200_000 + b",TX,1\n"
    table = read_table(write(tmp_path, "long.csv", data))
    assert rows(table)[2][1] == "L" * 200_000


def test_a_field_over_the_cell_limit_is_a_sentence_not_a_csv_error(tmp_path):
    data = HEADER + "1,2,3,4,5\n2 Oak," + "L" * (MAX_CELL_BYTES + 10) + ",TX,1\n"
    with pytest.raises(SpreadsheetError, match=r"big.csv: row 3 has a cell over the 1,048,576-"):
        read_table(write(tmp_path, "big.csv", data.encode()))


def test_an_unclosed_quote_is_reported_with_the_line_it_opens_on(tmp_path):
    lines = [HEADER.strip()] + [f"{n} Main St,Austin,TX,78701" for n in range(1, 40)]
    lines[6] = '7 Main St,"Austin,TX,78701'
    with pytest.raises(SpreadsheetError, match=r"q.csv: a quote opened on line 7 is not closed .* "
                                               r"up to the end of the file"):
        read_table(write(tmp_path, "q.csv", ("\n".join(lines) + "\n").encode()))
    lines[20] = '21 Main St,Austin,TX,78701"'
    with pytest.raises(SpreadsheetError, match=r"a quote opened on line 7 .* the 14 lines up to line 21"):
        read_table(write(tmp_path, "q.csv", ("\n".join(lines) + "\n").encode()))


@pytest.mark.parametrize("encoding, data", [
    ("utf-16-le", lambda t: t.encode("utf-16-le")), ("utf-16-be", lambda t: t.encode("utf-16-be")),
    ("utf-32", lambda t: t.encode("utf-32")), ("utf-32", lambda t: b"\x00\x00\xfe\xff" + t.encode("utf-32-be")),
])
def test_utf16_without_a_bom_and_utf32_are_read_as_what_they_are(tmp_path, encoding, data):
    text = HEADER + "1 César Chávez St,San José,CA,95112\n"
    table = read_table(write(tmp_path, "w.csv", data(text)))
    assert table.encoding == encoding
    assert rows(table)[1] == ["1 César Chávez St", "San José", "CA", "95112"]


def test_a_bom_that_lies_is_refused_not_read_as_mojibake(tmp_path):
    path = write(tmp_path, "cafe.csv", b"\xef\xbb\xbf" + (HEADER + "1 Main,Caf\xe9,TX,1\n").encode("latin-1"))
    with pytest.raises(SpreadsheetError, match=r"cafe.csv starts with a UTF-8 byte-order mark but "
                                               r"is not UTF-8"):
        read_table(path)


def test_the_encoding_is_decided_on_the_whole_file(tmp_path):
    text = HEADER + "1 Main St,Austin,TX,78701\n" * 50_000 + "2 Oak,San José,CA,95112\n"
    table = read_table(write(tmp_path, "late.csv", text.encode("utf-8")))
    assert table.encoding == "utf-8" and rows(table)[-1][1] == "San José"
    table = read_table(write(tmp_path, "late.csv", text.encode("cp1252")))
    assert table.encoding == "cp1252" and rows(table)[-1][1] == "San José"


def test_pipes_devices_and_empty_paths_say_what_they_are(tmp_path):
    import os

    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    with pytest.raises(SpreadsheetError, match=r"in.csv is not a regular file \(a pipe\)"):
        read_table(fifo)
    with pytest.raises(SpreadsheetError, match=r"zero is not a regular file \(a device\)"):
        read_table("/dev/zero")
    with pytest.raises(SpreadsheetError, match=r"no file given: the path is empty"):
        read_table("")


def test_an_undecodable_file_name_is_shown_with_replacement_characters(tmp_path):
    import os

    path = tmp_path / os.fsdecode(b"caf\xe9.pdf")
    path.write_bytes(b"%PDF")
    with pytest.raises(SpreadsheetError) as caught:
        read_table(path)
    assert str(caught.value).startswith("caf\ufffd.pdf is not a spreadsheet")
    str(caught.value).encode("utf-8")  # no lone surrogate left


def test_a_far_cell_is_refused_before_calamine_allocates_the_extent(tmp_path):
    path = tmp_path / "far.xlsx"
    xlsx(path, [("Data", sheet_rows(SITES[:1]) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c>'
                         "</row>", "visible")])
    with pytest.raises(SpreadsheetError, match=r"far.xlsx: sheet 'Data' reaches row 1,048,576, "
                                               r"over the 200,000-row limit"):
        read_table(path)


def test_a_declared_dimension_alone_costs_nothing(tmp_path):
    path = tmp_path / "dim.xlsx"
    xlsx(path, [("Data", sheet_rows(SITES), "visible")], dimension="A1:XFD1048576")
    assert read_table(path).height == 3


def test_zip_sizes_are_checked_declared_and_streamed(tmp_path):
    path = tmp_path / "bomb.xlsx"
    xlsx(path, [("Data", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "visible")],
         shared=shared_strings(["Street"]).encode())
    patch_member(path, "xl/sharedStrings.xml", size=2 * 1024 ** 3)
    with pytest.raises(SpreadsheetError, match=r"bomb.xlsx unpacks to 2048.0 MB, over the 256.0 MB"):
        read_table(path)
    xlsx(path, [("Data", sheet_rows(SITES * 50), "visible")])
    patch_member(path, "xl/worksheets/sheet1.xml", size=100)
    with pytest.raises(SpreadsheetError, match=r"bomb.xlsx is damaged or truncated: its part "
                                               r"xl/worksheets/sheet1.xml"):
        read_table(path)


def test_a_shared_string_over_the_cell_limit_is_refused(tmp_path):
    path = tmp_path / "s.xlsx"
    xlsx(path, [("Data", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "visible")],
         shared=shared_strings(["A" * (MAX_CELL_BYTES + 1)]).encode())
    with pytest.raises(SpreadsheetError, match=r"s.xlsx holds a text of over 1.0 MB"):
        read_table(path)


def test_encrypted_truncated_and_unsafe_workbooks_are_named_as_such(tmp_path):
    path = write(tmp_path, "locked.xlsx", ole_with(["EncryptionInfo", "EncryptedPackage"]))
    with pytest.raises(SpreadsheetError, match=r"locked.xlsx is password-protected: open it in "
                                               r"Excel and save it without a password"):
        read_table(path)
    good = tmp_path / "good.xlsx"
    xlsx(good, [("Data", sheet_rows(SITES * 100), "visible")])
    cut = write(tmp_path, "cut.xlsx", good.read_bytes()[:3000])
    with pytest.raises(SpreadsheetError, match=r"cut.xlsx is damaged or truncated"):
        read_table(cut)
    xxe = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t>'
           "</si></sst>")
    unsafe = tmp_path / "xxe.xlsx"
    xlsx(unsafe, [("Data", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', "visible")],
         shared=xxe.encode())
    with pytest.raises(SpreadsheetError, match=r"xxe.xlsx is unsafe to read: its part "
                                               r"xl/sharedStrings.xml declares a DTD"):
        read_table(unsafe)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_the_visible_active_sheet_is_read_and_hidden_ones_only_by_name(tmp_path, state):
    path = tmp_path / "book.xlsx"
    xlsx(path, [("Secret", sheet_rows([["Internal"]]), state), ("Old", sheet_rows([["x"]]), "visible"),
                ("Sites", sheet_rows(SITES), "visible")], active=2)
    assert read_table(path).sheet == "Sites"
    assert rows(read_table(path, sheet="Secret")) == [["Internal"]]
    xlsx(path, [("Secret", sheet_rows([["Internal"]]), state), ("Sites", sheet_rows(SITES), "visible")])
    assert read_table(path).sheet == "Sites"
    assert list_sheets(path) == ["Secret", "Sites"]


def test_a_row_of_error_cells_keeps_its_errors(tmp_path):
    path = tmp_path / "err.xlsx"
    xlsx(path, [("Data", sheet_rows(SITES[:1]) + '<row r="2"><c r="A2" t="e"><v>#REF!</v></c>'
                         '<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>', "visible")])
    assert rows(read_table(path))[1] == ["#REF!", "#DIV/0!", "", ""]


def test_ods_repeats_count_as_they_expand_except_trailing_empty_ones(tmp_path):
    path = tmp_path / "r.ods"
    ods(path, ods_sites(ods_row([ods_cell("1 Main")], repeat=1_000_000)))
    with pytest.raises(SpreadsheetError, match=r"r.ods: sheet 'Sites' reaches row 1,000,003"):
        read_table(path)
    ods(path, ods_sites('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                        'table:number-columns-repeated="1024"/></table:table-row>'))
    assert read_table(path).height == 3



def test_an_xls_sheet_is_bounded_before_calamine_builds_it(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    book.add_sheet("Sites").write(0, 0, "Street")
    book.add_sheet("Big").write(65535, 255, 1)
    path = tmp_path / "old.xls"
    book.save(str(path))
    with pytest.raises(SpreadsheetError, match=r"old.xls: sheet 'Big' spans 65,536 rows x 256 "
                                               r"columns = 16,777,216 cells, over the 5,200,000-cell"):
        read_table(path)


def test_xlsb_records_are_read_the_same_whatever_the_chunking():
    from bulkquote_gui.core.intake.workbook_guard import _records
    from tests.corpus.hostile import _record

    data = _record(0x0000, b"\x05\x00\x00\x00" + b"\x00" * 13) + _record(0x0006, b"x" * 300) + \
        _record(0x1234, b"\x01\x02") + _record(0x0092)
    whole = list(_records(iter([data])))
    assert [kind for kind, _ in whole] == [0x0000, 0x0006, 0x1234, 0x0092]
    for size in (1, 2, 3, 7, 64):
        pieces = [data[i: i + size] for i in range(0, len(data), size)]
        assert list(_records(iter(pieces))) == whole


def test_an_xlsb_far_cell_is_refused_before_calamine_allocates_it(tmp_path):
    from tests.corpus.hostile import xlsb

    path = tmp_path / "far.xlsb"
    xlsb(path, [(0, [(0, "Street")]), (1_048_575, [(16_383, 1.0)])])
    with pytest.raises(SpreadsheetError, match=r"far.xlsb: sheet 'Data' reaches row 1,048,576"):
        read_table(path)
    xlsb(path, [(r, list(enumerate(row))) for r, row in enumerate(SITES)])
    assert rows(read_table(path))[1] == ["1 Main St", "Austin", "TX", "78701"]
