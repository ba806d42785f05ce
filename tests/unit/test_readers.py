"""File -> table of strings: encodings, delimiters, line endings, workbooks, refusals."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from bulkquote_gui.core.readers import MAX_FILE_BYTES, SpreadsheetError, list_sheets, read_table

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
