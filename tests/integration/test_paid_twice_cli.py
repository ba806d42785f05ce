"""Issue 15, finding 1, from the CLI: a batch left with a quote in flight, the API finishes it,
`bulkquote cancel` (no API key at hand: its DELETE stays owed), then `bulkquote quote-rest`.
The site must hold one quote at the simulator, its row the price."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.held_clock import HeldClock
from tests.helpers.references import by_row

from .test_cli_batch import bq, sites, status


@pytest.fixture
def sim_clock() -> HeldClock:
    return HeldClock()


@pytest.fixture
def sim(sim_clock):
    server = SimulatorServer(port=0, time_scale=0.01, api_key="test-key", clock=sim_clock).start()
    yield server
    server.stop()


def wait_for(what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_cancel_then_quote_rest_from_the_cli_pays_one_quote_per_site(sim, sim_clock, env, tmp_path):
    sim_clock.hold()                       # the first quote stays in flight
    cmd = [sys.executable, "-m", "bulkquote_gui", "--api-url", sim.base_url, "--poll-interval",
           "0.05", "submit", str(sites(tmp_path, 3)), "--wait"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: sim.stats()["created"] == 1)
        proc.send_signal(signal.SIGTERM)   # the batch stays as it was: its row polling
        stdout, _stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    batch = int(stdout.strip())
    assert [r["status"] for r in status(env, batch)["rows"]] == ["polling", "pending", "pending"]
    sim_clock.go_on()                      # the API finishes the quote meanwhile
    wait_for(lambda: sim.stats()["statuses"] == {"complete": 1})

    no_key = {k: v for k, v in env.items() if k != "BULKQUOTE_API_KEY"}
    out = bq(no_key, "cancel", batch, api_url=sim.base_url, check=0)
    assert "no API key" in out.stderr and sim.stats()["deletes"] == 0
    out = bq(env, "quote-rest", batch, "--wait", api_url=sim.base_url, check=0)
    assert "3 rows queued to quote" in out.stderr

    report = status(env, batch)
    assert report["status"] == "complete"
    assert [r["status"] for r in report["rows"]] == ["complete"] * 3
    quotes = by_row(sim.stats()["quotes"])
    assert {ref: len(ids) for ref, ids in quotes.items()} == \
        {f"batch-{batch}/row-{n}": 1 for n in (2, 3, 4)}, "one quote per site"
