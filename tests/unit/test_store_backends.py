"""The store on SQLite and PostgreSQL: URLs and passwords, the schema lock, leases, money.

Tests taking `db_url`/`session_factory` run once per backend (tests/helpers/backends.py); the
PostgreSQL ones use the session's throwaway server. The password tests give that server a role
that must log in with a password, so the keyring, PGPASSWORD and ~/.pgpass are tried for real.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import timedelta
from decimal import Decimal

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store.engine import (
    KEYRING_SERVICE,
    POSTGRES_CONNECT_TIMEOUT_S,
    keyring_username,
    public_url,
    save_database_password,
)
from bulkquote_gui.core.store.schema import SCHEMA_VERSION
from bulkquote_gui.services.runtime import open_runtime
from bulkquote_gui.services.settings import Settings, load_settings, save_settings, settings_path
from tests.helpers.fakes import START, fake_import

SECRET = "s3cret-Pa55"


# --------------------------------------------------------------------------- keyrings

class MemoryKeyring(KeyringBackend):
    """A keyring that keeps its passwords in a dict (tests only)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


class BrokenKeyring(KeyringBackend):
    """A keyring whose every call fails, as a locked or unreachable one does."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("the keyring is locked")


@pytest.fixture
def use_keyring():
    """Install a keyring backend for one test, and put the previous one back after."""
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(use_keyring) -> MemoryKeyring:
    return use_keyring(MemoryKeyring())


# --------------------------------------------------------------------------- URLs (no server)

@pytest.mark.parametrize("url, shown", [
    ("postgresql+psycopg://ann:" + SECRET + "@db.team.example:5433/quotes",
     "postgresql+psycopg://ann@db.team.example:5433/quotes"),
    ("postgresql+psycopg://ann:p%40ss%2Fw@db.example/quotes?sslmode=require",
     "postgresql+psycopg://ann@db.example/quotes?sslmode=require"),
    ("postgresql+psycopg://ann@db.example/quotes?password=" + SECRET + "&sslmode=require",
     "postgresql+psycopg://ann@db.example/quotes?sslmode=require"),
    ("postgresql+psycopg://ann@db.example/quotes", "postgresql+psycopg://ann@db.example/quotes"),
    ("sqlite:////home/ann/bulkquote.sqlite", "sqlite:////home/ann/bulkquote.sqlite"),
    ("", ""),
    ("not a url", "not a url"),
], ids=["password", "escaped-password", "password-in-query", "no-password", "sqlite", "empty",
        "not-a-url"])
def test_public_url_drops_the_password_and_keeps_the_rest(url, shown):
    assert public_url(url) == shown
    assert SECRET not in public_url(url) and "p%40ss" not in public_url(url)


def test_keyring_entry_is_user_at_host_port_database():
    assert keyring_username("postgresql+psycopg://ann:x@db.example:5433/quotes") == \
        "ann@db.example:5433/quotes"
    assert keyring_username("postgresql+psycopg://ann@db.example/quotes") == \
        "ann@db.example:5432/quotes"


def test_a_password_goes_to_a_keyring_only_where_there_is_one(memory_keyring, use_keyring):
    url = f"postgresql+psycopg://ann:{SECRET}@db.example/quotes"
    assert save_database_password(url)
    assert memory_keyring.passwords == {(KEYRING_SERVICE, "ann@db.example:5432/quotes"): SECRET}
    assert not save_database_password("postgresql+psycopg://ann@db.example/quotes")
    assert not save_database_password("sqlite:///x.sqlite")
    use_keyring(BrokenKeyring())
    assert not save_database_password(url)  # logged, never raised
    from keyring.backends import null
    use_keyring(null.Keyring())
    assert not save_database_password(url)  # the null keyring keeps nothing


# --------------------------------------------------------------------------- settings, runtime

def test_settings_file_never_holds_the_database_password(memory_keyring):
    typed = f"postgresql+psycopg://ann:{SECRET}@db.example:5433/quotes"
    settings = Settings(database_url=typed)
    save_settings(settings)
    saved = settings_path().read_text(encoding="utf-8")
    assert SECRET not in saved
    assert json.loads(saved)["database_url"] == "postgresql+psycopg://ann@db.example:5433/quotes"
    assert memory_keyring.passwords[(KEYRING_SERVICE, "ann@db.example:5433/quotes")] == SECRET
    assert settings.database_url == typed  # this session keeps using it
    assert load_settings().database_url == "postgresql+psycopg://ann@db.example:5433/quotes"


def test_without_a_keyring_the_password_is_still_not_saved(caplog):
    settings = Settings(database_url=f"postgresql+psycopg://ann:{SECRET}@db.example/quotes")
    with caplog.at_level(logging.WARNING):
        save_settings(settings)
    assert SECRET not in settings_path().read_text(encoding="utf-8")
    assert "this session only" in caplog.text and SECRET not in caplog.text


def test_a_password_written_into_the_settings_file_by_hand_is_ignored(caplog):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(
        {"database_url": f"postgresql+psycopg://ann:{SECRET}@db.example/quotes"}))
    with caplog.at_level(logging.WARNING):
        assert load_settings().database_url == "postgresql+psycopg://ann@db.example/quotes"
    assert "password" in caplog.text and SECRET not in caplog.text


def test_a_database_url_that_is_not_one_is_a_problem():
    assert Settings(database_url="mysql://x@y/z").problems()
    assert Settings(database_url="db.example").problems()
    assert not Settings(database_url="postgresql+psycopg://ann@db.example/quotes").problems()
    assert not Settings(database_url="").problems()


def test_runtime_takes_the_settings_database_when_no_flag_or_environment_names_one(
        tmp_path, monkeypatch):
    team = f"sqlite:///{tmp_path / 'team.sqlite'}"
    flag, env = f"sqlite:///{tmp_path / 'flag.sqlite'}", f"sqlite:///{tmp_path / 'env.sqlite'}"
    settings = Settings(api_base_url="https://x.example/v1", database_url=team)
    with open_runtime(settings=settings) as runtime:
        assert runtime.db_url == team
    with open_runtime(db_url=flag, settings=settings) as runtime:
        assert runtime.db_url == flag
    monkeypatch.setenv("BULKQUOTE_DB", env)
    with open_runtime(settings=settings) as runtime:
        assert runtime.db_url == env
    with open_runtime(settings=Settings(api_base_url="https://x.example/v1")) as runtime:
        assert runtime.db_url == env
    monkeypatch.delenv("BULKQUOTE_DB")
    with open_runtime(settings=Settings(api_base_url="https://x.example/v1")) as runtime:
        assert runtime.db_url.startswith("sqlite:///") and runtime.db_url.endswith("bulkquote.sqlite")


# --------------------------------------------------------------------------- passwords (server)

@pytest.fixture(scope="session")
def password_url(postgres_cluster) -> str:
    """A database whose role must log in with SECRET (scram), as a team's server would ask."""
    return postgres_cluster.add_password_role("bq_team", SECRET)


def _connects(url: str) -> bool:
    engine = engine_store.make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
    finally:
        engine.dispose()


def test_without_any_password_the_team_database_refuses(password_url, memory_keyring):
    with pytest.raises(OperationalError, match="password"):
        engine_store.make_engine(password_url)


def test_the_password_comes_from_the_keyring(password_url, memory_keyring):
    memory_keyring.set_password(KEYRING_SERVICE, keyring_username(password_url), SECRET)
    assert _connects(password_url)


def test_the_password_comes_from_pgpassword(password_url, memory_keyring, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", SECRET)
    assert _connects(password_url)


def test_the_password_comes_from_pgpass(password_url, postgres_cluster, tmp_path, monkeypatch):
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{postgres_cluster.port}:bq_team:bq_team:{SECRET}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))   # ~/.pgpass, libpq's own default
    monkeypatch.delenv("PGPASSFILE")
    assert _connects(password_url)


def test_a_broken_keyring_leaves_the_password_to_libpq(password_url, use_keyring, monkeypatch):
    use_keyring(BrokenKeyring())
    monkeypatch.setenv("PGPASSWORD", SECRET)
    assert _connects(password_url)


def test_a_password_in_the_url_works_for_the_session_and_is_never_shown(password_url):
    typed = password_url.replace("bq_team@", f"bq_team:{SECRET}@")
    engine = engine_store.make_engine(typed)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == "bq_team"
        assert SECRET not in str(engine.url) and SECRET not in repr(engine)
        assert public_url(engine.url) == password_url
    finally:
        engine.dispose()


def test_a_password_typed_in_settings_reaches_the_next_start_through_the_keyring(
        password_url, memory_keyring):
    save_settings(Settings(api_base_url="https://x.example/v1",
                           database_url=password_url.replace("bq_team@", f"bq_team:{SECRET}@")))
    assert SECRET not in settings_path().read_text(encoding="utf-8")
    with open_runtime(settings=load_settings()) as runtime:  # the next start
        assert runtime.db_url == password_url
        with runtime.session_factory() as session:
            assert view_store.list_batches(session) == []


# --------------------------------------------------------------------------- a dropped network

class _SilentServer:
    """Accepts TCP connections on loopback and never says a word (a server gone quiet)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        try:
            while True:
                self.accepted.append(self.sock.accept()[0])
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_a_server_that_never_answers_gives_an_error_within_the_connect_timeout():
    assert POSTGRES_CONNECT_TIMEOUT_S == 10
    server = _SilentServer()
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError):  # the URL's own timeout beats the default
            engine_store.make_engine(f"postgresql+psycopg://ann@127.0.0.1:{server.port}/quotes"
                              "?connect_timeout=2")
        assert time.monotonic() - started < 8
    finally:
        server.close()


@pytest.mark.backends("postgresql")
def test_postgresql_connections_time_out_and_keep_alive(db_url):
    engine = engine_store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            params = conn.connection.dbapi_connection.info.get_parameters()
        assert params["connect_timeout"] == "10" and params["application_name"] == "bulkquote"
        assert params["keepalives"] == "1" and params["tcp_user_timeout"] == "60000"
    finally:
        engine.dispose()
    engine = engine_store.make_engine(db_url + "?connect_timeout=3")
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.info.get_parameters()["connect_timeout"] == "3"
    finally:
        engine.dispose()


@pytest.mark.backends("postgresql")
def test_connections_cut_by_the_server_are_replaced_without_an_error(session_factory,
                                                                     postgres_cluster):
    with engine_store.in_transaction(session_factory) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(),
                                      source_name="a.csv")
    with session_factory() as session:
        assert view_store.get_batch(session, batch_id) is not None  # a pooled connection now
    postgres_cluster.admin_execute(  # as a server restart would (and wait until they are gone)
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
        "WHERE datname = 'bulkquote_test' AND pid <> pg_backend_pid()")
    # The pooled connection was used a moment ago, but its socket holds the server's goodbye:
    # it is pinged, found dead and replaced.
    with session_factory() as session:
        assert view_store.get_batch(session, batch_id).id == batch_id


# --------------------------------------------------------------------------- schema, leases, money

def test_two_first_starts_at_once_make_one_schema(db_url):
    engines, errors = [], []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        try:
            engines.append(engine_store.make_engine(db_url))
        except Exception as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with engines[0].connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == \
                [SCHEMA_VERSION]
    finally:
        for engine in engines:
            engine.dispose()


class _BusyCursor:
    """A cursor whose first `busy` journal-mode switches find the file locked."""

    def __init__(self, busy: int, error: str = "database is locked") -> None:
        self.busy, self.error, self.tries = busy, error, 0

    def execute(self, sql: str) -> None:
        self.tries += 1
        if self.tries <= self.busy:
            import sqlite3
            raise sqlite3.OperationalError(self.error)


def test_the_wal_switch_waits_for_another_first_start():
    """Several processes opening a new file at once: SQLite says "locked" at once (it would
    deadlock waiting), so the switch is tried again; any other error is not."""
    import sqlite3

    from bulkquote_gui.core.store.engine import _switch_to_wal

    cursor = _BusyCursor(busy=3)
    _switch_to_wal(cursor)
    assert cursor.tries == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(_BusyCursor(busy=10), attempts=5)
    other = _BusyCursor(busy=1, error="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _switch_to_wal(other)
    assert other.tries == 1


def _holder(name: str) -> account_store.Holder:
    return account_store.Holder(f"inst-{name}", f"{name} pid 1")


def test_lease_is_held_by_one_and_fenced_by_its_token(session_factory):
    sf = session_factory
    account = account_store.ensure_account(sf, "https://api.example/v1", "key")
    a, b, c = _holder("a"), _holder("b"), _holder("c")
    token = account_store.acquire_lease(sf, account.id, a, START, ttl_s=30)
    assert token == 1
    assert account_store.acquire_lease(sf, account.id, b, START + timedelta(seconds=5), ttl_s=30) is None
    assert account_store.acquire_lease(sf, account.id, a, START + timedelta(seconds=10), ttl_s=30) == token
    # a sleeps past its expiry; b takes over with a new token
    later = START + timedelta(seconds=41)
    assert account_store.acquire_lease(sf, account.id, b, later, ttl_s=30) == 2
    with pytest.raises(account_store.LeaseLost):
        with sf.begin() as session:
            account_store.renew_lease(session, account.id, a, token, later, 30)
    with sf() as session:
        lease = account_store.read_lease(session, account.id)
    assert (lease.instance_id, lease.token, lease.held_at(later)) == ("inst-b", 2, True)
    assert lease.expires_at.tzinfo is not None
    assert not account_store.release_lease(sf, account.id, a, token)
    assert account_store.release_lease(sf, account.id, b, 2)
    assert account_store.acquire_lease(sf, account.id, c, later, ttl_s=30) == 3


def test_many_holders_asking_at_once_get_one_lease(session_factory):
    sf = session_factory
    account = account_store.ensure_account(sf, "https://api.example/v1", "key")
    tokens: dict[str, int | None] = {}
    barrier = threading.Barrier(6)

    def ask(name: str) -> None:
        barrier.wait()
        tokens[name] = account_store.acquire_lease(sf, account.id, _holder(name), START, ttl_s=30)

    threads = [threading.Thread(target=ask, args=(str(n),)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [name for name, token in tokens.items() if token is not None]
    assert len(tokens) == 6 and len(winners) == 1 and tokens[winners[0]] == 1


def test_a_price_with_four_decimals_is_stored_and_shown_with_two(session_factory):
    """The issue's symptom: a PostgreSQL run printed 360.4800."""
    from tests.helpers.fakes import FakeClock, FakeMomentum, Outcome
    from bulkquote_gui.core.engine.processor import Processor

    clock = FakeClock()
    api = FakeMomentum(clock)
    with engine_store.in_transaction(session_factory) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(),
                                      source_name="a.csv")
    api.outcomes[f"batch-{batch_id}/row-2"] = Outcome(mrc="360.4800")
    assert Processor(session_factory, api, clock=clock).run_batch(batch_id) == "complete"
    with session_factory() as session:
        row = view_store.batch_rows(session, batch_id)[0]
    assert (str(row.mrc), str(row.nrc)) == ("360.48", "0.00")
    assert row.mrc == Decimal("360.48")
