"""Kill -9 the CLI at random instants of a batch, resume, and prove nothing was lost or asked twice.

A simulator runs in this test process (not demo mode: every CLI process talks to the same one
through --api-url), so its stats show how many quotes each row's reference really created.
The schedule of kills comes from a seeded generator and is printed on failure.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.services.simulator import Faults, SimulatorServer
from tests.helpers.references import by_row

# One worker runs this module whole (.ci/run: --dist loadgroup):
# the uninterrupted reference run is made once.
pytestmark = pytest.mark.xdist_group("crash_resume")

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
ROWS = 8
TRIALS = 3
KILLS_PER_TRIAL = 4
STARTUP_S = 0.5  # a CLI process's start before it touches the store


@pytest.fixture(scope="module")
def sim():
    server = SimulatorServer(port=0, time_scale=0.015, api_key="crash-key",
                             faults=Faults(lose_response_after_create_rate=0.15, server_error_rate=0.05,
                                           seed=5)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("crash") / "sites.csv"
    path.write_text("\n".join(lines[: ROWS + 1]) + "\n", encoding="utf-8")
    return path


def _env(db: Path) -> dict[str, str]:
    # BULKQUOTE_TEST_TIMING: the 0.05 s poll below; set here, as a module fixture runs before
    # tests/conftest.py's per-test environment. A killed process keeps the account's lease
    # until it expires: 4 s (as tests/integration/test_team.py), not a rep's 30 s, so the next
    # process takes over after a realistic wait rather than half a minute of nothing.
    return {**os.environ, "BULKQUOTE_DB": f"sqlite:///{db}", "BULKQUOTE_API_KEY": "crash-key",
            "BULKQUOTE_TEST_TIMING": "1", "BULKQUOTE_LEASE_TTL_S": "4"}


def _cmd(sim: SimulatorServer, *args: str) -> list[str]:
    return [sys.executable, "-m", "bulkquote_gui", "--api-url", sim.base_url, "--poll-interval", "0.05",
            "--quote-timeout", "60", *args]


def _run(sim, env, *args) -> subprocess.CompletedProcess:
    out = subprocess.run(_cmd(sim, *args), env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def _kill_after(sim, env, delay: float, *args: str) -> int | None:
    """Start the CLI, SIGKILL it after `delay` s (if still running); returns its exit code if it ended."""
    proc = subprocess.Popen(_cmd(sim, *args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=delay)
        return proc.returncode
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None
    finally:
        if proc.stderr:
            stderr = proc.stderr.read().decode()
            proc.stderr.close()
            assert "Traceback" not in stderr, stderr


def _results(sim, env, batch: int) -> list[tuple]:
    report = json.loads(_run(sim, env, "status", str(batch), "--json").stdout)
    return [(r["row"], r["status"], r["carrier"], r["mrc"], r["nrc"], r["error"]) for r in report["rows"]]


def _batches(db: Path) -> list[dict]:
    """The stored batches, read straight from the file (faster than another CLI process)."""
    if not db.exists():
        return []
    engine = engine_store.make_engine(f"sqlite:///{db}")
    try:
        with engine_store.make_session_factory(engine)() as session:
            return [{"batch": b.id, "total": b.counts["total"],
                     "open": b.counts["pending"] + b.counts["active"]}
                    for b in view_store.list_batches(session)]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def reference(sim, sheet, tmp_path_factory):
    """The same sheet processed without interruption, and how long that took."""
    env = _env(tmp_path_factory.mktemp("ref") / "ref.sqlite")
    started = time.monotonic()
    out = _run(sim, env, "submit", str(sheet), "--wait")
    duration = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    return _results(sim, env, int(out.stdout.strip())), duration


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_at_random_instants_then_resume(sim, sheet, reference, tmp_path, trial):
    expected, duration = reference
    rng = random.Random(1000 + trial)
    db = tmp_path / "crash.sqlite"
    env = _env(db)
    sim.reset()
    log = []
    for _ in range(KILLS_PER_TRIAL):
        stored = _batches(db)
        open_rows = stored[0]["open"] if stored else ROWS
        if not open_rows:
            break
        # An instant anywhere in what is left of the run: start-up, storing, POSTs, polls, the end.
        delay = round(rng.uniform(0.3, STARTUP_S + (duration - STARTUP_S) * open_rows / ROWS), 3)
        args = ("submit", str(sheet), "--wait") if not stored else ("resume", "--wait")
        code = _kill_after(sim, env, delay, *args)
        log.append((args[0], delay, "killed" if code is None else f"exit {code}"))
    stored = _batches(db)
    if not stored:  # every kill came before the batch was stored: nothing half-stored either
        assert _run(sim, env, "submit", str(sheet), "--wait").returncode == 0
        stored = _batches(db)
    assert len(stored) == 1, (log, stored)
    assert stored[0]["total"] == ROWS, ("all or nothing", log)
    final = _run(sim, env, "resume", "--wait")
    assert final.returncode == 0, (log, final.stderr)
    batch = stored[0]["batch"]

    assert _results(sim, env, batch) == expected, log
    quotes = by_row(sim.stats()["quotes"])
    for row, *_ in expected:
        assert len(quotes.get(f"batch-{batch}/row-{row}", [])) == 1, (row, log, quotes)
    statuses = sim.stats()["statuses"]
    assert not statuses.get("queued") and not statuses.get("processing"), "account left blocked"
