"""Schema v10 (a deal's rule and the rep's choices, issue 18): a v9 database is upgraded keeping
every batch, on SQLite and PostgreSQL, and takes choices at once; its tables are the same as a
new database's; a v10 database is refused by the v9 release."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from bulkquote_gui.core.deal.rules import Rule
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store.schema import SCHEMA_VERSION, UPGRADES, SchemaError, ensure_schema
from tests.helpers.old_schema import make_v9_database


def test_a_v9_database_keeps_its_batches_and_takes_a_rule(db_url):
    make_v9_database(db_url, batches=2, rows=3)
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION == 10
            assert conn.execute(text("SELECT COUNT(*) FROM batch_quote")).scalar() == 6
            assert conn.execute(text("SELECT COUNT(*) FROM deal_choice")).scalar() == 0
        sf = engine_store.make_session_factory(engine)
        with engine_store.in_transaction(sf) as session:
            choice_store.set_rule(session, 2, Rule("lowest-mrc"), "Alice")
        with sf() as session:
            assert choice_store.deal_rule(session, 2) == (Rule("lowest-mrc"), "Alice")
    finally:
        engine.dispose()


@pytest.mark.backends("sqlite")
def test_the_new_tables_are_the_same_made_new_or_by_the_upgrade(tmp_path):
    def shape(url: str) -> dict:
        engine = engine_store.make_engine(url)
        try:
            found = inspect(engine)
            return {table: (sorted((c["name"], str(c["type"]), c["nullable"])
                                   for c in found.get_columns(table)),
                            found.get_pk_constraint(table)["constrained_columns"],
                            sorted((f["referred_table"], tuple(f["constrained_columns"]),
                                    f["options"].get("ondelete")) for f in found.get_foreign_keys(table)),
                            sorted(i["name"] for i in found.get_indexes(table)))
                    for table in ("deal_rule", "deal_choice")}
        finally:
            engine.dispose()

    new = shape(f"sqlite:///{tmp_path / 'new.sqlite'}")
    make_v9_database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    assert shape(f"sqlite:///{tmp_path / 'old.sqlite'}") == new
    assert new["deal_choice"][1] == ["deal_id", "row_number"]


def test_a_v10_database_is_refused_by_the_v9_release(db_url):
    engine = engine_store.make_engine(db_url)   # a new database: v10
    engine.dispose()
    engine = create_engine(db_url)
    try:
        with pytest.raises(SchemaError, match=r"newer BulkQuote \(schema 10, this one knows up to 9\)"):
            ensure_schema(engine, upgrades=UPGRADES[:8])
    finally:
        engine.dispose()
