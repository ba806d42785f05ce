"""The Help menu's entries: "Open log folder" and "About BulkQuote" (version, database, API URL,
log folder). main_window calls `install(self, help_menu)` once; nothing here touches the store."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from bulkquote_gui.gui.about_dialog import AboutDialog, about_facts
from bulkquote_gui.gui.crash_dialog import open_log_folder


def database_url(context: Any) -> object:
    """The store's URL as the engine has it (SQLAlchemy masks its password when rendering)."""
    bind = getattr(context.session_factory, "kw", {}).get("bind")
    return getattr(bind, "url", "")


def show_about(window: QMainWindow) -> AboutDialog:
    connection = getattr(window, "connection", None)
    facts = about_facts(database_url(window.context),
                        getattr(connection, "api_url", "") or window.context.settings.api_base_url,
                        bool(getattr(connection, "demo", False)))
    dialog = AboutDialog(facts, window)
    dialog.setModal(True)
    dialog.show()   # modal to the window, yet the event loop (and the batch) go on
    return dialog


def install(window: QMainWindow, menu: QMenu,
            open_folder: Callable[[], bool] = open_log_folder) -> tuple[QAction, QAction]:
    """Add "Open log folder" and "About BulkQuote" to `menu`; returns the two actions."""
    folder = QAction("Open &log folder", window)
    folder.triggered.connect(lambda: open_folder())
    about = QAction("&About BulkQuote", window)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: show_about(window))
    menu.addAction(folder)
    menu.addSeparator()
    menu.addAction(about)
    return folder, about
