"""Never paying twice: still-valid earlier quotes fill a new batch's rows (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import timedelta

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import (
    VALID_UNTIL,
    FakeClock,
    FakeImport,
    FakeMomentum,
    checked_row,
)
from tests.helpers.store_setup import next_open_row

VALID = VALID_UNTIL - timedelta(days=28)   # a day FakeMomentum's quotes are valid on
EXPIRED = VALID_UNTIL + timedelta(days=17)


def quote_all(sf, rows):
    """A batch of `rows`, quoted to the end against a fake API; returns (batch id, the API)."""
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="x.csv")
    with engine_store.in_transaction(sf) as session:
        reused = reuse_store.reuse_valid_quotes(session, batch_id, today=VALID)
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(1)).run_batch(batch_id)
    return batch_id, api, reused


def test_a_resubmitted_file_asks_only_for_the_sites_not_quoted_yet(session_factory):
    sf = session_factory
    first, api, _ = quote_all(sf, [checked_row(n) for n in range(2, 12)])     # 10 sites
    assert len([c for c in api.calls if c[0] == "POST"]) == 10
    rows = [checked_row(n) for n in range(2, 12)] + [checked_row(12), checked_row(13)]
    second, api2, reused = quote_all(sf, rows)
    assert len(reused) == 10
    assert len([c for c in api2.calls if c[0] == "POST"]) == 2                 # 2 calls, not 12
    with sf() as session:
        views = view_store.batch_rows(session, second)
        old = {r.row_number: r for r in view_store.batch_rows(session, first)}
    assert [r.status for r in views] == ["complete"] * 12
    for r in views[:10]:
        assert r.reused_from == old[r.row_number].quote_id
        assert (r.carrier, r.mrc, r.valid_until, r.option_count) == (
            old[r.row_number].carrier, old[r.row_number].mrc, old[r.row_number].valid_until, 2)
    assert all(r.reused_from is None for r in views[10:])


def test_the_same_site_written_differently_is_still_the_same_site(session_factory):
    sf = session_factory
    quote_all(sf, [checked_row(2, street="111 E. Wacker Dr.")])
    variant = checked_row(2, street="111  e wacker dr")
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([variant]), defaults=BatchDefaults(), source_name="y.csv")
    with engine_store.in_transaction(sf) as session:
        assert len(reuse_store.reuse_valid_quotes(session, batch_id, today=VALID)) == 1
    with sf() as session:
        assert view_store.get_batch(session, batch_id).status == "complete"   # nothing left to send


def test_an_expired_quote_or_another_service_is_asked_again(session_factory):
    sf = session_factory
    quote_all(sf, [checked_row(2), checked_row(3)])
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(2), checked_row(3, bandwidth_mbps=100)]),
                                      defaults=BatchDefaults(), source_name="z.csv")
    with engine_store.in_transaction(sf) as session:
        assert reuse_store.reuse_valid_quotes(session, batch_id, today=EXPIRED) == []   # expired
    with engine_store.in_transaction(sf) as session:
        reused = reuse_store.reuse_valid_quotes(session, batch_id, today=VALID)
    assert [r.row_number for r in reused] == [2]             # row 3 asks for another speed
    with sf() as session:
        assert [r.status for r in view_store.batch_rows(session, batch_id)] == ["complete", "pending"]


def test_stale_rows_are_asked_again_in_a_new_batch_that_remembers_the_old_price(session_factory):
    sf = session_factory
    first, _, _ = quote_all(sf, [checked_row(2), checked_row(3)])
    later = VALID_UNTIL + timedelta(days=34)      # past the quotes' valid-until
    with sf() as session:
        rows = view_store.batch_rows(session, first)
        assert [r.stale(later) for r in rows] == [True, True]
        assert [r.stale(VALID) for r in rows] == [False, False]
    with engine_store.in_transaction(sf) as session:
        new_id = reuse_store.requote_stale(session, first, today=later, owner="Dana")
    with engine_store.in_transaction(sf) as session:
        assert reuse_store.requote_stale(session, first, today=VALID) is None    # nothing stale yet
    with sf() as session:
        summary = view_store.get_batch(session, new_id)
        again = view_store.batch_rows(session, new_id)
    assert summary.source_name == "x.csv (re-quote of #1)".replace("#1", f"#{first}")
    assert summary.owner == "Dana" and summary.counts["pending"] == 2
    assert [r.requote_of for r in again] == [r.quote_id for r in rows]
    assert [r.previous_mrc for r in again] == [r.mrc for r in rows]
    with sf() as session:
        first_row = next_open_row(session, new_id)
    assert first_row.request["location"]["street"] == "2 Main St"


def test_another_accounts_quotes_are_never_reused(session_factory):
    sf = session_factory
    mine = account_store.ensure_account(sf, "https://api.example/v1", "my-key")
    theirs = account_store.ensure_account(sf, "https://api.example/v1", "their-key")
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    with engine_store.in_transaction(sf) as session:
        first = batch_store.create_batch(session, FakeImport([checked_row(2)]), defaults=BatchDefaults(),
                                   source_name="a.csv", account_id=theirs.id)
    Processor(sf, api, clock=clock, config=EngineConfig(), account=theirs).run_batch(first)
    with engine_store.in_transaction(sf) as session:
        second = batch_store.create_batch(session, FakeImport([checked_row(2)]), defaults=BatchDefaults(),
                                    source_name="b.csv", account_id=mine.id)
    with engine_store.in_transaction(sf) as session:
        assert reuse_store.reuse_valid_quotes(session, second, today=VALID) == []
    with engine_store.in_transaction(sf) as session:
        third = batch_store.create_batch(session, FakeImport([checked_row(2)]), defaults=BatchDefaults(),
                                   source_name="c.csv", account_id=theirs.id)
    with engine_store.in_transaction(sf) as session:
        assert len(reuse_store.reuse_valid_quotes(session, third, today=VALID)) == 1


def test_the_preview_finds_the_rows_a_submit_would_fill(session_factory):
    """reusable_for_rows (the window's preview) names exactly the rows reuse_valid_quotes fills."""
    sf = session_factory
    first, _, _ = quote_all(sf, [checked_row(2), checked_row(3)])
    rows = [checked_row(2, street="  2 main st. "), checked_row(3, bandwidth_mbps=100), checked_row(4)]
    with sf() as session:
        found = reuse_store.reusable_for_rows(session, rows, BatchDefaults(), account_id=None, today=VALID)
        assert reuse_store.reusable_for_rows(session, rows, BatchDefaults(), account_id=None,
                                       today=EXPIRED) == {}          # expired
        old = {r.row_number: r for r in view_store.batch_rows(session, first)}
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="p.csv")
    with engine_store.in_transaction(sf) as session:
        filled = reuse_store.reuse_valid_quotes(session, batch_id, today=VALID)
    assert sorted(found) == sorted(r.row_number for r in filled)
    for n, reusable in found.items():
        assert (reusable.from_batch, reusable.from_row) == (first, n)
        assert (reusable.mrc, reusable.valid_until) == (old[n].mrc, old[n].valid_until)


def test_a_requote_and_a_reused_quote_keep_each_rows_address_set(session_factory):
    sf = session_factory
    rows = [checked_row(2), checked_row(3)]
    rows[0].address_set, rows[1].address_set = "Physical", "Mailing"
    first, _, _ = quote_all(sf, rows)
    with engine_store.in_transaction(sf) as session:
        new_id = reuse_store.requote_stale(session, first, today=VALID_UNTIL + timedelta(days=34))
    with sf() as session:
        assert [r.address_set for r in view_store.batch_rows(session, first)] == ["Physical", "Mailing"]
        assert [r.address_set for r in view_store.batch_rows(session, new_id)] == ["Physical", "Mailing"]
    # A reused row is filled in place: it keeps the set of the sheet it was submitted from.
    again = [checked_row(2), checked_row(3)]
    again[0].address_set = "Site"
    second, _, reused = quote_all(sf, again)
    assert len(reused) == 2
    with sf() as session:
        assert [r.address_set for r in view_store.batch_rows(session, second)] == ["Site", ""]


def test_a_requote_goes_to_the_provider_the_batch_was_sent_to(session_factory):
    """Asking again for stale prices asks the same seller: the new batch keeps its provider."""
    from sqlalchemy import update

    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.core.store.models import BatchJob

    sf = session_factory
    first, _, _ = quote_all(sf, [checked_row(2)])
    with sf.begin() as session:   # as `submit --provider Lumen` stores it
        session.execute(update(BatchJob).where(BatchJob.id == first).values(provider_name="Lumen"))
    with engine_store.in_transaction(sf) as session:
        new_id = reuse_store.requote_stale(session, first, today=VALID_UNTIL + timedelta(days=34))
    with sf() as session:
        assert provider_store.batch_provider(session, new_id) == "Lumen"
