"""A SQLite database the rep may read but not write: opened read-only, so looking works.

A file without write permission, or in a folder without it (where SQLite cannot make its -wal,
-shm or journal), used to fail every command, `status` included, with "attempt to write a
readonly database" or "unable to open database file": the engine switched it to WAL and took
the schema's write lock before anything was read. Such a file is opened with SQLite's
`mode=ro` instead, and `immutable=1` when no -wal lies beside it (nobody is writing it, and
SQLite could not make the -shm a WAL reader needs); nothing is switched or upgraded, and
`query_only` makes any write fail at once as read-only (safety.classify says so in words).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import URL, Engine

from bulkquote_gui.core.store.schema import SCHEMA_VERSION, SchemaError, current_version

__all__ = ["cannot_write", "check_schema", "configure", "notice", "read_only_url"]


def cannot_write(database: Path) -> bool:
    """True when this process may read `database` but SQLite could not write it."""
    if not database.is_file() or not os.access(database, os.R_OK):
        return False  # missing (SQLite makes it) or unreadable (SQLite says so)
    if not os.access(database, os.W_OK):
        return True
    if os.access(database.parent, os.W_OK | os.X_OK):
        return False
    # A folder we cannot write: SQLite can still use a -wal and -shm that are there for it.
    companions = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
    return not all(c.exists() and os.access(c, os.R_OK | os.W_OK) for c in companions)


def read_only_url(database: Path) -> URL:
    """The URL SQLite opens `database` with for reading only (its path quoted as a URI)."""
    query = {"mode": "ro", "uri": "true"}
    if not database.with_name(database.name + "-wal").exists():
        query["immutable"] = "1"
    return URL.create("sqlite", database="file:" + quote(str(database.resolve())), query=query)


def configure(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def notice(database: Path) -> str:
    return (f"The database {database} is read-only for you (no permission to write it or its "
            "folder): its batches can be looked at, searched and exported, not submitted or "
            "changed.")


def check_schema(engine: Engine, database: Path) -> None:
    """The schema must be this release's: a read-only file cannot be made or upgraded."""
    with engine.connect() as conn:
        version = current_version(conn)
    if version == SCHEMA_VERSION:
        return
    what = ("has no BulkQuote tables" if version is None
            else f"is from {'a newer' if version > SCHEMA_VERSION else 'an older'} BulkQuote "
                 f"(schema {version}, this one uses {SCHEMA_VERSION})")
    raise SchemaError(f"the database {database} is read-only and {what}; it needs write "
                      "permission to be used")
