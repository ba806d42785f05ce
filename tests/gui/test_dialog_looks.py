"""How the dialogs look. A form's labels stand level with their fields: the Settings, provider and proposal dialogs'
labels sat at the top of their rows, a few pixels above the middle of the box beside them (the
1440x900 screenshots: "Name", "Poll interval", "Sellers")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QProxyStyle, QStyle, QWidget

from bulkquote_gui.gui.dialogs.proposal_dialog import ProposalDialog
from bulkquote_gui.gui.dialogs.providers_dialog import ProviderEditor
from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.services.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()

DIALOGS = {
    "settings": lambda: SettingsDialog(Settings()),
    "provider": lambda: ProviderEditor(),
    "proposal": lambda: ProposalDialog(3, "/tmp/x - proposal.pdf", "letter", lambda _s: None),
}


def _rows_off_level(dialog: QWidget) -> list[str]:
    """The one-line rows whose label's middle is not the field's middle, with the gap."""
    off = []
    for form in dialog.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is None or field is None or label.widget() is None:
                continue
            text, box = label.widget(), field.geometry()
            if not text.isVisible() or not text.text() or box.height() > 44:  # (multi-line)
                continue
            gap = text.geometry().center().y() - box.center().y()
            if abs(gap) > 1:
                off.append(f"{text.text()}: {gap:+d} px")
    return off


@pytest.mark.parametrize("name", DIALOGS)
def test_each_label_stands_level_with_its_field(qtbot, name):
    dialog = DIALOGS[name]()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _rows_off_level(dialog) == []


class _IconsStyle(QProxyStyle):
    """A desktop whose style gives dialog buttons icons (xcb does: offscreen does not)."""

    def styleHint(self, hint, option=None, widget=None, data=None):  # noqa: N802 (Qt's name)
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 1
        return super().styleHint(hint, option, widget, data)

    def standardIcon(self, icon, option=None, widget=None):  # noqa: N802 (Qt's name)
        pixmap = QPixmap(16, 16)
        pixmap.fill(Qt.GlobalColor.red)
        return QIcon(pixmap)


def test_a_dialog_button_shows_its_text_only(qtbot):
    """Compare with…'s Close button drew the desktop's cross over its "C" (under X11); the
    providers dialog had cleared its own icon by hand. No dialog button box has icons now."""
    box = QDialogButtonBox()
    qtbot.addWidget(box)
    style = _IconsStyle("Fusion")
    box.setStyle(style)   # (wrapped in the application's style sheet, as every widget's)
    box.addButton(QDialogButtonBox.StandardButton.Close)
    assert all(button.icon().isNull() for button in box.buttons())


def test_the_providers_list_has_rows_as_roomy_as_the_results_table(qtbot, context):
    """Settings → Providers listed its sellers in 17 px rows, text against text, beside the
    32 px rows of every other table (providers.png)."""
    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.gui.dialogs.providers_dialog import ProvidersDialog
    provider_store.add_provider(context.session_factory, "Zayo", "momentum",
                                "https://quote.zayo.example/v1", settings={})
    dialog = ProvidersDialog(context.session_factory)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1)
    assert dialog.list.visualItemRect(dialog.list.topLevelItem(0)).height() >= 26
