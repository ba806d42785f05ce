"""Opening the store, once, at start-up: the one store call made on the GUI thread, before the
window exists (it creates or upgrades the schema, so there is nothing to show until it is done)."""

from __future__ import annotations

from typing import Any

from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import safety as safety_store


def open_store(url: str) -> Any:
    """The store's engine for `url`, schema created or upgraded."""
    return engine_store.make_engine(url)


def session_factory(engine: Any) -> Any:
    return engine_store.make_session_factory(engine)


def store_notices(session_factory: Any) -> tuple[str, ...]:
    """What opening the store had to tell (a damaged database set aside, naming the copy)."""
    return safety_store.startup_notices(session_factory)
