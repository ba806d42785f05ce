"""Start-up: the QApplication on qasync's event loop, the theme, the main window; or, when a
window for the same user and database is already open, the file handed to it (single_instance).

Also here: the log file (services/logs.py), the crash handler (gui/dialogs/crash_dialog.py: an uncaught
exception is logged and shown, never a frozen window), and `attach_extras`, which gives the
window its notifications (gui/controllers/notifications.py), "E-mail notifications…" in the File menu and
"Quick guide", "Keyboard shortcuts", "Open log folder" and "About BulkQuote" in the Help menu. The xcb check runs before Qt is
imported, in commands/gui.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QMessageBox

from bulkquote_gui import APP_NAME
from bulkquote_gui.gui import input_rules
from bulkquote_gui.gui.style import app_icon, apply_theme

log = logging.getLogger(__name__)


def io_executor() -> ThreadPoolExecutor:
    """Threads for the GUI's one-off blocking work (asyncio.to_thread). Plain Python threads:
    qasync's default QThread-based executor crashed intermittently with PySide6 6.12 when a job
    raised (seen in tests), while a standard pool hands results back through the same
    thread-safe loop call."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="bulkquote-io")


def create_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication: crisp on high-DPI screens, styled, following the system palette."""
    existing = QApplication.instance()
    if existing is None:
        # Fractional scale factors (125 %, 150 %) as the OS asks, not rounded to whole numbers.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    else:
        app = existing
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    # The Wayland app id / the .desktop file it belongs to (resources/bulkquote.desktop).
    QGuiApplication.setDesktopFileName("bulkquote")
    app.setWindowIcon(app_icon())
    apply_theme(app)
    input_rules.install(app)   # the wheel and the Return key, for every widget
    # Light/dark switched in the OS while the app runs: restyle.
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
    return app


def _menu(window: QMainWindow, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and menu.title().replace("&", "") == title:
            return menu
    return None


def attach_extras(window: QMainWindow) -> Any:
    """Notifications, the e-mail settings and the Help entries, on a built MainWindow.

    Idempotent (a window that does it itself keeps its own). Returns window.notifications.
    The engine's events reach the notifier through the context (notifications.tee_connect,
    installed by `run` before the window connects); here they are only routed once it exists.
    """
    from bulkquote_gui.gui.controllers import help_menu
    from bulkquote_gui.gui.controllers.notifications import WindowNotifications
    from bulkquote_gui.gui.dialogs import email_settings

    if getattr(window, "notifications", None) is None:
        window.notifications = WindowNotifications(window, window.context, getattr(window, "tray", None))
    file_menu, help_ = _menu(window, "File"), _menu(window, "Help")
    if file_menu is not None and not window.findChild(QAction, "emailSettingsAction"):
        email = QAction("E-mail noti&fications…", window)
        email.setObjectName("emailSettingsAction")
        email.triggered.connect(lambda: email_settings.edit(window))
        actions = file_menu.actions()
        settings = getattr(window, "settings_action", None)
        after = actions[actions.index(settings) + 1] if settings in actions[:-1] else None
        file_menu.insertAction(after, email) if after is not None else file_menu.addAction(email)
    if help_ is not None and not window.findChild(QAction, "openLogFolderAction"):
        for action in help_.actions():   # the window's plain About gives way to the full one
            if action.text().replace("&", "") == "About BulkQuote":
                help_.removeAction(action)
        folder, about = help_menu.install(window, help_)
        folder.setObjectName("openLogFolderAction")
        about.setObjectName("aboutAction")
    return window.notifications


def run(args: argparse.Namespace) -> int:
    from bulkquote_gui.gui import single_instance
    from bulkquote_gui.gui.dialogs import crash_dialog
    from bulkquote_gui.services import logs
    from bulkquote_gui.services.paths import default_db_url

    logs.setup_logging("window")
    app = create_application()
    shown: list[QMainWindow] = []
    crash_dialog.install(lambda: shown[0] if shown else None)
    file = getattr(args, "file", None)
    # Before anything opens the store or starts the demo simulator: a second start only knocks.
    name = single_instance.server_name(getattr(args, "db", None) or default_db_url())
    try:
        instance = single_instance.claim(name, file)
    except single_instance.AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 1
    if instance is None:
        log.info("handed %s to the running window", file or "the start")
        print(single_instance.handed_over_text(file), file=sys.stderr)
        return 0

    loop = qasync.QEventLoop(app)
    loop.set_default_executor(io_executor())
    asyncio.set_event_loop(loop)

    from bulkquote_gui.gui.context import context_from_args
    from bulkquote_gui.gui.main_window import MainWindow

    try:
        context = context_from_args(args)
    except Exception as exc:  # a broken database path or URL: say so in a window, not a traceback
        log.exception("could not start")
        QMessageBox.critical(None, APP_NAME, f"BulkQuote could not start:\n\n{exc}")
        instance.close()
        loop.close()
        return 1

    from bulkquote_gui.gui.controllers.notifications import tee_connect

    logs.hide(context.keystore.get())   # masked in the log from now on, whatever logs it
    sink: list[Any] = []
    tee_connect(context, lambda event: sink[0].feed(event) if sink else None,
                lambda exc: sink[0].run_failed(exc) if sink else None)
    window = MainWindow(context)
    shown.append(window)
    sink.append(attach_extras(window))
    instance.activated.connect(window.present)
    window.show()
    window.start(file)

    try:
        with loop:
            loop.run_forever()  # Qt's exec(): returns when the last window has closed
    finally:
        instance.close()
        window.shutdown()
        sink[0].close()
        context.close()
    return 0
