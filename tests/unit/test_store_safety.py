"""The store's safety: a full disk or a read-only database pauses the batch and it goes on by
itself; a copy before every upgrade; a damaged database set aside, never overwritten."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.events import BatchEvent, WaitEvent
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import safety as safety_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store.schema import SCHEMA_VERSION, SchemaError, ensure_schema
from tests.helpers.fakes import FakeClock, FakeMomentum, fake_import
from tests.helpers.old_schema import make_v1_database


class WriteCue:
    """Makes the store refuse writes on cue, the way SQLite itself does.

    "readonly": PRAGMA query_only on every checked-out connection (SQLite's own
    SQLITE_READONLY, "attempt to write a readonly database"). "full": every INSERT/UPDATE/DELETE
    fails with SQLITE_FULL ("database or disk is full"), except, with `spare_batches`, those on
    batch_job (so the pause itself can be recorded, as a nearly full disk often allows).
    """

    def __init__(self, engine) -> None:
        self.mode: str | None = None
        self.spare_batches = False
        self.refused = 0
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "before_cursor_execute", self._before)

    def _checkout(self, dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.execute(f"PRAGMA query_only={1 if self.mode == 'readonly' else 0}")

    def _before(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        words = statement.lstrip().upper()
        if self.mode == "readonly" and words.startswith(("INSERT", "UPDATE", "DELETE")):
            self.refused += 1
        if self.mode != "full" or not words.startswith(("INSERT", "UPDATE", "DELETE")):
            return
        if self.spare_batches and "BATCH_JOB" in words.split("WHERE")[0]:
            return
        self.refused += 1
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode, exc.sqlite_errorname = 13, "SQLITE_FULL"
        raise exc


@pytest.fixture
def engine(tmp_path):
    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'bulkquote.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def h(engine):
    clock = FakeClock()
    harness = type("H", (), {})()
    harness.sf = engine_store.make_session_factory(engine)
    harness.clock = clock
    harness.api = FakeMomentum(clock)
    harness.cue = WriteCue(engine)
    harness.events = []
    harness.processor = lambda: Processor(harness.sf, harness.api, clock=clock,
                                          on_event=harness.events.append,
                                          config=EngineConfig(), rng=random.Random(3))
    return harness


def _rows(h, batch_id):
    with h.sf() as session:
        return view_store.batch_rows(session, batch_id)


def _status(h, batch_id):
    with h.sf() as session:
        return view_store.get_batch(session, batch_id)


def _cue_after_post(h, number: int, mode: str, *, lift_after_waits: int, seen: dict) -> None:
    """The store refuses writes right after the POST of the `number`th quote, until the engine
    has waited `lift_after_waits` times; what the store says meanwhile goes into `seen`."""
    posts = []

    def after_call(method, _what):
        if method == "POST":
            posts.append(1)
            if len(posts) == number:
                h.cue.mode = mode
    h.api.after_call = after_call
    waits = []

    def on_wait(_seconds):
        if h.cue.mode is None:
            return
        waits.append(1)
        if len(waits) == 2:
            seen["batch"] = _status(h, seen["id"])
            seen["rows"] = [r.status for r in _rows(h, seen["id"])]
        if len(waits) >= lift_after_waits:
            h.cue.mode = None
    h.clock.on_wait = on_wait


@pytest.mark.parametrize("mode, sentence", [
    ("readonly", "the database cannot be written (it is read-only)"),
    ("full", "the disk that holds the database is full"),
])
def test_a_store_refusing_writes_holds_the_batch_and_it_goes_on_by_itself(h, mode, sentence):
    with engine_store.in_transaction(h.sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(4), defaults=BatchDefaults(), source_name="t.csv")
    seen = {"id": batch_id}
    _cue_after_post(h, 2, mode, lift_after_waits=6, seen=seen)
    assert h.processor().run_batch(batch_id) == "complete"
    rows = _rows(h, batch_id)
    assert [r.status for r in rows] == ["complete"] * 4
    for row in rows:   # the POST whose answer could not be recorded was replayed by its key
        assert len(h.api.created_for(f"batch-{batch_id}/row-{row.row_number}")) == 1
    assert h.cue.refused > 0
    # Meanwhile: nothing recorded was lost, the row in hand kept its state (re-POSTed later).
    assert seen["rows"] == ["complete", "submitting", "pending", "pending"]
    paused = [e for e in h.events if isinstance(e, BatchEvent) and e.status == "paused"]
    assert paused and paused[0].message.startswith(f"paused: {sentence};")
    assert "goes on by itself" in paused[0].message
    waits = [(e.reason, e.message) for e in h.events if isinstance(e, WaitEvent)]
    assert waits[0][0] == "store" and sentence in waits[0][1]
    assert waits[-1][0] == ""   # the wait is over
    statuses = [e.status for e in h.events if isinstance(e, BatchEvent)]
    assert statuses[-2:] == ["running", "complete"]


def test_the_pause_is_recorded_when_the_store_still_takes_it_and_undone_after(h):
    with engine_store.in_transaction(h.sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(3), defaults=BatchDefaults(), source_name="t.csv")
    h.cue.spare_batches = True
    seen = {"id": batch_id}
    _cue_after_post(h, 1, "full", lift_after_waits=5, seen=seen)
    assert h.processor().run_batch(batch_id) == "complete"
    assert seen["batch"].status == "paused"
    assert seen["batch"].status_message.startswith("paused: the disk that holds the database is full")
    assert _status(h, batch_id).status_message == ""
    assert [r.status for r in _rows(h, batch_id)] == ["complete"] * 3


def test_a_batch_the_rep_paused_is_not_resumed_by_the_store_coming_back(h):
    with engine_store.in_transaction(h.sf) as session:
        mine = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="a.csv")
    with engine_store.in_transaction(h.sf) as session:
        store_paused = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="b.csv")
    with engine_store.in_transaction(h.sf) as session:
        batch_store.mark_paused(session, mine, "paused by the user")
    with engine_store.in_transaction(h.sf) as session:
        batch_store.mark_paused(session, store_paused, safety_store.StoreUnavailable(safety_store.FULL).pause_message())
    assert safety_store.resume_store_paused(h.sf, None) == [store_paused]
    assert _status(h, mine).status == "paused"
    assert _status(h, store_paused).status == "pending"


def test_stop_while_waiting_for_the_store_leaves_at_once(h):
    with engine_store.in_transaction(h.sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(2), defaults=BatchDefaults(), source_name="t.csv")
    p = h.processor()
    h.api.after_call = lambda method, _what: setattr(h.cue, "mode", "readonly")
    waits = []
    h.clock.on_wait = lambda s: (waits.append(s), len(waits) == 4 and p.stop())
    assert p.run_batch(batch_id) in ("running", "paused")
    assert p.last_result.stopped
    h.cue.mode = None
    assert [r.status for r in _rows(h, batch_id)] == ["submitting", "pending"]


def test_a_bug_in_the_store_is_not_taken_for_a_full_disk(h, monkeypatch):
    with engine_store.in_transaction(h.sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="t.csv")

    def broken(*_args, **_kw):
        raise OperationalError("UPDATE x", {}, sqlite3.OperationalError("no such column: nope"))
    monkeypatch.setattr(row_store, "mark_polling", broken)
    with pytest.raises(OperationalError, match="no such column"):
        h.processor().run_batch(batch_id)


@pytest.mark.parametrize("message, kind", [
    ("database or disk is full", "full"),
    ("attempt to write a readonly database", "readonly"),
    ("database is locked", "locked"),
    ('could not extend file "base/16384/2619": No space left on device', "full"),
    ("cannot execute UPDATE in a read-only transaction", "readonly"),
    ("no such table: batch_job", None),
    ("UNIQUE constraint failed: batch_quote.idempotency_key", None),
])
def test_environment_errors_are_told_apart_from_bugs(message, kind):
    wrapped = OperationalError("UPDATE batch_job SET ...", {}, sqlite3.OperationalError(message))
    found = safety_store.classify(wrapped)
    assert (found.kind if found else None) == kind


def test_sqlite_error_codes_decide_before_the_text():
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorcode = 13 | (0 << 8)
    assert safety_store.classify(exc).kind == "full"
    exc.sqlite_errorcode = 8 | (3 << 8)   # SQLITE_READONLY_ROLLBACK
    assert safety_store.classify(exc).kind == "readonly"
    exc.sqlite_errorcode = 1
    assert safety_store.classify(exc) is None


def test_postgres_sqlstates_are_known():
    class DiskFull(Exception):
        sqlstate = "53100"
    assert safety_store.classify(OperationalError("INSERT", {}, DiskFull("whatever"))).kind == "full"


def test_a_read_only_database_file_is_found_by_the_probe(tmp_path):
    path = tmp_path / "ro.sqlite"
    engine = engine_store.make_engine(f"sqlite:///{path}")
    try:
        assert safety_store.probe_writable(engine) is None
        event.listen(engine, "checkout", lambda c, *_: c.execute("PRAGMA query_only=1"))
        engine.dispose()
        problem = safety_store.probe_writable(engine)
        assert problem is not None and problem.kind == "readonly"
    finally:
        engine.dispose()


# ------------------------------------------------------------------ copies and damage

def test_an_upgrade_keeps_a_copy_of_the_database_first(tmp_path):
    path = tmp_path / "bulkquote.sqlite"
    make_v1_database(f"sqlite:///{path}", batches=2, rows=3)
    engine = engine_store.make_engine(f"sqlite:///{path}")
    engine.dispose()
    copies = sorted(tmp_path.glob("bulkquote.sqlite.bak-v1-*"))
    assert len(copies) == 1 and not list(tmp_path.glob("*.bak-*-wal"))
    old = sqlite3.connect(copies[0])
    try:
        assert old.execute("SELECT version FROM schema_version").fetchone() == (1,)
        assert old.execute("SELECT count(*) FROM batch_job").fetchone() == (2,)
        assert old.execute("PRAGMA quick_check").fetchone() == ("ok",)
    finally:
        old.close()
    engine = engine_store.make_engine(f"sqlite:///{path}")   # up to date: no second copy
    engine.dispose()
    assert len(list(tmp_path.glob("bulkquote.sqlite.bak-*"))) == 1


def test_no_copy_no_upgrade(tmp_path, monkeypatch):
    path = tmp_path / "bulkquote.sqlite"
    make_v1_database(f"sqlite:///{path}")

    def no_space(*_args, **_kw):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(safety_store, "backup_sqlite", no_space)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(SchemaError, match="no copy of it could be kept"):
            ensure_schema(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalar() == 1
    finally:
        engine.dispose()


def _damage(path) -> None:
    """Overwrite the middle of a sound database's pages (the header stays valid)."""
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - 16, page):
        data[offset:offset + 64] = b"\xA5" * 64
    path.write_bytes(bytes(data))


def test_a_damaged_database_is_set_aside_and_a_fresh_one_made(tmp_path, capsys):
    path = tmp_path / "bulkquote.sqlite"
    engine = engine_store.make_engine(f"sqlite:///{path}")
    sf = engine_store.make_session_factory(engine)
    for _ in range(3):
        with engine_store.in_transaction(sf) as session:
            batch_store.create_batch(session, fake_import(40), defaults=BatchDefaults(), source_name="t.csv")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    _damage(path)
    damaged_bytes = path.read_bytes()
    assert safety_store.damage(path) is not None

    engine = engine_store.make_engine(f"sqlite:///{path}")
    try:
        notices = safety_store.startup_notices(engine)
        assert notices == safety_store.startup_notices(engine_store.make_session_factory(engine))
        aside = list(tmp_path.glob("bulkquote.sqlite-damaged-*"))
        assert len(aside) == 1 and aside[0].read_bytes() == damaged_bytes   # kept as it was
        assert len(notices) == 1 and str(aside[0]) in notices[0] and "set aside" in notices[0]
        assert str(aside[0]) in capsys.readouterr().err   # what the CLI prints
        with engine_store.make_session_factory(engine)() as session:
            assert view_store.list_batches(session) == []    # a fresh, working database
    finally:
        engine.dispose()


def test_a_file_that_is_no_database_is_set_aside_too(tmp_path):
    path = tmp_path / "bulkquote.sqlite"
    path.write_bytes(b"PK\x03\x04 this is a spreadsheet saved over the database" * 100)
    engine = engine_store.make_engine(f"sqlite:///{path}")
    try:
        assert "not a database" in safety_store.startup_notices(engine)[0]
        assert len(list(tmp_path.glob("bulkquote.sqlite-damaged-*"))) == 1
    finally:
        engine.dispose()


def test_a_sound_database_is_left_alone_and_says_nothing(tmp_path, engine):
    path = tmp_path / "bulkquote.sqlite"
    assert safety_store.damage(path) is None
    again = engine_store.make_engine(f"sqlite:///{path}")
    try:
        assert safety_store.startup_notices(again) == ()
        assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name or "bak" in p.name) == []
    finally:
        again.dispose()


def test_a_fresh_database_is_at_the_latest_schema(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION


def test_a_file_of_another_kind_named_by_mistake_is_not_renamed(tmp_path):
    sheet = tmp_path / "sites.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\x00" * 2000)
    with pytest.raises(Exception, match="not a database"):
        engine_store.make_engine(f"sqlite:///{sheet}")
    assert sheet.exists() and not list(tmp_path.glob("*damaged*"))


def test_the_sql_text_of_an_error_never_decides_what_it_is():
    bug = OperationalError("UPDATE batch_job SET status_message = ?",
                           ("database or disk is full",), sqlite3.OperationalError("no such column: x"))
    assert "database or disk is full" in str(bug)
    assert safety_store.classify(bug) is None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_database_out_of_reach_is_an_outage_not_a_bug(tmp_path):
    import psycopg
    from psycopg import errors

    try:   # a real refused connection: psycopg's OperationalError, no SQLSTATE
        psycopg.connect(host="127.0.0.1", port=_free_port(), user="x", connect_timeout=5)
    except psycopg.OperationalError as exc:
        refused = exc
    try:   # a real SQLite file whose folder is gone (an unmounted share): SQLITE_CANTOPEN
        sqlite3.connect(str(tmp_path / "gone" / "store.sqlite"))
    except sqlite3.OperationalError as exc:
        cantopen = exc
    outages = [refused, OperationalError("SELECT 1", {}, refused), cantopen,
               errors.AdminShutdown("terminating connection due to administrator command"),
               errors.CrashShutdown("terminating connection because of crash of another process"),
               errors.CannotConnectNow("the database system is starting up"),
               errors.ConnectionFailure("connection failure"),
               OperationalError("SELECT 1", {}, sqlite3.OperationalError("x"),
                                connection_invalidated=True)]
    for exc in outages:
        found = safety_store.classify(exc)
        assert found is not None and found.kind == "unreachable" and found.outage, exc
        assert found.sentence == "the database cannot be reached"
    for bug in (errors.UndefinedColumn('column "x" does not exist'),
                errors.SyntaxError("syntax error"), psycopg.ProgrammingError("bad")):
        assert safety_store.classify(OperationalError("SELECT x", {}, bug)) is None, bug
    assert safety_store.StoreUnavailable("locked").outage       # a lock passes: waited for too
    assert not safety_store.StoreUnavailable("full").outage     # a full disk pauses the batch
