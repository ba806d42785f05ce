"""Settings dialog; Settings → Providers' Test connection (off the GUI thread) and its secret
without a keyring; app start-up, theme."""

from __future__ import annotations

import argparse

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLineEdit

from bulkquote_gui.gui.dialogs.providers_dialog import ProvidersDialog
from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.gui.style import Theme, apply_theme
from bulkquote_gui.services.settings import Settings
from tests.gui.conftest import SAMPLE
from tests.gui.test_providers_dialog import memory_keyring  # noqa: F401  (a fixture, by name)


def _momentum_provider(sf, name: str, url: str, key: str | None):
    """A Momentum provider stored, its key (if any) in the keyring."""
    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.services.secrets import ProviderSecretStore

    provider_store.add_provider(sf, name, "momentum", url)
    if key is not None:
        ProviderSecretStore(name).set(key)


def _tested(qtbot, context, name: str) -> tuple[ProvidersDialog, bool, str]:
    """Settings → Providers, `name` selected, Test connection clicked: (dialog, ok, said)."""
    dialog = ProvidersDialog(context.session_factory, allow_insecure_http=False)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: [p.name for p in dialog.providers] != [], timeout=5_000)
    dialog.list.setCurrentItem(dialog.list.topLevelItem(
        [p.name for p in dialog.providers].index(name)))
    with qtbot.waitSignal(dialog.test_finished, timeout=30_000) as blocker:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert not dialog.test_button.isEnabled()  # running in the background; the dialog lives on
    assert dialog.test_button.isEnabled()
    return dialog, *blocker.args


@pytest.mark.usefixtures("memory_keyring")
def test_test_connection_against_the_simulator(qtbot, context, simulator):
    """Test connection moved from Settings' old Momentum box to Settings → Providers."""
    _momentum_provider(context.session_factory, "Momentum", simulator.base_url, "any-key")
    _dialog, ok, message = _tested(qtbot, context, "Momentum")
    assert ok is True, message
    assert message == "Connected: Momentum answers and accepts the credentials."


@pytest.mark.usefixtures("memory_keyring")
def test_test_connection_reports_a_refused_key(qtbot, context):
    from bulkquote_gui.services.simulator import SimulatorServer

    with SimulatorServer(api_key="the-right-key") as sim:
        _momentum_provider(context.session_factory, "Momentum", sim.base_url, "wrong-key")
        dialog, ok, message = _tested(qtbot, context, "Momentum")
    assert ok is False and message == ("Momentum: The server answers but refuses these "
                                       "credentials. Check the key or secret.")
    assert "wrong-key" not in message and "wrong-key" not in dialog.status.toolTip()


@pytest.mark.usefixtures("memory_keyring")
def test_test_connection_to_nothing_fails_cleanly(qtbot, context):
    _momentum_provider(context.session_factory, "Nowhere", "http://127.0.0.1:9/v1", "k")
    dialog, ok, message = _tested(qtbot, context, "Nowhere")
    assert ok is False
    # In words a rep can act on, whole; the technical ones in the tooltip.
    assert message.startswith("Nowhere: Could not reach 127.0.0.1: nothing answers there."), message
    assert "Errno" not in dialog.status.text() and dialog.status.toolTip()


def test_settings_have_no_api_box_of_their_own(qtbot):
    """The Providers dialog is the one place a provider's URL and key are edited: Settings
    show the way there, and saving them never touches the saved URL (the upgrade's to move)."""
    dialog = SettingsDialog(Settings(api_base_url="https://api.momentum.example/v1"))
    qtbot.addWidget(dialog)
    assert not [e for e in dialog.findChildren(QLineEdit) if "key" in e.placeholderText().lower()
                or "momentum" in e.placeholderText().lower()]
    assert not [b for b in dialog.findChildren(QGroupBox) if b.title() == "Momentum API"]
    with qtbot.waitSignal(dialog.providers_requested, timeout=1_000):
        qtbot.mouseClick(dialog.providers_button, Qt.MouseButton.LeftButton)
    dialog.save()
    assert dialog.result_settings.api_base_url == "https://api.momentum.example/v1"


def test_bad_values_are_refused_with_a_reason(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.email_edit.setText("not-an-address")
    dialog.save()
    assert dialog.result_settings is None
    assert "@" in dialog.error_label.text()


def test_a_secret_from_the_environment_is_shown_read_only_and_named(qtbot, monkeypatch):
    from bulkquote_gui.gui.dialogs.email_settings import EmailSettingsDialog
    from bulkquote_gui.gui.dialogs.providers_dialog import ProviderEditor
    from bulkquote_gui.services.secrets import SmtpPasswordStore

    monkeypatch.setenv("MOMENTUM_KEY", "env-key")
    monkeypatch.setenv("BULKQUOTE_SMTP_PASSWORD", "env-password")
    editor = ProviderEditor(_stored("Momentum", secret_env="MOMENTUM_KEY"))
    email = EmailSettingsDialog(Settings(), SmtpPasswordStore())
    for d in (editor, email):
        qtbot.addWidget(d)
    assert not editor.secret_edit.isEnabled() and editor.secret_edit.text() == "env-key"
    assert "MOMENTUM_KEY" in editor.secret_note.text()
    assert not email.password_edit.isEnabled()
    assert email.password_note.text() == \
        "The SMTP password comes from BULKQUOTE_SMTP_PASSWORD in the environment."


def _stored(name: str, **settings):
    from bulkquote_gui.core.store.providers import StoredProvider

    return StoredProvider(id=1, name=name, kind="momentum", base_url="https://api.example/v1",
                          lanes=1, settings=settings)


def test_settings_saved_from_the_window_without_a_keyring(qtbot, window, dialogs, context):
    assert not context.keystore.keyring_available  # tests run with the null keyring
    assert window.demo_banner.isVisible()

    def fill(dialog: SettingsDialog) -> bool:
        dialog.poll_spin.setValue(20)
        dialog.term_combo.setCurrentIndex(dialog.term_combo.findData(24))
        dialog.name_edit.setText("Dana Rep")
        dialog.email_edit.setText("dana@example.com")
        dialog.save()
        return dialog.result() == dialog.DialogCode.Accepted

    dialogs.dialog_scripts.append(fill)
    window.settings_action.trigger()
    saved = context.saved_settings[-1]
    assert saved.poll_interval_s == 20 and saved.default_term_months == 24
    assert saved.rep_name == "Dana Rep"
    assert window.upload_page.defaults().term_months == 24
    qtbot.waitUntil(lambda: window.worker is not None, timeout=10_000)  # reconnected


def test_a_provider_key_saved_without_a_keyring_is_kept_for_the_session(qtbot, context):
    """What Settings' old API key field said, the provider's form now says."""
    from PySide6.QtWidgets import QDialogButtonBox

    from bulkquote_gui.gui.dialogs.providers_dialog import ProviderEditor
    from bulkquote_gui.services.secrets import ProviderSecretStore

    def add(editor: ProviderEditor) -> bool:
        qtbot.addWidget(editor)
        assert "session only" in editor.secret_note.text()
        editor.name_edit.setText("Momentum")
        editor.kind_combo.setCurrentIndex(editor.kind_combo.findData("momentum"))
        editor.url_edit.setText("https://api.momentum.example/v1")
        editor.secret_edit.setText("session-secret")
        qtbot.mouseClick(editor.buttons.button(QDialogButtonBox.StandardButton.Save),
                         Qt.MouseButton.LeftButton)
        return editor.result() == editor.DialogCode.Accepted

    dialog = ProvidersDialog(context.session_factory, edit=add)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.changed, timeout=10_000):
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert "kept until BulkQuote closes" in dialog.status.text()
    assert ProviderSecretStore("Momentum").get() == "session-secret"
    assert "session-secret" not in repr(dialog.providers)


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
        seen["file"] = file

        def quit_once_both() -> None:   # the sheet loaded and the engine connected (off-thread)
            if "demo" in seen and "rows" in seen:
                self.close()
        self.engine.connected.connect(
            lambda connection: (seen.setdefault("demo", connection.demo), quit_once_both()))
        self.upload_page.loaded.connect(lambda r: (seen.setdefault("rows", len(r)), quit_once_both()))

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


def test_the_momentum_settings_an_older_dialog_saved_become_the_window_s_provider(
        qtbot, make_window, simulator, tmp_path, monkeypatch):
    """Settings no longer edit a URL, but one saved before still works: on the window's first
    start it is the provider "Momentum" (services/provider_upgrade), quoted through, listed in
    Settings → Providers, and gone from settings.json."""
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.services.settings import load_settings, save_settings
    from tests.gui.test_engine_messages import submit_sample

    save_settings(Settings(api_base_url=simulator.base_url))
    monkeypatch.setenv("BULKQUOTE_API_KEY", "demo-key")
    context = context_from_args(argparse.Namespace(
        file=None, db=f"sqlite:///{tmp_path / 'old.sqlite'}", api_url=None, poll_interval=0.05,
        quote_timeout=None))
    try:
        window = make_window(context)
        window.start()
        qtbot.waitUntil(lambda: window.engine.provider_name() == "Momentum", timeout=10_000)
        assert not window.connection.demo and load_settings().api_base_url == ""
        submit_sample(qtbot, window)
        qtbot.waitUntil(lambda: window.progress_page.status == "complete", timeout=60_000)
        assert simulator.stats()["created"] > 0
    finally:
        window.shutdown()
        context.close()
