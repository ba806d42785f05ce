"""Running the CLI as a rep would, as a process of its own: `python -m bulkquote_gui ARGS`.

    out = run_cli(env, "submit", sites, "--wait", api_url=sim.base_url, check=0)

Every run is checked for what a rep must never see: a Python traceback on stderr. `check`: the
exit code expected (None: any). Polls every 0.05 s, so a test against the simulator is quick.

Each run is a child forked from a server that imported the CLI once (fork_server.py): the same
exit code and output as a subprocess, without ~1 s of interpreter start-up and imports per run
(3 s and more on a busy machine). A test that signals or kills the process, or reads it while
it runs, starts its own subprocess instead.
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.helpers import file_keyring
from tests.helpers.fork_server import ForkPool

# Imported once by the servers, not by each run: the CLI and what its commands import lazily.
PRELOAD = ["bulkquote_gui.cli", "bulkquote_gui.services.logs", "bulkquote_gui.commands.check",
           "bulkquote_gui.commands.batch", "bulkquote_gui.commands.team",
           "bulkquote_gui.commands.providers", "bulkquote_gui.core.intake.importer",
           "pandas", "zipcodes"]

_pool: ForkPool | None = None


def _servers() -> ForkPool:
    """One pool per test process (each pytest-xdist worker has its own), closed at its exit."""
    global _pool
    if _pool is None:
        _pool = ForkPool(PRELOAD)
        atexit.register(_pool.close)
    return _pool


def _text(data: bytes) -> str:
    """As `subprocess.run(text=True)` decodes: the locale's encoding, universal newlines."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def provider_env(tmp_path: Path, *, rep_contact: bool = True) -> dict[str, str]:
    """A CLI environment of its own for a test that adds providers: the database, config and
    data folders in `tmp_path`, secrets in a file keyring (kept from one run to the next), no
    Momentum key or URL from the outside. `rep_contact`: Settings > You filled in, as a Sonata
    seller needs (the buyer's contact is sent, and refused without)."""
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "BULKQUOTE_CONFIG_DIR": str(tmp_path / "config"),
           "BULKQUOTE_DATA_DIR": str(tmp_path / "data"),
           "PYTHON_KEYRING_BACKEND": file_keyring.BACKEND,
           "BULKQUOTE_TEST_KEYRING": str(tmp_path / "keyring.json")}
    for var in ("BULKQUOTE_API_KEY", "BULKQUOTE_API_URL"):
        env.pop(var, None)
    if rep_contact:
        (tmp_path / "config").mkdir(exist_ok=True)
        (tmp_path / "config" / "settings.json").write_text(
            json.dumps({"rep_name": "Dana Rep", "rep_email": "dana@example.com"}))
    return env


def run_bulkquote(env: Mapping[str, str] | None, argv: list[str], *, stdin: str = "",
                  timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m bulkquote_gui ARGV` with `stdin` as its input, as `subprocess.run(text=True)`
    would give it (TimeoutExpired past `timeout`)."""
    cmd = [sys.executable, "-m", "bulkquote_gui", *argv]
    ran = _servers().run(argv, env=dict(os.environ if env is None else env), time_cap=timeout,
                         stdin=stdin.encode(locale.getpreferredencoding(False)))
    if ran.timeout:
        raise subprocess.TimeoutExpired(cmd, timeout)
    return subprocess.CompletedProcess(cmd, ran.returncode, _text(ran.stdout), _text(ran.stderr))


def run_cli(env: Mapping[str, str] | None, *args: object, api_url: str | None = None,
            db: str | None = None, quote_timeout: float | None = None, timeout: float = 120,
            check: int | None = None) -> subprocess.CompletedProcess:
    argv = []
    if db:
        argv += ["--db", db]
    if api_url:
        argv += ["--api-url", api_url]
    argv += ["--poll-interval", "0.05"]
    if quote_timeout is not None:
        argv += ["--quote-timeout", str(quote_timeout)]
    argv += [str(arg) for arg in args]
    out = run_bulkquote(env, argv, timeout=timeout)
    assert "Traceback" not in out.stderr, out.stderr
    if check is not None:
        assert out.returncode == check, (out.returncode, out.stdout, out.stderr)
    return out
