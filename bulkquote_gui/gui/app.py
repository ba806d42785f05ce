"""Start-up: the QApplication on qasync's event loop, the theme, the main window; or, when a
window for the same user and database is already open, the file handed to it (single_instance)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from bulkquote_gui import APP_NAME
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
    app.setWindowIcon(app_icon())
    apply_theme(app)
    # Light/dark switched in the OS while the app runs: restyle.
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
    return app


def run(args: argparse.Namespace) -> int:
    from bulkquote_gui.gui import single_instance
    from bulkquote_gui.services.paths import default_db_url

    app = create_application()
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

    window = MainWindow(context)
    instance.activated.connect(window.present)
    window.show()
    window.start(file)

    try:
        with loop:
            loop.run_forever()  # Qt's exec(): returns when the last window has closed
    finally:
        instance.close()
        window.shutdown()
        context.close()
    return 0
