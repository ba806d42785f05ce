"""An uncaught exception in the window: logged, shown in a modeless dialog with "Copy details",
never with the API key, from any thread, one dialog for several; the window keeps answering."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from bulkquote_gui.gui.dialogs import crash_dialog
from bulkquote_gui.services import logs

KEY = "sk_live_CRASH+key/77"
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()


@pytest.fixture
def reporter(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("BULKQUOTE_API_KEY", KEY)
    path = logs.setup_logging("crashtest")
    hooks = sys.excepthook, threading.excepthook
    rep = crash_dialog.install()
    yield rep, path
    sys.excepthook, threading.excepthook = hooks
    if rep.dialog is not None:
        rep.dialog.close()
    logs.remove_logging("crashtest")


def _raise(message: str):
    try:
        raise ValueError(message)
    except ValueError:
        return sys.exc_info()


def test_an_uncaught_exception_is_logged_and_shown(qtbot, reporter):
    rep, path = reporter
    with qtbot.waitSignal(rep.shown, timeout=5000) as shown:
        sys.excepthook(*_raise(f"the API said no to {KEY}"))   # as PySide6 does for a slot
    dialog = shown.args[0]
    assert dialog.isVisible() and not dialog.isModal()         # the window behind stays live
    assert "ValueError: the API said no to ***" in dialog.summary_label.text()
    assert "your batches are safe" in dialog.summary_label.text()
    details = dialog.details.toPlainText()
    assert details.startswith("BulkQuote ") and "Traceback (most recent call last)" in details
    assert KEY not in details and KEY not in dialog.summary_label.text()
    dialog.copy_details()
    assert QGuiApplication.clipboard().text() == details
    assert dialog.copy_button.text() == "Copied"
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "uncaught exception" in text and "ValueError: the API said no to ***" in text
    assert KEY not in text


def test_a_crash_on_another_thread_reaches_the_same_dialog(qtbot, reporter):
    rep, _path = reporter
    with qtbot.waitSignal(rep.shown, timeout=5000):
        sys.excepthook(*_raise("first"))

    def boom() -> None:
        raise RuntimeError("the mailer thread broke")

    t = threading.Thread(target=boom, name="bulkquote-mailer")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: rep.dialog.count == 2, timeout=5000)
    assert "2 problems so far" in rep.dialog.summary_label.text()
    assert "thread: bulkquote-mailer" in rep.dialog.details.toPlainText()
    assert len([w for w in QApplication.topLevelWidgets()
                if isinstance(w, crash_dialog.CrashDialog) and w.isVisible()]) == 1


def test_after_closing_a_new_crash_opens_a_new_dialog(qtbot, reporter):
    rep, _path = reporter
    with qtbot.waitSignal(rep.shown, timeout=5000):
        sys.excepthook(*_raise("one"))
    rep.dialog.close()
    qtbot.waitUntil(lambda: rep.dialog is None, timeout=5000)
    with qtbot.waitSignal(rep.shown, timeout=5000) as shown:
        sys.excepthook(*_raise("two"))
    assert shown.args[0].count == 1
