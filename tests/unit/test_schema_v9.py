"""Schema v9 (deals, issue 18): batch_job.deal_id and batch_job.terms. A v8 database is upgraded
keeping every batch (each a deal by itself, asking its own term), on SQLite (a copy kept first)
and PostgreSQL; a v9 database is refused by the v8 release; the deal store reads and makes deals."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, select, text

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store.models import BatchQuote, Quote
from bulkquote_gui.core.store.schema import SCHEMA_VERSION, UPGRADES, SchemaError, ensure_schema
from tests.helpers.fakes import FakeImport, checked_row, fake_import
from tests.helpers.old_schema import make_v1_database, make_v8_database


def test_a_v8_database_keeps_every_batch_each_a_deal_by_itself(db_url, tmp_path):
    make_v8_database(db_url, batches=2, rows=3)
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
            kept = conn.execute(text("SELECT id, provider_name, term_months, deal_id, terms "
                                     "FROM batch_job ORDER BY id")).all()
            assert conn.execute(text("SELECT COUNT(*) FROM batch_quote")).scalar() == 6
        assert [tuple(b) for b in kept] == [(1, None, 36, None, None), (2, "Lumen", 36, None, None)]
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("batch_job")}
        assert indexes["ix_batch_job_deal_id"] == ["deal_id"]

        sf = engine_store.make_session_factory(engine)
        with sf() as session:
            assert [deal_store.deal_of(session, b) for b in (1, 2)] == [1, 2]
            (only,) = deal_store.deal_batches(session, 2)
            assert (only.id, only.provider_name, deal_store.batch_terms(only)) == (2, "Lumen", [36])
            assert [r.row_number for r in view_store.batch_rows(session, 1)] == [2, 3, 4]
        # A deal made after the upgrade numbers on from the old batches.
        with engine_store.in_transaction(sf) as session:
            ids = deal_store.create_deal(session, fake_import(2), defaults=BatchDefaults(),
                                         source_name="b.csv",
                                         asks=[deal_store.Ask("Lumen", (12, 36)),
                                               deal_store.Ask(None, (12,))])
        assert ids == [3, 4]
        with sf() as session:
            assert [b.id for b in deal_store.deal_batches(session, 4)] == [3, 4]
            assert deal_store.deal_batches(session, 1)[0].deal_id is None
    finally:
        engine.dispose()
    if db_url.startswith("sqlite"):   # the copy kept before the upgrade is the v8 file
        (copy,) = tmp_path.glob("store.sqlite.bak-v8-*")
        old_engine = create_engine(f"sqlite:///{copy}")
        try:
            with old_engine.connect() as conn:
                assert conn.execute(text("SELECT version FROM schema_version")).scalar() == 8
                assert "deal_id" not in {c["name"] for c in inspect(conn).get_columns("batch_job")}
        finally:
            old_engine.dispose()


def test_the_v9_step_runs_once_after_v8(db_url):
    make_v8_database(db_url, batches=1, rows=1)
    engine = create_engine(db_url)
    try:
        assert ensure_schema(engine, upgrades=UPGRADES[:8], backup=False) == 9
        assert ensure_schema(engine, upgrades=UPGRADES[:8], backup=False) == 9    # nothing left
    finally:
        engine.dispose()


def test_a_v9_database_is_refused_by_the_v8_release(db_url):
    from tests.helpers.old_schema import make_v9_database

    make_v9_database(db_url, batches=1, rows=1)
    engine = create_engine(db_url)
    try:
        with pytest.raises(SchemaError, match=r"newer BulkQuote \(schema 9, this one knows up to 8\)"):
            ensure_schema(engine, upgrades=UPGRADES[:7])   # what the v8 release runs at start
    finally:
        engine.dispose()


@pytest.mark.backends("sqlite")
def test_a_new_v9_batch_table_is_the_same_as_an_upgraded_one(tmp_path):
    def shape(url: str) -> tuple:
        engine = engine_store.make_engine(url)
        try:
            found = inspect(engine)
            return (sorted((c["name"], str(c["type"]), c["nullable"])
                           for c in found.get_columns("batch_job")),
                    sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                           for i in found.get_indexes("batch_job")))
        finally:
            engine.dispose()

    new = shape(f"sqlite:///{tmp_path / 'new.sqlite'}")
    make_v1_database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    assert shape(f"sqlite:///{tmp_path / 'old.sqlite'}") == new


# ----------------------------------------------------------------------------- the deal store

def _terms_asked(session, batch_id: int) -> list[int]:
    """The terms the batch's stored quotes ask (what the engine sends)."""
    return sorted(session.scalars(select(Quote.term_months).join(
        BatchQuote, BatchQuote.quote_id == Quote.id).where(BatchQuote.batch_id == batch_id)
        .distinct()))


def test_a_deal_is_one_batch_per_ask_sharing_the_first_ones_id(session_factory):
    asks = [deal_store.Ask("Sonata", (12, 36)), deal_store.Ask("Momentum", (12,)),
            deal_store.Ask("Momentum", (36,))]
    with engine_store.in_transaction(session_factory) as session:
        first_alone = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(),
                                               source_name="a.csv")
        ids = deal_store.create_deal(session, fake_import(3), defaults=BatchDefaults(),
                                     source_name="sites.csv", asks=asks, owner="Alice")
    deal = ids[0]
    with session_factory() as session:
        for batch_id in ids:
            assert deal_store.deal_of(session, batch_id) == deal
            assert [b.id for b in deal_store.deal_batches(session, batch_id)] == ids
        batches = deal_store.deal_batches(session, deal)
        assert [(b.provider_name, b.deal_id, b.terms, b.term_months, b.owner) for b in batches] == [
            ("Sonata", deal, [12, 36], 12, "Alice"), ("Momentum", deal, None, 12, "Alice"),
            ("Momentum", deal, None, 36, "Alice")]
        assert [deal_store.batch_terms(b) for b in batches] == [[12, 36], [12], [36]]
        # The same sites in every batch: a site of a deal is its row number.
        assert {b.id: [r.row_number for r in view_store.batch_rows(session, b.id)]
                for b in batches} == {b: [2, 3, 4] for b in ids}
        assert [_terms_asked(session, b) for b in ids] == [[12], [12], [36]]
        # A batch stored alone stays a deal by itself.
        assert deal_store.deal_batches(session, first_alone)[0].deal_id is None
        assert deal_store.deal_of(session, 999) is None
        assert deal_store.deal_batches(session, 999) == []


def test_one_ask_for_one_term_is_a_plain_batch(session_factory):
    with engine_store.in_transaction(session_factory) as session:
        (batch_id,) = deal_store.create_deal(
            session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv",
            asks=[deal_store.Ask(None, (60,))])
    with session_factory() as session:
        (batch,) = deal_store.deal_batches(session, batch_id)
        assert (batch.deal_id, batch.terms, batch.term_months) == (None, None, 60)
        # NULL as the design says (a batch stored before v9), not the JSON text 'null'
        assert session.scalar(text(f"SELECT COUNT(*) FROM batch_job WHERE id = {batch_id} "
                                   "AND terms IS NULL AND deal_id IS NULL")) == 1


def test_the_deals_terms_win_over_a_rows_own_term(session_factory):
    """A row whose sheet says 24 months still asks the deal's terms: else the two Momentum
    batches of a 12 + 36 deal would both ask 24."""
    result = FakeImport([checked_row(2, term_months=24), checked_row(3)])
    with engine_store.in_transaction(session_factory) as session:
        ids = deal_store.create_deal(session, result, defaults=BatchDefaults(), source_name="a.csv",
                                     asks=[deal_store.Ask(None, (12,)), deal_store.Ask(None, (36,))])
    with session_factory() as session:
        assert [_terms_asked(session, b) for b in ids] == [[12], [36]]


def test_a_deal_with_no_term_or_no_quotable_row_stores_nothing(session_factory):
    with pytest.raises(ValueError, match="at least one provider for at least one term"):
        with engine_store.in_transaction(session_factory) as session:
            deal_store.create_deal(session, fake_import(1), defaults=BatchDefaults(),
                                   source_name="a.csv", asks=[deal_store.Ask(None, ())])
    with pytest.raises(batch_store.NothingToQuote):
        with engine_store.in_transaction(session_factory) as session:
            deal_store.create_deal(session, fake_import(0), defaults=BatchDefaults(),
                                   source_name="a.csv", asks=[deal_store.Ask("A", (12,)),
                                                              deal_store.Ask("B", (12,))])
    with session_factory() as session:
        assert view_store.list_batches(session) == []


def test_a_sonata_ask_may_name_a_term_beyond_momentums_four(session_factory):
    with engine_store.in_transaction(session_factory) as session:
        ids = deal_store.create_deal(session, fake_import(1), defaults=BatchDefaults(),
                                     source_name="a.csv",
                                     asks=[deal_store.Ask("Lumen", (48, 12)), deal_store.Ask(None, (36,))])
    with session_factory() as session:
        assert [(b.term_months, b.terms) for b in deal_store.deal_batches(session, ids[0])] == [
            (48, [48, 12]), (36, None)]
        assert [_terms_asked(session, b) for b in ids] == [[48], [36]]
