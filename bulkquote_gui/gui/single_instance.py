"""One window per user and database: starting BulkQuote again brings the running window to the
front and hands it the file (QLocalServer / QLocalSocket).

The first start listens on a local socket named after the user and a hash of the database URL
(the URL itself may hold a password; a hash never shows it). A later start connects, sends one
line, `{"file": "/abs/path.xlsx"}` or `{"file": null}`, waits for "ok", says so on the terminal
(handed_over_text) and exits 0; the window raises itself and loads the file as if it had been
dropped on it. A socket left behind by a crash answers nobody: it is removed
(QLocalServer.removeServer) and listened on again; one that answers is never taken over.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from bulkquote_gui.gui.qt_compat import emit

log = logging.getLogger(__name__)
CONNECT_MS = 1000
LOCK_MS = 5000
ANSWER_MS = 3000   # the window answers from its event loop, which never waits on work
WAIT_SLICE_MS = 20
MAX_LINE = 64 * 1024
OK = b"ok\n"


class AlreadyRunning(RuntimeError):
    """A window for this database is running but did not take the hand-over."""


def _user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (some containers): the environment or a fixed word
        user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", user)[:32] or "user"


def _normalized(db_url: str) -> str:
    """The same SQLite file however it was spelled (relative, through a symlink)."""
    url = db_url.strip()
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        path, sep, query = url[len(prefix):].partition("?")
        if path:
            return prefix + os.path.realpath(path) + sep + query
    return url


def server_name(db_url: str, user: str | None = None) -> str:
    digest = hashlib.sha256(_normalized(db_url).encode("utf-8")).hexdigest()[:16]
    return f"bulkquote-{user or _user()}-{digest}"


def hand_over(name: str, file: str | os.PathLike[str] | None, *, answer_ms: int = ANSWER_MS) -> bool:
    """A later start: give FILE (or nothing) to the running window. False if none listens;
    AlreadyRunning if one listens but does not answer within `answer_ms`."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_MS):
        return False  # nobody there (or only a crashed run's socket)
    payload = {"file": str(Path(file).resolve()) if file else None}
    socket.write(json.dumps(payload).encode("utf-8") + b"\n")
    socket.waitForBytesWritten(answer_ms)
    answer = b""
    deadline = time.monotonic() + answer_ms / 1000
    # Short waits: a Qt wait holds Python's interpreter lock, which a window in this same process
    # (tests) needs to answer.
    while b"\n" not in answer and time.monotonic() < deadline:
        socket.waitForReadyRead(WAIT_SLICE_MS)
        answer += bytes(socket.readAll())
        if socket.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            break
    socket.abort()
    if answer.startswith(OK):
        return True
    raise AlreadyRunning("BulkQuote is already open for this database but did not answer; "
                         "switch to its window, or close it and start again.")


def handed_over_text(file: str | os.PathLike[str] | None) -> str:
    """What a later start started from a terminal says before it exits (else it seems to do
    nothing at all)."""
    if file:
        return f"BulkQuote is already open for this database: {Path(file).name} was handed to its window."
    return "BulkQuote is already open for this database: its window was brought to the front."


def _answers(name: str) -> bool:
    """Someone listens on `name` (a crashed run's socket refuses the connection)."""
    probe = QLocalSocket()
    probe.connectToServer(name)
    live = probe.waitForConnected(CONNECT_MS)
    probe.abort()
    return live


class SingleInstance(QObject):
    """The first start's server; `activated(file)` when a later start hands over ("" = no file)."""

    activated = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # this user only
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening; False if another live window got there first.

        With access options Qt's listen() replaces whatever socket has the name, a live one too,
        so a live server is looked for first; a lock file makes look-and-listen one step for
        two starts at the same moment (QLockFile also frees the lock of a crashed run).
        """
        lock = QLockFile(str(Path(QDir.tempPath()) / f"{self.name}.lock"))
        if not lock.tryLock(LOCK_MS):
            log.warning("single instance: %s stays locked; listening anyway", lock.fileName())
        try:
            if _answers(self.name):
                return False  # a live window: not ours to take over
            QLocalServer.removeServer(self.name)  # the socket of a crashed run, if there is one
            if self._server.listen(self.name):
                return True
            log.warning("single instance: cannot listen on %s: %s", self.name, self._server.errorString())
            return False
        finally:
            lock.unlock()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        # Bound slots, never a lambda holding `self`: a socket deleted later would drop the last
        # reference to this object inside its own destructor, and so delete itself twice.
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._ready)
            socket.disconnected.connect(socket.deleteLater)
            self._read(socket)

    @Slot()
    def _ready(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_LINE:
                socket.abort()  # not one of ours
            return
        line = bytes(socket.readLine(MAX_LINE)).decode("utf-8", "replace")
        try:
            file = json.loads(line).get("file") or ""
        except (ValueError, AttributeError):
            socket.abort()
            return
        socket.write(OK)
        socket.flush()
        socket.disconnectFromServer()
        emit(self.activated, str(file))


def claim(name: str, file: str | os.PathLike[str] | None) -> SingleInstance | None:
    """The first start gets its listening server; a later one hands FILE over and gets None."""
    if hand_over(name, file):
        return None
    instance = SingleInstance(name)
    if instance.listen():
        return instance
    if hand_over(name, file):  # lost a race with a start at the same moment
        return None
    log.warning("single instance: %s not claimed; this window will not receive hand-overs", name)
    return instance
