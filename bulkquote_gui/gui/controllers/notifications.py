"""The window's side of notifications: the rep is told when a batch needs them, and e-mailed.

main_window makes one `WindowNotifications(self, self.context, self.tray)` and feeds it every
BatchEvent and WaitEvent it receives (`feed(event)`), the run failures (`run_failed(message)`),
and closes it on shutdown. The notifier (services/notify.py) decides what is worth telling:

- a batch complete: e-mailed (the window already shows its own tray message for that);
- a batch that needs the rep (refused key, the account held > 10 min, disk trouble): the tray's
  message where there is a tray, the window's alert (taskbar flash) otherwise, and e-mailed.

E-mail settings are read when each e-mail goes (the E-mail dialog may change them meanwhile);
what became of each send is shown in the status bar, a final failure also as a tray message.
Every callback from the notifier's threads reaches Qt through a queued signal.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

from bulkquote_gui.core.events import BatchEvent, Event, WaitEvent
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.services import logs
from bulkquote_gui.services.mail_config import mail_source
from bulkquote_gui.services.notify import FINISHED, Notifier, Outcome, Report, describe
from bulkquote_gui.services.secrets import SmtpPasswordStore


class WindowNotifications(QObject):
    outcome_shown = Signal(object)    # an Outcome the rep was shown (GUI thread)
    reported = Signal(object)         # a notify.Report about an e-mail (GUI thread)
    _outcome = Signal(object)
    _report = Signal(object)

    def __init__(self, window: QMainWindow, context: Any, tray: QSystemTrayIcon | None, *,
                 passwords: SmtpPasswordStore | None = None, **notifier_options: Any) -> None:
        super().__init__(window)
        self._window = window
        self._tray = tray
        self.passwords = passwords or SmtpPasswordStore()
        logs.hide(self.passwords.get())
        self._outcome.connect(self._show_outcome, Qt.ConnectionType.QueuedConnection)
        self._report.connect(self._show_report, Qt.ConnectionType.QueuedConnection)
        self.notifier = Notifier(
            context.session_factory,
            mail_source(lambda: context.settings, password=self.passwords.get),
            desktop=lambda outcome: emit(self._outcome, outcome),
            on_report=lambda report: emit(self._report, report), **notifier_options)

    # ------------------------------------------------------------ main_window calls these
    def feed(self, event: BatchEvent | WaitEvent) -> None:
        self.notifier(event)

    def run_failed(self, error: BaseException | str) -> None:
        """The engine stopped on an error: disk trouble is told like a batch that needs the rep."""
        self.notifier.engine_failed(error if isinstance(error, BaseException) else RuntimeError(error))

    def close(self) -> None:
        """The window closes: the e-mails owed get a few seconds, then are given up (logged)."""
        self.notifier.close(timeout_s=5.0)

    # ------------------------------------------------------------ GUI thread
    def _show_outcome(self, outcome: Outcome) -> None:
        if outcome.kind != FINISHED:   # the window's own alert covers a finished batch
            title, text = describe(outcome)
            if self._tray is not None and QSystemTrayIcon.supportsMessages():
                self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 15000)
            else:
                QApplication.alert(self._window)
            self._window.statusBar().showMessage(f"Batch #{outcome.batch_id} needs you: "
                                                 f"{outcome.reason}", 30000)
        emit(self.outcome_shown, outcome)

    def _show_report(self, report: Report) -> None:
        self._window.statusBar().showMessage(report.text[:1].upper() + report.text[1:], 15000)
        if not report.sent and report.final and self._tray is not None \
                and QSystemTrayIcon.supportsMessages():
            self._tray.showMessage("BulkQuote — e-mail not sent", report.text,
                                   QSystemTrayIcon.MessageIcon.Warning, 15000)
        emit(self.reported, report)


def tee_connect(context: Any, listener: Callable[[Event], None],
                on_failure: Callable[[BaseException], None]) -> None:
    """Every processor `context.connect` makes from now on also tells `listener` each event
    (engine thread) and `on_failure` an exception its run ends with (then re-raised). The window
    keeps its own listener untouched: this is how notifications reach the engine without the
    window having to know (gui/app.py installs it before the window connects)."""
    original = context.connect

    def connect(settings: Any) -> Any:
        connection = original(settings)
        make = connection.make_processor

        def make_processor(on_event: Callable[[Event], None]) -> Any:
            def both(event: Event) -> None:
                try:
                    on_event(event)
                finally:
                    listener(event)

            processor = make(both)
            run = processor.run_unfinished

            def run_unfinished(*args: Any, **kwargs: Any) -> Any:
                try:
                    return run(*args, **kwargs)
                except Exception as exc:
                    on_failure(exc)
                    raise

            processor.run_unfinished = run_unfinished
            return processor

        connection.make_processor = make_processor
        return connection

    context.connect = connect
