"""Engines and sessions: SQLite (WAL, busy timeout) for one laptop, PostgreSQL for a team.

`make_engine` also creates or upgrades the schema, so whoever opens the store first sets it up.

A team database is `postgresql+psycopg://user@host[:port]/db`. Its password is never kept in
our files or in the database: a URL typed with one is used for the session, and
`public_url()` is what gets saved or shown; otherwise the password comes from the OS keyring
(service "bulkquote-database", username "user@host:port/db", see `save_database_password`),
or libpq finds it by itself in PGPASSWORD or ~/.pgpass.
"""

from __future__ import annotations

import logging
import random
import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.file_modes import create_private_file, make_folder
from bulkquote_gui.core.store import read_only, safety
from bulkquote_gui.core.store.schema import ensure_schema

__all__ = ["KEYRING_SERVICE", "POSTGRES_CONNECT_TIMEOUT_S", "SQLITE_BUSY_TIMEOUT_MS",
           "autocommit", "in_transaction", "keyring_username", "make_engine",
           "make_session_factory", "ping_when_in_doubt", "public_url", "save_database_password",
           "writes_inside_with"]

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10
KEYRING_SERVICE = "bulkquote-database"
# libpq TCP keepalives and user timeout: a connection whose network went away fails within
# about a minute, idle or sending, instead of after the operating system's two hours.
_POSTGRES_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                        "keepalives_count": 3, "tcp_user_timeout": 60_000}


def make_engine(url: str) -> Engine:
    """An engine for `url`, with the schema created or upgraded.

    SQLite gets WAL (readers never block the engine's writes), a busy timeout (a second
    process or thread waits instead of failing) and enforced foreign keys. PostgreSQL gets its
    password from the keyring when the URL has none, a connect timeout, TCP keepalives and a
    ping when a pooled connection is in doubt (ping_when_in_doubt), so a dropped network gives
    an error in seconds and a fresh connection after it.

    A SQLite file is checked first (PRAGMA quick_check): a damaged one is set aside, renamed
    `name-damaged-{timestamp}`, and a fresh database made; the sentence saying so is printed on
    stderr and kept for the window (`startup_notices(engine)`). Before a schema upgrade a copy
    `name.bak-v{old}-{timestamp}` is kept (see schema.ensure_schema).
    """
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    kwargs: dict[str, Any] = {}
    notices: list[str] = []
    if backend == "sqlite" and _read_only_file(sa_url):
        return _read_only_engine(Path(sa_url.database or ""))
    if backend == "sqlite":
        database = sa_url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            make_folder(Path(database).parent)
            _create_private(Path(database))
            notice = safety.check_on_start(Path(database))
            if notice:
                notices.append(notice)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    elif backend == "postgresql":
        if sa_url.username and sa_url.password is None and "password" not in sa_url.query:
            password = _keyring_password(sa_url)
            if password:
                sa_url = sa_url.set(password=password)
        connect_args: dict[str, Any] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
                                        "application_name": "bulkquote", **_POSTGRES_KEEPALIVES}
        for name in sa_url.query:  # the URL's own ?connect_timeout=... wins
            connect_args.pop(name, None)
        kwargs["connect_args"] = connect_args
    engine = create_engine(sa_url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    elif backend == "postgresql":
        ping_when_in_doubt(engine)
    try:
        ensure_schema(engine)
    except BaseException:
        engine.dispose()  # no connection is left for the garbage collector to close
        raise
    safety.remember_notices(engine, notices)
    return engine


def _read_only_file(sa_url: URL) -> bool:
    database = sa_url.database
    return bool(database and database != ":memory:" and not database.startswith("file:")
                and read_only.cannot_write(Path(database)))


def _read_only_engine(database: Path) -> Engine:
    """A SQLite file this process may only read (see read_only): looking at it works."""
    engine = create_engine(read_only.read_only_url(database), connect_args={
        "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    event.listen(engine, "connect", read_only.configure)
    try:
        read_only.check_schema(engine, database)
    except BaseException:
        engine.dispose()
        raise
    safety.remember_notices(engine, [read_only.notice(database)])
    return engine


# A pooled connection used this recently, whose socket has nothing to read, is taken as it is.
TRUST_IDLE_S = 10.0


def ping_when_in_doubt(engine: Engine) -> None:
    """pool_pre_ping, without its round trip on every checkout (the engine checks out a
    connection three times a quote): a connection is pinged only when it has sat idle for
    TRUST_IDLE_S, or when its socket has something to read while no query is out, which is
    how a server's goodbye arrives (restart, pg_terminate_backend, idle timeout). A failed
    ping discards it, and the pool hands out a fresh connection: no error reaches the caller.
    """
    def stamp(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        record.info["bq_used_at"] = time.monotonic()

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle = time.monotonic() - record.info.get("bq_used_at", float("-inf"))
        if idle < TRUST_IDLE_S and not _socket_has_input(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()   # the ping's implicit transaction: none is left open
        except Exception as exc:  # the server is gone, or the network: a new connection
            raise DisconnectionError(f"stale connection: {type(exc).__name__}") from exc
        if not alive:
            raise DisconnectionError("stale connection")

    event.listen(engine, "connect", stamp)
    event.listen(engine, "checkin", stamp)
    event.listen(engine, "checkout", check)


def _socket_has_input(dbapi_connection: Any) -> bool:
    """True when an idle connection's socket is readable (or cannot be asked): nothing should
    arrive on it between queries but an error or the server closing it."""
    try:
        fd = dbapi_connection.pgconn.socket
        return bool(select.select([fd], [], [], 0)[0])
    except Exception:
        return True


def public_url(url: str | URL) -> str:
    """The URL without its password: what may be saved in settings, logged or shown."""
    try:
        sa_url = make_url(url)
    except Exception:  # not a URL we can parse: nothing in it that we would read as a password
        return str(url)
    if sa_url.password is None and "password" not in sa_url.query:
        return str(url) if isinstance(url, str) else sa_url.render_as_string(hide_password=False)
    # (URL.set(password=None) would keep the password: None there means "unchanged")
    bare = URL.create(sa_url.drivername, username=sa_url.username, host=sa_url.host,
                      port=sa_url.port, database=sa_url.database, query=sa_url.query)
    return bare.difference_update_query(["password"]).render_as_string(hide_password=False)


def keyring_username(url: str | URL) -> str:
    """The keyring entry's username for a PostgreSQL URL: "user@host:port/db"."""
    sa_url = make_url(url)
    return (f"{sa_url.username or ''}@{sa_url.host or 'localhost'}:{sa_url.port or 5432}"
            f"/{sa_url.database or ''}")


def save_database_password(url: str | URL) -> bool:
    """Put the password of a PostgreSQL URL in the OS keyring, for `make_engine` to find.

    Returns True when a keyring holds it now; False when the URL has no password or there is
    no working keyring (then the password lives only as long as the URL in memory).
    """
    sa_url = make_url(url)
    password = sa_url.password or sa_url.query.get("password")
    if sa_url.get_backend_name() != "postgresql" or not sa_url.username or not password:
        return False
    try:
        import keyring

        backend = keyring.get_keyring()
        if getattr(backend, "priority", 0) <= 0:  # the null and fail backends keep nothing
            return False
        keyring.set_password(KEYRING_SERVICE, keyring_username(sa_url), str(password))
        return True
    except Exception as exc:  # a broken keyring must never stop the app
        log.warning("could not save the database password in the keyring: %s", type(exc).__name__)
        return False


def _keyring_password(sa_url: URL) -> str | None:
    """The keyring's password for this URL, or None (none stored, or no working keyring)."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, keyring_username(sa_url)) or None
    except Exception as exc:  # no backend, locked, D-Bus gone: libpq may still find one
        log.info("no database password from the keyring (%s)", type(exc).__name__)
        return None


def _create_private(database: Path) -> None:
    """A new database file is made 0600 before SQLite opens it: SQLite gives its -wal and -shm
    the database's mode, so all three stay the rep's alone whatever the umask."""
    try:
        create_private_file(database)
    except OSError:
        pass  # a folder we cannot write: SQLite's own open says what is wrong


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        _switch_to_wal(cursor)
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any, attempts: int = 40) -> None:
    """PRAGMA journal_mode=WAL, tried again while another connection holds the file: the first
    opens of a new file by several processes at once (window, CLI, a second window) each need
    it to themselves for a moment, and SQLite answers "database is locked" at once, without
    waiting its busy timeout, when two of them would otherwise wait for each other."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 + random.random() * 0.05)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded values stay readable after commit (expire_on_commit=False)."""
    return sessionmaker(engine, expire_on_commit=False)


# ---------------------------------------------------------------- transactions

@contextmanager
def in_transaction(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction committed on leaving the block. The store's writers take a session and
    never commit: the caller opens this at the call site, where the order of the commit and
    the side effect it must come before can be seen."""
    with session_factory.begin() as session:
        yield session


@contextmanager
def autocommit(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose every statement commits by itself: for one read, or one conditional
    write that is atomic alone. On a server BEGIN and COMMIT (or ROLLBACK) are two round trips
    of their own; several statements here are not one transaction."""
    with session_factory() as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def writes_inside_with(session_factory: sessionmaker[Session]) -> bool:
    """The backend runs writes inside WITH (PostgreSQL): a write of several tables is then one
    statement (rows.complete), atomic by itself, sent without BEGIN and COMMIT (autocommit):
    on a server, two round trips less."""
    return session_factory.kw["bind"].dialect.name == "postgresql"
