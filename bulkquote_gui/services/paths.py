"""Where BulkQuote keeps its files: per-OS folders from platformdirs, overridable for tests.

The SQLite database lives in a folder of its own, `<data folder>/database/`, that no file
dialog starts in and whose files nothing but SQLite opens: SQLite's locks are POSIX locks, and
the operating system drops every lock a process holds on a file when *any* descriptor of that
file is closed in that process (a file dialog sniffing the file's type did exactly that, see
gui/dialogs/questions.py). `is_database_path` lets the window refuse such a path before anything opens it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from bulkquote_gui import APP_NAME
from bulkquote_gui.core.file_modes import private_folder

log = logging.getLogger(__name__)

DATABASE_FOLDER = "database"
DATABASE_FILE = "bulkquote.sqlite"


def config_dir() -> Path:
    override = os.environ.get("BULKQUOTE_CONFIG_DIR")
    return Path(override) if override else Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    override = os.environ.get("BULKQUOTE_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def database_dir() -> Path:
    """The default SQLite database's own folder (nothing else is kept in it)."""
    return data_dir() / DATABASE_FOLDER


def default_db_url() -> str:
    """The store's URL: $BULKQUOTE_DB, else a SQLite file in the database folder."""
    url = os.environ.get("BULKQUOTE_DB")
    if url:
        return url
    private_folder(data_dir())
    folder = private_folder(database_dir())
    return f"sqlite:///{_move_legacy_database(folder / DATABASE_FILE).as_posix()}"


def _move_legacy_database(target: Path) -> Path:
    """Releases before the database folder kept `bulkquote.sqlite` in the data folder itself:
    move it into its folder, but only while no process has it open (no -wal or -shm beside it,
    which SQLite removes when the last connection closes); else keep using it where it is."""
    legacy = target.parent.parent / DATABASE_FILE
    if target.exists() or not legacy.is_file():
        return target
    if any(legacy.with_name(legacy.name + s).exists() for s in ("-wal", "-shm", "-journal")):
        log.info("the database %s is in use; it stays where it is for now", legacy)
        return legacy
    try:
        legacy.rename(target)
    except FileNotFoundError:   # another start moved it first
        pass
    except OSError as exc:
        log.warning("could not move the database %s into %s: %s", legacy, target.parent, exc)
        return legacy
    return target


def database_files(db_url: str | None = None) -> list[Path]:
    """The SQLite database files we use: the default one, an old install's, and `db_url`'s."""
    files = [database_dir() / DATABASE_FILE, data_dir() / DATABASE_FILE]
    url = db_url or os.environ.get("BULKQUOTE_DB") or ""
    if url.startswith("sqlite:///"):
        files.append(Path(url[len("sqlite:///"):].split("?", 1)[0]))
    return [_resolved(f) for f in files]


def is_database_path(path: str | Path, db_url: str | None = None) -> bool:
    """True for a path the window must never open or write: anything in the database folder,
    and a SQLite database of ours elsewhere with its -wal, -shm and copies."""
    candidate = _resolved(Path(path))
    folder = _resolved(database_dir())
    if candidate == folder or folder in candidate.parents:
        return True
    return any(candidate.parent == db.parent and candidate.name.startswith(db.name)
               for db in database_files(db_url))


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):
        return path.expanduser().absolute()
