"""A store that cannot be reached makes the account's line wait, like an unreachable API: no
row fails, nothing is sent twice, and the lease's fence holds across the outage. A fake store
outage (tests.helpers.fakes.StoreOutage) on a real SQLite file, a fake clock, the in-memory API."""

from __future__ import annotations

import random

import pytest

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.events import QuoteEvent, WaitEvent
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store.accounts import Holder
from tests.helpers.fakes import FakeMomentum, StoreOutage, fake_import

WAITING = "the database cannot be reached; waiting"


@pytest.fixture
def api(clock):
    return FakeMomentum(clock)


def _batch(sf, n=3) -> int:
    with engine_store.in_transaction(sf) as session:
        return batch_store.create_batch(session, fake_import(n), defaults=BatchDefaults(), source_name="t.csv")


def _processor(sf, api, clock, events, **config) -> Processor:
    return Processor(sf, api, clock=clock, on_event=events.append,
                     config=EngineConfig(**config), rng=random.Random(7))


def _statuses(sf, batch_id):
    with sf() as session:
        return [r.status for r in view_store.batch_rows(session, batch_id)]


def _quotes_per_row(api, sf, batch_id):
    install = account_store.install_id(sf)
    with sf() as session:
        rows = view_store.batch_rows(session, batch_id)
    return [len(api.created_for(f"{install}/batch-{batch_id}/row-{r.row_number}")) for r in rows]


def test_an_outage_longer_than_a_quotes_timeout_fails_no_row_and_keeps_the_lease(sf, api, clock):
    batch = _batch(sf)
    outage = StoreOutage(sf.kw["bind"], clock)
    events: list = []
    processor = _processor(sf, api, clock, events, quote_timeout_s=300)
    tokens: dict[str, int | None] = {}

    def on_event(event):
        events.append(event)
        lease = processor._runner.lease
        if isinstance(event, QuoteEvent) and event.status == "polling" and not tokens:
            tokens["before"] = lease.token
            outage.go_down(600)   # longer than the quote's own timeout
        elif isinstance(event, QuoteEvent) and tokens and "after" not in tokens:
            tokens["after"] = lease.token

    processor._on_event = on_event
    assert processor.run_batch(batch) == "complete"

    assert outage.failures > 0
    assert _statuses(sf, batch) == ["complete"] * 3      # the outage counted for no row
    assert _quotes_per_row(api, sf, batch) == [1, 1, 1]
    waits = [(e.reason, e.message, e.batch_ids) for e in events if isinstance(e, WaitEvent)]
    assert waits == [("store", WAITING, (batch,)), ("", "", (batch,))]
    assert tokens["after"] == tokens["before"] is not None   # nobody took it: the same token


def test_a_takeover_during_the_outage_is_respected_when_the_store_answers(sf, api, clock,
                                                                          tmp_path):
    batch = _batch(sf)
    outage = StoreOutage(sf.kw["bind"], clock)
    # Another laptop on the same database still reaches it, and takes the lease once ours expired.
    other_engine = engine_store.make_engine(str(sf.kw["bind"].url))
    other_sf = engine_store.make_session_factory(other_engine)
    other = Holder("other-instance", "laptop-9 pid 7 (window)")
    events: list = []
    processor = _processor(sf, api, clock, events, lease_ttl_s=30)
    seen: dict = {}

    def during_waits(_seconds):
        if outage.down and "taken" not in seen and clock.monotonic() > seen["down_at"] + 31:
            seen["taken"] = account_store.acquire_lease(other_sf, processor.account.id, other,
                                                clock.now(), ttl_s=3600)
            seen["calls_at_takeover"] = len(api.calls)

    def on_event(event):
        events.append(event)
        if isinstance(event, QuoteEvent) and event.status == "polling" and "down_at" not in seen:
            seen["down_at"] = clock.monotonic()
            clock.on_wait = during_waits
            outage.go_down(120)
        if isinstance(event, WaitEvent) and event.reason == "lease" and "released" not in seen:
            # Our line stands back: nothing was sent for the account while the other held it.
            seen["calls_while_other_held"] = len(api.calls) - seen["calls_at_takeover"]
            seen["released"] = account_store.release_lease(other_sf, processor.account.id, other,
                                                   seen["taken"])

    processor._on_event = on_event
    try:
        assert processor.run_batch(batch) == "complete"
    finally:
        other_engine.dispose()

    assert seen["taken"] is not None and seen["released"]
    assert seen["calls_while_other_held"] == 0
    reasons = [e.reason for e in events if isinstance(e, WaitEvent)]
    assert reasons[:3] == ["store", "", "lease"], reasons
    assert "held by laptop-9 pid 7 (window)" in next(
        e.message for e in events if isinstance(e, WaitEvent) and e.reason == "lease")
    assert _statuses(sf, batch) == ["complete"] * 3
    assert _quotes_per_row(api, sf, batch) == [1, 1, 1]
    with sf() as session:
        assert account_store.read_lease(session, processor.account.id).token > seen["taken"]


def test_a_stop_during_the_outage_ends_the_run_without_an_error(sf, api, clock):
    batch = _batch(sf)
    outage = StoreOutage(sf.kw["bind"], clock)
    events: list = []
    processor = _processor(sf, api, clock, events)

    def on_event(event):
        events.append(event)
        if isinstance(event, QuoteEvent) and event.status == "polling":
            outage.go_down(3600)
        if isinstance(event, WaitEvent) and event.reason == "store":
            processor.stop()   # the app closes while the database is away

    processor._on_event = on_event
    assert processor.run_batch(batch) == "running"   # as last seen: it resumes on the next start
    assert processor.last_result.stopped
    outage.down_until = None
    assert _statuses(sf, batch)[0] == "polling"      # the quote in flight is kept for later


def test_a_locked_sqlite_file_is_waited_for_without_pausing_the_batch(sf, api, clock):
    batch = _batch(sf)
    lock = StoreOutage(sf.kw["bind"], clock, error="database is locked")
    events: list = []
    processor = _processor(sf, api, clock, events)

    def on_event(event):
        events.append(event)
        if isinstance(event, QuoteEvent) and event.status == "polling" and lock.failures == 0:
            lock.go_down(60)   # another program holds the file a minute

    processor._on_event = on_event
    assert processor.run_batch(batch) == "complete"
    assert lock.failures > 0
    waits = [(e.reason, e.message) for e in events if isinstance(e, WaitEvent)]
    assert waits == [("store", "the database is locked by another program; waiting"), ("", "")]
    assert not [e for e in events if getattr(e, "status", None) == "paused"]   # nothing to undo
    assert _statuses(sf, batch) == ["complete"] * 3
    assert _quotes_per_row(api, sf, batch) == [1, 1, 1]
