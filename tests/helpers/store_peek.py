"""A batch's progress read straight from the store, for a test that waits on it.

A `bulkquote status` process costs about a second of start-up (CPU the processes under test
need); a test that polls progress reads the same rows here in a few milliseconds. What a test
asserts about the result still comes from the CLI's own `status`.
"""

from __future__ import annotations

from typing import Any

from bulkquote_gui.core.states import BATCH_UNFINISHED
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store


def batch_progress(db_url: str, batch_id: int) -> dict[str, Any]:
    """The batch's status, its answered row count (complete + failed) and why its account waits
    (the lease's reason, or None), as `status --json` would report them."""
    engine = engine_store.make_engine(db_url)
    try:
        with engine_store.make_session_factory(engine)() as session:
            summary = view_store.get_batch(session, batch_id)
            assert summary is not None, f"no batch {batch_id} in {db_url}"
            lease = (account_store.read_lease(session, summary.account_id)
                     if summary.account_id is not None else None)
    finally:
        engine.dispose()
    waiting = lease.waiting if lease is not None and summary.status in BATCH_UNFINISHED \
        else None
    return {"status": summary.status,
            "done": summary.counts["complete"] + summary.counts["failed"],
            "waiting": waiting or None}
