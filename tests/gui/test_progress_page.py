"""Submitting to the simulator and following a batch live: row signals, pause, resume, cancel,
retry failed, export, reopen from recent jobs, close-and-resume. All through the real window."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt

from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.models.results_model import COLUMNS, STATUS_COLUMN
from bulkquote_gui.gui.pages.progress_page import ERROR_MIN
from bulkquote_gui.gui.roles import STATUS_ROLE

from .conftest import SAMPLE

TERMINAL = {"complete", "failed", "cancelled"}


def submit(qtbot, window, path=SAMPLE) -> int:
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)
    with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    return opened.args[0]


def write_sites(path: Path, streets: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Company", "Address", "City", "State", "ZIP"])
        for n, street in enumerate(streets):
            out.writerow([f"Site {n}", street, "Austin", "TX", "78701"])
    return path


def quoted_rows(window) -> list[int]:
    """The model rows of the quoted sites (the page also shows the sheet's invalid/duplicate rows)."""
    model = window.progress_page.model
    return [r for r in range(model.rowCount())
            if model.index(r, STATUS_COLUMN).data(STATUS_ROLE) not in ("invalid", "duplicate")]


def page_statuses(window) -> list[str]:
    model = window.progress_page.model
    return [model.index(r, STATUS_COLUMN).data(STATUS_ROLE) for r in quoted_rows(window)]


def test_submit_runs_the_batch_live_row_by_row(qtbot, window):
    page = window.progress_page
    repaints: list[tuple[int, int]] = []
    resets: list[int] = []
    page.model.dataChanged.connect(lambda a, b, _roles=None: repaints.append((a.row(), b.row())))
    page.model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(window.batch_finished, timeout=60_000) as finished:
        batch_id = submit(qtbot, window)
    assert finished.args == [batch_id, "complete"]
    assert window.pages.currentWidget() is page
    assert page.title.text() == f"Batch #{batch_id}  ·  sample_sites.csv"
    # Loaded once when opened, then only single-row repaints from the worker's signals.
    assert len(resets) == 1
    assert repaints and all(top == bottom for top, bottom in repaints)
    assert len(repaints) >= 2 * 21  # at least submitting/polling/terminal per row, mostly
    statuses = page_statuses(window)
    assert len(statuses) == 21 and set(statuses) <= {"complete", "failed"}
    assert page.cards["total"].value() == "21"
    assert int(page.cards["succeeded"].value()) + int(page.cards["failed"].value()) == 21
    assert page.cards["remaining"].value() == "0"
    assert page.percent_label.text() == "100%"
    assert page.done_banner.isVisible() and "sites priced" in page.done_banner.text()
    assert not page.pause_button.isEnabled() and not page.cancel_button.isEnabled()
    assert page.export_button.isEnabled()
    complete_row = quoted_rows(window)[statuses.index("complete")]
    assert page.model.index(complete_row, 3).data()  # carrier
    assert page.model.index(complete_row, 4).data().startswith("$")  # MRC
    assert "sites priced" in window.events.last_alert
    # Addresses whole, and the reason a quote failed gets the rest of the width (at least ERROR_MIN).
    header, metrics = page.view.horizontalHeader(), page.view.fontMetrics()
    address, error = COLUMNS.index("Address"), COLUMNS.index("Reason")
    longest = max(metrics.horizontalAdvance(page.model.index(r, address).data()) for r in quoted_rows(window))
    assert header.sectionSize(address) >= longest + 12
    assert header.sectionSize(error) >= ERROR_MIN
    assert sum(header.sectionSize(c) for c in range(len(COLUMNS))) >= page.view.viewport().width()
    with window.context.session_factory() as session:
        assert view_store.batch_status(session, batch_id) == "complete"


def test_pause_and_resume(qtbot, window):
    page = window.progress_page
    paused = []

    def pause_on_first_result(event):
        if event.status == "complete" and not paused:
            paused.append(event.quote_id)
            qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)

    window.quote_shown.connect(pause_on_first_result)
    submit(qtbot, window)
    qtbot.waitUntil(lambda: page.status == "paused", timeout=20_000)
    assert page.pause_button.text().replace("&", "") == "Resume" and page.pause_button.isEnabled()
    assert page.cancel_button.isEnabled()
    assert int(page.cards["remaining"].value()) > 0
    assert "Paused" in page.eta_label.text()
    assert page.message_banner.isHidden()  # no second "paused by the user" for the rep's own pause
    with window.context.session_factory() as session:
        assert view_store.batch_status(session, page.batch_id) == "paused"
    window.quote_shown.disconnect(pause_on_first_result)
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        qtbot.mouseClick(page.pause_button, Qt.MouseButton.LeftButton)  # now "Resume"
    assert set(page_statuses(window)) <= {"complete", "failed"}
    assert page.status == "complete"


def test_cancel_asks_first_then_stops_the_batch(qtbot, window, dialogs):
    page = window.progress_page
    started = []

    def cancel_on_first_result(event):
        if event.status == "complete" and not started:
            started.append(1)
            dialogs.confirms.extend([False, True])  # first "keep going", then really cancel
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
            assert page.status == "running"
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)

    window.quote_shown.connect(cancel_on_first_result)
    with qtbot.waitSignal(window.batch_finished, timeout=30_000) as finished:
        submit(qtbot, window)
    assert finished.args[1] == "cancelled"
    assert [kind for kind, _ in dialogs.asked].count("confirm") == 2
    statuses = page_statuses(window)
    assert "cancelled" in statuses and set(statuses) <= TERMINAL
    assert not page.cancel_button.isEnabled() and not page.pause_button.isEnabled()
    assert "cancelled" in page.done_banner.text().lower()
    with window.context.session_factory() as session:
        counts = view_store.batch_counts(session, page.batch_id)
        assert view_store.batch_status(session, page.batch_id) == "cancelled"
    assert counts["cancelled"] == statuses.count("cancelled")
    card = page.cards["remaining"]   # a cancelled batch's rows never sent, not "Remaining 0"
    assert (card.caption.text(), card.value()) == ("Not sent", f"{counts['cancelled']:,}")


def test_retry_failed_sends_the_failed_rows_again(qtbot, window, simulator, tmp_path):
    path = write_sites(tmp_path / "mixed.csv", ["600 Congress Ave", "1 Test St", "100 Main St"])
    page = window.progress_page
    with qtbot.waitSignal(window.batch_finished, timeout=30_000):
        batch_id = submit(qtbot, window, path)
    statuses = page_statuses(window)
    assert statuses.count("failed") >= 1  # "Test St" is not found by the simulator
    failed_row = statuses.index("failed")
    reason = page.model.index(failed_row, COLUMNS.index("Reason")).data()
    assert reason.startswith("Address not found: ")  # once, in the rep's words
    # An address the carriers do not know comes back the same: a retry is not offered for it.
    assert not page.retry_button.isEnabled()
    assert "would come back the same" in page.retry_button.toolTip()
    posts_before = simulator.stats()["posts"]
    with qtbot.waitSignal(window.commanded, timeout=10_000):
        window.batches.retry_failed(batch_id)
    assert simulator.stats()["posts"] == posts_before
    assert "kept" in window.statusBar().currentMessage()


def test_export_writes_the_chosen_file(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    target = tmp_path / "prices.csv"
    dialogs.save_paths.append(str(target))
    with qtbot.waitSignal(window.exported, timeout=20_000) as blocker:
        qtbot.mouseClick(window.progress_page.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(target), 25]  # the whole sheet: its 4 unquoted rows too
    text = target.read_text(encoding="utf-8-sig")
    assert "Street Address" in text.splitlines()[0]
    assert ("save", "sample_sites - quotes.xlsx") in dialogs.asked


def test_export_cancelled_in_the_dialog_writes_nothing(qtbot, window, dialogs, tmp_path):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    window.export_action.trigger()  # Ctrl+E: the save dialog answers "cancel" (None)
    assert ("save", "sample_sites - quotes.xlsx") in dialogs.asked
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".xlsx", ".csv")]


def test_recent_jobs_list_and_reopen(qtbot, window):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        batch_id = submit(qtbot, window)
    with qtbot.waitSignal(window.pages.currentChanged):
        window.new_action.trigger()  # back to the upload page, where recent jobs are
    jobs = window.upload_page.jobs_panel
    # The list is read off the GUI thread: it shows the finished batch once that read is back.
    qtbot.waitUntil(lambda: jobs.model.rowCount() == 1
                    and jobs.model.index(0, 3).data(STATUS_ROLE) == "complete", timeout=10_000)
    assert jobs.model.index(0, 0).data() == f"#{batch_id}  sample_sites.csv"
    assert jobs.model.index(0, 3).data(STATUS_ROLE) == "complete"
    assert "/21 priced" in jobs.model.index(0, 2).data()
    window.progress_page.batch_id = None
    rect = jobs.view.visualRect(jobs.model.index(0, 0))
    with qtbot.waitSignal(window.batch_opened, timeout=10_000) as opened:
        qtbot.mouseClick(jobs.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [batch_id]
    assert window.pages.currentWidget() is window.progress_page
    assert window.progress_page.model.rowCount() == 25
    assert len(quoted_rows(window)) == 21


def test_closing_during_a_batch_asks_and_the_batch_resumes_next_start(qtbot, make_window, context,
                                                                      dialogs):
    first = make_window()
    first.start()
    page = first.progress_page
    stop_at = []

    def close_on_first_result(event):
        if event.status == "complete" and not stop_at:
            stop_at.append(event.quote_id)
            dialogs.confirms.append(False)
            first.close()  # "Keep running": nothing happens
            assert first.isVisible()
            dialogs.confirms.append(True)
            first.close()  # "Quit and resume later"

    first.quote_shown.connect(close_on_first_result)
    batch_id = submit(qtbot, first)
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=20_000)
    assert first.worker is None  # the thread was stopped and joined
    with context.session_factory() as session:
        assert view_store.batch_status(session, batch_id) in ("running", "pending")
        left = view_store.batch_counts(session, batch_id)
    assert left["complete"] < 21

    second = make_window()
    second.start()
    qtbot.waitUntil(second.resume_banner.isVisible, timeout=10_000)  # read off the GUI thread
    assert f"#{batch_id}" in second.resume_banner.text()

    def done():
        with context.session_factory() as session:
            return view_store.batch_status(session, batch_id) == "complete"
    qtbot.waitUntil(done, timeout=60_000)
    with context.session_factory() as session:
        counts = view_store.batch_counts(session, batch_id)
    assert counts["complete"] + counts["failed"] == 21


def test_results_and_jobs_models_pass_qtmodeltester(qtbot, qtmodeltester, window):
    with qtbot.waitSignal(window.batch_finished, timeout=60_000):
        submit(qtbot, window)
    # The deal's choices are read after the finish and change every row: a tester checking the
    # jobs model below would take that late change of the results' rows for its own.
    qtbot.waitUntil(lambda: window.choices.deal is not None, timeout=10_000)
    qtmodeltester.check(window.progress_page.model, force_py=True)
    with qtbot.waitSignal(window.jobs_shown, timeout=10_000):
        window.refresh_jobs()
    qtmodeltester.check(window.upload_page.jobs_panel.model, force_py=True)
