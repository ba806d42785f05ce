"""Engines and sessions: SQLite (WAL, busy timeout) for one laptop, any SQLAlchemy URL for a team.

`make_engine` also creates or upgrades the schema, so whoever opens the store first sets it up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bulkquote_gui.core.store.schema import ensure_schema

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str) -> Engine:
    """An engine for `url`, with the schema created or upgraded.

    SQLite gets WAL (readers never block the engine's writes), a busy timeout (a second
    process or thread waits instead of failing) and enforced foreign keys.
    """
    sa_url = make_url(url)
    is_sqlite = sa_url.get_backend_name() == "sqlite"
    kwargs: dict[str, Any] = {}
    if is_sqlite:
        database = sa_url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(sa_url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _configure_sqlite)
    ensure_schema(engine)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
    finally:
        cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded values stay readable after commit (expire_on_commit=False)."""
    return sessionmaker(engine, expire_on_commit=False)

