"""Settings → Providers, driven as a rep would (keyboard and mouse): a Sonata seller added with
its own fields, its secret in the keyring, tested against the Sonata simulator, edited, removed;
bad input refused with a sentence; reached from the Settings dialog's "Providers…"."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from bulkquote_gui.gui import operations
from bulkquote_gui.gui.dialogs.providers_dialog import ProviderEditor, ProvidersDialog
from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.services.sonata_simulator import SonataSimulator

SECRET = "gui-client-secret"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def seller():
    with SonataSimulator(time_scale=0.01, clients={"gui-buyer": SECRET}) as sim:
        yield sim


def providers_dialog(qtbot, context, edit=None, confirm=None) -> ProvidersDialog:
    dialog = ProvidersDialog(context.session_factory, edit=edit, confirm=confirm)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    return dialog


def save_button(editor: ProviderEditor):
    return editor.buttons.button(QDialogButtonBox.StandardButton.Save)


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll() if hasattr(widget, "selectAll") else None
    qtbot.keyClicks(widget, text)


def fill_sonata(qtbot, editor: ProviderEditor, seller: SonataSimulator, secret: str = SECRET) -> None:
    type_into(qtbot, editor.name_edit, "Lumen")
    assert editor.kind_combo.currentData() == "sonata"   # the default kind
    type_into(qtbot, editor.url_edit, seller.base_url)
    type_into(qtbot, editor.token_url_edit, seller.token_url)
    type_into(qtbot, editor.client_id_edit, "gui-buyer")
    type_into(qtbot, editor.secret_edit, secret)
    type_into(qtbot, editor.offering_edits["DIA"], "BIA-1")
    editor.lanes_spin.setFocus()
    qtbot.keyClick(editor.lanes_spin, Qt.Key.Key_Up)   # 2 quotes at once


def test_a_sonata_seller_is_added_tested_edited_and_removed(qtbot, context, seller, memory_keyring):
    def add(editor: ProviderEditor) -> bool:
        qtbot.addWidget(editor)
        fill_sonata(qtbot, editor, seller)
        qtbot.mouseClick(save_button(editor), Qt.MouseButton.LeftButton)
        return editor.result() == QDialog.DialogCode.Accepted

    dialog = providers_dialog(qtbot, context, edit=add, confirm=lambda *a, **k: True)
    assert dialog.rows() == [] and "No providers yet" in dialog.status.text()
    assert not dialog.test_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=5_000):
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.rows() == [["Lumen", "MEF Sonata seller", seller.base_url, "2", "keyring"]]
    assert memory_keyring.entries == {("BulkQuote", "provider:lumen"): SECRET}
    assert dialog.providers[0].settings["offerings"] == {"DIA": "BIA-1"}

    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert not dialog.test_button.isEnabled()   # off the GUI thread; the dialog lives on
    assert blocker.args == [True, "Connected: Lumen answers and accepts the credentials."]
    assert seller.state.quotes() == []

    def budgetary(editor: ProviderEditor) -> bool:
        qtbot.addWidget(editor)
        assert editor.secret_edit.text() == SECRET   # the stored one, shown masked
        editor.level_combo.setFocus()
        qtbot.keyClick(editor.level_combo, Qt.Key.Key_Down)
        qtbot.mouseClick(save_button(editor), Qt.MouseButton.LeftButton)
        return editor.result() == QDialog.DialogCode.Accepted

    dialog._edit = budgetary
    with qtbot.waitSignal(dialog.loaded, timeout=5_000):
        qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    assert dialog.providers[0].settings["quote_level"] == "budgetary"
    assert memory_keyring.entries == {("BulkQuote", "provider:lumen"): SECRET}

    with qtbot.waitSignal(dialog.loaded, timeout=5_000):
        qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.rows() == [] and memory_keyring.entries == {}


def test_momentum_hides_the_sellers_fields_and_bad_input_is_a_sentence(qtbot, context, memory_keyring):
    editor = ProviderEditor()
    qtbot.addWidget(editor)
    assert editor.form.isRowVisible(editor.token_url_edit)
    assert editor.secret_label.text() == "Client secret"
    editor.kind_combo.setFocus()
    qtbot.keyClick(editor.kind_combo, Qt.Key.Key_Down)   # Momentum
    assert editor.kind == "momentum"
    assert not editor.form.isRowVisible(editor.token_url_edit)
    assert not editor.form.isRowVisible(editor.lanes_spin)
    assert editor.secret_label.text() == "API key"

    qtbot.mouseClick(save_button(editor), Qt.MouseButton.LeftButton)
    assert editor.error_label.text() == "A provider needs a name."
    type_into(qtbot, editor.name_edit, "Momentum")
    type_into(qtbot, editor.url_edit, "ftp://api.example")
    qtbot.mouseClick(save_button(editor), Qt.MouseButton.LeftButton)
    assert editor.error_label.text().startswith("The URL: the API URL must start with http://")
    type_into(qtbot, editor.url_edit, "https://api.momentum.example/v1")
    qtbot.mouseClick(save_button(editor), Qt.MouseButton.LeftButton)
    assert editor.error_label.text() == "Enter the API key, or name the variable it is read from."
    assert editor.result() != QDialog.DialogCode.Accepted


def test_a_refused_secret_and_a_taken_name_are_said_in_the_dialog(qtbot, context, seller,
                                                                  memory_keyring):
    def add(secret: str):
        def script(editor: ProviderEditor) -> bool:
            qtbot.addWidget(editor)
            fill_sonata(qtbot, editor, seller, secret)
            qtbot.mouseClick(save_button(editor), Qt.MouseButton.LeftButton)
            return editor.result() == QDialog.DialogCode.Accepted
        return script

    dialog = providers_dialog(qtbot, context, edit=add("wrong-secret"))
    with qtbot.waitSignal(dialog.loaded, timeout=5_000):
        dialog.add()
    with qtbot.waitSignal(dialog.test_finished, timeout=10_000) as blocker:
        dialog.test_selected()
    assert blocker.args[0] is False and blocker.args[1].startswith("Lumen: ")
    assert "wrong-secret" not in blocker.args[1]
    dialog._edit = add(SECRET)
    dialog.add()
    qtbot.waitUntil(lambda: "already exists" in dialog.status.text(), timeout=5_000)
    assert len(dialog.rows()) == 1


def test_settings_opens_the_providers(qtbot, window, dialogs, memory_keyring):
    seen = []

    def settings(dialog: SettingsDialog) -> bool:
        qtbot.mouseClick(dialog.providers_button, Qt.MouseButton.LeftButton)
        return False

    def providers(dialog: ProvidersDialog) -> bool:
        seen.append(dialog)
        qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
        return False

    dialogs.dialog_scripts.extend([settings, providers])
    window.settings.open_settings()
    assert [name for kind, name in dialogs.asked if kind == "dialog"] == [
        "SettingsDialog", "ProvidersDialog"]
    assert seen and "No providers yet" in seen[0].status.text()


def test_the_upload_page_picks_the_provider_a_batch_goes_to(qtbot, make_window, tmp_path, seller,
                                                             memory_keyring):
    """With two providers the upload page shows a combo; picking a seller with the keyboard
    keeps it in Settings, reconnects the engine to it, and the next batch is quoted there."""
    import argparse

    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.services.secrets import ProviderSecretStore
    from bulkquote_gui.services.simulator import SimulatorServer
    from tests.gui.test_engine_messages import submit_sample

    from bulkquote_gui.services.settings import Settings, save_settings

    db = f"sqlite:///{tmp_path / 'window.sqlite'}"
    save_settings(Settings(rep_name="Dana Rep", rep_email="dana@example.com"))   # Lumen's buyer
    engine = engine_store.make_engine(db)
    with SimulatorServer(time_scale=0.002, api_key="momentum-key") as momentum:
        sf = engine_store.make_session_factory(engine)
        provider_store.add_provider(sf, "Momentum", "momentum", momentum.base_url)
        provider_store.add_provider(sf, "Lumen", "sonata", seller.base_url, settings={
            "token_url": seller.token_url, "client_id": "gui-buyer", "offerings": {"DIA": "BIA-1"}})
        engine.dispose()
        ProviderSecretStore("Momentum").set("momentum-key")
        ProviderSecretStore("Lumen").set(SECRET)
        context = context_from_args(argparse.Namespace(file=None, db=db, api_url=None,
                                                       poll_interval=0.05, quote_timeout=None))
        try:
            window = make_window(context)
            window.start()
            actions = window.upload_page.actions
            qtbot.waitUntil(lambda: actions.provider_combo.count() == 2, timeout=5_000)
            assert not actions.provider_combo.isHidden()
            assert actions.provider_combo.currentText() == "Momentum"   # the first added
            assert window.engine.provider_name() == "Momentum"
            actions.provider_combo.setFocus()
            qtbot.keyClick(actions.provider_combo, Qt.Key.Key_Up)   # listed by name: Lumen first
            assert context.settings.provider_name == "Lumen"
            qtbot.waitUntil(lambda: window.engine.provider_name() == "Lumen", timeout=10_000)
            batch_id = submit_sample(qtbot, window)
            qtbot.waitUntil(lambda: window.progress_page.status == "complete", timeout=60_000)
            assert seller.state.quotes()   # quoted by the Sonata seller
            with context.session_factory() as session:
                assert provider_store.batch_provider(session, batch_id) == "Lumen"
        finally:
            context.close()


def test_a_chosen_provider_removed_since_falls_back_to_the_default(tmp_path):
    """Settings name a provider this database no longer has: the window starts on the default
    (here demo mode) instead of failing."""
    import argparse

    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.services.settings import Settings, save_settings

    save_settings(Settings(provider_name="Gone"))
    context = context_from_args(argparse.Namespace(
        file=None, db=f"sqlite:///{tmp_path / 'w.sqlite'}", api_url=None, poll_interval=None,
        quote_timeout=None))
    try:
        connection = context.connect(context.settings)
        assert connection.demo and connection.provider_name is None
        connection.close()
    finally:
        context.close()
