"""Secrets given where they leak or split (issue 19 #12): a password in --db is visible in `ps`,
so the CLI says where it belongs; a key with a space in BULKQUOTE_API_KEYS is refused, not split."""

from __future__ import annotations

import os

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.smtp import free_port

WARNING = "the password in --db can be seen by every user of this computer (ps)"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'q.sqlite'}"}


@pytest.mark.parametrize("db", ["postgresql+psycopg://rep:s3cret@127.0.0.1:{port}/bq",
                                "postgresql+psycopg://rep:s3cret@127.0.0.1:notaport/bq"])
def test_a_password_in_db_is_warned_about(env, db):
    out = run_cli(env, "status", db=db.format(port=free_port()), check=2)
    assert WARNING in out.stderr and "PGPASSWORD, ~/.pgpass or the keyring" in out.stderr
    assert "s3cret" not in out.stderr


def test_no_warning_without_a_password(env, tmp_path):
    out = run_cli(env, "status", db=f"sqlite:///{tmp_path / 'other.sqlite'}", check=0)
    assert WARNING not in out.stderr


def test_a_key_with_a_space_is_refused_not_split(env):
    api = f"http://127.0.0.1:{free_port()}/v1"
    out = run_cli({**env, "BULKQUOTE_API_KEYS": "key-a,bad key"}, "worker", "--until-idle",
                  api_url=api, check=1)
    assert "bulkquote worker: BULKQUOTE_API_KEYS: key 2 contains a space" in out.stderr
    out = run_cli({**env, "BULKQUOTE_API_KEYS": " key-a , key-b "}, "worker", "--until-idle",
                  api_url=api, check=0)
    assert "quoting for 2 account(s)" in out.stderr
