"""An uncaught exception in the window: logged, then shown in a dialog with "Copy details".

`install(app)` replaces sys.excepthook (which PySide6 calls for an exception in a slot) and
threading.excepthook's report: the exception is logged with its traceback, and a dialog says what
happened in one line, that the batches are safe, and where the log is. The dialog is modeless
(`show()`, never `exec()`), one at a time (later crashes are added to its details), and raised
on the GUI thread whatever thread crashed, so the window never freezes behind it. The details
(version, platform, traceback) go through logs.redact: never the API key or a password.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from types import TracebackType
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit,
                               QPushButton, QVBoxLayout, QWidget)

from bulkquote_gui import __version__
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.services import logs

log = logging.getLogger("bulkquote_gui.crash")


def details_text(exc_type: type[BaseException], exc: BaseException,
                 tb: TracebackType | None, thread: str = "") -> str:
    """What "Copy details" copies: enough for a bug report, nothing secret."""
    lines = [f"BulkQuote {__version__}, Python {platform.python_version()}, "
             f"{platform.system()} {platform.release()} ({platform.machine()})"]
    try:
        from PySide6 import __version__ as pyside
        lines[0] += f", PySide6 {pyside}"
    except ImportError:
        pass
    if thread:
        lines.append(f"thread: {thread}")
    lines.append("")
    lines += traceback.format_exception(exc_type, exc, tb)
    return logs.redact("".join(line if line.endswith("\n") else line + "\n" for line in lines))


def summary_text(exc_type: type[BaseException], exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return logs.redact(f"{exc_type.__name__}: {text}" if text else exc_type.__name__)


class CrashDialog(QDialog):
    """Says what broke, offers the details to copy and the log folder to open."""

    def __init__(self, summary: str, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("BulkQuote hit a problem")
        self.setMinimumWidth(560)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.count = 1
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._summary = summary
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(180)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        self.folder_button = QPushButton("Open log folder")
        self.folder_button.clicked.connect(open_log_folder)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self._refresh()

    def _refresh(self) -> None:
        more = f" ({self.count} problems so far)" if self.count > 1 else ""
        self.summary_label.setText(
            f"<b>Something went wrong{more}:</b> {_escape(self._summary)}<br><br>"
            "BulkQuote keeps running and your batches are safe in the database; if something "
            "looks wrong, restart it. The details are in the log "
            f"({_escape(str(logs.log_dir()))}).")

    def add(self, summary: str, details: str) -> None:
        self.count += 1
        self._summary = summary
        self.details.appendPlainText("\n" + "-" * 60 + "\n" + details)
        self._refresh()

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
        self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def open_log_folder() -> bool:
    """The log folder in the file manager (made first, so there is something to open)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    folder = logs.log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("cannot make the log folder %s: %s", folder, exc)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class CrashReporter(QObject):
    """Logs every uncaught exception; shows it on the GUI thread, one dialog at a time."""

    _show = Signal(str, str)
    shown = Signal(object)   # the CrashDialog (tests)

    def __init__(self, parent_window: Callable[[], QWidget | None] = lambda: None) -> None:
        super().__init__()
        self._parent_window = parent_window
        self.dialog: CrashDialog | None = None
        self._show.connect(self._present, Qt.ConnectionType.QueuedConnection)

    def report(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None, thread: str = "") -> None:
        """Any thread. Never raises: a crash handler that crashes helps nobody."""
        try:
            log.error("uncaught exception%s", f" in thread {thread}" if thread else "",
                      exc_info=(exc_type, exc, tb))
            emit(self._show, summary_text(exc_type, exc), details_text(exc_type, exc, tb, thread))
        except Exception:  # pragma: no cover - last resort
            traceback.print_exception(exc_type, exc, tb)

    def _present(self, summary: str, details: str) -> None:
        if self.dialog is not None:
            try:
                self.dialog.add(summary, details)
                if QGuiApplication.platformName() not in ("offscreen", "minimal"):
                    self.dialog.raise_()   # nothing to stack without a window manager
                return
            except RuntimeError:   # closed and deleted meanwhile
                self.dialog = None
        dialog = CrashDialog(summary, details, self._parent_window())
        dialog.destroyed.connect(self._forget)
        self.dialog = dialog
        dialog.show()   # modeless: the window goes on answering behind it
        emit(self.shown, dialog)

    def _forget(self, *_args: object) -> None:
        self.dialog = None


_reporter: CrashReporter | None = None


def install(parent_window: Callable[[], QWidget | None] = lambda: None) -> CrashReporter:
    """Route uncaught exceptions (GUI thread and others) to the reporter; returns it."""
    global _reporter
    if QApplication.instance() is None:
        raise RuntimeError("install the crash handler after the QApplication exists")
    reporter = CrashReporter(parent_window)
    _reporter = reporter

    def on_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        reporter.report(exc_type, exc, tb)

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        reporter.report(args.exc_type, args.exc_value, args.exc_traceback,
                        args.thread.name if args.thread else "?")

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception
    return reporter
