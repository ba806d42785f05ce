"""The Help menu's entries: "Quick guide" (F1) and "Keyboard shortcuts" (gui/dialogs/help_pages.py),
"Open log folder" (the folder's path said in any case: where no file manager opens it, in a
dialog) and "About BulkQuote" (version, database, API URL, log folder). app.attach_extras calls
`install(window, help_menu)` once; nothing here touches the store."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from bulkquote_gui.gui.dialogs import help_pages
from bulkquote_gui.gui.dialogs.about_dialog import AboutDialog, about_facts
from bulkquote_gui.gui.dialogs.crash_dialog import open_log_folder
from bulkquote_gui.services import logs


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


def show_log_folder(window: QMainWindow, open_folder: Callable[[], bool] = open_log_folder) -> None:
    """Open the log folder, and say where it is: a desktop without a file manager opens nothing."""
    folder = logs.log_dir()
    if open_folder():
        window.statusBar().showMessage(f"The logs are in {folder}", 15000)
    else:
        window.dialogs.info("Log folder", "No file manager could open the log folder. The logs "
                                          f"are in:\n\n{folder}")


def install(window: QMainWindow, menu: QMenu,
            open_folder: Callable[[], bool] = open_log_folder) -> tuple[QAction, QAction]:
    """Fill `menu`: the guide, the shortcuts, the log folder, About; returns the last two."""
    guide = QAction("Quick &guide", window, shortcut=QKeySequence("F1"))
    guide.setObjectName("guideAction")
    guide.triggered.connect(lambda: help_pages.show_page(window, "Quick guide", help_pages.GUIDE))
    keys = QAction("&Keyboard shortcuts", window)
    keys.setObjectName("shortcutsAction")
    keys.triggered.connect(lambda: help_pages.show_page(window, "Keyboard shortcuts",
                                                        help_pages.shortcuts_html(window)))
    folder = QAction("Open &log folder", window)
    folder.triggered.connect(lambda: show_log_folder(window, open_folder))
    about = QAction("&About BulkQuote", window)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: show_about(window))
    for action in (guide, keys, None, folder, None, about):
        menu.addSeparator() if action is None else menu.addAction(action)
    return folder, about
