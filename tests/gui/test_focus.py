"""Where the keyboard focus is after the window does something (issue 15, polish): on the
start page's Browse…, on the grid once a file is read, still on a box the rep changed while the
rows are checked again, still on Test connection once it has answered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import SAMPLE

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()


def _active(qtbot, top) -> None:
    top.activateWindow()
    qtbot.waitUntil(top.isActiveWindow)


def test_the_start_page_s_browse_has_the_focus_and_the_grid_after_a_load(qtbot, window):
    _active(qtbot, window)
    assert QApplication.focusWidget() is window.upload_page.drop_zone.browse_button
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    assert QApplication.focusWidget() is window.upload_page.view   # not "Open Settings…"


def test_a_default_changed_by_keyboard_keeps_the_focus(qtbot, window):
    _active(qtbot, window)
    page = window.upload_page
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    speed = page.defaults_panel.speed
    speed.setFocus(Qt.FocusReason.TabFocusReason)
    with qtbot.waitSignal(page.loaded, timeout=20_000):   # the rows checked with the new speed
        QTest.keyClick(speed, Qt.Key.Key_Down)
    assert not page.is_busy() and QApplication.focusWidget() is speed
    QTest.keyClick(speed, Qt.Key.Key_Down)   # and the next key goes on from there
    assert speed.currentIndex() == 2 or page.is_busy()


def test_test_connection_leaves_the_focus_on_its_button(qtbot, context, monkeypatch):
    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.gui.dialogs.providers_dialog import ProvidersDialog

    # nobody listens: a quick failure
    provider_store.add_provider(context.session_factory, "Nowhere", "momentum",
                                "http://127.0.0.1:9/v1", settings={"secret_env": "NOWHERE_KEY"})
    monkeypatch.setenv("NOWHERE_KEY", "k")
    dialog = ProvidersDialog(context.session_factory)
    qtbot.addWidget(dialog)
    dialog.show()
    _active(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=5_000)
    dialog.test_button.setFocus(Qt.FocusReason.TabFocusReason)
    with qtbot.waitSignal(dialog.test_finished, timeout=30_000):
        QTest.keyClick(dialog.test_button, Qt.Key.Key_Space)
    assert QApplication.focusWidget() is dialog.test_button   # not the next button
