"""Running the CLI as a rep would, in a subprocess: `python -m bulkquote_gui ARGS`.

    out = run_cli(env, "submit", sites, "--wait", api_url=sim.base_url, check=0)

Every run is checked for what a rep must never see: a Python traceback on stderr. `check`: the
exit code expected (None: any). Polls every 0.05 s, so a test against the simulator is quick.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Mapping


def run_cli(env: Mapping[str, str] | None, *args: object, api_url: str | None = None,
            db: str | None = None, quote_timeout: float | None = None, timeout: float = 120,
            check: int | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "bulkquote_gui"]
    if db:
        cmd += ["--db", db]
    if api_url:
        cmd += ["--api-url", api_url]
    cmd += ["--poll-interval", "0.05"]
    if quote_timeout is not None:
        cmd += ["--quote-timeout", str(quote_timeout)]
    cmd += [str(arg) for arg in args]
    out = subprocess.run(cmd, env=None if env is None else dict(env), capture_output=True,
                         text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Traceback" not in out.stderr, out.stderr
    if check is not None:
        assert out.returncode == check, (out.returncode, out.stdout, out.stderr)
    return out
