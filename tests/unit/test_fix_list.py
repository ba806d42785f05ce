"""Issue 11, the fix list (core/output/fix_list.py): the rows not quoted with their own columns, the reason
first, the cells at fault red, every text string-typed; and the importer dropping the reason
column when the file comes back."""

from __future__ import annotations

import openpyxl
import pytest

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.intake.column_mapping import FIX_LIST_REASON, is_fix_list_reason
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.output.fix_list import (
    FILL, SHEET, FixRow, batch_fix_rows, export_batch_fix_list, preview_fix_rows, write_fix_list,
    write_preview_fix_list)
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.offer import BatchDefaults
from tests.helpers.fakes import FakeClock, FakeMomentum, Outcome

SHEET_CSV = """Site,Street,City,State,ZIP,Longitude,Note
A,1 Main St,Austin,TX,78701,-97.7431,=1+1
B,PO Box 12,Austin,TX,78701,-97.70,"=HYPERLINK(""http://evil"",""x"")"
C,2 Main St,Austin,TX,,-97.71,@SUM(A1)
D,1 Main St,Austin,TX,78701,-97.7431,
E,3 Oak Ave,Boston,MA,02134,-71.1,
F,4 Elm St,Austin,ZZ,02134,-97.72,+1 512 555 0100
"""


@pytest.fixture
def sites(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SHEET_CSV, encoding="utf-8")
    return path


def _sheet(path):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET]
    return wb[SHEET]


def _red(cell) -> bool:
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(FILL)


def _marked(ws) -> dict[int, set[str]]:
    """Row number (from the reason) -> the headers of its red cells."""
    headers = [c.value for c in ws[1]]
    out = {}
    for row in ws.iter_rows(min_row=2):
        number = int(row[0].value.split(":")[0].removeprefix("Row "))
        out[number] = {headers[c.column - 1] for c in row[1:] if _red(c)}
    return out


def test_preview_fix_list_has_the_reason_first_then_the_files_columns(sites, tmp_path):
    result = import_file(sites)
    out = tmp_path / "fix.xlsx"
    assert write_preview_fix_list(result, out) == 3          # PO box, ZIP missing, state ZZ
    ws = _sheet(out)
    assert [c.value for c in ws[1]] == [FIX_LIST_REASON, "Site", "Street", "City", "State", "ZIP",
                                       "Longitude", "Note"]
    assert ws.freeze_panes == "B2"
    reasons = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert reasons[0] == "Row 3: Street 'PO Box 12' is a PO box, not a service location"
    assert reasons[1].startswith("Row 4: ZIP is missing (Austin, TX has ")   # the candidates
    assert reasons[2] == "Row 7: State 'ZZ' is not a US state or territory"
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == ["B", "C", "F"]
    # the cells the preview highlights, and only those
    assert _marked(ws) == {3: {"Street"}, 4: {"ZIP"}, 7: {"State"}}
    assert {p for i in range(len(result)) for p in result.invalid_columns_at(i)} == \
        {"Street", "ZIP", "State"}


def test_cells_are_string_typed_never_formulas_numbers_stay_numbers(sites, tmp_path):
    out = tmp_path / "fix.xlsx"
    write_preview_fix_list(import_file(sites), out)
    ws = _sheet(out)
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    note = ws[1][7].value
    assert note == "Note"
    hyperlink = rows["B"][7]
    assert hyperlink.value == '=HYPERLINK("http://evil","x")' and hyperlink.data_type == "s"
    assert rows["C"][7].value == "@SUM(A1)" and rows["C"][7].data_type == "s"
    assert rows["F"][7].value == "+1 512 555 0100" and rows["F"][7].data_type == "s"
    assert rows["F"][5].value == "02134" and rows["F"][5].data_type == "s"   # the leading zero kept
    assert rows["B"][6].value == -97.7 and rows["B"][6].data_type == "n"    # longitude: a number
    # no cell of the file is a formula, whatever it holds
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    # the XML itself holds no <f> element (what a spreadsheet would run)
    import zipfile
    with zipfile.ZipFile(out) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_formula_text_in_a_header_or_reason_is_text_too(tmp_path):
    rows = [FixRow(2, "Row 2: street '=cmd|' /C calc'!A0' looks like a formula",
                   {"=Street": "=cmd|' /C calc'!A0", "City": "Austin"}, frozenset({"=Street"}))]
    out = tmp_path / "fix.xlsx"
    assert write_fix_list(out, ["=Street", "City"], rows) == 1
    ws = _sheet(out)
    assert ws["B1"].value == "=Street" and ws["B1"].data_type == "s"
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("Row 2: street '=cmd")
    assert ws["B2"].value == "=cmd|' /C calc'!A0" and ws["B2"].data_type == "s"
    assert _red(ws["B2"]) and not _red(ws["C2"])


def test_only_xlsx_and_no_half_file_on_failure(sites, tmp_path):
    result = import_file(sites)
    with pytest.raises(ValueError, match="must end in .xlsx"):
        write_preview_fix_list(result, tmp_path / "fix.csv")
    with pytest.raises(OSError):
        write_preview_fix_list(result, tmp_path / "no such folder" / "fix.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.csv"]


def test_an_edited_preview_cell_leaves_the_list(sites):
    result = import_file(sites)
    state = next(i for i in range(len(result)) if result.row_number_at(i) == 7)
    result.set_cell(state, "State", "MA")   # ZIP 02134 is in MA
    assert [r.row_number for r in preview_fix_rows(result)] == [3, 4]


def test_the_importer_drops_the_reason_column_and_keeps_a_customers_reason(tmp_path):
    path = tmp_path / "back.csv"
    # The reason reads like a one-line address and like a company: it must claim no field.
    path.write_text(
        "bulkquote REASON,Reason,Street,City,State,ZIP\n"
        '"Row 4: 1 Main St, Austin, TX 78701 is a duplicate",Expansion,2 Main St,Austin,TX,78701\n'
        '"Row 9: ZIP is missing",,,,,\n'   # the rep cleared the row: only its reason is left
        '"Row 7: 9 Oak Ave, Boston, MA 02134",New office,3 Oak Ave,Boston,MA,02134\n',
        encoding="utf-8")
    result = import_file(path)
    assert result.columns == ["Reason", "Street", "City", "State", "ZIP"]
    assert result.ignored_columns == ["bulkquote REASON"]
    assert "bulkquote REASON" not in result.mapping.values()
    assert "full_address" not in result.mapping and "company" not in result.mapping
    assert len(result) == 2 and result.counts()["quotable"] == 2
    assert [result.row_number_at(i) for i in range(len(result))] == [2, 4]
    rows = list(result.quotable_rows())
    assert all("bulkquote REASON" not in r.original for r in rows)
    assert rows[0].original["Reason"] == "Expansion"     # the customer's own column, kept
    assert result.summary_json()["ignored_columns"] == ["bulkquote REASON"]


@pytest.mark.parametrize("header, ours", [
    ("BulkQuote reason", True), ("BULKQUOTE_REASON", True), (" bulkquote-reason ", True),
    ("Reason", False), ("Reasons", False), ("BulkQuote reason code", False), ("Why", False),
])
def test_only_the_distinctive_header_is_ours(header, ours):
    assert is_fix_list_reason(header) is ours


def test_batch_fix_list_has_invalid_duplicate_and_failed_rows(sf, sites, tmp_path):
    result = import_file(sites)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, result, defaults=BatchDefaults(), source_name=sites.name)
    clock = FakeClock()
    api = FakeMomentum(clock)
    api.outcomes[f"batch-{batch_id}/row-6"] = Outcome("failed", "address_not_found",
                                                      "the address could not be found")
    api.outcomes[f"batch-{batch_id}/row-2"] = Outcome("failed", "no_coverage", "no carrier serves it")
    Processor(sf, api, clock=clock).run_batch(batch_id)
    columns, rows = batch_fix_rows(sf, batch_id)
    assert columns == ["Site", "Street", "City", "State", "ZIP", "Longitude", "Note"]
    assert [r.row_number for r in rows] == [2, 3, 4, 5, 6, 7]
    by_row = {r.row_number: r for r in rows}
    assert by_row[2].reason == "Row 2: No coverage: no carrier serves it"
    assert by_row[2].marked == frozenset()                     # no cell can fix no coverage
    assert by_row[5].reason.startswith("Row 5: Duplicate of row 2")
    assert by_row[6].marked == {"Street", "City", "State", "ZIP"}   # the address refused
    assert by_row[4].marked == {"ZIP"}                         # kept with the batch
    out = tmp_path / "batch-fix.xlsx"
    assert export_batch_fix_list(sf, batch_id, out) == 6
    ws = _sheet(out)
    assert _marked(ws) == {2: set(), 3: {"Street"}, 4: {"ZIP"}, 5: set(),
                           6: {"Street", "City", "State", "ZIP"}, 7: {"State"}}
    assert ws["H3"].value == '=HYPERLINK("http://evil","x")' and ws["H3"].data_type == "s"
    with pytest.raises(KeyError):
        export_batch_fix_list(sf, batch_id + 1, out)
    with pytest.raises(ValueError):
        export_batch_fix_list(sf, batch_id, tmp_path / "x.csv")
