"""Telling the rep a batch is done, or stopped on something only they can fix. Qt-free.

The engine's events go in (`Notifier(event)`, on the engine's thread, never raising); out come
*outcomes*:

- finished: a BatchEvent `complete`;
- needs the rep: a BatchEvent `paused` that the rep did not ask for (a refused key, a refused
  API URL: the engine's message says which), a WaitEvent `account` still on after 10 minutes
  (another client's quote holds the account), disk trouble (`engine_failed` with a full disk,
  a read-only or failing database).

Each outcome is handed to `desktop` (the window's tray message) at once, and, when e-mail is
set up, mailed on the notifier's own thread: subject with the batch name and counts, the summary
in the body, the results as XLSX (core/output/export.export_batch to a temp file). A failed send is
retried a few times with backoff and reported through `on_report`; it never reaches the engine.
"""

from __future__ import annotations

import email.policy
import errno
import logging
import queue
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.events import BatchEvent, Event, WaitEvent
from bulkquote_gui.core.output.reasons import reason_text
from bulkquote_gui.core.safe_text import one_line
from bulkquote_gui.core.states import BATCH_UNFINISHED, BatchStatus, RowState
from bulkquote_gui.services.mail_config import MailConfigSource
from bulkquote_gui.services.mailer import MailError, SmtpConfig, send

log = logging.getLogger(__name__)

FINISHED, NEEDS_REP = "finished", "needs_rep"
ACCOUNT_WAIT_ALERT_S = 600.0                 # "waiting on the account for over 10 minutes"
RETRY_BACKOFF_S = (5.0, 20.0, 60.0)          # after the 1st, 2nd, 3rd failed try; then given up
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024      # most mail servers refuse past 20-25 MB
MAX_FAILED_LISTED = 20
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DISK_WORDS = ("disk is full", "disk i/o error", "readonly database", "read-only file system",
              "no space left", "database disk image is malformed", "disk quota exceeded")
# The rep's own pause says one of these; any other message is the engine stopping for them.
REP_PAUSES = ("", "paused", "paused by the user")


@dataclass(frozen=True)
class Outcome:
    batch_id: int
    kind: str                 # FINISHED / NEEDS_REP
    status: str               # the batch's status when it happened
    reason: str = ""          # for NEEDS_REP: one sentence, what stopped it
    counts: dict[str, int] = field(default_factory=dict)


def is_disk_trouble(exc: BaseException) -> bool:
    """A full disk, a read-only or failing database: the rep must free space or fix the folder."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO):
            return True
        text = str(exc).lower()   # SQLite's and PostgreSQL's words, whoever wrapped them
        if any(s in text for s in DISK_WORDS):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


# --------------------------------------------------------------------------- events -> outcomes

class OutcomeWatcher:
    """Turns events into outcomes; an account wait becomes one after `account_wait_s`.

    Thread-safe: fed on the engine's thread, the wait timers fire on threads of their own.
    """

    def __init__(self, on_outcome: Callable[[Outcome], None], *,
                 account_wait_s: float = ACCOUNT_WAIT_ALERT_S,
                 timer: Callable[..., threading.Timer] = threading.Timer) -> None:
        self._on_outcome = on_outcome
        self._account_wait_s = account_wait_s
        self._new_timer = timer  # threading.Timer's signature; tests fire the alarm by hand
        self._lock = threading.Lock()
        self._timers: dict[int, threading.Timer] = {}     # account id -> its wait's alarm
        self._last: dict[int, tuple[str, str]] = {}       # batch id -> last outcome told
        self.batches_seen: set[int] = set()
        self._closed = False

    def feed(self, event: Event) -> None:
        if isinstance(event, BatchEvent):
            self._batch(event)
        elif isinstance(event, WaitEvent):
            self._wait(event)

    def _batch(self, event: BatchEvent) -> None:
        outcome = None
        if event.status == BatchStatus.COMPLETE:
            outcome = Outcome(event.batch_id, FINISHED, event.status, counts=dict(event.counts))
        elif event.status == BatchStatus.PAUSED and event.message.strip().lower() not in REP_PAUSES:
            outcome = Outcome(event.batch_id, NEEDS_REP, event.status, event.message,
                              dict(event.counts))
        with self._lock:
            self.batches_seen.add(event.batch_id)
            if outcome is None:
                if event.status in BATCH_UNFINISHED:
                    self._last.pop(event.batch_id, None)   # a new episode may be told again
                return
            key = (outcome.kind, outcome.reason)
            if self._last.get(event.batch_id) == key:
                return   # the same stop said twice (a replayed event): one notification
            self._last[event.batch_id] = key
        self._on_outcome(outcome)

    def _wait(self, event: WaitEvent) -> None:
        with self._lock:
            old = self._timers.pop(event.account_id, None)
            if old is not None:
                old.cancel()
            if event.reason != "account" or self._closed:
                return
            timer = self._new_timer(self._account_wait_s, self._waited_too_long, args=(event,))
            timer.daemon = True
            timer.name = f"bulkquote-wait-alarm-{event.account_id}"
            self._timers[event.account_id] = timer
            self.batches_seen.update(event.batch_ids)
        timer.start()

    def _waited_too_long(self, event: WaitEvent) -> None:
        with self._lock:
            if self._timers.get(event.account_id) is None or self._closed:
                return   # the wait ended meanwhile
            self._timers.pop(event.account_id, None)
        minutes = self._account_wait_s / 60
        span = f"{minutes:.0f} minutes" if minutes >= 1 else f"{self._account_wait_s:g} s"
        reason = (f"waiting on the account for over {span}: {event.message or 'another client'}"
                  f"{'' if event.message else ' holds it'}. Cancel the blocking quote "
                  f"(`bulkquote unblock {event.blocker_id or 'QUOTE_ID'}`) if it is stuck.")
        for batch_id in event.batch_ids:
            self._on_outcome(Outcome(batch_id, NEEDS_REP, BatchStatus.RUNNING, reason))

    def engine_failed(self, exc: BaseException, batch_ids: tuple[int, ...] = ()) -> bool:
        """The engine raised; disk trouble becomes an outcome for the batches it had in hand."""
        if not is_disk_trouble(exc):
            return False
        reason = (f"disk trouble: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}. "
                  "Free some disk space (or fix the database folder), then resume the batch.")
        with self._lock:
            ids = tuple(batch_ids) or tuple(sorted(self.batches_seen))
        for batch_id in ids:
            self._on_outcome(Outcome(batch_id, NEEDS_REP, "stopped", reason))
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()


# --------------------------------------------------------------------------- the message

@dataclass(frozen=True)
class BatchReport:
    """What the e-mail says about a batch, read from the store when it is sent."""

    batch_id: int
    name: str                      # the spreadsheet's file name
    status: str
    counts: dict[str, int]
    owner: str = ""
    status_message: str = ""
    failed: tuple[tuple[int, str], ...] = ()    # row number, the reason (core/output/reasons)
    failed_total: int = 0
    refused: int = 0               # rows of the sheet refused before sending (invalid, duplicate)


def refused_text(report: BatchReport) -> str:
    """ "; 6 not sent (refused before sending)" when the sheet had rows the batch left out."""
    return f"; {report.refused} not sent (refused before sending)" if report.refused else ""


def count_text(counts: dict[str, int]) -> str:
    total = counts.get("total", 0)
    parts = [f"{counts.get(RowState.COMPLETE, 0)} priced"]
    for key in (RowState.FAILED, RowState.CANCELLED):
        if counts.get(key):
            parts.append(f"{counts[key]} {key}")
    left = counts.get(RowState.PENDING, 0) + counts.get("active", 0)
    if left:
        parts.append(f"{left} to go")
    return ", ".join(parts) + f" of {total}"


def subject(outcome: Outcome, report: BatchReport) -> str:
    what = "complete" if outcome.kind == FINISHED else "needs you"
    name = report.name if len(report.name) <= 120 else report.name[:117] + "..."
    return (f"BulkQuote: batch #{report.batch_id} {name} {what} "
            f"({count_text(report.counts)}{refused_text(report)})")


def body(outcome: Outcome, report: BatchReport, attachment: str) -> str:
    lines = []
    if outcome.kind == FINISHED:
        lines.append(f"Batch #{report.batch_id} ({report.name}) is complete: "
                     f"{count_text(report.counts)}.")
    else:
        lines.append(f"Batch #{report.batch_id} ({report.name}) stopped and needs you: "
                     f"{outcome.reason}")
        lines.append(f"So far: {count_text(report.counts)}.")
    if report.refused:
        lines.append(_refused_sentence(report.refused))
    lines.append("")
    if report.owner:
        lines.append(f"Submitted by: {report.owner}")
    lines.append(f"Status: {report.status}" + (f" ({report.status_message})"
                                               if report.status_message else ""))
    if report.failed:
        lines += ["", f"Failed rows ({report.failed_total}"
                  + (f", the first {len(report.failed)}" if report.failed_total > len(report.failed) else "")
                  + "):"]
        lines += [f"  row {row}: {reason}" for row, reason in report.failed]
    lines += ["", attachment, "", "-- ", "Sent by BulkQuote. `bulkquote status "
              f"{report.batch_id}` shows the batch; `bulkquote export {report.batch_id} -o FILE` "
              "writes its results again."]
    return "\n".join(lines) + "\n"


def _refused_sentence(refused: int) -> str:
    rows = "row" if refused == 1 else "rows"
    return (f"{refused} more {rows} of the sheet {'was' if refused == 1 else 'were'} refused "
            "before sending (invalid or duplicate): the results list them with the reason.")


def build_message(outcome: Outcome, report: BatchReport, *, sender: str, to: tuple[str, ...],
                  xlsx: bytes | None, xlsx_name: str, attach_note: str = "") -> EmailMessage:
    """The e-mail: headers, the summary as text, the results as an XLSX attachment."""
    # Unfolded headers up to SMTP's own line limit: Python folds a long Subject right after
    # "Subject:", which some readers show with a leading space.
    message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    message["Subject"] = subject(outcome, report)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-BulkQuote-Batch"] = str(report.batch_id)
    note = attach_note or (f"The results are attached: {xlsx_name}." if xlsx is not None
                           else "No results are attached.")
    message.set_content(body(outcome, report, note))
    if xlsx is not None:
        message.add_attachment(xlsx, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=xlsx_name)
    return message


def read_report(session_factory: sessionmaker[Session], batch_id: int) -> BatchReport:
    from bulkquote_gui.core.store import views as view_store

    with session_factory() as session:
        summary = view_store.get_batch(session, batch_id)
        if summary is None:
            raise KeyError(f"no batch {batch_id}")
        rows = view_store.batch_rows(session, batch_id)
        refused = len(view_store.batch_skipped(session, batch_id))
    failed = [(r.row_number, one_line(reason_text(r.error_code or "failed", r.error_message)))
              for r in rows if r.status == RowState.FAILED]
    # The file name and the owner come from the rep's machine: made one safe line here, they
    # can neither break a header (CR/LF) nor turn text around (U+202E) in subject, body or name.
    return BatchReport(batch_id=batch_id, name=one_line(summary.source_name),
                       status=str(summary.status), counts=dict(summary.counts),
                       owner=one_line(summary.owner),
                       status_message=one_line(summary.status_message),
                       failed=tuple(failed[:MAX_FAILED_LISTED]), failed_total=len(failed),
                       refused=refused)


def results_xlsx(session_factory: sessionmaker[Session], report: BatchReport) -> tuple[bytes | None, str, str]:
    """(bytes, file name, note): the batch's export, or None with why it is not attached."""
    from bulkquote_gui.core.output.export import export_batch
    from bulkquote_gui.core.output.file_names import file_name

    name = file_name(Path(report.name).stem or f"batch-{report.batch_id}", "quotes")
    try:
        with tempfile.TemporaryDirectory(prefix="bulkquote-mail-") as folder:
            path = Path(folder) / name
            export_batch(session_factory, report.batch_id, path)
            data = path.read_bytes()
    except Exception as exc:  # a full disk must not keep the summary from going out
        log.warning("batch %s: results not attached: %s", report.batch_id, exc)
        return None, name, (f"The results could not be attached ({type(exc).__name__}: {exc}); "
                            f"`bulkquote export {report.batch_id} -o FILE.xlsx` writes them.")
    if len(data) > MAX_ATTACHMENT_BYTES:
        return None, name, (f"The results ({len(data) / 1e6:.0f} MB) are too large to attach; "
                            f"`bulkquote export {report.batch_id} -o FILE.xlsx` writes them.")
    return data, name, ""


# --------------------------------------------------------------------------- the notifier

@dataclass(frozen=True)
class Report:
    """What became of one e-mail, for the window's status bar or the CLI's stderr."""

    batch_id: int
    sent: bool
    text: str
    final: bool = True       # False: a failed try that will be made again


class Notifier:
    """The engine listener that notifies; e-mail on a background thread with retries."""

    def __init__(self, session_factory: sessionmaker[Session], mail: MailConfigSource | None, *,
                 desktop: Callable[[Outcome], None] | None = None,
                 on_report: Callable[[Report], None] | None = None,
                 backoff_s: tuple[float, ...] = RETRY_BACKOFF_S,
                 account_wait_s: float = ACCOUNT_WAIT_ALERT_S,
                 sleep: Callable[[float], None] | None = None,
                 timer: Callable[..., threading.Timer] = threading.Timer) -> None:
        self._sf = session_factory
        self._mail = mail
        self._desktop = desktop
        self._on_report = on_report
        self._backoff = tuple(backoff_s)
        self._stop = threading.Event()
        self._sleep = sleep or (lambda s: self._stop.wait(s))
        self._jobs: queue.Queue[Outcome | None] = queue.Queue()
        self._busy = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self.watcher = OutcomeWatcher(self._outcome, account_wait_s=account_wait_s, timer=timer)
        self.reports: list[Report] = []

    # ------------------------------------------------------------ the engine's side (never raises)
    def __call__(self, event: Event) -> None:
        try:
            self.watcher.feed(event)
        except Exception:
            log.exception("notifier failed on %r", event)

    def engine_failed(self, exc: BaseException, batch_ids: tuple[int, ...] = ()) -> bool:
        try:
            return self.watcher.engine_failed(exc, batch_ids)
        except Exception:
            log.exception("notifier failed on an engine error")
            return False

    def notify(self, outcome: Outcome) -> None:
        """Tell the rep about `outcome` (also called by the watcher)."""
        self._outcome(outcome)

    def _outcome(self, outcome: Outcome) -> None:
        log.info("batch %s: %s%s", outcome.batch_id, outcome.kind,
                 f" ({outcome.reason})" if outcome.reason else "")
        if self._desktop is not None:
            try:
                self._desktop(outcome)
            except Exception:
                log.exception("desktop notification failed")
        if self._mail is None or self._stop.is_set() or not self._mail_enabled():
            return
        with self._idle:
            self._busy += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bulkquote-mailer", daemon=True)
                self._thread.start()
        self._jobs.put(outcome)

    def _mail_enabled(self) -> bool:
        enabled = getattr(self._mail, "enabled", None)
        try:
            return bool(enabled()) if callable(enabled) else True
        except Exception:  # a broken settings object: try, and let the send say what is wrong
            return True

    # ------------------------------------------------------------ the mail thread
    def _run(self) -> None:
        while True:
            outcome = self._jobs.get()
            if outcome is None:
                return
            try:
                self._mail_one(outcome)
            except Exception:  # a bug here must not end the thread (nor reach the engine)
                log.exception("mailing batch %s failed", outcome.batch_id)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _mail_one(self, outcome: Outcome) -> None:
        assert self._mail is not None
        try:
            report = read_report(self._sf, outcome.batch_id)
        except Exception as exc:
            self._report(Report(outcome.batch_id, False, f"e-mail for batch #{outcome.batch_id} not "
                                f"sent: the batch could not be read ({type(exc).__name__}: {exc})"))
            return
        try:
            config = self._mail(report.owner)
        except ValueError as exc:   # a malformed BULKQUOTE_SMTP_URL
            self._report(Report(outcome.batch_id, False, f"e-mail for batch #{outcome.batch_id} "
                                f"not sent: {exc}"))
            return
        if config is None:
            return   # no e-mail set up: nothing to say
        xlsx, name, note = results_xlsx(self._sf, report)
        try:
            message = build_message(outcome, report, sender=config.sender, to=config.to,
                                    xlsx=xlsx, xlsx_name=name, attach_note=note)
        except Exception as exc:   # e.g. a header the e-mail library refuses: say so, one line
            # The traceback for the log file only (INFO): the terminal gets the report's line.
            log.info("batch %s: message not built", outcome.batch_id, exc_info=True)
            self._report(Report(outcome.batch_id, False, f"e-mail for batch #{outcome.batch_id} "
                                f"not sent: the message could not be built ({exc})"))
            return
        self._send_with_retries(outcome.batch_id, config, message)

    def _send_with_retries(self, batch_id: int, config: SmtpConfig, message: EmailMessage) -> None:
        tries = len(self._backoff) + 1
        for attempt in range(1, tries + 1):
            try:
                send(config, message)
            except MailError as exc:
                last = attempt == tries or not exc.transient or self._stop.is_set()
                if last:
                    self._report(Report(batch_id, False, f"e-mail for batch #{batch_id} not sent"
                                        + (f" after {attempt} tries" if attempt > 1 else "")
                                        + f": {exc}"))
                    return
                wait = self._backoff[attempt - 1]
                self._report(Report(batch_id, False, f"e-mail for batch #{batch_id} not sent yet "
                                    f"(try {attempt} of {tries}; again in {wait:g} s): {exc}",
                                    final=False))
                self._sleep(wait)
                continue
            self._report(Report(batch_id, True, f"e-mail for batch #{batch_id} sent to "
                                f"{', '.join(config.to)}"))
            return

    def _report(self, report: Report) -> None:
        report = replace(report, text=one_line(report.text))   # for the terminal and the log
        (log.info if report.sent or not report.final else log.warning)("%s", report.text)
        self.reports.append(report)
        if self._on_report is not None:
            try:
                self._on_report(report)
            except Exception:
                log.exception("notification report failed")

    # ------------------------------------------------------------ the end
    def flush(self, timeout_s: float) -> bool:
        """Wait until every e-mail owed is sent or given up; False when time ran out."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout_s: float = 0.0) -> bool:
        """Stop the wait alarms; give the mails owed `timeout_s` to go out, then stop retrying."""
        self.watcher.close()
        done = self.flush(timeout_s) if timeout_s > 0 else not self._busy
        self._stop.set()
        self._jobs.put(None)
        return done

    @property
    def pending(self) -> int:
        return self._busy


def describe(outcome: Outcome) -> tuple[str, str]:
    """(title, text) of the desktop notification for an outcome."""
    if outcome.kind == FINISHED:
        return (f"BulkQuote — batch #{outcome.batch_id} complete", count_text(outcome.counts))
    return (f"BulkQuote — batch #{outcome.batch_id} needs you", outcome.reason)
