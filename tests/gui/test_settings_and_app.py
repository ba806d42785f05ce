"""Settings dialog (test connection off the GUI thread, keyring fallback), app start-up, theme."""

from __future__ import annotations

import argparse

from PySide6.QtCore import Qt

from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.gui.style import Theme, apply_theme
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings
from tests.gui.conftest import SAMPLE


def test_test_connection_against_the_simulator(qtbot, simulator):
    dialog = SettingsDialog(Settings(), KeyStore())
    qtbot.addWidget(dialog)
    dialog.url_edit.setText(simulator.base_url)
    dialog.key_edit.setText("any-key")
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert not dialog.test_button.isEnabled()  # running in the background; the dialog lives on
    assert blocker.args[0] is True, blocker.args[1]
    assert "accepts the API key" in dialog.test_result.text()
    assert dialog.test_button.isEnabled()


def test_test_connection_reports_a_refused_key(qtbot):
    from bulkquote_gui.services.simulator import SimulatorServer

    with SimulatorServer(api_key="the-right-key") as sim:
        dialog = SettingsDialog(Settings(), KeyStore())
        qtbot.addWidget(dialog)
        dialog.url_edit.setText(sim.base_url)
        dialog.key_edit.setText("wrong-key")
        with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
            dialog.start_connection_test()
    ok, message = blocker.args
    assert ok is False and message == "The server answers but refuses this API key. Check the key."
    assert "wrong-key" not in message and "wrong-key" not in dialog.test_result.toolTip()


def test_test_connection_to_nothing_fails_cleanly(qtbot):
    dialog = SettingsDialog(Settings(), KeyStore())
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("http://127.0.0.1:9/v1")  # discard port: nobody listens
    dialog.key_edit.setText("k")
    with qtbot.waitSignal(dialog.test_finished, timeout=30_000) as blocker:
        dialog.start_connection_test()
    assert blocker.args[0] is False
    # In words a rep can act on, whole; the technical ones in the tooltip.
    assert blocker.args[1].startswith("Could not reach 127.0.0.1: nothing answers there.")
    assert "Errno" not in dialog.test_result.text() and dialog.test_result.toolTip()
    dialog.url_edit.setText("ftp://example.com")
    with qtbot.waitSignal(dialog.test_finished, timeout=1_000) as blocker:
        dialog.start_connection_test()
    assert "https://" in blocker.args[1]


def test_bad_values_are_refused_with_a_reason(qtbot):
    dialog = SettingsDialog(Settings(), KeyStore())
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("api.momentum.example")
    dialog.email_edit.setText("not-an-address")
    dialog.save()
    assert dialog.result_settings is None
    assert "must start with https://" in dialog.error_label.text()
    assert "@" in dialog.error_label.text()


def test_a_secret_from_the_environment_is_shown_read_only_and_named(qtbot, monkeypatch):
    from bulkquote_gui.gui.dialogs.email_settings import EmailSettingsDialog
    from bulkquote_gui.services.secrets import SmtpPasswordStore

    monkeypatch.setenv("BULKQUOTE_API_KEY", "env-key")
    monkeypatch.setenv("BULKQUOTE_SMTP_PASSWORD", "env-password")
    dialog = SettingsDialog(Settings(), KeyStore())
    email = EmailSettingsDialog(Settings(), SmtpPasswordStore())
    for d in (dialog, email):
        qtbot.addWidget(d)
    assert not dialog.key_edit.isEnabled() and dialog.key_edit.text() == "env-key"
    assert dialog.key_note.text() == "The API key comes from BULKQUOTE_API_KEY in the environment."
    assert not email.password_edit.isEnabled()
    assert email.password_note.text() == \
        "The SMTP password comes from BULKQUOTE_SMTP_PASSWORD in the environment."


def test_settings_saved_from_the_window_without_a_keyring(qtbot, window, dialogs, context):
    assert not context.keystore.keyring_available  # tests run with the null keyring
    assert window.demo_banner.isVisible()

    def fill(dialog: SettingsDialog) -> bool:
        assert "session only" in dialog.key_note.text()
        dialog.poll_spin.setValue(20)
        dialog.term_combo.setCurrentIndex(dialog.term_combo.findData(24))
        dialog.name_edit.setText("Dana Rep")
        dialog.email_edit.setText("dana@example.com")
        dialog.key_edit.setText("session-secret")
        dialog.save()
        return dialog.result() == dialog.DialogCode.Accepted

    dialogs.dialog_scripts.append(fill)
    window.settings_action.trigger()
    saved = context.saved_settings[-1]
    assert saved.poll_interval_s == 20 and saved.default_term_months == 24
    assert saved.rep_name == "Dana Rep"
    assert "session-secret" not in repr(saved)
    assert context.keystore.get() == "session-secret"  # kept in memory for this session
    assert any(kind == "info" and "this session" in text for kind, text in dialogs.asked)
    assert window.upload_page.defaults().term_months == 24
    assert window.worker is not None  # reconnected with the new timings


def test_menu_shortcuts(window):
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    assert window.export_action.shortcut().toString() == "Ctrl+E"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert not window.export_action.isEnabled()  # nothing to export on the upload page


def test_window_remembers_its_geometry(qtbot, make_window):
    first = make_window()
    first.move(23, 31)
    first.resize(1100, 700)  # usable, and inside the 1920x1080 test screen
    size, pos = first.size(), first.pos()
    first.shutdown()  # the app saves the geometry when it closes
    second = make_window()
    assert second.pos() == pos and second.size() == size


def test_theme_light_and_dark_style_sheets(qapp):
    light, dark = Theme(dark=False), Theme(dark=True)
    for theme in (light, dark):
        sheet = theme.style_sheet()
        assert sheet and "@accent" not in sheet and "@window" not in sheet
    assert light.badge("invalid").fill != dark.badge("invalid").fill
    before = qapp.styleSheet()
    try:
        applied = apply_theme(qapp, dark=True)
        assert applied.dark and qapp.palette().window().color().lightness() < 128
    finally:
        apply_theme(qapp, dark=False)
        qapp.setStyleSheet(before)


def test_gui_command_starts_and_quits(qtbot, monkeypatch, tmp_path):
    """`bulkquote FILE` path: run() builds the real context (demo runtime) and the window."""
    from bulkquote_gui.gui import app as app_module
    from bulkquote_gui.gui.main_window import MainWindow

    seen = {}
    original_start = MainWindow.start

    def start_and_quit(self, file=None):
        original_start(self, file)
        seen["demo"] = self.connection.demo
        seen["file"] = file
        self.upload_page.loaded.connect(lambda r: (seen.setdefault("rows", len(r)), self.close()))

    monkeypatch.setattr(MainWindow, "start", start_and_quit)
    args = argparse.Namespace(file=str(SAMPLE),
                              db=f"sqlite:///{tmp_path / 'app.sqlite'}", api_url=None,
                              poll_interval=None, quote_timeout=None)
    # run() makes its own qasync loop; keep the session's loop as the current one afterwards.
    import asyncio
    session_loop = asyncio.get_event_loop()
    asyncio.events._set_running_loop(None)  # as in a fresh process: run() brings its own loop
    try:
        assert app_module.run(args) == 0
    finally:
        asyncio.set_event_loop(session_loop)
        asyncio.events._set_running_loop(session_loop)
    assert seen == {"demo": True, "file": args.file, "rows": 25}
