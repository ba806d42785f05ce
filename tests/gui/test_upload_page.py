"""The upload page driven through the real window: loading, preview, filters, edits, mapping."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QLineEdit

from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.gui.models.preview_model import STATUS_COLUMN
from bulkquote_gui.gui.roles import STATUS_ROLE

from .conftest import CORPUS, SAMPLE


def load(qtbot, window, path, sheet=None):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000) as blocker:
        window.load_file(path, sheet)
    return blocker.args[0]


def column_of(model, name: str) -> int:
    return 1 + model.result.columns.index(name)


def view_row_of(model, row_number: int) -> int:
    for r in range(model.rowCount()):
        if model.result.row_number_at(model.source_index(r)) == row_number:
            return r
    raise AssertionError(f"row {row_number} not shown")


def test_sample_file_shows_counts_tooltips_and_highlights(qtbot, window):
    load(qtbot, window, SAMPLE)
    page = window.upload_page
    model = page.model
    assert model.rowCount() == 25
    assert model.columnCount() == 1 + 12
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Status"
    assert model.headerData(0, Qt.Orientation.Vertical) == "2"  # the rep's own row numbers
    assert page.summary.text() == "25 rows  ·  19 valid  ·  2 repaired  ·  3 invalid  ·  1 duplicate"
    assert page.submit_button.text().replace("&", "") == "Submit 21 quotes" and page.submit_button.isEnabled()
    assert page.file_label.text() == "sample_sites.csv"
    assert page.sheet_combo.isHidden()  # a CSV has no sheets to pick

    bad = view_row_of(model, 15)  # ZIP 191O3
    status = model.index(bad, STATUS_COLUMN)
    assert status.data() == "Invalid" and status.data(STATUS_ROLE) == "invalid"
    assert "191O3 is not a US ZIP code" in status.data(Qt.ItemDataRole.ToolTipRole)
    zip_cell = model.index(bad, column_of(model, "ZIP"))
    assert zip_cell.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(bad, column_of(model, "City")).data(Qt.ItemDataRole.BackgroundRole) is None
    repaired = model.index(view_row_of(model, 4), STATUS_COLUMN)
    assert repaired.data() == "Repaired"
    assert "repaired to 02110" in repaired.data(Qt.ItemDataRole.ToolTipRole)
    dup = model.index(view_row_of(model, 21), STATUS_COLUMN)
    assert "duplicate of row 20" in dup.data(Qt.ItemDataRole.ToolTipRole)
    # the mapping panel shows where each field came from
    assert page.mapping_panel.combos["street"].currentText() == "Street Address"
    assert page.mapping_panel.combos["postal_code"].currentText() == "ZIP"
    assert page.mapping_panel.combos["full_address"].currentText() == "—"


def test_filters_show_valid_or_problem_rows(qtbot, window):
    load(qtbot, window, SAMPLE)
    page = window.upload_page
    qtbot.mouseClick(page.filter_buttons["problems"], Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 4
    assert {page.model.index(r, 0).data(STATUS_ROLE) for r in range(4)} == {"invalid", "duplicate"}
    qtbot.mouseClick(page.filter_buttons["valid"], Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 21
    assert page.filter_buttons["valid"].text() == "Valid 21"
    qtbot.mouseClick(page.filter_buttons["all"], Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 25


def test_checked_filter_pill_is_wide_enough_for_its_bold_text(qtbot, window):
    load(qtbot, window, CORPUS / "cms_hospital_general_information.csv")
    page = window.upload_page
    for kind, pill in page.filter_buttons.items():
        page.set_filter(kind)
        qtbot.waitUntil(lambda: pill.isChecked())
        QApplication.processEvents()  # layouts settle
        bold = QFont(pill.font())
        bold.setBold(True)
        needed = QFontMetrics(bold).horizontalAdvance(pill.text()) + 2 * 14  # text + the sheet's padding
        assert pill.width() >= needed, (pill.text(), pill.width(), needed)


def test_mapping_folds_to_a_summary_once_the_address_is_mapped(qtbot, window):
    load(qtbot, window, SAMPLE)
    panel = window.upload_page.mapping_panel
    assert not panel.is_expanded() and panel.body.isHidden()
    summary = panel.summary.full_text()
    assert summary.startswith("Street ← Street Address  ·  Unit / suite ← Suite  ·  City ← City")
    assert "ZIP ← ZIP" in summary
    assert panel.toggle_button.text() == "Edit"
    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
    assert panel.is_expanded() and panel.body.isVisible() and panel.toggle_button.text() == "Done"
    qtbot.mouseClick(panel.toggle_button, Qt.MouseButton.LeftButton)
    assert not panel.is_expanded()


def test_mapping_opens_and_says_what_is_missing_when_a_required_field_goes(qtbot, window):
    load(qtbot, window, SAMPLE)
    page = window.upload_page
    panel = page.mapping_panel
    assert not panel.is_expanded()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        panel.set_field("postal_code", None)
    assert panel.is_expanded() and panel.body.isVisible()
    assert panel.summary.full_text().startswith("Pick the column for ZIP")
    assert not panel.toggle_button.isEnabled()  # cannot fold away what still needs a choice
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        panel.set_field("postal_code", "ZIP")
    assert panel.is_expanded()  # the rep is editing: it stays open until they say Done
    assert panel.toggle_button.isEnabled() and panel.toggle_button.text() == "Done"


@pytest.mark.parametrize("size", [(1440, 900), (1280, 720), (960, 700)])
def test_pickers_keep_room_for_their_text_on_a_smaller_window(qtbot, window, size):
    from bulkquote_gui.gui.widgets.mapping_panel import NARROW, PER_ROW

    window.resize(*size)
    load(qtbot, window, CORPUS / "cms_hospital_general_information.csv")
    page = window.upload_page
    panel = page.mapping_panel
    panel.set_expanded(True)
    # Fewer pickers to a row on a narrow panel; waited for, as layout settles over a few events.
    qtbot.waitUntil(lambda: panel.pickers_per_row() == (PER_ROW if panel.width() >= NARROW
                                                         else PER_ROW - 1))
    if size[0] < 1000:  # the page's margins and the card's leave the panel under NARROW
        assert panel.pickers_per_row() == PER_ROW - 1
    for combo in (page.defaults_panel.speed, page.defaults_panel.term, page.defaults_panel.product):
        metrics = combo.fontMetrics()
        widest = max(metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
        assert combo.width() >= widest + 8 + 8 + 24, combo.currentText()  # padding and the arrow
    # A picker keeps room for a column name of ~16 characters ("Street Address 2") next to its arrow.
    picker = panel.combos["company"]
    assert picker.width() >= picker.fontMetrics().horizontalAdvance("Street Address 2") + 8 + 8 + 24


def test_editing_an_invalid_cell_revalidates_the_row(qtbot, window):
    load(qtbot, window, SAMPLE)
    page = window.upload_page
    page.set_filter("problems")
    model, view = page.model, page.view
    row = view_row_of(model, 15)
    index = model.index(row, column_of(model, "ZIP"))
    view.setCurrentIndex(index)
    view.edit(index)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "191O3"
    editor.selectAll()
    qtbot.keyClicks(editor, "19103")
    with qtbot.waitSignal(model.dataChanged, timeout=2000):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert model.index(row, STATUS_COLUMN).data() == "Valid"
    assert model.index(row, column_of(model, "ZIP")).data(Qt.ItemDataRole.BackgroundRole) is None
    assert page.submit_button.text().replace("&", "") == "Submit 22 quotes"
    assert "2 invalid" in page.summary.text()


def test_mapping_combo_remaps_and_revalidates(qtbot, window):
    load(qtbot, window, SAMPLE)
    page = window.upload_page
    with qtbot.waitSignal(page.loaded, timeout=10_000) as blocker:
        page.mapping_panel.set_field("street", None)
    result = blocker.args[0]
    assert "street" not in result.mapping
    assert page.quotable_count() == 0
    assert not page.submit_button.isEnabled() and page.submit_button.text().replace("&", "") == "Submit 0 quotes"
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.mapping_panel.set_field("street", "Street Address")
    assert page.submit_button.text().replace("&", "") == "Submit 21 quotes"


def test_defaults_apply_to_rows_without_their_own(qtbot, window):
    load(qtbot, window, SAMPLE)
    page = window.upload_page
    panel = page.defaults_panel
    with qtbot.waitSignal(page.loaded, timeout=10_000) as blocker:
        panel.term.setCurrentIndex(panel.term.findData(12))
    result = blocker.args[0]
    assert result.defaults.term_months == 12
    # Row 3 has no Term of its own: it takes the default. Row 2 says 36 itself and keeps it.
    by_number = {r.row_number: r for r in result.rows()}
    assert by_number[3].service["term_months"] == 12
    assert by_number[2].service["term_months"] == 36


@pytest.mark.parametrize("name", ["cms_hospital_general_information.csv",
                                  "imls_pls_fy18_outlet_pud18i.csv",
                                  "usaddress_lobbyists_addresses.csv"])
def test_corpus_files_load_into_the_grid(qtbot, window, name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip("corpus not present")
    load(qtbot, window, path)
    page = window.upload_page
    expected = import_file(path).counts()
    assert page.model.rowCount() == expected["rows"]
    assert page.quotable_count() == expected["quotable"]
    assert page.submit_button.text().replace("&", "") == f"Submit {expected['quotable']:,} quotes"
    page.set_filter("problems")
    assert page.model.rowCount() == expected["invalid"] + expected["duplicates"]
    first = page.model.index(0, STATUS_COLUMN)
    assert first.data(STATUS_ROLE) in ("invalid", "duplicate")
    assert first.data(Qt.ItemDataRole.ToolTipRole)  # the reason, in words


def test_unreadable_file_gives_a_message_not_a_traceback(qtbot, window, dialogs, tmp_path):
    bad = tmp_path / "orders.pdf"
    bad.write_bytes(b"%PDF-1.4 \x00\x01\x02 not a spreadsheet")
    with qtbot.waitSignal(window.upload_page.load_failed, timeout=10_000) as blocker:
        window.load_file(bad)
    assert "orders.pdf" in blocker.args[0]
    assert dialogs.errors() and "orders.pdf" in dialogs.errors()[0]
    assert "Traceback" not in dialogs.errors()[0]
    assert not window.upload_page.is_busy()


def test_workbook_with_two_sheets_offers_a_sheet_picker(qtbot, window, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Notes"
    first.append(["Address", "City", "State", "Zip"])
    first.append(["1 Main St", "Austin", "TX", "78701"])
    second = book.create_sheet("Sites")
    second.append(["Address", "City", "State", "Zip"])
    for n in range(3):
        second.append([f"{100 + n} Elm St", "Boston", "MA", "02110"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    load(qtbot, window, path)
    page = window.upload_page
    assert not page.sheet_combo.isHidden()
    assert [page.sheet_combo.itemText(i) for i in range(page.sheet_combo.count())] == ["Notes", "Sites"]
    assert page.model.rowCount() == 1
    with qtbot.waitSignal(page.loaded, timeout=10_000) as blocker:
        page.sheet_combo.setCurrentText("Sites")
    assert blocker.args[0].sheet == "Sites"
    assert page.model.rowCount() == 3
    assert page.submit_button.text().replace("&", "") == "Submit 3 quotes"


def test_dropping_a_file_on_the_drop_zone_loads_it(qtbot, window):
    zone = window.upload_page.drop_zone
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(SAMPLE))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.upload_page.loaded, timeout=10_000):
        zone.dropEvent(event)
    assert window.upload_page.model.rowCount() == 25


def test_browse_opens_the_native_dialog_path(qtbot, window, dialogs):
    dialogs.open_paths.append(str(SAMPLE))
    with qtbot.waitSignal(window.upload_page.loaded, timeout=10_000):
        qtbot.mouseClick(window.upload_page.drop_zone.browse_button, Qt.MouseButton.LeftButton)
    assert ("open", "") in dialogs.asked


def test_preview_model_passes_qtmodeltester(qtbot, qtmodeltester, window):
    load(qtbot, window, SAMPLE)
    model = window.upload_page.model
    qtmodeltester.check(model, force_py=True)
    model.set_filter("problems")
    qtmodeltester.check(model, force_py=True)
