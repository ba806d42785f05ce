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
import locale
import os
import subprocess
import sys
from collections.abc import Mapping

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
