"""Fixtures the CLI's integration tests share (a module's own fixture of the same name wins)."""

from __future__ import annotations

import os

import pytest

from tests.helpers.smtp import SmtpServer


@pytest.fixture
def env(tmp_path, monkeypatch):
    """The environment of a CLI subprocess: a scratch SQLite store and the simulator's test key."""
    monkeypatch.setenv("BULKQUOTE_DB", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    monkeypatch.setenv("BULKQUOTE_API_KEY", "test-key")
    return dict(os.environ)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on loopback, no TLS, no login."""
    server = SmtpServer().start()
    yield server
    server.stop()
