"""Schema v8 (provider kinds, lease lanes, the provider table): a v7 database is upgraded keeping
every account, lease and batch, on SQLite (a copy kept first) and PostgreSQL; a v8 database is
refused by the v7 release, as every newer schema is."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect, text

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store import providers as provider_store
from bulkquote_gui.core.store.schema import SCHEMA_VERSION, UPGRADES, SchemaError, ensure_schema
from tests.helpers.old_schema import V7_URL, make_v7_database
from tests.helpers.store_setup import next_open_row

HELD_UNTIL = datetime(2026, 12, 1, 9, 0, 30, tzinfo=timezone.utc)


def test_a_v7_database_keeps_every_account_lease_and_batch(db_url, tmp_path):
    make_v7_database(db_url, batches=2, rows=3)
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
            accounts = conn.execute(text(
                "SELECT id, provider, api_url FROM account ORDER BY id")).all()
            leases = conn.execute(text(
                "SELECT account_id, lane, instance_id, holder, token, waiting FROM account_lease "
                "ORDER BY account_id")).all()
            assert conn.execute(text("SELECT COUNT(*) FROM batch_quote")).scalar() == 6
        assert [tuple(a) for a in accounts] == [(1, "momentum", V7_URL), (2, "momentum", V7_URL)]
        assert [tuple(lease) for lease in leases] == [
            (1, 0, "inst-7", "laptop pid 7 (window)", 5, "api"), (2, 0, "", "", 2, "")]
        found = inspect(engine)
        indexes = {i["name"]: (i["column_names"], bool(i["unique"]))
                   for i in found.get_indexes("account")}
        assert indexes["ux_account_identity"] == (["provider", "api_url", "key_fingerprint"], True)
        assert "ux_account_url_key" not in indexes
        assert found.get_pk_constraint("account_lease")["constrained_columns"] == ["account_id", "lane"]
        assert [fk["referred_table"] for fk in found.get_foreign_keys("account_lease")] == ["account"]

        sf = engine_store.make_session_factory(engine)
        # The same key finds the same account (its fingerprint and salt kept)...
        assert account_store.ensure_account(sf, V7_URL, "key-a").id == 1
        assert account_store.ensure_account(sf, V7_URL, "key-b").id == 2
        # ...and under another kind it is another account, made after them.
        assert account_store.ensure_account(sf, V7_URL, "key-a", provider="toy").id == 3
        with sf() as session:
            lease = account_store.read_lease(session, 1)
            assert (lease.lane, lease.token, lease.expires_at) == (0, 5, HELD_UNTIL)
            assert view_store.get_batch(session, 1).account_id == 1
            assert view_store.get_batch(session, 2).account_id is None
            assert cleanup_store.owed_count(session) == 1
            assert next_open_row(session, 1).idempotency_key == "key-1000"
        # The lease goes on from its token: the holder renews it; after expiry another takes it.
        old = account_store.Holder("inst-7", "laptop pid 7 (window)")
        with sf.begin() as session:
            account_store.renew_lease(session, 1, old, 5, HELD_UNTIL - timedelta(seconds=10), 30)
        later = HELD_UNTIL + timedelta(minutes=5)
        assert account_store.acquire_lease(sf, 1, account_store.Holder("new", "new pid 1 (cli)"), later, 30) == 6
        assert account_store.acquire_lease(sf, 1, account_store.Holder("lane1", "x pid 2 (cli)"), later, 30,
                                   lane=1) == 1
        provider_store.add_provider(sf, "Momentum", "momentum", V7_URL)
        with sf() as session:
            assert [p.name for p in provider_store.list_providers(session)] == ["Momentum"]
    finally:
        engine.dispose()
    if db_url.startswith("sqlite"):   # the copy kept before the upgrade is the v7 file
        (copy,) = tmp_path.glob("store.sqlite.bak-v7-*")
        old_engine = create_engine(f"sqlite:///{copy}")
        try:
            with old_engine.connect() as conn:
                assert conn.execute(text("SELECT version FROM schema_version")).scalar() == 7
                assert conn.execute(text("SELECT COUNT(*) FROM account_lease")).scalar() == 2
        finally:
            old_engine.dispose()


def test_the_v8_step_runs_once_after_v7(db_url):
    make_v7_database(db_url, batches=1, rows=1)
    engine = create_engine(db_url)
    try:
        assert ensure_schema(engine, upgrades=UPGRADES[:7], backup=False) == 8
        assert ensure_schema(engine, upgrades=UPGRADES[:7], backup=False) == 8    # nothing left
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM account_lease")).scalar() == 2
    finally:
        engine.dispose()


def test_a_v8_database_is_refused_by_the_v7_release(db_url):
    from tests.helpers.old_schema import make_v8_database

    make_v8_database(db_url, batches=1, rows=1)
    engine = create_engine(db_url)
    try:
        with pytest.raises(SchemaError, match=r"newer BulkQuote \(schema 8, this one knows up to 7\)"):
            ensure_schema(engine, upgrades=UPGRADES[:6])   # what the v7 release runs at start
    finally:
        engine.dispose()


@pytest.mark.backends("sqlite")
def test_a_new_v8_database_has_the_same_tables_as_an_upgraded_one(tmp_path):
    """Made new or upgraded from v1, the account, lease, provider and option tables are the same (on
    SQLite, where the v8 step makes the lease table again rather than altering it)."""
    from tests.helpers.old_schema import make_v1_database

    def shape(url: str) -> dict:
        engine = engine_store.make_engine(url)
        try:
            found = inspect(engine)
            return {table: (sorted((c["name"], c["nullable"]) for c in found.get_columns(table)),
                            found.get_pk_constraint(table)["constrained_columns"],
                            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                   for i in found.get_indexes(table)))
                    for table in ("account", "account_lease", "provider", "quote_option")}
        finally:
            engine.dispose()

    new = shape(f"sqlite:///{tmp_path / 'new.sqlite'}")
    make_v1_database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    assert shape(f"sqlite:///{tmp_path / 'old.sqlite'}") == new


def test_a_v7_batch_gets_no_provider_name_and_a_new_one_keeps_its_own(db_url):
    """v8 adds batch_job.provider_name: NULL for batches stored before (the unnamed Momentum of
    the API URL), the name given for a batch stored after."""
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from tests.helpers.fakes import fake_import

    make_v7_database(db_url, batches=1, rows=1)
    engine = engine_store.make_engine(db_url)
    try:
        sf = engine_store.make_session_factory(engine)
        with engine_store.in_transaction(sf) as session:
            new = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(),
                                           source_name="b.csv", provider_name="Lumen")
        with engine.connect() as conn:
            names = conn.execute(text("SELECT id, provider_name FROM batch_job ORDER BY id")).all()
        assert [tuple(n) for n in names] == [(1, None), (new, "Lumen")]
    finally:
        engine.dispose()
