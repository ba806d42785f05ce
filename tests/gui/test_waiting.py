"""The waiting banner: what the engine's WaitEvents tell the rep, and cancelling another client's
quote that blocks the account, only after a confirmation that defaults to No."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from bulkquote_gui.core.events import BatchEvent, WaitEvent
from bulkquote_gui.gui import operations
from bulkquote_gui.gui.operations import account
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.wait_banner import UNBLOCK_ACTION, wait_text

from .conftest import store_batch


def say(qtbot, window, sink, event: WaitEvent) -> None:
    """The engine emits `event` from its own thread; wait until the window has shown it."""
    with qtbot.waitSignal(window.wait_shown, timeout=5_000):
        threading.Thread(target=sink, args=(event,)).start()


@pytest.fixture
def opened(qtbot, make_window, context, engine_events):
    """A window showing a stored, paused batch; the engine's event callback to speak for it."""
    batch_id = store_batch(context, paused=True)
    window = make_window()
    window.start()
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    return window, batch_id, engine_events[-1]


def test_each_wait_says_why_and_the_end_of_it_hides_the_banner(qtbot, opened):
    window, batch_id, sink = opened
    banner = window.progress_page.wait_banner
    assert banner.isHidden()

    say(qtbot, window, sink, WaitEvent(1, "account", blocker_id="q_7f3a", batch_ids=(batch_id,)))
    assert banner.isVisible()
    assert banner.text().startswith("Waiting for the account: another client's quote q_7f3a is in flight")
    assert banner.action_button.isVisible() and banner.action_button.text() == UNBLOCK_ACTION
    assert "Paused" in window.progress_page.eta_label.text()  # a paused batch stays paused

    say(qtbot, window, sink, WaitEvent(1, "api", "can't reach api.momentum.example (connection refused)",
                                       batch_ids=(batch_id,)))
    assert banner.text().startswith(
        "Waiting for the API: can't reach api.momentum.example (connection refused)")
    assert banner.action_button.isHidden()  # nothing for the rep to cancel

    say(qtbot, window, sink, WaitEvent(1, "lease", "Dana's laptop (BulkQuote on dana-mbp)",
                                       batch_ids=(batch_id,)))
    assert banner.text() == "Waiting for the account's lease: held by Dana's laptop (BulkQuote on dana-mbp)."

    # Taken up by the engine (running) while the wait lasts: the ETA line says it is on hold.
    emit(window.worker.batch_event, BatchEvent(batch_id, "running", counts=window.progress_page.counts))
    assert window.progress_page.eta_label.text().startswith("On hold")

    say(qtbot, window, sink, WaitEvent(1, "", batch_ids=(batch_id,)))
    assert banner.isHidden()
    assert not window.progress_page.eta_label.text().startswith("On hold")


def test_a_wait_of_other_batches_is_not_shown(qtbot, opened):
    window, batch_id, sink = opened
    say(qtbot, window, sink, WaitEvent(2, "account", blocker_id="q_1", batch_ids=(batch_id + 100,)))
    assert window.progress_page.wait_banner.isHidden()


def test_a_wait_told_before_the_batch_was_opened_shows_when_it_opens(qtbot, opened, context):
    window, first, sink = opened
    second = store_batch(context, paused=True)
    say(qtbot, window, sink, WaitEvent(1, "api", "can't reach the API (timed out)", batch_ids=(first, second)))
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(second)
    assert window.progress_page.wait_banner.isVisible()
    assert "can't reach the API" in window.progress_page.wait_banner.text()


def _window(qtbot, context, dialogs, unblock):
    """A window whose cancel_blocking_quote is `unblock`, given as the window's parameter."""
    from bulkquote_gui.gui.main_window import MainWindow

    window = MainWindow(context, dialogs=dialogs, unblock=unblock)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    window.show()
    return window


class _FakeUnblock:
    def __init__(self) -> None:
        self.calls: list[tuple[object, object, str]] = []

    def __call__(self, client, session_factory, quote_id: str) -> None:
        self.calls.append((client, session_factory, quote_id))


def test_cancelling_the_blocking_quote_asks_first_then_calls_the_engine(qtbot, make_window, context,
                                                                       engine_events, dialogs):
    fake = _FakeUnblock()
    batch_id = store_batch(context, paused=True)
    window = _window(qtbot, context, dialogs, fake)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    say(qtbot, window, engine_events[-1], WaitEvent(1, "account", blocker_id="q_theirs", batch_ids=(batch_id,)))
    button = window.progress_page.wait_banner.action_button

    dialogs.confirms.append(False)  # "No, keep waiting"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialogs.asked[-1] == ("confirm", "Cancel another client's quote?")
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert fake.calls == []

    dialogs.confirms.append(True)
    with qtbot.waitSignal(window.commanded, timeout=10_000) as done:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert done.args[0] == "unblock"
    [(client, sessions, quote_id)] = fake.calls
    assert quote_id == "q_theirs" and sessions is context.session_factory
    assert hasattr(client, "cancel_quote")  # a real client of the window's connection
    assert "q_theirs cancelled" in window.statusBar().currentMessage()
    window.shutdown()


def test_the_unblock_operation_closes_its_client_and_reports_refusals(qtbot):
    from PySide6.QtCore import QObject

    from bulkquote_gui.core.quoting.momentum import PermanentError

    class Client:
        closed = False

        def close(self) -> None:
            Client.closed = True

    def refuse(client, _sessions, quote_id):
        raise PermanentError(f"quote {quote_id} is not this account's", status=404)

    parent = QObject()
    messages: list[str] = []
    account.cancel_blocking_quote(parent, "sessions", Client, "q_9", unblock=refuse) \
        .failure(messages.append).run()
    qtbot.waitUntil(lambda: bool(messages), timeout=5_000)
    assert messages[0].startswith("quote q_9 is not this account's") and Client.closed


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, about the message box
def test_the_real_confirmation_says_whose_work_it_is_and_defaults_to_no(qtbot, context, engine_events):
    """The real dialog (not the tests' scripted one): Enter on it answers No, nothing is cancelled."""
    fake = _FakeUnblock()
    window = _window(qtbot, context, None, fake)
    batch_id = store_batch(context, paused=True)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    say(qtbot, window, engine_events[-1], WaitEvent(1, "account", blocker_id="q_theirs", batch_ids=(batch_id,)))
    seen: list[tuple[str, str]] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, press_enter)  # not shown yet
            return
        seen.append((box.defaultButton().text(), box.text()))
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(50, press_enter)
    window.progress_page.wait_banner.action_button.click()  # returns once the box is answered
    [(default, text)] = seen
    assert default == "No, keep waiting"
    assert "q_theirs" in text and "someone else's paid work" in text
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert fake.calls == []
    window.shutdown()


def test_wait_texts():
    assert wait_text(WaitEvent(1, "")) == ""
    assert wait_text(WaitEvent(1, "lease", "held by Lee (BulkQuote on lee-pc)")) == \
        "Waiting for the account's lease: held by Lee (BulkQuote on lee-pc)."
    assert wait_text(WaitEvent(1, "lease", "waiting for the account's lease: held by vm pid 7 (cli)")) == \
        "Waiting for the account's lease: held by vm pid 7 (cli)."   # said once
    assert wait_text(WaitEvent(1, "lease", "the previous BulkQuote window (pid 27539) stopped without "
                               "handing the account over; this one takes over in about 26 s, "
                               "nothing is lost")) == \
        "The previous BulkQuote window (pid 27539) stopped without handing the account over; " \
        "this one takes over in about 26 s, nothing is lost."
    assert wait_text(WaitEvent(1, "account")).startswith("Waiting for the account: another client's quote")
    assert wait_text(WaitEvent(1, "store", "the database cannot be reached; waiting")) == \
        "The database cannot be reached: BulkQuote waits and goes on by itself."
    assert wait_text(WaitEvent(1, "store", "the database is locked by another program; waiting")) \
        == "The database is locked by another program: BulkQuote waits and goes on by itself."
    assert wait_text(WaitEvent(1, "store", "the disk that holds the database is full; BulkQuote "
                                           "tries again by itself")) == \
        "The disk that holds the database is full; BulkQuote tries again by itself."
