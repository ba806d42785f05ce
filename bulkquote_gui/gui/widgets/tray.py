"""The tray icon the window tells a finished batch through (where the desktop has a tray)."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from bulkquote_gui.gui.style import app_icon


def make_tray(parent: QWidget) -> QSystemTrayIcon | None:
    """BulkQuote's icon in the tray, shown; None where there is no tray (headless, some Linux
    desktops): the window then says it in its status bar only."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(app_icon(), parent)
    tray.setToolTip("BulkQuote")
    tray.show()
    return tray
