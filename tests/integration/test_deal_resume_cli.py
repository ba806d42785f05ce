"""`bulkquote resume` of a deal (issue 18) quotes its providers at once, as `submit --wait` does:
each provider in its own lanes, in parallel. It ran them one after another, the second only once
the first had nothing left.

The simulators' clocks stand still, so no quote they take ever finishes: run one after another,
the second provider would never be asked while the first holds its quotes open. Both holding a
quote in progress at once is the proof, read from the simulators' own counts."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.helpers.fakes import FakeClock
from tests.integration import test_deal_submit_cli as submit_cli
from tests.integration.test_deal_submit_cli import SECRET, add_providers, cli

env, sites = submit_cli.env, submit_cli.sites   # its fixtures, used here too

ENOUGH_S = 60   # a bound on the wait for both to be asked, not a measure of anything


def _both_in_progress(momentum: SimulatorServer, sonata: SonataSimulator) -> bool:
    return momentum.stats().get("created", 0) >= 1 and sonata.state.in_progress() >= 1


def test_a_resumed_deal_quotes_its_providers_at_once(env, sites):
    clock = FakeClock()   # never advanced: every quote stays in progress
    with SimulatorServer(port=0, api_key="momentum-key", clock=clock).start() as momentum, \
            SonataSimulator(clients={"bq-client": SECRET}, clock=clock) as sonata:
        add_providers(env, momentum, sonata)
        cli(env, "submit", sites, "--provider", "Momentum", "--provider", "Lumen",
            "--terms", "36", check=0)   # stored, not sent
        assert momentum.stats().get("created", 0) == 0 and not sonata.state.quotes()
        resume = subprocess.Popen([sys.executable, "-m", "bulkquote_gui", "--poll-interval",
                                   "0.05", "resume"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            give_up = time.monotonic() + ENOUGH_S
            while not _both_in_progress(momentum, sonata) and time.monotonic() < give_up \
                    and resume.poll() is None:
                time.sleep(0.1)
            both = _both_in_progress(momentum, sonata)
            asked = (momentum.stats().get("created", 0), sonata.state.in_progress())
        finally:
            resume.send_signal(signal.SIGINT)   # a clean stop: the deal stays resumable
            killed = False
            try:
                _, err = resume.communicate(timeout=60)
            except subprocess.TimeoutExpired:   # (one provider after another went on)
                killed = True
                resume.kill()
                _, err = resume.communicate()
    assert both, f"only one provider was asked at a time (Momentum, Lumen quotes): {asked}"
    assert "Traceback" not in err, err
    assert not killed and resume.returncode == 1   # both providers stopped by the one signal
    assert "interrupted" in err
    assert sonata.state.most_in_progress >= 1


def test_a_provider_that_cannot_quote_does_not_hold_the_others_back(env, sites, tmp_path):
    """Lumen's secret gone from this computer: resume says so, and Momentum's batch is quoted all
    the same (it waited behind Lumen's refusal before: the first provider's failure ended it)."""
    import json
    import sqlite3
    from pathlib import Path

    with SimulatorServer(port=0, api_key="momentum-key", time_scale=0.01).start() as momentum, \
            SonataSimulator(time_scale=0.01, clients={"bq-client": SECRET}) as sonata:
        add_providers(env, momentum, sonata)
        cli(env, "submit", sites, "--provider", "Lumen", "--provider", "Momentum",
            "--terms", "36", check=0)
        keyring = Path(env["BULKQUOTE_TEST_KEYRING"])
        kept = {k: v for k, v in json.loads(keyring.read_text()).items() if v != SECRET}
        keyring.write_text(json.dumps(kept))
        out = cli(env, "resume", check=1)
    assert "Lumen" in out.stderr and "`bulkquote resume`" in out.stderr
    with sqlite3.connect(tmp_path / "cli.sqlite") as conn:
        assert conn.execute("SELECT id, provider_name, status FROM batch_job ORDER BY id"
                            ).fetchall() == [(1, "Lumen", "pending"), (2, "Momentum", "complete")]
