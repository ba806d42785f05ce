"""Where BulkQuote keeps its files: per-OS folders from platformdirs, overridable for tests."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from bulkquote_gui import APP_NAME


def config_dir() -> Path:
    override = os.environ.get("BULKQUOTE_CONFIG_DIR")
    return Path(override) if override else Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    override = os.environ.get("BULKQUOTE_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_url() -> str:
    """The store's URL: $BULKQUOTE_DB, else a SQLite file in the user data folder."""
    url = os.environ.get("BULKQUOTE_DB")
    if url:
        return url
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / 'bulkquote.sqlite').as_posix()}"
