"""The log file: the per-user log folder, rotated, with secrets masked before anything is written.

    window   <log folder>/bulkquote.log       CLI   <log folder>/bulkquote-cli.log
    (1 MB each, 5 old files kept: bulkquote.log.1 … .5)

The folder is platformdirs' user log folder (~/.local/state/BulkQuote/log on Linux,
~/Library/Logs/BulkQuote on macOS, %LOCALAPPDATA%\\BulkQuote\\Logs on Windows);
BULKQUOTE_LOG_DIR overrides it, and with only BULKQUOTE_DATA_DIR set (tests, portable installs)
it is `logs` inside that. A key or password the process knows (the environment's, the keyring's
once read, anything passed to `hide`) is replaced by "***" in every record, whatever the code that
logged it: a last line of defence, the code itself never logs them.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

from platformdirs import user_log_dir

from bulkquote_gui import APP_NAME, __version__
from bulkquote_gui.core.file_modes import private_folder, private_opener
from bulkquote_gui.core.safe_text import is_safe, one_line

MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
SECRET_ENV = ("BULKQUOTE_API_KEY", "BULKQUOTE_API_KEYS", "BULKQUOTE_SMTP_PASSWORD", "PGPASSWORD")
MASK = "***"
_MIN_SECRET = 4   # shorter "secrets" (a test's "x") would mask ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()
_installed: dict[str, logging.Handler] = {}


def log_dir() -> Path:
    override = os.environ.get("BULKQUOTE_LOG_DIR")
    if override:
        return Path(override)
    data = os.environ.get("BULKQUOTE_DATA_DIR")
    if data:
        return Path(data) / "logs"
    return Path(user_log_dir(APP_NAME, appauthor=False))


def log_file(role: str = "window") -> Path:
    return log_dir() / ("bulkquote.log" if role == "window" else f"bulkquote-{role}.log")


def hide(secret: str | None) -> None:
    """Mask `secret` in every record from now on (a key typed into Settings, read from the keyring)."""
    if secret and len(secret.strip()) >= _MIN_SECRET:
        with _lock:
            _secrets.add(secret.strip())


def _secrets_from_environment() -> None:
    for name in SECRET_ENV:
        for value in re.split(r"[\s,]+", os.environ.get(name, "")):
            hide(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats, then masks: the message, its arguments and the traceback are all covered.

    The message is made one safe line first (core/safe_text): a file name with CR/LF cannot
    forge a log line, nor an escape sequence repaint the terminal that shows it.
    """

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if not is_safe(message):
            record = logging.makeLogRecord({**record.__dict__, "msg": one_line(message),
                                            "args": None})
        return redact(super().format(record))


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Each log file (and each one made at a rotation) is 0600: it names customers and sites."""

    def _open(self):  # type: ignore[no-untyped-def]
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
                    opener=private_opener)


def setup_logging(role: str = "window", *, level: int = logging.INFO,
                  stderr_level: int | None = None) -> Path | None:
    """Log to the rotated file of `role`; with stderr_level, also to stderr (the CLI: warnings,
    as Python shows them when nothing is configured). Returns the file, or None when the folder
    cannot be written (the app runs on without a log file, and says so on stderr)."""
    _secrets_from_environment()
    root = logging.getLogger()
    root.setLevel(min(level, stderr_level or level))
    path = log_file(role)
    with _lock:
        if role in _installed:
            return path
    try:
        private_folder(path.parent)
        handler: logging.Handler = _PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError as exc:
        print(f"bulkquote: no log file ({path.parent}: {exc.strerror or exc})", file=sys.stderr)
        handler = logging.NullHandler()
        path = None  # type: ignore[assignment]
    handler.setLevel(level)
    handler.setFormatter(RedactingFormatter(FORMAT))
    root.addHandler(handler)
    if stderr_level is not None:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(stderr_level)
        console.setFormatter(RedactingFormatter("%(message)s"))
        root.addHandler(console)
    with _lock:
        _installed[role] = handler
    # Quiet the libraries that log every request at INFO: the file is for our own story.
    for noisy in ("httpx", "httpcore", "asyncio", "mail.log"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    _log_thread_crashes()
    logging.getLogger("bulkquote_gui").info(
        "BulkQuote %s (%s), Python %s, pid %d; log file %s", __version__, role,
        sys.version.split()[0], os.getpid(), path)
    return path


def _log_thread_crashes() -> None:
    """An exception that ends a thread of ours is logged with its traceback (not only printed)."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:
            logging.getLogger("bulkquote_gui.crash").error(
                "uncaught exception in thread %s", args.thread.name if args.thread else "?",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous(args)

    if getattr(threading.excepthook, "__name__", "") != "hook":
        threading.excepthook = hook


def remove_logging(role: str) -> None:
    """Take a role's handler off again (tests)."""
    with _lock:
        handler = _installed.pop(role, None)
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
