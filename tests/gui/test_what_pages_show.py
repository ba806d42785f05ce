"""What the preview, the batch page and the search show a rep (issue 15): every row named by
the address it has, the columns that matter in view, counts and lines that follow each edit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from bulkquote_gui.gui.models.results_model import COLUMNS, STATUS_COLUMN
from bulkquote_gui.gui.roles import STATUS_ROLE

from .conftest import SAMPLE, store_batch
from .test_progress_page import write_sites

ADDRESS = COLUMNS.index("Address")

# A museum-like sheet: mailing (AD), physical (PH) and geocoded (G) sets, as the IMLS file has.
MUSEUMS = (
    "COMMONNAME,ADSTREET,ADCITY,ADSTATE,ADZIP5,PHSTREET,PHCITY,PHSTATE,PHZIP5,"
    "GSTREET,GCITY,GSTATE,GZIP5\n"
    "Alpha Museum,PO BOX 238,AUSTIN,TX,78701,,,,,,,,\n"
    "Beta Museum,600 CONGRESS AVE,AUSTIN,TX,78701,,,,,600 CONGRESS AVE,AUSTIN,TX,78701\n"
    "Gamma Museum,PO BOX 12,AUSTIN,TX,78702,100 MAIN ST,AUSTIN,TX,78702,,,,\n"
    "Delta Museum,700 LAMAR BLVD,AUSTIN,TX,78703,,,,,,,,\n"
    "Delta Annex,700 LAMAR BLVD,AUSTIN,TX,78703,,,,,,,,\n")


def museums(tmp_path: Path) -> Path:
    path = tmp_path / "museums.csv"
    path.write_text(MUSEUMS, encoding="utf-8")
    return path


def submit(qtbot, window, path: Path) -> int:
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)
    with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    return opened.args[0]


def shown(window) -> dict[int, tuple[str, str]]:
    """Sheet row -> (status, address) as the batch page shows them."""
    model = window.progress_page.model
    return {int(model.index(r, 0).data()): (model.index(r, STATUS_COLUMN).data(STATUS_ROLE),
                                            model.index(r, ADDRESS).data())
            for r in range(model.rowCount())}


def test_rows_refused_from_the_mailing_set_show_their_own_address(qtbot, window, tmp_path):
    """A PO box from the mailing set and a duplicate quoted from it: their address, not ', ,'."""
    submit(qtbot, window, museums(tmp_path))
    rows = shown(window)
    assert rows[2] == ("invalid", "PO BOX 238, AUSTIN, TX 78701")
    assert rows[6] == ("duplicate", "700 LAMAR BLVD, AUSTIN, TX 78703")
    # Reopened from the store (a restart), the same.
    batch_id = window.progress_page.batch_id
    with qtbot.waitSignal(window.batch_opened, timeout=20_000):
        window.open_batch(batch_id)
    assert shown(window)[2] == rows[2] and shown(window)[6] == rows[6]


def load(qtbot, window, path: Path):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)
    return window.upload_page


def header_order(page) -> list[str]:
    header = page.view.horizontalHeader()
    return [page.model.headerData(header.logicalIndex(v), Qt.Orientation.Horizontal)
            for v in range(header.count())]


def preview_row(page, sheet_row: int) -> dict[str, str]:
    """Header -> text of one sheet row in the preview."""
    model = page.model
    row = next(r for r in range(model.rowCount())
               if model.headerData(r, Qt.Orientation.Vertical) == str(sheet_row))
    return {model.headerData(c, Qt.Orientation.Horizontal): model.index(row, c).data()
            for c in range(model.columnCount())}


def test_with_address_sets_the_mapped_columns_come_right_after_the_sets(qtbot, window, tmp_path):
    page = load(qtbot, window, museums(tmp_path))
    assert header_order(page)[:7] == ["Status", "Address set", "Address used",
                                      "PHSTREET", "PHCITY", "PHSTATE", "PHZIP5"]
    # A row quoted from the mailing set: the address sent is in view, beside its set.
    beta = preview_row(page, 3)
    assert beta["Address set"] == "Mailing (AD)"
    assert beta["Address used"] == "600 CONGRESS AVE, AUSTIN, TX 78701"
    gamma = preview_row(page, 4)
    assert (gamma["Address set"], gamma["Address used"]) == (
        "Physical (PH)", "100 MAIN ST, AUSTIN, TX 78702")
    # A one-set sheet keeps Status then its address columns.
    single = tmp_path / "single.csv"
    single.write_text("Id,Note,Street,City,State,ZIP\n1,n,600 Congress Ave,Austin,TX,78701\n")
    assert header_order(load(qtbot, window, single))[:5] == ["Status", "Street", "City", "State", "ZIP"]


def test_an_inline_fix_takes_its_problem_off_the_not_quoted_line(qtbot, window, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("Street,City,State,ZIP\n600 Congress Ave,Austin,TX,78701\n"
                    "PO Box 12,Austin,TX,78701\n100 Main St,Austin,TX,7870\n")
    page = load(qtbot, window, path)
    before = page.reasons_label.text()
    assert before.startswith("Not quoted:") and "PO box" in before
    model = page.model
    street = model.column_of("Street")
    po_box = next(r for r in range(model.rowCount()) if model.index(r, street).data() == "PO Box 12")
    assert model.setData(model.index(po_box, street), "700 Lamar Blvd")
    after = page.reasons_label.text()
    assert "PO box" not in after and after.startswith("Not quoted:")   # the ZIP is still wrong
    zip_ = model.column_of("ZIP")
    assert model.setData(model.index(model.rowCount() - 1, zip_), "78701")
    assert page.reasons_label.text() == "" and not page.reasons_label.isVisibleTo(page)
    assert page.submit_button.text() == "&Submit 3 quotes"


def test_a_search_result_opens_its_batch_at_its_row(qtbot, window, context, tmp_path):
    """A 400-row batch: the row found is selected and in view, and its row number is not cut."""
    streets = [f"{100 + n} Congress Ave" for n in range(400)]
    streets[300] = "742 Evergreen Terrace"
    path = write_sites(tmp_path / "museums_fy18_outlet_pud18i_with_every_address_set.csv", streets)
    batch_id = store_batch(context, path=path)
    search = window.upload_page.jobs_panel.search
    window.resize(1024, 576)
    with qtbot.waitSignal(search.results_shown, timeout=10_000):
        search.field.setText("evergreen")
    item = search.results.item(0)
    first_line = item.text().splitlines()[0]
    width = search.results.viewport().width()
    shown = search.results.fontMetrics().elidedText(first_line, Qt.TextElideMode.ElideRight, width)
    assert "row 302" in shown, shown
    rect = search.results.visualItemRect(item)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000) as opened:
        qtbot.mouseClick(search.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [batch_id]
    view = window.progress_page.view
    selected = view.selectionModel().selectedRows()
    assert [view.model().index(i.row(), 0).data() for i in selected] == ["302"]
    qtbot.waitUntil(lambda: view.visualRect(selected[0]).intersects(view.viewport().rect()),
                    timeout=5_000)
    assert view.verticalScrollBar().value() > 0


def test_a_cancelled_batch_counts_its_rows_not_sent_and_the_question_has_no_second_count(
        qtbot, window, dialogs):
    page = window.progress_page
    asked: list[str] = []

    def confirm(title, text, **_kw):   # the scripted dialogs, keeping the question's text
        asked.append(text)
        return True

    dialogs.confirm = confirm

    def cancel_on_first_result(event):
        if event.status == "complete" and not asked:
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)

    window.quote_shown.connect(cancel_on_first_result)
    with qtbot.waitSignal(window.batch_finished, timeout=30_000) as finished:
        with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
            window.load_file(SAMPLE)
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    window.quote_shown.disconnect(cancel_on_first_result)
    assert finished.args[1] == "cancelled"
    # The rows in flight finish while the question is open: it points at the card, no number.
    assert len(asked) == 1 and "Remaining" in asked[0]
    assert not any(ch.isdigit() for ch in asked[0])
    not_sent = page.counts["cancelled"]
    assert not_sent > 0
    card = page.cards["remaining"]
    assert (card.caption.text(), card.value()) == ("Not sent", f"{not_sent:,}")


def test_the_reason_filter_counts_a_row_under_each_of_its_faults_as_check_does(
        qtbot, window, tmp_path):
    from bulkquote_gui.core.intake.importer import import_file

    path = tmp_path / "zips.csv"
    path.write_text("Street,City,State,ZIP\n600 Congress Ave,Austin,TX,78701\n"
                    "100 Main St,Austin,TX,10001\nPO Box 5,Austin,TX,10001\n,Austin,TX,10001\n")
    check = import_file(path).invalid_by_reason()     # what `check` and the preview say
    assert check["ZIP in another state"] == 3
    submit(qtbot, window, path)
    page = window.progress_page
    combo = page.filter_combo
    items = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert items["ZIP in another state"] == "ZIP in another state (3)"
    assert items["PO box"] == "PO box (1)" and items["Street missing"] == "Street missing (1)"
    combo.setCurrentIndex(combo.findData("ZIP in another state"))
    shown = sorted(int(page.proxy.index(r, 0).data()) for r in range(page.proxy.rowCount()))
    assert shown == [3, 4, 5]


def test_submit_goes_straight_to_the_batch_page_and_the_next_file_shows_every_row(
        qtbot, window, tmp_path):
    from bulkquote_gui.gui.main_window import UPLOAD

    page = load(qtbot, window, SAMPLE)
    page.filter_buttons["problems"].click()
    assert page.model.filter == "problems"
    flashes: list[int] = []   # the empty start page shown in the window between the two pages
    page.stack.currentChanged.connect(
        lambda index: flashes.append(index) if index == 0 and window.pages.currentIndex() == UPLOAD
        else None)
    with qtbot.waitSignal(window.batch_opened, timeout=20_000):
        qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    assert flashes == []
    assert page.stack.currentIndex() == 0     # cleared behind the batch page, for the next file
    window.show_upload()
    page = load(qtbot, window, museums(tmp_path))
    assert page.model.filter == "all" and page.filter_buttons["all"].isChecked()
    assert page.model.rowCount() == 5


def test_an_export_shows_it_is_working_until_the_file_is_written(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window, SAMPLE)
    busy = window.busy
    seen: list[tuple[str, bool]] = []
    window.statusBar().messageChanged.connect(lambda text: seen.append((text, busy.isVisible())))
    dialogs.save_paths.append(str(tmp_path / "prices.xlsx"))
    with qtbot.waitSignal(window.exported, timeout=20_000):
        qtbot.mouseClick(window.progress_page.export_button, Qt.MouseButton.LeftButton)
    working = [text for text, shown in seen if text.startswith("Exporting") and shown]
    assert working == [f"Exporting batch #{window.progress_page.batch_id} to prices.xlsx…"]
    assert not busy.isVisible()
    assert window.statusBar().currentMessage().startswith("Exported 25 rows")


def test_writing_the_cleaned_addresses_shows_it_is_working(qtbot, window, dialogs, tmp_path):
    page = load(qtbot, window, SAMPLE)
    busy = window.busy
    seen: list[tuple[str, bool]] = []
    window.statusBar().messageChanged.connect(lambda text: seen.append((text, busy.isVisible())))
    dialogs.save_paths.append(str(tmp_path / "cleaned.csv"))
    with qtbot.waitSignal(window.cleaned_exported, timeout=20_000):
        qtbot.mouseClick(page.export_cleaned_button, Qt.MouseButton.LeftButton)
    assert [text for text, shown in seen if shown] == ["Writing cleaned.csv…"]
    assert not busy.isVisible()
