"""Settings' "Your company" and logo, for the proposal's cover (issue 18)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.services.settings import Settings, load_settings, save_settings
from tests.unit.test_proposal import PNG_1PX


def test_a_logo_that_is_not_a_picture_is_refused_in_one_sentence(qtbot, tmp_path):
    wrong = tmp_path / "logo.png"
    wrong.write_text("not a picture")
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.logo_edit.setText(str(wrong))
    dialog.save()
    assert dialog.result_settings is None
    assert dialog.error_label.text() == f"Logo file {wrong} is not a PNG or JPEG picture"


def test_the_company_and_a_chosen_logo_are_saved(qtbot, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_1PX)
    dialog = SettingsDialog(Settings(), choose_logo=lambda: str(logo))
    qtbot.addWidget(dialog)
    dialog.company_name_edit.setText("  Acme Networks ")
    browse = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Browse…")
    qtbot.mouseClick(browse, Qt.MouseButton.LeftButton)   # the file dialog scripted
    dialog.save()
    assert dialog.result_settings is not None
    save_settings(dialog.result_settings, tmp_path / "settings.json")
    again = load_settings(tmp_path / "settings.json")
    assert (again.company_name, again.company_logo) == ("Acme Networks", str(logo))
