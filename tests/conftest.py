"""Shared test set-up: headless Qt, and no test ever touches the rep's real folders or keyring.

Also every module's database fixtures (tests/helpers/backends.py): `db_url` and
`session_factory` run a test on SQLite and on a throwaway PostgreSQL server, `postgres_url` is
that server, `@pytest.mark.backends("sqlite")` limits a test to the backends named.
"""

import os

# Must be set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.helpers.backends import (  # noqa: E402,F401  (fixtures and hooks, by name)
    db_backend,
    db_url,
    own_postgres_cluster,
    postgres_cluster,
    postgres_url,
    pytest_configure,
    pytest_generate_tests,
    session_factory,
)


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (.ci/run): tests one by one, modules marked xdist_group whole."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.helpers.xdist_groups import make_scheduler

    return make_scheduler(config, log)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Point config, data and keyring away from the real user's, for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BULKQUOTE_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("BULKQUOTE_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("BULKQUOTE_TEST_TIMING", "1")   # the CLI may poll the simulator every 0.05 s
    for var in ("BULKQUOTE_API_KEY", "BULKQUOTE_API_URL", "BULKQUOTE_DB",
                "PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(home / "no-pgpass"))  # never the rep's ~/.pgpass
    from bulkquote_gui.services.secrets import ProviderSecretStore

    ProviderSecretStore._session_secrets.clear()   # a secret kept for "the session" is one test's
    yield home


@pytest.fixture(autouse=True)
def _exception_hooks_restored():
    """A window built by a test installs the crash handler (sys/threading excepthook): put the
    interpreter's back afterwards, so a later test's thread error is not shown as a dialog."""
    import sys
    import threading

    saved = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = saved


@pytest.fixture
def sf(tmp_path):
    """A store on a temp SQLite file (the schema made), disposed after: the one SQLite session
    factory of the suite (`session_factory` runs a test on both backends)."""
    from bulkquote_gui.core.store import engine as engine_store

    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield engine_store.make_session_factory(engine)
    engine.dispose()
