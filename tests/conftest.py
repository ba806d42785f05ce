"""Shared test set-up: headless Qt, and no test ever touches the rep's real folders or keyring."""

import os

# Must be set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Point config, data and keyring away from the real user's, for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BULKQUOTE_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("BULKQUOTE_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for var in ("BULKQUOTE_API_KEY", "BULKQUOTE_API_URL", "BULKQUOTE_DB"):
        monkeypatch.delenv(var, raising=False)
    yield home
