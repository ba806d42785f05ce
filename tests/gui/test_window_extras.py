"""What gui/app.attach_extras gives the window: the Help entries (Open log folder, About with
version, database, API URL, log folder), E-mail notifications with "Send test e-mail" through a
real SMTP server on loopback, and notifications of batches that need the rep."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.events import BatchEvent
from PySide6.QtGui import QAction

from bulkquote_gui.gui.dialogs import email_settings, help_pages
from bulkquote_gui.gui.controllers import help_menu
from bulkquote_gui.gui.app import attach_extras
from bulkquote_gui.gui.dialogs.email_settings import EmailSettingsDialog
from bulkquote_gui.services.secrets import SmtpPasswordStore
from bulkquote_gui.services.settings import Settings
from tests.helpers.smtp import SmtpServer, free_port

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
              pytest.mark.qt_log_ignore("propagateSizeHints")]  # the offscreen platform, on show()


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _titles(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_menus_get_the_extras_once(qtbot, window):
    notifications = attach_extras(window)
    assert attach_extras(window) is notifications          # idempotent
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert _titles(menus["Help"]) == ["Quick guide", "Keyboard shortcuts", "Open log folder",
                                      "About BulkQuote"]
    file_titles = _titles(menus["File"])
    assert file_titles[file_titles.index("Settings…") + 1] == "E-mail notifications…"


def test_about_names_version_database_api_and_log_folder(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(tmp_path / "logs"))
    qtbot.waitUntil(lambda: window.connection is not None, timeout=10_000)   # off-thread
    dialog = help_menu.show_about(window)
    qtbot.addWidget(dialog)
    values = {k: v.text() for k, v in dialog.values.items()}
    assert values["Version"].startswith("0.1.0 (Python ")
    assert values["Database"].startswith("sqlite:///") and values["Database"].endswith("bulkquote.sqlite")
    assert values["API"].startswith("demo mode: the built-in simulator at http://127.0.0.1:")
    assert values["Log folder"] == str(tmp_path / "logs")
    dialog.close()


def test_about_masks_a_database_password():
    from bulkquote_gui.gui.dialogs.about_dialog import masked_db_url

    assert masked_db_url("postgresql+psycopg://rep:hunter2@db.example/bq") == \
        "postgresql+psycopg://rep:***@db.example/bq"


def test_open_log_folder_makes_it(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(tmp_path / "new-logs"))
    opened: list[bool] = []
    help_ = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    for action in list(help_.actions()):
        help_.removeAction(action)
    folder, _about = help_menu.install(window, help_, open_folder=lambda: opened.append(True) or True)
    folder.trigger()
    assert opened == [True]
    from bulkquote_gui.gui.dialogs.crash_dialog import open_log_folder
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl", lambda url: True)
    assert open_log_folder() and (tmp_path / "new-logs").is_dir()


def _dialog(qtbot, settings: Settings, **kw) -> EmailSettingsDialog:
    dialog = EmailSettingsDialog(settings, SmtpPasswordStore(), **kw)
    qtbot.addWidget(dialog)
    return dialog


def test_send_test_email_off_the_gui_thread(qtbot, smtp):
    dialog = _dialog(qtbot, Settings(rep_email="rep@example.com"))
    dialog.host_edit.setText("127.0.0.1")
    dialog.security_combo.setCurrentIndex(dialog.security_combo.findData("none"))
    assert dialog.port_spin.value() == 25               # followed the security's default
    dialog.port_spin.setValue(smtp.port)
    dialog.from_edit.setText("bulkquote@example.com")
    with qtbot.waitSignal(dialog.test_finished, timeout=15_000) as blocker:
        dialog.test_button.click()
        assert not dialog.test_button.isEnabled()
    ok, text = blocker.args
    assert ok, text
    assert text == f"Sent: a test e-mail went to rep@example.com through 127.0.0.1:{smtp.port}."
    (received,) = smtp.received
    assert received.message["Subject"] == "BulkQuote test e-mail"
    assert received.rcpt_tos == ["rep@example.com"]


def test_send_test_email_says_what_went_wrong(qtbot):
    dialog = _dialog(qtbot, Settings(rep_email="rep@example.com"))
    dialog.host_edit.setText("127.0.0.1")
    port = free_port()
    dialog.security_combo.setCurrentIndex(dialog.security_combo.findData("none"))
    dialog.port_spin.setValue(port)
    with qtbot.waitSignal(dialog.test_finished, timeout=15_000) as blocker:
        dialog.send_test()
    assert blocker.args == [False, f"127.0.0.1:{port} refused the connection: check the host and port."]
    dialog.host_edit.setText("")
    with qtbot.waitSignal(dialog.test_finished, timeout=5_000) as blocker:
        dialog.send_test()
    assert blocker.args == [False, "Set the SMTP host first."]


def test_saving_checks_the_addresses_and_keeps_the_password_out_of_settings(qtbot, window, dialogs, context):
    def fill(dialog: EmailSettingsDialog) -> bool:
        dialog.host_edit.setText("smtp.example.com")
        dialog.to_edit.setText("not an address")
        dialog.accept()
        assert "To 'not an address' is not an e-mail address" in dialog.problem_label.text()
        dialog.to_edit.setText("rep@example.com, Bob=bob@example.com")
        dialog.user_edit.setText("rep@example.com")
        dialog.password_edit.setText("smtp-secret-1")
        dialog.accept()
        return dialog.result() == 1

    dialogs.dialog_scripts.append(fill)
    assert email_settings.edit(window)
    saved = context.saved_settings[-1]
    assert (saved.smtp_host, saved.smtp_port, saved.smtp_security, saved.smtp_user, saved.smtp_to) == \
        ("smtp.example.com", 587, "starttls", "rep@example.com", "rep@example.com, Bob=bob@example.com")
    assert "smtp-secret-1" not in repr(saved)
    assert ("info", "SMTP password kept for this session: No system keyring is available, so the "
            "SMTP password is kept only until BulkQuote closes.") in dialogs.asked


def test_a_batch_that_needs_the_rep_is_shown_and_mailed(qtbot, window, context, smtp):
    from tests.gui.conftest import store_batch

    context.settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
                                smtp_from="bulkquote@example.com", smtp_to="rep@example.com")
    notifications = attach_extras(window)
    batch_id = store_batch(context)
    with qtbot.waitSignal(notifications.reported, timeout=15_000) as reported:
        with qtbot.waitSignal(notifications.outcome_shown, timeout=5_000) as shown:
            notifications.feed(BatchEvent(batch_id=batch_id, status="paused",
                                          message="the Momentum API refused the API key (HTTP 401)",
                                          counts={"total": 3}))
    assert shown.args[0].kind == "needs_rep"
    assert reported.args[0].sent, reported.args[0].text
    (received,) = smtp.received
    assert "needs you" in received.message["Subject"]
    assert list(received.message.iter_attachments())[0].get_filename() == "sample_sites - quotes.xlsx"
    assert window.statusBar().currentMessage().startswith(f"E-mail for batch #{batch_id} sent to rep@example.com")


def _help_page(window, action_name: str) -> help_pages.HelpPage:
    window.findChild(QAction, action_name).trigger()
    page = window.findChildren(help_pages.HelpPage)[-1]
    assert page.isVisible()
    return page


def test_the_guide_opens_with_f1(qtbot, window):
    attach_extras(window)
    guide = window.findChild(QAction, "guideAction")
    assert guide.shortcut().toString() == "F1"
    text = _help_page(window, "guideAction").text.toPlainText()
    assert "Submit (Ctrl+Return)" in text and "Double-click a cell to fix it" in text
    _help_page(window, "guideAction")   # F1 again: the same page, not a second one
    assert len(window.findChildren(help_pages.HelpPage)) == 1


def test_the_shortcut_list_is_the_window_s_own_keys(qtbot, window):
    attach_extras(window)
    rows = help_pages.shortcut_rows(window)
    keyed = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(rows) == len(keyed) >= 14
    assert ("File", "Quit", "Ctrl+Q") in rows and ("Batch", "Pause / Resume", "Ctrl+P") in rows
    assert ("Help", "Quick guide", "F1") in rows
    assert [entry for menu, entry, _k in rows if menu == "File"][:4] == \
        ["Open spreadsheet", "New batch", "Edit column mapping", "Submit the batch"]   # menu order
    assert [menu for menu, _e, _k in rows] == sorted((m for m, _e, _k in rows),
                                                     key=["File", "Batch", "Help"].index)
    window.quit_action.setShortcut("Ctrl+Shift+Q")   # a key changed: the page follows
    text = _help_page(window, "shortcutsAction").text.toPlainText()
    assert "Ctrl+Shift+Q" in text and "Ctrl+Q" not in text
    assert "Export priced rows only" in text and "Click the focused button" in text


def test_open_log_folder_says_where_the_logs_are(qtbot, window, dialogs, tmp_path, monkeypatch):
    monkeypatch.setenv("BULKQUOTE_LOG_DIR", str(tmp_path / "logs"))
    help_ = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    for action in list(help_.actions()):
        help_.removeAction(action)
    opens = [False, True]   # no file manager, then one
    folder, _about = help_menu.install(window, help_, open_folder=lambda: opens.pop(0))
    folder.trigger()
    assert dialogs.asked[-1] == ("info", "Log folder: No file manager could open the log folder. "
                                         f"The logs are in:\n\n{tmp_path / 'logs'}")
    folder.trigger()
    assert window.statusBar().currentMessage() == f"The logs are in {tmp_path / 'logs'}"


def test_the_settings_dialogs_have_the_same_buttons(qtbot):
    """The e-mail dialog's Save and Cancel looked unlike Settings' (stock icons, no blue Save)."""
    from PySide6.QtWidgets import QDialogButtonBox

    from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog

    looks = []
    for dialog in (SettingsDialog(Settings()), _dialog(qtbot, Settings())):
        qtbot.addWidget(dialog)
        buttons = dialog.buttons.buttons()
        looks.append([(b.text(), b.objectName(), b.icon().isNull()) for b in buttons])
        assert dialog.buttons.button(QDialogButtonBox.StandardButton.Save).objectName() == "primary"
        assert all(b.icon().isNull() for b in buttons)
    assert looks[0] == looks[1]
