"""The store on SQLite and PostgreSQL: engine settings, versioned schema, storing a batch, queries and batch commands."""

from __future__ import annotations

import re
import uuid
from datetime import timezone
from decimal import Decimal

import pytest
from sqlalchemy import inspect, text

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import options as option_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.store.models import BatchQuote, Quote
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store.schema import SCHEMA_VERSION, UPGRADES, SchemaError, ensure_schema
from tests.helpers.fakes import FakeImport, checked_row, fake_import
from tests.helpers.old_schema import make_v1_database, make_v5_database
from tests.helpers.store_setup import claim_unassigned_batches, next_open_row, owe_lost_post


@pytest.fixture
def sf(session_factory):
    """The store on an empty database, once per backend (tests/helpers/backends.py)."""
    return session_factory


@pytest.mark.backends("sqlite")
def test_sqlite_engine_uses_wal_busy_timeout_and_foreign_keys(db_url):
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == SCHEMA_VERSION
    finally:
        engine.dispose()


def test_reopening_keeps_batches(db_url):
    engine = engine_store.make_engine(db_url)
    with engine_store.in_transaction(engine_store.make_session_factory(engine)) as session:
        batch_id = batch_store.create_batch(session, fake_import(2),
                                      defaults=BatchDefaults(), source_name="a.csv")
    engine.dispose()
    engine = engine_store.make_engine(db_url)
    try:
        with engine_store.make_session_factory(engine)() as session:
            assert [b.id for b in view_store.list_batches(session)] == [batch_id]
    finally:
        engine.dispose()


def test_a_version_1_database_is_upgraded_without_losing_batches(db_url):
    make_v1_database(db_url, batches=2, rows=3)
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION >= 3
            for table in ("cleanup_owed", "account", "account_lease", "store_meta"):
                assert conn.dialect.has_table(conn, table)
        sf = engine_store.make_session_factory(engine)
        with sf() as session:
            assert view_store.batch_counts(session, 1)["total"] == 3
            old = view_store.get_batch(session, 2)
            assert (old.owner, old.account_id, old.priority) == ("", None, 0)
        with engine_store.in_transaction(sf) as session:
            cleanup_store.owe_delete(session, "q_1", None)
        account = account_store.ensure_account(sf, "https://api.example/v1", "k")
        assert claim_unassigned_batches(sf, account.id) == 2
        with sf() as session:
            assert cleanup_store.owed_count(session) == 1
            assert view_store.get_batch(session, 1).account_id == account.id
            assert next_open_row(session, 1).idempotency_key == "key-1000"
        with engine_store.in_transaction(sf) as session:
            new_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="b.csv")
        with sf() as session:
            assert new_id == 3 and [b.id for b in view_store.list_batches(session)] == [3, 2, 1]
    finally:
        engine.dispose()


def test_a_version_5_database_keeps_every_row_and_reads_no_address_set(db_url):
    make_v5_database(db_url, batches=2, rows=3)
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
            assert conn.execute(text("SELECT COUNT(*) FROM batch_quote")).scalar() == 6
        # v7: the engine's next row is one index step (batch, status, position) away
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("batch_quote")}
        assert indexes["ix_batch_quote_line"] == ["batch_id", "status", "position"]
        assert "ix_batch_quote_batch_status" not in indexes
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM batch_quote "
                                     "WHERE address_set IS NULL")).scalar() == 6
        sf = engine_store.make_session_factory(engine)
        with sf() as session:
            for batch_id in (1, 2):
                rows = view_store.batch_rows(session, batch_id)
                assert [r.row_number for r in rows] == [2, 3, 4]
                assert [r.address_set for r in rows] == ["", "", ""]
            assert view_store.batch_rows(session, 1)[-1].reused_from == 1000    # v5's column kept
            (skipped,) = view_store.batch_skipped(session, 1)
            assert (skipped.row_number, skipped.reason, skipped.address_set) == (
                99, "ZIP is missing", "")
            assert next_open_row(session, 2).idempotency_key == "key-2000"
        # New rows after the upgrade store their set.
        rows = [checked_row(2), checked_row(3)]
        rows[1].address_set = "Mailing"
        with engine_store.in_transaction(sf) as session:
            new_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="b.csv")
        with sf() as session:
            assert [r.address_set for r in view_store.batch_rows(session, new_id)] == ["", "Mailing"]
    finally:
        engine.dispose()


def test_later_upgrade_steps_run_in_order_once(db_url):
    engine = engine_store.make_engine(db_url)
    sf = engine_store.make_session_factory(engine)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="a.csv")
    applied = []

    def add_note(conn):
        applied.append("add")
        conn.execute(text("ALTER TABLE batch_job ADD COLUMN note TEXT DEFAULT ''"))

    def fill_note(conn):
        applied.append("fill")
        conn.execute(text("UPDATE batch_job SET note = 'upgraded'"))

    steps = UPGRADES + (add_note, fill_note)
    try:
        assert ensure_schema(engine, upgrades=steps) == SCHEMA_VERSION + 2
        assert applied == ["add", "fill"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT note FROM batch_job")).scalar() == "upgraded"
        with sf() as session:
            assert view_store.batch_counts(session, batch_id)["total"] == 3
        ensure_schema(engine, upgrades=steps)
        assert applied == ["add", "fill"], "steps already applied must not run again"
    finally:
        engine.dispose()


def test_database_from_a_newer_release_is_refused(db_url):
    engine = engine_store.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    engine.dispose()
    with pytest.raises(SchemaError, match="newer BulkQuote"):
        engine_store.make_engine(db_url)


def test_create_batch_stores_rows_leads_quotes_and_keys(sf):
    result = FakeImport([checked_row(2, company="Acme Dental"),
                         checked_row(3, bandwidth_mbps=500, term_months=60, product="ETHERNET"),
                         checked_row(4)])
    result.rows[2].status = result.rows[2].status.INVALID  # not quotable: not stored
    defaults = BatchDefaults(bandwidth_mbps=200, term_months=24, company="Default Co")
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, result, defaults=defaults, source_name="sites.xlsx")
    with sf() as session:
        rows = session.query(BatchQuote).order_by(BatchQuote.position).all()
        assert [r.row_number for r in rows] == [2, 3]
        assert all(r.status == "pending" and r.attempts == 0 for r in rows)
        keys = [r.idempotency_key for r in rows]
        assert len(set(keys)) == 2 and all(uuid.UUID(k).version == 4 for k in keys)
        assert rows[0].original["Address"] == "2 Main St"
        assert rows[0].quote.lead.company == "Acme Dental"
        assert rows[1].quote.lead.company == "Default Co"
        assert (rows[0].quote.bandwidth_mbps, rows[0].quote.term_months, rows[0].quote.product) == (200, 24, "DIA")
        assert (rows[1].quote.bandwidth_mbps, rows[1].quote.term_months, rows[1].quote.product) == (500, 60, "ETHERNET")
        summary = view_store.get_batch(session, batch_id)
        assert summary.status == "pending" and summary.source_name == "sites.xlsx"
        assert summary.created_at.tzinfo == timezone.utc
        assert view_store.batch_columns(session, batch_id) == ["Site", "Address", "City", "ST", "Zip", "Note"]


def test_company_falls_back_to_file_stem(sf):
    with engine_store.in_transaction(sf) as session:
        batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="/x/Acme Sites.xlsx")
    with sf() as session:
        assert session.query(BatchQuote).one().quote.lead.company == "Acme Sites"


def test_create_batch_is_all_or_nothing(sf):
    rows = [checked_row(2), checked_row(3), checked_row(4)]
    rows[2].service = {"bandwidth_mbps": "not a number"}  # fails half-way through
    with pytest.raises(ValueError):
        with engine_store.in_transaction(sf) as tx:
            batch_store.create_batch(tx, FakeImport(rows), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        assert view_store.list_batches(session) == []
        assert session.query(BatchQuote).count() == 0 and session.query(Quote).count() == 0


def test_nothing_quotable_stores_nothing(sf):
    with pytest.raises(batch_store.NothingToQuote):
        with engine_store.in_transaction(sf) as tx:
            batch_store.create_batch(tx, FakeImport([]), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        assert view_store.list_batches(session) == []


def test_money_keeps_every_digit(sf, db_url):
    with engine_store.in_transaction(sf) as session:
        batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf.begin() as session:
        session.query(Quote).one().mrc = Decimal("12345678.91")
    with sf() as session:
        assert str(session.query(Quote).one().mrc) == "12345678.91"
    with sf() as session:
        raw = session.execute(text("SELECT mrc FROM quote")).scalar()
    # SQLite: exact text, never a binary float; PostgreSQL: NUMERIC(14, 2)
    assert raw == ("12345678.91" if db_url.startswith("sqlite") else Decimal("12345678.91"))


@pytest.mark.parametrize("given, kept", [
    (Decimal("360.48"), "360.48"), (Decimal("360.4800"), "360.48"), (Decimal("899.1"), "899.10"),
    (Decimal("0"), "0.00"), (0, "0.00"), (12, "12.00"), ("7.5", "7.50"),
    (Decimal("0.125"), "0.12"), (Decimal("0.135"), "0.14"), (Decimal("2.675"), "2.68"),
    (Decimal("-1.005"), "-1.00"), (Decimal("99999999999.999"), "100000000000.00"),
])
def test_money_has_two_decimals_rounded_half_even(sf, given, kept):
    with engine_store.in_transaction(sf) as session:
        batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf.begin() as session:
        quote = session.query(Quote).one()
        quote.mrc, quote.nrc = given, None
    with sf() as session:
        quote = session.query(Quote).one()
        assert isinstance(quote.mrc, Decimal) and str(quote.mrc) == kept
        assert quote.nrc is None


@pytest.mark.backends("postgresql")
def test_money_column_is_numeric_14_2_on_postgresql(sf):
    with sf() as session:
        columns = session.execute(text(
            "SELECT table_name, column_name, data_type, numeric_precision, numeric_scale "
            "FROM information_schema.columns WHERE column_name IN ('mrc', 'nrc') "
            "ORDER BY table_name, column_name")).all()
    assert [tuple(c) for c in columns] == [
        (table, column, "numeric", 14, 2)
        for table in ("quote", "quote_option") for column in ("mrc", "nrc")]


@pytest.mark.backends("sqlite")
def test_money_written_by_an_older_release_reads_back_with_two_decimals(sf, db_url):
    with engine_store.in_transaction(sf) as session:
        batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
    with sf.begin() as session:  # as earlier releases stored it: every digit, as given
        session.execute(text("UPDATE quote SET mrc = CASE WHEN id = 1 THEN '360.4800' "
                             "ELSE '899.1' END, nrc = '0'"))
    with sf() as session:
        quotes = session.query(Quote).order_by(Quote.id).all()
        assert [(str(q.mrc), str(q.nrc)) for q in quotes] == [("360.48", "0.00"), ("899.10", "0.00")]


def test_list_and_unfinished_batches(sf):
    with engine_store.in_transaction(sf) as session:
        ids = [batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name=f"{i}.csv")
               for i in range(4)]
    with engine_store.in_transaction(sf) as session:
        batch_store.mark_paused(session, ids[1])
    with engine_store.in_transaction(sf) as session:
        batch_store.request_cancel(session, ids[2])
    with sf() as session:
        assert [b.id for b in view_store.list_batches(session)] == ids[::-1]
        assert [b.id for b in view_store.list_batches(session, limit=2)] == ids[:1:-1][:2]
        assert view_store.unfinished_batch_ids(session) == [ids[0], ids[3]]
        assert view_store.list_batches(session)[1].counts == {
            "total": 2, "pending": 0, "active": 0, "complete": 0, "failed": 0, "cancelled": 2}
    with engine_store.in_transaction(sf) as session:
        assert batch_store.resume_batch(session, ids[1])
    with sf() as session:
        assert view_store.unfinished_batch_ids(session) == [ids[0], ids[1], ids[3]]


def test_cancel_returns_in_flight_quotes_and_spares_finished_batches(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        first = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_submitting(session, first, first.submitted_at or _now())
    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_polling(session, first.id, "q_1")
    with engine_store.in_transaction(sf) as session:
        assert batch_store.request_cancel(session, batch_id) == [("q_1", first.id)]
    with sf() as session:
        assert [r.status for r in view_store.batch_rows(session, batch_id)] == ["cancelled"] * 3
        assert view_store.get_batch(session, batch_id).status == "cancelled"
    with engine_store.in_transaction(sf) as session:
        assert batch_store.request_cancel(session, batch_id) == []  # already finished: nothing to do


def test_running_batch_cancel_leaves_the_in_flight_row_to_the_engine(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        first = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, first, _now())
    with engine_store.in_transaction(sf) as session:
        assert batch_store.request_cancel(session, batch_id, include_active=False) == []
    with sf() as session:
        assert [r.status for r in view_store.batch_rows(session, batch_id)] == ["submitting", "cancelled"]


def test_retry_failed_gives_new_keys_keeps_attempts_and_reopens_batch(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        row_store.mark_polling(session, row.id, "q_9")
    with engine_store.in_transaction(sf) as session:
        row_store.mark_failed(session, row.id, "timeout", "no answer in time", _now(), "failed")
    with sf() as session:
        other = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_cancelled(session, other.id, _now())
    with engine_store.in_transaction(sf) as session:
        batch_store.finish_batch(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        assert batch_store.retry_failed(session, batch_id) == 1  # a timeout can change; see below for one that cannot
    with sf() as session:
        again = work_store.load_row(session, row.id)
        assert again.status == "pending" and again.attempts == 1
        assert again.idempotency_key != row.idempotency_key and again.remote_id is None
        view = view_store.batch_rows(session, batch_id)[0]
        assert view.error_code is None and view.carrier is None
        assert view_store.get_batch(session, batch_id).status == "pending"
        assert view_store.batch_rows(session, batch_id)[1].status == "cancelled"


def test_retry_leaves_failures_a_retry_cannot_change(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        row_store.mark_failed(session, row.id, "no_coverage", "no carrier", _now())
    with engine_store.in_transaction(sf) as session:
        batch_store.finish_batch(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        assert batch_store.retry_failed(session, batch_id) == 0
    with sf() as session:
        assert view_store.get_batch(session, batch_id).status == "complete"


def test_quote_rest_reopens_a_cancelled_batch_only(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
    with engine_store.in_transaction(sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 0  # not cancelled: nothing to go on with
    with engine_store.in_transaction(sf) as session:
        batch_store.request_cancel(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 2
    with sf() as session:
        assert view_store.get_batch(session, batch_id).status == "pending"
        assert [r.status for r in view_store.batch_rows(session, batch_id)] == ["pending", "pending"]


def test_transitions_are_conditional(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        batch_store.request_cancel(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        assert not row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        assert not row_store.mark_failed(session, row.id, "x", "y", _now())
    with sf() as session:
        assert work_store.load_row(session, row.id).status == "cancelled"


def test_request_body_is_the_contracts_shape(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(7, company="Acme")]),
                                      defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    assert row.request == {
        "reference": f"{account_store.install_id(sf)}/batch-{batch_id}/row-7",
        "customer": {"company": "Acme"},
        "location": {"street": "7 Main St", "city": "Austin", "state": "TX",
                     "postal_code": "78701", "country": "US"},
        "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36},
    }


def _now():
    from tests.helpers.fakes import START
    return START


def test_a_replayed_key_stores_the_quote_id_with_its_row_unless_the_row_was_retried(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        first = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, first, _now())
    with engine_store.in_transaction(sf) as session:
        row_store.mark_failed(session, first.id, "timeout", "no quote", _now())
    owe_lost_post(sf, first.id, first.idempotency_key)
    owe_lost_post(sf, first.id, "an-older-key")  # from before a retry
    with sf() as session:
        older, current = sorted(work_store.owed_cleanup(session), key=lambda o: o.idempotency_key != "an-older-key")
    with engine_store.in_transaction(sf) as session:
        cleanup_store.owed_settled(session, older.id, now_delete="q_old")
    with sf() as session:
        assert work_store.load_row(session, first.id).remote_id is None
    with engine_store.in_transaction(sf) as session:
        cleanup_store.owed_settled(session, current.id, now_delete="q_7")
    with sf() as session:
        assert work_store.load_row(session, first.id).remote_id == "q_7"
        assert {o.remote_id for o in work_store.owed_cleanup(session)} == {"q_old", "q_7"}


def test_cancelling_a_row_left_submitting_owes_a_replay_of_its_key(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        first = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, first, _now())
    with engine_store.in_transaction(sf) as session:
        assert batch_store.request_cancel(session, batch_id) == []  # no remote id to DELETE ...
    with sf() as session:
        owed = work_store.owed_cleanup(session)  # ... but its key to replay
    assert [(o.row_id, o.idempotency_key, o.remote_id) for o in owed] == \
        [(first.id, first.idempotency_key, None)]
    assert owed[0].request == first.request


def test_mark_cancelled_owes_a_replay_only_when_it_cancels_the_row(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_cancelled(session, row.id, _now(), owe_replay=True)
    with engine_store.in_transaction(sf) as session:
        assert not row_store.mark_cancelled(session, row.id, _now(), owe_replay=True)
    with sf() as session:
        assert cleanup_store.owed_count(session) == 1


def test_a_row_failed_with_a_replay_owed_writes_both_at_once(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_failed(session, row.id, "timeout", "no quote", _now(), owe_replay=True)
    with engine_store.in_transaction(sf) as session:
        assert not row_store.mark_failed(session, row.id, "timeout", "no quote", _now(), owe_replay=True)
    with sf() as session:
        assert [o.idempotency_key for o in work_store.owed_cleanup(session)] == [row.idempotency_key]


def test_references_name_the_install_so_two_databases_never_collide(tmp_path):
    refs = []
    for name in ("a", "b"):
        engine = engine_store.make_engine(f"sqlite:///{tmp_path / name}.sqlite")
        sf = engine_store.make_session_factory(engine)
        with engine_store.in_transaction(sf) as tx:
            batch_id = batch_store.create_batch(tx, fake_import(1), defaults=BatchDefaults(), source_name="x.csv")
        with sf() as session:
            refs.append(next_open_row(session, batch_id).reference)
        assert account_store.install_id(sf) == account_store.install_id(sf)  # made once, kept
        engine.dispose()
    assert refs[0] != refs[1]
    assert all(re.fullmatch(r"bq-[0-9a-f]{6}/batch-1/row-2", r) for r in refs)


# --------------------------------------------------------------------------- the engine's reads

def _complete(quote_id: str, *carriers_and_mrcs: tuple[str, str]):
    from datetime import date

    from bulkquote_gui.core.quoting.momentum import QuoteOption, QuoteResult, RemoteQuote

    options = tuple(QuoteOption(c, "DIA", 1000, 36, Decimal(m), Decimal("0"), "USD", 30,
                                "on_net", False) for c, m in carriers_and_mrcs)
    return RemoteQuote(quote_id, "complete", None, QuoteResult(options, 0, date(2099, 12, 29)),
                       None, None, _now(), _now())


def test_the_line_ahead_is_the_next_pending_row_in_turn_with_what_is_owed(sf):
    account = account_store.ensure_account(sf, "https://api.example/v1", "k")
    with engine_store.in_transaction(sf) as session:
        a = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="a.csv")
    claim_unassigned_batches(sf, account.id)
    with engine_store.autocommit(sf) as session:
        ahead = work_store.line_ahead(session, account.id)
    assert (ahead.row.batch_id, ahead.row.row_number, ahead.owed) == (a, 2, 0)
    assert not ahead.row.takes_turn          # alone in the line: a turn would change nothing
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, ahead.row, _now())
    with engine_store.in_transaction(sf) as session:
        row_store.mark_complete(session, ahead.row.id, _complete("q_1", ("Lumen", "10")), _now())
    with engine_store.in_transaction(sf) as session:
        b = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="b.csv")
    claim_unassigned_batches(sf, account.id)
    with engine_store.in_transaction(sf) as session:
        cleanup_store.owe_delete(session, "q_9", None)
    with engine_store.autocommit(sf) as session:
        ahead = work_store.line_ahead(session, account.id)
    # a (turn 0, first by id) has row 3 next; b waits, so a's submit takes a turn
    assert (ahead.row.batch_id, ahead.row.row_number, ahead.owed) == (a, 3, 1)
    assert ahead.row.takes_turn
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, ahead.row, _now())
    with engine_store.autocommit(sf) as session:
        assert work_store.line_ahead(session, account.id).row.batch_id == b   # b's turn now
        assert work_store.line_ahead(session, account.id, only_batch=a).row.row_number == 4
        # a row in flight is next_row_for_account's first answer (a run's first read)
        assert work_store.next_row_for_account(session, account.id).status == "submitting"


def test_a_row_event_carries_its_batch_counts(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        row_store.mark_complete(session, row.id, _complete("q_1", ("Lumen", "818.5")), _now())
    with sf() as session:
        fields = row_store.row_event_fields(session, row.id)
        assert fields["counts"] == view_store.batch_counts(session, batch_id)
    assert fields["counts"]["complete"] == 1 and fields["counts"]["pending"] == 2
    offer = fields["offer"]
    assert (fields["status"], offer.carrier, str(offer.mrc)) == ("complete", "Lumen", "818.50")


@pytest.mark.parametrize("was", ["submitting", "polling", "pending"])
@pytest.mark.parametrize("carriers", [(("Lumen", "818.505"), ("Zayo", "20")), ()])
def test_a_result_says_what_the_store_has_after_it(sf, was, carriers):
    """`complete` writes the result and gives its event's fields (on PostgreSQL from the one
    statement that wrote it, its counts read before the row moved): the same as a read after."""
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with sf.begin() as session:
        session.execute(text("UPDATE batch_quote SET status = :s WHERE id = :r"), {"s": was, "r": row.id})
    remote = _complete("q_1", *carriers)   # no carriers: priced, but no option came with it
    with engine_store.in_transaction(sf) as session:
        fields = row_store.complete(session, row.id, remote, _now())
    with sf() as session:
        assert fields == row_store.row_event_fields(session, row.id)
    assert (fields["status"], fields["counts"]["complete"], fields["counts"]["total"]) == ("complete", 1, 3)
    offer = fields["offer"]
    if carriers:
        assert (offer.carrier, str(offer.mrc)) == ("Lumen", "818.50")   # as stored: cents
    else:
        assert offer is None
    with engine_store.in_transaction(sf) as session:   # the row has moved on: nothing written
        assert row_store.complete(session, row.id, _complete("q_2", ("Cogent", "1")), _now()) is None
    with sf() as session:
        assert row_store.row_event_fields(session, row.id) == fields


@pytest.mark.parametrize("only", [False, True])
def test_a_result_reads_the_line_ahead_in_its_statement_on_postgresql(sf, db_backend, only):
    """On PostgreSQL the result's one statement also reads the account's next pending row (the
    engine's next read, without a round trip of its own): the row line_ahead finds after it."""
    account = account_store.ensure_account(sf, "https://api.example/v1", "k")
    with engine_store.in_transaction(sf) as session:
        a = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="a.csv")
        b = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="b.csv")
    claim_unassigned_batches(sf, account.id)
    with engine_store.in_transaction(sf) as session:
        cleanup_store.owe_delete(session, "q_9", None)
    with engine_store.autocommit(sf) as session:
        row = work_store.line_ahead(session, account.id).row
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    line = work_store.line_params(account.id, a if only else None)
    with engine_store.in_transaction(sf) as session:
        fields = row_store.complete(session, row.id, _complete("q_1", ("Lumen", "10")), _now(), line=line)
    with engine_store.autocommit(sf) as session:
        after = work_store.line_ahead(session, account.id, only_batch=a if only else None, counts=False)
    if db_backend == "sqlite":
        assert "ahead" not in fields   # read by line_ahead, a statement of its own
    else:
        assert fields["ahead"] == after and (after.row.batch_id, after.owed) == ((a if only else b), 1)
    with engine_store.in_transaction(sf) as session:   # none pending in the batch: None
        row_store.mark_submitting(session, after.row, _now())
    with engine_store.in_transaction(sf) as session:
        last = row_store.complete(session, after.row.id, _complete("q_2", ("Lumen", "10")), _now(),
                                  line=work_store.line_params(account.id, after.row.batch_id))
    assert last.get("ahead") is None


def test_a_result_replaces_options_its_quote_had(sf):
    """Every way back to an open row clears its options; were some there all the same (an
    older release, a hand-edited database), the result replaces them, never adds to them."""
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        row_store.mark_submitting(session, row, _now())
    with engine_store.in_transaction(sf) as session:
        row_store.mark_complete(session, row.id, _complete("q_1", ("Lumen", "10"), ("Zayo", "20")), _now())
    with sf.begin() as session:   # back to polling by hand, its two options left behind
        session.execute(text("UPDATE batch_quote SET status = 'polling' WHERE id = :r"), {"r": row.id})
    with engine_store.in_transaction(sf) as session:
        row_store.mark_complete(session, row.id, _complete("q_1", ("Cogent", "30")), _now())
    with sf() as session:
        options = option_store.batch_options(session, batch_id)
    assert [o.carrier for o in options] == ["Cogent"]
