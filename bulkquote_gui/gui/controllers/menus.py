"""The window's menus and their keys: File (open, new, mapping, submit, exports, settings,
quit), Batch (the progress page's commands, by their buttons) and Help. An action applies only
where its page shows and its button is enabled; `sync()` keeps them so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QStackedWidget

from bulkquote_gui.core.states import RowState
from bulkquote_gui.gui.pages.progress_page import SHORTCUTS, ProgressPage
from bulkquote_gui.gui.pages.upload_page import UploadPage

UPLOAD, PROGRESS = 0, 1   # the window's pages, in its stack


@dataclass(frozen=True)
class MenuCommands:
    """What the menu's actions do that is not a page's own button."""
    open_file: Callable[[], None]
    new_batch: Callable[[], None]
    export: Callable[..., None]       # (batch id, priced_only=...)
    settings: Callable[[], None]
    quit: Callable[[], Any]
    about: Callable[[], None]


class WindowMenus:
    ACTIONS = ("open_action", "new_action", "export_action", "export_priced_action", "submit_action",
               "mapping_action", "settings_action", "quit_action", "batch_actions", "filter_action")

    def __init__(self, window: QMainWindow, pages: QStackedWidget, upload_page: UploadPage,
                 progress_page: ProgressPage, commands: MenuCommands) -> None:
        self._window = window   # the actions' parent, its menu bar their home
        self._pages = pages
        self._upload = upload_page
        self._page = progress_page
        self._build_file_menu(commands)
        self._build_batch_menu()
        about = QAction("&About BulkQuote", window)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(commands.about)
        window.menuBar().addMenu("&Help").addAction(about)

    def _action(self, caption: str, keys: str, slot: Any) -> QAction:
        # Explicit "Ctrl+…" (Qt shows and maps it to Cmd on macOS); some platforms define no
        # standard Quit key at all.
        action = QAction(caption, self._window, shortcut=QKeySequence(keys))
        action.triggered.connect(slot)
        return action

    def _build_file_menu(self, do: MenuCommands) -> None:
        upload, page = self._upload, self._page
        self.open_action = self._action("&Open spreadsheet…", "Ctrl+O", do.open_file)
        self.new_action = self._action("&New batch", "Ctrl+N", do.new_batch)
        self.export_action = self._action("&Export results…", SHORTCUTS["export"],
                                          lambda: do.export(page.batch_id) if page.batch_id else None)
        self.export_action.setToolTip("Every row of the sheet with its status, reason and prices")
        self.export_priced_action = self._action(
            "Export &priced rows only…", "Ctrl+Shift+E",
            lambda: do.export(page.batch_id, priced_only=True) if page.batch_id else None)
        self.submit_action = self._action("&Submit the batch", "Ctrl+Return",
                                          lambda: self._click(UPLOAD, upload.submit_button))
        self.mapping_action = self._action("Edit column &mapping", "Ctrl+M", self._toggle_mapping)
        self.settings_action = self._action("Se&ttings…", "Ctrl+,", do.settings)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = self._action("&Quit", "Ctrl+Q", do.quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu = self._window.menuBar().addMenu("&File")
        for action in (self.open_action, self.new_action, self.mapping_action, self.submit_action,
                       None, self.export_action, self.export_priced_action, None,
                       self.settings_action, None, self.quit_action):
            if action is None:
                file_menu.addSeparator()
            else:
                file_menu.addAction(action)

    def _build_batch_menu(self) -> None:
        # The batch's commands: their keys work from anywhere in the window, and the menu
        # shows them (the buttons' tooltips too).
        page = self._page
        batch_menu = self._window.menuBar().addMenu("&Batch")
        self.batch_actions: dict[str, tuple[QAction, Any]] = {}
        for key, caption, button in (
                ("pause", "&Pause / Resume", page.pause_button), ("rush", "R&ush", page.rush_button),
                ("cancel", "&Cancel batch…", page.cancel_button),
                ("retry", "Re&try failed", page.retry_button),
                ("rest", "&Quote the rest", page.rest_button)):
            action = self._action(caption, SHORTCUTS[key],
                                  lambda _=False, b=button: self._click(PROGRESS, b))
            batch_menu.addAction(action)
            self.batch_actions[key] = (action, button)
        batch_menu.addSeparator()
        self.filter_action = self._action(
            "&Filter by reason", SHORTCUTS["filter"],
            lambda: page.focus_filter() if self._pages.currentIndex() == PROGRESS else None)
        batch_menu.addAction(self.filter_action)
        self._upload.submit_button.setToolTip("Store the batch and start quoting (Ctrl+Return)")
        self._upload.mapping_panel.toggle_button.setToolTip("Edit the column mapping (Ctrl+M)")

    def _click(self, page: int, button: Any) -> None:
        """A menu action or its key: the button's click, when its page shows and it applies."""
        if self._pages.currentIndex() == page and button.isEnabled() and button.isVisible():
            button.click()

    def _toggle_mapping(self) -> None:
        panel = self._upload.mapping_panel
        if self._pages.currentIndex() == UPLOAD and self._upload.result is not None:
            panel.set_expanded(not panel.is_expanded())
            if panel.is_expanded():
                panel.setFocus(Qt.FocusReason.ShortcutFocusReason)
                panel.focusNextChild()

    def sync(self) -> None:
        """Each action enabled only where it applies (its page shows, its button is enabled)."""
        page, upload = self._page, self._upload
        on_batch = self._pages.currentIndex() == PROGRESS and page.batch_id is not None
        self.export_action.setEnabled(on_batch and page.export_button.isEnabled())
        self.export_priced_action.setEnabled(self.export_action.isEnabled()
                                             and page.counts.get(RowState.COMPLETE, 0) > 0)
        for action, button in self.batch_actions.values():
            action.setEnabled(on_batch and button.isEnabled())
        self.filter_action.setEnabled(on_batch)
        on_upload = self._pages.currentIndex() == UPLOAD
        self.submit_action.setEnabled(on_upload and upload.submit_button.isEnabled())
        self.mapping_action.setEnabled(on_upload and upload.result is not None)
