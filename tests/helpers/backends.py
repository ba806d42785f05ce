"""Fixtures that run a test on each database backend the store supports: SQLite and PostgreSQL.

    def test_x(db_url): ...             # runs twice: [sqlite] and [postgresql], each on an empty db
    def test_y(session_factory): ...    # the same, through store.make_engine/make_session_factory

    @pytest.mark.backends("sqlite")     # this test only on the backends named
    def test_wal(db_url): ...

    def test_z(postgres_url): ...       # the session's throwaway PostgreSQL server (its main db)

tests/conftest.py imports these names, so every test module has them; a module that wants
SQLite only keeps its own local `db_url` or `sf` fixture.

The PostgreSQL server (tests/helpers/postgres.py) starts on first use, once per session, and
stops when the session ends. When it cannot start the PostgreSQL tests are skipped, but under
CI=true they fail with the reason: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers.postgres import PostgresCluster, PostgresUnavailable

BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run a db_url/session_factory test on these backends only "
        f"(of {', '.join(BACKENDS)})")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise every test that (indirectly) uses db_backend over the backends it allows."""
    if "db_backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = tuple(marker.args) if marker else BACKENDS
    unknown = set(names) - set(BACKENDS)
    if unknown or not names:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: backends{names}: "
                                f"choose from {BACKENDS}")
    metafunc.parametrize("db_backend", names, indirect=True, ids=list(names))


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The session's throwaway PostgreSQL cluster, started on first use, stopped at the end."""
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL tests cannot run under CI=true: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL server for the tests: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def own_postgres_cluster() -> Iterator[PostgresCluster]:
    """A cluster of the test's own, for a test that stops or crashes its server (the session's
    is shared by the other tests). Never skipped: a failure to start fails the test."""
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"no PostgreSQL server for this test: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """postgresql+psycopg://postgres@127.0.0.1:PORT/bulkquote_test (trust auth, no password)."""
    return postgres_cluster.url


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database on this test's backend: a new SQLite file, or PostgreSQL's test
    database with its public schema dropped and made again.

    With `session_factory` the test gets a store schema anyway, so there, when the previous
    test left the schema as make_engine made it (same fingerprint), only its rows are deleted
    (about 90 ms a test instead of 250 ms, tests/helpers/postgres.py).
    """
    if db_backend == "sqlite":
        yield f"sqlite:///{(tmp_path / 'store.sqlite').as_posix()}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    reuse = "session_factory" in request.fixturenames and cluster.store_fingerprint is not None
    if not (reuse and cluster.empty_tables(cluster.store_fingerprint)):
        cluster.store_fingerprint = None
        cluster.reset_schema()
    yield cluster.url


@pytest.fixture
def session_factory(db_url: str, db_backend: str, request: pytest.FixtureRequest):
    """store.make_session_factory on a fresh store (schema created) at db_url; disposed after."""
    from bulkquote_gui.core.store import engine as engine_store

    engine = engine_store.make_engine(db_url)
    try:
        if db_backend == "postgresql":
            cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
            if cluster.store_fingerprint is None:
                cluster.store_fingerprint = cluster.schema_fingerprint()
        yield engine_store.make_session_factory(engine)
    finally:
        engine.dispose()
