"""The headless paths' notifications: `submit --wait`, `resume --wait`, `retry --wait`, `worker`.

The command that runs the engine owns one `CliNotifications` and closes it when it is done,
whatever happened (a `with` block):

    with CliNotifications(session_factory, settings) as notices:
        listener = notices.wrap(progress)           # the progress line, then the notifier
        ...run the engine with `listener`...
        notices.engine_failed(exc, batch_ids)       # the engine raised: mailed like a stop

E-mail comes from the environment (BULKQUOTE_SMTP_URL, BULKQUOTE_SMTP_PASSWORD,
BULKQUOTE_NOTIFY_TO) or, without it, from Settings and the keyring (services/mail_config.py).
What became of each e-mail is one line on stderr. Closing waits for the e-mails owed (at most
FLUSH_S). No global and no atexit: two commands in one process (the tests, a command calling
another) each send their own e-mails, and closing one never silences the other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.events import Event
from bulkquote_gui.services.mail_config import mail_source
from bulkquote_gui.services.notify import Notifier, Outcome, Report
from bulkquote_gui.services.secrets import SmtpPasswordStore
from bulkquote_gui.services.settings import Settings

FLUSH_S = 120.0   # the last batch's e-mail may be retried for ~85 s (notify.RETRY_BACKOFF_S)


def _print(report: Report) -> None:
    print(f"bulkquote: {report.text}", file=sys.stderr, flush=True)


class CliNotifications:
    """One CLI command's notifier: fed every engine event, closed by the command."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings, *,
                 flush_s: float = FLUSH_S) -> None:
        self._flush_s = flush_s
        self._notifier: Notifier | None = Notifier(
            session_factory, mail_source(settings, password=SmtpPasswordStore().get),
            on_report=_print)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, event: Event) -> None:
        """Feed one engine event to the notifier; never raises (notices never stop a batch)."""
        if self._notifier is not None:
            self._notifier(event)

    def wrap(self, listener: Callable[[Event], None]) -> Callable[[Event], None]:
        """`listener` (the CLI's progress line) followed by the notifier, for every event."""
        def both(event: Event) -> None:
            try:
                listener(event)
            finally:
                self(event)
        return both

    def notify(self, outcome: Outcome) -> None:
        """An outcome no engine event announces (a batch filled at once from earlier quotes)."""
        if self._notifier is not None:
            self._notifier.notify(outcome)

    def engine_failed(self, exc: BaseException, batch_ids: tuple[int, ...] = ()) -> None:
        """The engine raised: disk trouble is mailed like a stop that needs the rep."""
        if self._notifier is not None:
            self._notifier.engine_failed(exc, batch_ids)

    def close(self, timeout_s: float | None = None) -> None:
        """Wait (bounded) for the e-mails owed, then stop the notifier. Safe to call twice."""
        current, self._notifier = self._notifier, None
        if current is None:
            return
        if current.pending:
            print(f"bulkquote: sending {current.pending} notification e-mail(s)…", file=sys.stderr,
                  flush=True)
        if not current.close(self._flush_s if timeout_s is None else timeout_s):
            print("bulkquote: gave up waiting for the notification e-mail; see the log folder",
                  file=sys.stderr, flush=True)
