"""Issue 11, the fix list through the real window: "Export fix list…" on the upload page (the
preview's invalid rows) and on a finished batch's page (its rows not priced), each writing the
file chosen in the save dialog; the fixed file dropped back in loads without the reason column."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from PySide6.QtCore import Qt

from bulkquote_gui.core.intake.column_mapping import FIX_LIST_REASON
from bulkquote_gui.core.output.fix_list import FILL

from .conftest import SAMPLE


def _load(qtbot, window, path):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000) as blocker:
        window.load_file(path)
    return blocker.args[0]


def _rows(path: Path) -> list[list]:
    ws = openpyxl.load_workbook(path).active
    return [list(r) for r in ws.iter_rows()]


def _red(cell) -> bool:
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(FILL)


def test_one_row_to_fix_is_said_in_the_singular(qtbot, window, dialogs, tmp_path):
    # Issue 15, words: "1 rows to fix".
    sheet = tmp_path / "one.csv"
    sheet.write_text("Site,Street,City,State,ZIP\nA,600 Congress Ave,Austin,TX,78701\n"
                     "B,PO Box 12,Austin,TX,78701\n", encoding="utf-8")
    _load(qtbot, window, sheet)
    dialogs.save_paths.append(str(tmp_path / "fix.xlsx"))
    with qtbot.waitSignal(window.fix_list_exported, timeout=20_000):
        qtbot.mouseClick(window.upload_page.fix_list_button, Qt.MouseButton.LeftButton)
    assert window.statusBar().currentMessage().startswith("1 row to fix written to fix.xlsx")


def test_upload_page_writes_the_invalid_rows_and_they_come_back_clean(qtbot, window, dialogs,
                                                                       tmp_path):
    page = window.upload_page
    assert not page.fix_list_button.isEnabled()               # nothing loaded yet
    _load(qtbot, window, SAMPLE)
    assert page.fix_list_button.isEnabled()                   # 3 invalid rows
    target = tmp_path / "to fix.xlsx"
    dialogs.save_paths.append(str(target))
    with qtbot.waitSignal(window.fix_list_exported, timeout=20_000) as written:
        qtbot.mouseClick(page.fix_list_button, Qt.MouseButton.LeftButton)
    assert written.args == [str(target), 3]
    assert ("save", "sample_sites - fix list.xlsx") in dialogs.asked
    rows = _rows(target)
    headers = [c.value for c in rows[0]]
    assert headers[0] == FIX_LIST_REASON and headers[1:] == page.result.columns
    assert [r[0].value.split(":")[0] for r in rows[1:]] == ["Row 15", "Row 17", "Row 19"]
    red = [{headers[c.column - 1] for c in r if _red(c)} for r in rows[1:]]
    assert red == [{"ZIP"}, {"Street Address"}, {"State"}]    # as the grid highlights them
    assert window.statusBar().currentMessage().startswith("3 rows to fix written to to fix.xlsx")

    # The rep fixes the three cells and drops the file back in: three quotable rows.
    wb = openpyxl.load_workbook(target)
    ws = wb.active
    col = {h: i + 1 for i, h in enumerate(headers)}
    ws.cell(2, col["ZIP"]).value = "19103"
    ws.cell(3, col["Street Address"]).value = "701 Poydras St"
    ws.cell(4, col["State"]).value = "CO"
    wb.save(target)
    back = _load(qtbot, window, target)
    assert FIX_LIST_REASON not in back.columns and FIX_LIST_REASON not in back.mapping.values()
    assert back.counts()["quotable"] == 3
    assert not page.fix_list_button.isEnabled()               # nothing left to fix
    assert page.submit_button.isEnabled()


def test_finished_page_writes_the_rows_not_priced(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Company", "Address", "City", "State", "ZIP"])
        out.writerow(["Site 0", "600 Congress Ave", "Austin", "TX", "78701"])
        out.writerow(["Site 1", "1 Test St", "Austin", "TX", "78701"])      # not found
        out.writerow(["Site 2", "PO Box 4", "Austin", "TX", "78701"])       # invalid
    page = window.progress_page
    _load(qtbot, window, path)
    with qtbot.waitSignal(window.batch_finished, timeout=30_000):
        with qtbot.waitSignal(window.batch_opened, timeout=20_000):
            qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    assert page.fix_list_button.isEnabled()
    assert page.fix_list_button.parent() is page.export_button.parent()
    target = tmp_path / "batch fix.xlsx"
    dialogs.save_paths.append(str(target))
    with qtbot.waitSignal(window.fix_list_exported, timeout=20_000) as written:
        qtbot.mouseClick(page.fix_list_button, Qt.MouseButton.LeftButton)
    assert written.args == [str(target), 2]
    assert ("save", "mixed - fix list.xlsx") in dialogs.asked
    rows = _rows(target)
    headers = [c.value for c in rows[0]]
    assert headers == [FIX_LIST_REASON, "Company", "Address", "City", "State", "ZIP"]
    by_site = {r[1].value: (r[0].value, {headers[c.column - 1] for c in r if _red(c)})
               for r in rows[1:]}
    assert by_site["Site 1"][0].startswith("Row 3: Address not found")
    assert by_site["Site 1"][1] == {"Address", "City", "State", "ZIP"}
    assert by_site["Site 2"][0].startswith("Row 4: Street 'PO Box 4' is a PO box")
    assert by_site["Site 2"][1] == {"Address"}


def test_a_batch_with_every_row_priced_has_nothing_to_fix(qtbot, window, tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text("Company,Address,City,State,ZIP\nSite 0,600 Congress Ave,Austin,TX,78701\n",
                    encoding="utf-8")
    _load(qtbot, window, path)
    assert not window.upload_page.fix_list_button.isEnabled()
    with qtbot.waitSignal(window.batch_finished, timeout=30_000):
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    assert window.progress_page.counts.get("complete") == 1
    assert not window.progress_page.fix_list_button.isEnabled()
