"""Issue 9: what a rep ran into, one test (or a few) per numbered finding, through the real window.

Layout on small screens (finding 3) needs its own screen size and scale factor, so it runs in a
child process: tests/gui/test_small_screens.py.
"""

from __future__ import annotations

import pytest

import argparse
import csv
import os
import stat

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from bulkquote_gui.gui.context import context_from_args
from bulkquote_gui.gui.models.eta import EtaEstimator
from bulkquote_gui.gui.models.results_model import COLUMNS, REASON_COLUMN, STATUS_COLUMN
from bulkquote_gui.gui.roles import STATUS_ROLE
from bulkquote_gui.gui.style import Theme

from .conftest import SAMPLE, store_batch

TERMINAL = {"complete", "failed", "cancelled"}


def submit(qtbot, window, path=SAMPLE, timeout=20_000) -> int:
    with qtbot.waitSignal(window.upload_page.loaded, timeout=timeout):
        window.load_file(path)
    with qtbot.waitSignal(window.batch_opened, timeout=timeout) as opened:
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    return opened.args[0]


def write_csv(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def shown(view, column):
    model = view.model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


# ---------------------------------------------------------------- 1. the whole sheet back

def test_export_gives_every_row_back_in_order_with_its_reason(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    target = tmp_path / "back.csv"
    dialogs.save_paths.append(str(target))
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        window.export_action.trigger()
    source = list(csv.reader(SAMPLE.read_text(encoding="utf-8").splitlines()))
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert done.args[1] == len(source) - 1 == 25  # 25 rows in, 25 out
    header = rows[0]
    n = len(source[0])
    assert header[:n] == source[0] and [r[:n] for r in rows[1:]] == source[1:]  # in its order
    status, reason = header.index("Status"), header.index("Reason")
    verdicts = {r[status] for r in rows[1:]}
    assert verdicts <= {"Priced", "Failed", "Invalid", "Duplicate"} and "Invalid" in verdicts
    assert all(r[reason] for r in rows[1:] if r[status] != "Priced")
    assert any(r[reason].startswith("Duplicate of row ") for r in rows[1:])
    # The priced rows only, on request.
    priced = tmp_path / "priced.csv"
    dialogs.save_paths.append(str(priced))
    with qtbot.waitSignal(window.exported, timeout=20_000) as done:
        window.export_priced_action.trigger()
    assert done.args[1] == sum(1 for r in rows[1:] if r[status] == "Priced")


def test_export_is_readable_by_colleagues(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    target = tmp_path / "shared.xlsx"
    dialogs.save_paths.append(str(target))
    old = os.umask(0o022)
    try:
        with qtbot.waitSignal(window.exported, timeout=20_000):
            window.export_action.trigger()
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_export_dialog_starts_beside_the_source_and_remembers(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    window.export_action.trigger()  # cancelled in the dialog
    assert dialogs.save_suggested == str(SAMPLE.parent / "sample_sites - quotes.xlsx")
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    dialogs.open_paths.append(None)
    window.open_file_dialog()
    window.store.remember_folder("export", elsewhere)
    window._source_paths.clear()  # a batch opened from the recent jobs: no source path known
    window.export_action.trigger()
    assert dialogs.save_suggested == str(elsewhere / "sample_sites - quotes.xlsx")


# ---------------------------------------------------------------- 2. a cancelled batch goes on

def test_cancelled_batch_is_not_green_and_quote_the_rest_finishes_it(qtbot, window, dialogs,
                                                                     context):
    batch_id = store_batch(context, paused=False)
    with engine_store.in_transaction(context.session_factory) as session:
        batch_store.request_cancel(session, batch_id)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    page = window.progress_page
    assert page.status == "cancelled"
    assert page.badge.text() == "Cancelled"
    assert page.done_banner.objectName() == "stoppedBanner"  # not the green success banner
    assert page.progress.value() == 0 and page.percent_label.text() == "0%"
    assert page.progress.property("tone") == "stopped"
    assert not page.retry_button.isEnabled() and "Quote the rest" in page.retry_button.toolTip()
    assert page.rest_button.isEnabled()
    with qtbot.waitSignal(window.batch_finished, timeout=60_000) as finished:
        qtbot.mouseClick(page.rest_button, Qt.MouseButton.LeftButton)
    assert finished.args == [batch_id, "complete"]
    with context.session_factory() as session:
        counts = view_store.batch_counts(session, batch_id)
    assert counts["cancelled"] == 0 and counts["complete"] + counts["failed"] == 21
    assert page.done_banner.objectName() == "doneBanner" and page.percent_label.text() == "100%"


def test_retry_on_a_cancelled_batch_never_turns_it_complete(context):
    batch_id = store_batch(context, paused=False)
    with engine_store.in_transaction(context.session_factory) as session:
        batch_store.request_cancel(session, batch_id)
    with engine_store.in_transaction(context.session_factory) as session:
        assert batch_store.retry_failed(session, batch_id) == 0
    with context.session_factory() as session:
        assert view_store.batch_status(session, batch_id) == "cancelled"


def test_cancelled_batch_goes_on_from_the_batch_menu_key(qtbot, window, context):
    batch_id = store_batch(context, paused=False)
    with engine_store.in_transaction(context.session_factory) as session:
        batch_store.request_cancel(session, batch_id)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    action, _button = window.batch_actions["rest"]
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+R"
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        action.trigger()


# ---------------------------------------------------------------- 4. demo restart mid-batch

@pytest.mark.flaky(reruns=2)  # the demo simulator and window start slowly under load
def test_demo_batch_quit_mid_quote_resumes_after_a_restart(qtbot, make_window, dialogs, tmp_path):
    args = argparse.Namespace(file=None, db=f"sqlite:///{tmp_path / 'demo.sqlite'}", api_url=None,
                              poll_interval=0.05, quote_timeout=None)
    first_context = context_from_args(args)  # the real app's: demo mode, built-in simulator
    first = make_window(first_context)
    first.start()
    qtbot.waitUntil(lambda: first.connection is not None, timeout=30_000)
    assert first.connection.demo
    quit_at: list[int] = []

    def quit_while_polling(event):
        if event.status == "polling" and not quit_at:
            quit_at.append(event.quote_id)
            dialogs.confirms.append(True)  # "Quit and resume later"
            first.close()

    first.quote_shown.connect(quit_while_polling)
    batch_id = submit(qtbot, first, timeout=60_000)  # the demo simulator starts with the window
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=30_000)
    with first_context.session_factory() as session:
        rows = {r.quote_id: r for r in view_store.batch_rows(session, batch_id)}
    assert rows[quit_at[0]].status == "polling"  # quit with its quote in flight
    first_context.close()

    second_context = context_from_args(args)
    try:
        second = make_window(second_context)
        second.start()

        def done():
            with second_context.session_factory() as session:
                return view_store.batch_status(session, batch_id) == "complete"
        qtbot.waitUntil(done, timeout=60_000)
        with second_context.session_factory() as session:
            rows = {r.quote_id: r for r in view_store.batch_rows(session, batch_id)}
        assert rows[quit_at[0]].status in ("complete", "failed")
        assert all(r.error_code != "not_found" for r in rows.values()), \
            [r.error_message for r in rows.values() if r.error_code == "not_found"]
        second.shutdown()
    finally:
        second_context.close()


# ---------------------------------------------------------------- 5. reasons in plain sight

def test_reason_column_sorting_and_the_reason_filter(qtbot, window):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    page = window.progress_page
    view = page.view
    assert COLUMNS[REASON_COLUMN] == "Reason"
    # Sorted by clicking a header: MRC ascending puts the cheapest first, the unpriced last.
    header = view.horizontalHeader()
    mrc = COLUMNS.index("MRC")
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + _section_centre(header, mrc))
    assert header.sortIndicatorSection() == mrc
    prices = [float(t.replace("$", "").replace(",", "")) for t in shown(view, mrc) if t]
    assert prices == sorted(prices) and len(prices) == page.counts["complete"]
    # The filter names every outcome with its count, and shows just those rows.
    combo = page.filter_combo
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items[0] == "All rows (25)"
    priced = next(i for i, t in enumerate(items) if t.startswith("Priced ("))
    assert items[priced] == f"Priced ({page.counts['complete']})"
    invalid = [t for t in items if t.startswith(("PO box", "Duplicate", "ZIP", "State", "Street"))]
    assert invalid, items  # the import's reasons, counted as `check` prints them
    combo.setCurrentIndex(priced)
    assert view.model().rowCount() == page.counts["complete"]
    assert set(shown(view, STATUS_COLUMN)) == {"Priced"}
    assert page.shown_label.text() == f"{page.counts['complete']} of 25 rows shown"
    combo.setCurrentIndex(0)
    assert view.model().rowCount() == 25


def _section_centre(header, logical):
    from PySide6.QtCore import QPoint
    return QPoint(header.sectionViewportPosition(logical) + header.sectionSize(logical) // 2,
                  header.height() // 2)


def test_a_failure_is_said_once_in_the_reps_words(qtbot, window, context):
    batch_id = store_batch(context)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    page = window.progress_page
    quote_id = page.model.row_at(next(r for r in range(page.model.rowCount())
                                      if page.model.row_at(r).quote_id > 0)).quote_id
    page.apply_quote_event(QuoteEvent(
        batch_id=batch_id, quote_id=quote_id, row_number=2, status="failed",
        error_code="manual_pricing_required",
        error_message="manual pricing required: the carriers price this site by hand, a person "
                      "must chase it (the carriers price this site by hand; a sales engineer will "
                      "follow up)"))
    row = page.model.row_for_quote(quote_id)
    text = page.model.index(row, REASON_COLUMN).data()
    assert text == "Manual pricing: the carriers price this site by hand; a sales engineer will follow up"
    assert page.model.index(row, REASON_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == text


# ---------------------------------------------------------------- 6. the keyboard

def test_tab_leaves_the_grid_and_reaches_submit(qtbot, window):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    page = window.upload_page
    window.activateWindow()
    page.view.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(page.view.hasFocus)
    for _ in range(5):   # past the fix list, cleaned addresses and "Reuse valid quotes"
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if page.submit_button.hasFocus():
            break
    assert page.submit_button.hasFocus(), QApplication.focusWidget()
    assert not page.view.tabKeyNavigation() and not window.progress_page.view.tabKeyNavigation()


def test_every_main_action_has_a_key_shown_in_menus_and_tooltips(qtbot, window):
    keys = {"submit": window.submit_action, "mapping": window.mapping_action,
            "export": window.export_action, **{k: a for k, (a, _b) in window.batch_actions.items()}}
    for name, action in keys.items():
        assert not action.shortcut().isEmpty(), name
    page = window.progress_page
    for button, key in ((page.pause_button, "Ctrl+P"), (page.cancel_button, "Ctrl+Shift+X"),
                        (page.rest_button, "Ctrl+Shift+R"), (page.export_button, "Ctrl+E")):
        assert key in button.toolTip(), button.text()
        assert "&" in button.text()  # a mnemonic (Alt+letter)
    assert "Ctrl+R" in page.retry_button.toolTip() and "&" in page.retry_button.text()
    assert "Ctrl+M" in window.upload_page.mapping_panel.toggle_button.toolTip()
    assert "&" in window.upload_page.submit_button.text()
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Batch" in menus


def test_the_mapping_opens_from_the_keyboard(qtbot, window):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    panel = window.upload_page.mapping_panel
    expanded = panel.is_expanded()
    window.mapping_action.trigger()
    assert panel.is_expanded() is not expanded


def test_focus_ring_is_visible_in_both_palettes():
    for theme in (Theme(dark=False), Theme(dark=True)):
        sheet = theme.style_sheet()
        assert "QPushButton#primary:focus { border: 2px solid" in sheet
        ring = QColor(theme.tokens["focus"])
        for background in (theme.tokens["accent"], theme.tokens["surface"]):
            assert _contrast(ring, QColor(background)) >= 3.0, (theme.dark, background)


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---------------------------------------------------------------- 7. the ETA across a pause

def test_eta_leaves_out_paused_and_waiting_time():
    now = [0.0]
    eta = EtaEstimator(lambda: now[0])
    for _ in range(5):
        now[0] += 1.1
        eta.quote_finished()
    assert round(eta.seconds_per_quote(), 2) == 1.1
    eta.hold()           # paused for a minute
    now[0] += 60
    eta.go_on()
    for _ in range(3):
        now[0] += 1.1
        eta.quote_finished()
    assert round(eta.seconds_per_quote(), 2) == 1.1  # not 2.1
    eta.hold()           # an outage of 96 s
    now[0] += 96
    eta.quote_finished()  # a quote that ended while on hold says nothing about the pace
    eta.go_on()
    now[0] += 1.1
    eta.quote_finished()
    assert round(eta.seconds_per_quote(), 2) == 1.1


def test_page_holds_the_eta_while_paused_or_waiting(qtbot, window, context):
    batch_id = store_batch(context, paused=False)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    page = window.progress_page
    page.apply_batch_event(BatchEvent(batch_id=batch_id, status="running", counts=page.counts))
    assert not page.eta.held
    page.apply_batch_event(BatchEvent(batch_id=batch_id, status="paused", counts=page.counts))
    assert page.eta.held
    page.apply_batch_event(BatchEvent(batch_id=batch_id, status="running", counts=page.counts))
    assert not page.eta.held
    page.show_wait(WaitEvent(account_id=1, reason="api", message="the API cannot be reached",
                             batch_ids=(batch_id,)))
    assert page.eta.held
    page.show_wait(None)
    assert not page.eta.held


# ---------------------------------------------------------------- 9. the smaller things

def test_export_is_off_with_no_batch(window):
    assert not window.export_action.isEnabled() and not window.export_priced_action.isEnabled()


def test_a_paused_batch_shows_no_row_polling(qtbot, window, context):
    batch_id = store_batch(context, paused=False)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    page = window.progress_page
    quote_id = page.model.row_at(next(r for r in range(page.model.rowCount())
                                      if page.model.row_at(r).quote_id > 0)).quote_id
    page.apply_quote_event(QuoteEvent(batch_id=batch_id, quote_id=quote_id, row_number=2,
                                      status="polling"))
    row = page.model.row_for_quote(quote_id)
    assert page.model.index(row, STATUS_COLUMN).data() == "Pricing"
    page.apply_batch_event(BatchEvent(batch_id=batch_id, status="paused", counts=page.counts))
    assert page.model.index(row, STATUS_COLUMN).data() == "Paused"
    assert page.model.index(row, STATUS_COLUMN).data(STATUS_ROLE) == "paused"


def test_buttons_stay_in_place_between_running_finished_and_cancelled(qtbot, window, context):
    batch_id = store_batch(context, paused=False)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    page = window.progress_page
    buttons = [page.pause_button, page.rush_button, page.cancel_button, page.retry_button,
               page.rest_button, page.export_button]
    places = []
    for status in ("running", "paused", "complete", "cancelled"):
        page.apply_batch_event(BatchEvent(batch_id=batch_id, status=status, counts=page.counts))
        QApplication.processEvents()
        # Export sits at the right edge: measured from it (a page scroll bar may come and go).
        places.append([(b.isVisible(), b.geometry().translated(
            -b.parentWidget().width() if b is page.export_button else 0, 0)) for b in buttons])
    assert all(p == places[0] for p in places), places


def test_a_new_file_opens_at_its_first_column(qtbot, window, tmp_path):
    wide = write_csv(tmp_path / "wide.csv", ["Street", "City", "State", "ZIP"] +
                     [f"Extra {i}" for i in range(40)],
                     [["600 Congress Ave", "Austin", "TX", "78701"] + ["x" * 20] * 40])
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(wide)
    bar = window.upload_page.view.horizontalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > 0
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    assert bar.value() == 0


def test_status_stays_in_sight_and_address_columns_come_first(qtbot, window, tmp_path):
    path = write_csv(tmp_path / "late.csv", ["Id", "Note", "Phone", "Street", "City", "State", "ZIP"],
                     [["1", "n", "555", "600 Congress Ave", "Austin", "TX", "78701"]])
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)
    page = window.upload_page
    header = page.view.horizontalHeader()
    order = [page.model.headerData(header.logicalIndex(v), Qt.Orientation.Horizontal)
             for v in range(header.count())]
    assert order[:5] == ["Status", "Street", "City", "State", "ZIP"]
    assert page.frozen.isVisible() and page.frozen.columnWidth(0) == page.view.columnWidth(0)


def test_a_header_only_file_says_no_data_rows(qtbot, window, tmp_path):
    path = write_csv(tmp_path / "empty.csv", ["Street", "City", "State", "ZIP"], [])
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)
    page = window.upload_page
    assert page.summary.text().startswith("No data rows")
    assert not page.mapping_panel.isVisible() and not page.submit_button.isEnabled()


def test_submitting_the_same_file_twice_asks(qtbot, window, dialogs):
    submit(qtbot, window)
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    dialogs.confirms.append(False)
    with qtbot.waitSignal(window.commanded, timeout=3_000, raising=False):
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("confirm", "Submit this file again?") in dialogs.asked, timeout=5_000)
    qtbot.waitUntil(window.upload_page.submit_button.isEnabled, timeout=5_000)
    assert window.pages.currentWidget() is window.upload_page  # nothing stored


def test_recent_jobs_follow_a_running_batch(qtbot, window):
    jobs = window.upload_page.jobs_panel
    seen: list[str] = []
    window.jobs_shown.connect(lambda: seen.append(jobs.model.index(0, 2).data() or ""))
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    qtbot.waitUntil(lambda: seen and seen[-1].startswith(f"{window.progress_page.counts['complete']}/"),
                    timeout=10_000)
    assert len(set(seen)) > 2  # the counts moved while it ran, not only at its start and end


def test_settings_save_the_team_database_and_plain_http(qtbot, dialogs):
    """(Saving a Momentum URL that failed its test asked first; that URL is now a provider's,
    tested in Settings → Providers.)"""
    from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
    from bulkquote_gui.services.settings import Settings

    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.db_edit.setText("postgresql+psycopg://rep@db.example/bulkquote")
    dialog.insecure_check.setChecked(True)
    dialog.save()
    saved = dialog.result_settings
    assert saved.database_url == "postgresql+psycopg://rep@db.example/bulkquote"
    assert saved.allow_insecure_http


def test_export_cleaned_addresses_from_the_preview(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    target = tmp_path / "cleaned.csv"
    dialogs.save_paths.append(str(target))
    with qtbot.waitSignal(window.cleaned_exported, timeout=20_000):
        qtbot.mouseClick(window.upload_page.export_cleaned_button, Qt.MouseButton.LeftButton)
    assert ("save", "sample_sites - cleaned.csv") in dialogs.asked
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 25                                   # one line per row of the sheet
    first = rows[0]
    assert first["Status"].lower().startswith("valid")
    assert (first["Street"], first["City"], first["State"], first["ZIP"]) == (
        "600 Congress Ave", "Austin", "TX", "78701")
