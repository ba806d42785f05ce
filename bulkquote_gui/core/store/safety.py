"""The store's safety: environment failures told apart from bugs, copies before upgrades, damaged
files set aside, and what the window and the CLI are told about it at start.

    classify(exc)        a full disk, a read-only or locked database -> StoreUnavailable (a
                         sentence for the rep); anything else -> None (a bug: let it raise)
    probe_writable(sf)   one small real write: does the store take writes again?
    backup_sqlite(...)   a copy `name.sqlite.bak-v{old}-{timestamp}` (SQLite's backup API)
    damage(path)         PRAGMA quick_check on start; the problem in words, or None
    set_aside(path)      a damaged file renamed `name.sqlite-damaged-{timestamp}`, never overwritten
    startup_notices(x)   the sentences make_engine left for the window (shown once) and the CLI

Like qutebrowser's misc/sql.py, a "known" error is one the environment causes (no space left,
a read-only mount, a lock held too long): the engine pauses the batch with the sentence and
goes on when writes work again. Everything else is a bug and is not swallowed here.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.file_modes import create_private_file

__all__ = ["FULL", "StoreUnavailable", "backup_sqlite", "check_on_start", "classify", "damage",
           "probe_writable", "remember_notices", "resume_store_paused", "sqlite_file",
           "startup_notices"]

log = logging.getLogger(__name__)

FULL = "full"
READONLY = "readonly"
LOCKED = "locked"
UNREACHABLE = "unreachable"   # the server is down or restarting, the network or the file is gone

# SQLite primary result codes (extended codes keep them in their low byte).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
_SQLITE_IOERR_SHMSIZE = _SQLITE_IOERR | (19 << 8)   # the -shm file could not grow (no space)
# PostgreSQL SQLSTATEs: disk_full, insufficient_resources, read_only_sql_transaction,
# lock_not_available; admin_shutdown, crash_shutdown, cannot_connect_now (a server stopping,
# restarting or still starting); class 08 (connection exceptions) is matched by its prefix.
_PG_KINDS = {"53100": FULL, "53000": FULL, "25006": READONLY, "55P03": LOCKED,
             "57P01": UNREACHABLE, "57P02": UNREACHABLE, "57P03": UNREACHABLE}

DATABASE_SUFFIXES = (".sqlite", ".sqlite3", ".db")

_SENTENCES = {
    FULL: "the disk that holds the database is full",
    READONLY: "the database cannot be written (it is read-only)",
    LOCKED: "the database is locked by another program",
    UNREACHABLE: "the database cannot be reached",
}


class StoreUnavailable(Exception):
    """The store refuses writes for a reason of its environment, not a bug in BulkQuote."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(self.sentence)

    @property
    def sentence(self) -> str:
        return _SENTENCES.get(self.kind, "the database cannot be written")

    @property
    def outage(self) -> bool:
        """The store is out of use for now (out of reach, or locked by another program): a
        pause could not be written either, and it passes by itself, so the line only waits;
        no batch is paused for it."""
        return self.kind in (UNREACHABLE, LOCKED)

    def pause_message(self) -> str:
        """What a batch paused for it says (the window and `bulkquote status` show it)."""
        return (f"paused: {self.sentence}; nothing recorded is lost, and the batch goes on "
                f"by itself once the database can be written again")


def classify(exc: BaseException) -> StoreUnavailable | None:
    """A StoreUnavailable for a full disk, a read-only, a locked or an unreachable database (a
    lost connection, a server that refuses or is restarting); None otherwise."""
    if isinstance(exc, StoreUnavailable):
        return exc
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = _kind_of(current)
        if kind is not None:
            return StoreUnavailable(kind, str(current).splitlines()[0] if str(current) else "")
        if isinstance(current, DBAPIError) and current.orig is not None:
            current = current.orig
        else:
            current = current.__cause__ or current.__context__
    return None


def _kind_of(exc: BaseException) -> str | None:
    if isinstance(exc, OSError):
        import errno

        return {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READONLY,
                errno.EACCES: READONLY, errno.EPERM: READONLY}.get(exc.errno or 0)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            primary = code & 0xFF
            if primary == _SQLITE_FULL or code == _SQLITE_IOERR_SHMSIZE:
                return FULL
            if primary == _SQLITE_READONLY:
                return READONLY
            if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
                return LOCKED
            if primary == _SQLITE_CANTOPEN:
                return UNREACHABLE   # the file's folder is gone (an unmounted share)
        return _kind_from_text(str(exc))
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate in _PG_KINDS:
        return _PG_KINDS[sqlstate]
    if isinstance(sqlstate, str) and sqlstate.startswith("08"):
        return UNREACHABLE
    if _lost_connection(exc, sqlstate):
        return UNREACHABLE
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return None   # the driver's own error decides (the wrapper's text carries the SQL and
                      # its parameters, which may quote anything)
    if isinstance(exc, SQLAlchemyError) or type(exc).__module__.startswith(("psycopg", "sqlite3")):
        return _kind_from_text(str(exc))
    return None


def _lost_connection(exc: BaseException, sqlstate: object) -> bool:
    """psycopg's OperationalError without a SQLSTATE is the connection itself failing (refused,
    closed by a server that went away, a timeout): no server answered with an error. SQLAlchemy
    says the same of a pooled connection it has just thrown away."""
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return (sqlstate is None and type(exc).__name__ == "OperationalError"
            and type(exc).__module__.startswith("psycopg"))


def _kind_from_text(message: str) -> str | None:
    lowered = message.lower()
    if ("database or disk is full" in lowered or "no space left on device" in lowered
            or "could not extend file" in lowered or "disk quota exceeded" in lowered):
        return FULL
    if ("readonly database" in lowered or "read-only file system" in lowered
            or "read-only transaction" in lowered):
        return READONLY
    if "database is locked" in lowered or "database table is locked" in lowered:
        return LOCKED
    if "unable to open database file" in lowered:
        return UNREACHABLE
    return None


def probe_writable(session_factory: sessionmaker[Session] | Engine) -> StoreUnavailable | None:
    """One small real write (a timestamp in store_meta, committed): None when it went through."""
    from bulkquote_gui.core.store.models import StoreMeta

    engine = _engine_of(session_factory)
    stamp = datetime.now(timezone.utc).isoformat()
    table = StoreMeta.__table__
    try:
        with engine.begin() as conn:
            changed = conn.execute(table.update().where(table.c.key == "write_probe")
                                   .values(value=stamp)).rowcount
            if not changed:
                conn.execute(table.insert().values(key="write_probe", value=stamp))
    except Exception as exc:  # noqa: BLE001 - sorted below: only a known one is an answer
        known = classify(exc)
        if known is None:
            raise
        return known
    return None


def store_pause_messages() -> tuple[str, ...]:
    """Every message a batch paused for the store carries (how such a batch is known again)."""
    return tuple(StoreUnavailable(kind).pause_message() for kind in (FULL, READONLY, LOCKED))


def resume_store_paused(session_factory: sessionmaker[Session], account_id: int | None) -> list[int]:
    """Batches paused because the store refused writes (not by the rep) become pending again:
    their ids. A read first, so a store that still refuses writes is not written to for nothing."""
    from sqlalchemy import or_, select, update

    from bulkquote_gui.core.states import BatchStatus
    from bulkquote_gui.core.store.models import BatchJob

    messages = store_pause_messages()
    mine = or_(BatchJob.account_id == account_id, BatchJob.account_id.is_(None)) \
        if account_id is not None else BatchJob.account_id.is_(None)
    with session_factory() as session:
        ids = list(session.scalars(select(BatchJob.id).where(
            BatchJob.status == BatchStatus.PAUSED, BatchJob.status_message.in_(messages), mine)))
    if not ids:
        return []
    resumed = []
    with session_factory.begin() as session:
        for batch_id in ids:   # conditional: a rep's own pause or cancel meanwhile wins
            if session.execute(update(BatchJob).where(
                    BatchJob.id == batch_id, BatchJob.status == BatchStatus.PAUSED,
                    BatchJob.status_message.in_(messages))
                    .values(status=BatchStatus.PENDING, status_message="")).rowcount:
                resumed.append(batch_id)
    return resumed


def _engine_of(bind: Any) -> Engine:
    if isinstance(bind, Engine):
        return bind
    engine = getattr(bind, "kw", {}).get("bind")
    if not isinstance(engine, Engine):
        raise TypeError(f"no engine behind {bind!r}")
    return engine


# ------------------------------------------------------------------------------ SQLite files

def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def backup_sqlite(source: Path, old_version: int, *, now: datetime | None = None) -> Path:
    """Copy the SQLite database at `source` next to it, as `name.bak-v{old}-{timestamp}`.

    SQLite's online backup API (a consistent copy even while another connection reads or holds
    the write lock); the copy is checked before it is trusted. Raises OSError/sqlite3.Error.
    """
    target = _free_name(source.with_name(f"{source.name}.bak-v{old_version}-{stamp(now)}"))
    src = sqlite3.connect(str(source), timeout=10)
    try:
        create_private_file(target)  # 0600 like the database it copies
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")   # one self-contained file, no -wal
            result = dst.execute("PRAGMA quick_check").fetchone()
            if not result or result[0] != "ok":
                raise sqlite3.DatabaseError(f"the copy {target.name} does not check out")
        finally:
            dst.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    log.info("kept a copy of %s before upgrading it: %s", source, target)
    return target


def damage(path: Path) -> str | None:
    """What is wrong with the SQLite file at `path` (quick_check), or None when it is sound.

    Only damage counts: a lock, a full disk or a read-only file is not damage (None), and the
    store's own error will say what it is when it is opened.
    """
    try:
        conn = sqlite3.connect(str(path), timeout=10)
    except sqlite3.Error:
        return None  # cannot even be opened (permissions, a folder): not ours to set aside
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or _damage_text(str(exc)):
            return str(exc)
        return None
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows if row and row[0] != "ok"]
    if not problems:
        return None
    return "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")


def _damage_text(message: str) -> bool:
    lowered = message.lower()
    return "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered


def set_aside(path: Path, *, now: datetime | None = None) -> Path:
    """Rename a damaged database (and its -wal/-shm) to `name-damaged-{timestamp}`: kept, never
    overwritten, never deleted. Returns the new path of the database file."""
    aside = _free_name(path.with_name(f"{path.name}-damaged-{stamp(now)}"))
    for suffix in ("-wal", "-shm"):   # first: a -wal left without its database would be lost
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    path.rename(aside)
    return aside


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists() or candidate.with_name(candidate.name + "-wal").exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def check_on_start(path: Path) -> str | None:
    """Before an engine opens the SQLite file at `path`: a quick integrity check; a damaged file
    is set aside (a fresh one is then made). Returns the sentence to tell, or None."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    problem = damage(path)
    if problem is None:
        return None
    if "not a database" in problem and path.suffix.lower() not in DATABASE_SUFFIXES:
        return None   # `--db` naming some other file by mistake: not ours to rename; SQLite says so
    aside = set_aside(path)
    log.error("database %s is damaged (%s); set aside as %s", path, problem, aside)
    return (f"The database {path} was damaged ({problem}). It was set aside, unchanged, as "
            f"{aside}, and a new, empty database was made. Earlier batches are in that copy.")


# ------------------------------------------------------------------------------ notices

_notices: weakref.WeakKeyDictionary[Engine, tuple[str, ...]] = weakref.WeakKeyDictionary()


def remember_notices(engine: Engine, notices: list[str]) -> None:
    """Keep the start-up sentences with the engine, and say them on stderr (the CLI's voice)."""
    if not notices:
        return
    _notices[engine] = tuple(notices)
    for notice in notices:
        try:
            print(f"bulkquote: {notice}", file=sys.stderr, flush=True)
        except (OSError, ValueError, AttributeError):  # no stderr (a windowed app)
            pass


def startup_notices(bind: Engine | sessionmaker[Session]) -> tuple[str, ...]:
    """The sentences make_engine left for this engine (a damaged database set aside)."""
    try:
        return _notices.get(_engine_of(bind), ())
    except TypeError:
        return ()


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a file-backed SQLite engine, else None."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)
