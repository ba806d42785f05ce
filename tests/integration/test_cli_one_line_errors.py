"""Bad input on the command line is one line and an exit code, never a traceback (issue 19 #8).
run_cli fails any run whose stderr holds a traceback. No test here connects anywhere: a URL that
must be refused names a host under .invalid, refused before any lookup or connection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.cli import run_cli
from tests.helpers.fakes import fake_import
from tests.helpers.smtp import free_port

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
FOREIGN_HTTP = "http://api.example.invalid/v1"   # "another computer", never contacted


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'q.sqlite'}",
            "BULKQUOTE_API_KEY": "good-key"}


def _one_line(out: subprocess.CompletedProcess, command: str) -> str:
    lines = [line for line in out.stderr.splitlines() if line.startswith(f"bulkquote {command}:")]
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_the_worker_refuses_plain_http_to_another_computer_before_connecting(env):
    out = run_cli(env, "worker", "--until-idle", api_url=FOREIGN_HTTP, check=1)
    assert "plain http:// to another computer" in _one_line(out, "worker")


def test_the_worker_follows_settings_allowing_insecure_http(env, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({"allow_insecure_http": True}))
    out = run_cli({**env, "BULKQUOTE_CONFIG_DIR": str(config)}, "worker", "--until-idle",
                  api_url=FOREIGN_HTTP, check=0)   # no batch: nothing is sent
    assert f"quoting for 1 account(s) on {FOREIGN_HTTP}" in out.stderr


@pytest.mark.parametrize("command", [("submit", str(SAMPLE), "--wait"), ("worker", "--until-idle")])
def test_an_api_url_that_is_not_http_is_one_line(env, command):
    out = run_cli(env, *command, api_url="ftp://x/v1", check=1)
    assert "must start with http:// or https://" in _one_line(out, command[0])


@pytest.mark.parametrize("key", ["a key", "a\r\nX-Injected: 1"])
@pytest.mark.parametrize("command", [("submit", str(SAMPLE), "--wait"), ("worker", "--until-idle")])
def test_an_api_key_no_header_can_carry_is_one_line(env, key, command):
    closed = f"http://127.0.0.1:{free_port()}/v1"
    out = run_cli({**env, "BULKQUOTE_API_KEY": key}, *command, api_url=closed, check=1)
    line = _one_line(out, command[0])
    assert "the API key contains spaces or characters an HTTP header cannot carry" in line
    assert key not in out.stderr


@pytest.mark.parametrize("db, says", [
    ("postgresql+psycopg://rep:s3cret@127.0.0.1:notaport/bq", "its port is not a number"),
    ("mysql://rep@127.0.0.1/bq", "cannot use a mysql database"),
    ("sqlite:////proc/nope/x.sqlite", "cannot open the database: /proc/nope"),
])
def test_a_database_url_that_cannot_be_used_is_one_line(env, db, says):
    out = run_cli(env, "status", db=db, check=2)
    assert says in _one_line(out, "status")
    assert "s3cret" not in out.stderr


def test_a_reader_that_stops_early_is_no_error(tmp_path):
    db = f"sqlite:///{tmp_path / 'big.sqlite'}"
    engine = engine_store.make_engine(db)
    try:
        with engine_store.in_transaction(engine_store.make_session_factory(engine)) as session:
            batch_store.create_batch(session, fake_import(3000),
                               defaults=BatchDefaults(), source_name="big.csv")
    finally:
        engine.dispose()
    # `bulkquote status 1 | head -1`: far more than a pipe holds, and the reader goes away.
    proc = subprocess.Popen([sys.executable, "-m", "bulkquote_gui", "--db", db, "status", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("batch 1  big.csv")
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
