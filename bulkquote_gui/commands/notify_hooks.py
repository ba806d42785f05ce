"""The headless paths' notifications: `submit --wait`, `resume --wait`, `retry --wait`, `worker`.

Two ways in, both over one notifier per process (services/notify.Notifier):

    on_event(session_factory, settings, event)        # call it with every engine event
    progress = with_notifications(progress, session_factory, settings)   # wrap the listener

E-mail comes from the environment (BULKQUOTE_SMTP_URL, BULKQUOTE_SMTP_PASSWORD,
BULKQUOTE_NOTIFY_TO) or, without it, from Settings and the keyring (services/mail_config.py).
What became of each e-mail is one line on stderr. The process waits for the e-mails owed
before it exits (at most FLUSH_S; `finish()` does it at once, atexit otherwise).
"""

from __future__ import annotations

import atexit
import sys
import threading
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.events import Event
from bulkquote_gui.services.mail_config import mail_source
from bulkquote_gui.services.notify import Notifier, Report
from bulkquote_gui.services.secrets import SmtpPasswordStore
from bulkquote_gui.services.settings import Settings

FLUSH_S = 120.0   # the last batch's e-mail may be retried for ~85 s (notify.RETRY_BACKOFF_S)

_lock = threading.Lock()
_notifier: Notifier | None = None


def _print(report: Report) -> None:
    print(f"bulkquote: {report.text}", file=sys.stderr, flush=True)


def notifier(session_factory: sessionmaker[Session], settings: Settings) -> Notifier:
    """This process's notifier (made on first use, flushed at exit)."""
    global _notifier
    with _lock:
        if _notifier is None:
            store = SmtpPasswordStore()
            _notifier = Notifier(session_factory, mail_source(settings, password=store.get),
                                 on_report=_print)
            atexit.register(finish)
        return _notifier


def on_event(session_factory: sessionmaker[Session], settings: Settings, event: Event) -> None:
    """Feed one engine event to the process's notifier; never raises."""
    try:
        notifier(session_factory, settings)(event)
    except Exception:  # notifications never stop a batch
        pass


def with_notifications(listener: Callable[[Event], None], session_factory: sessionmaker[Session],
                       settings: Settings) -> Callable[[Event], None]:
    """`listener` (the CLI's progress line) followed by the notifier, for every event."""
    notify = notifier(session_factory, settings)

    def both(event: Event) -> None:
        try:
            listener(event)
        finally:
            notify(event)
    return both


def engine_failed(exc: BaseException, batch_ids: tuple[int, ...] = ()) -> None:
    """The engine raised: disk trouble is mailed like a stop that needs the rep."""
    if _notifier is not None:
        _notifier.engine_failed(exc, batch_ids)


def finish(timeout_s: float = FLUSH_S) -> None:
    """Wait (bounded) for the e-mails owed, then stop the notifier. Safe to call twice."""
    global _notifier
    with _lock:
        current, _notifier = _notifier, None
    if current is None:
        return
    if current.pending:
        print(f"bulkquote: sending {current.pending} notification e-mail(s)…", file=sys.stderr,
              flush=True)
    if not current.close(timeout_s):
        print("bulkquote: gave up waiting for the notification e-mail; see the log folder",
              file=sys.stderr, flush=True)
