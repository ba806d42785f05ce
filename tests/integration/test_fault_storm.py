"""A fault storm (issue 8): 500 rows through the CLI against a simulator that fails all the time.

The simulator runs in-process (its stats are read directly) with, per request, 10 % 5xx, 5 % 429,
3 % dropped connections and 1 % truncated bodies; 2 % of POSTs create the quote and then lose
the answer; 2 % of quotes never finish. `bulkquote submit FILE --wait` runs as a subprocess with
a 2 s quote timeout. Then:

- every row is terminal (`bulkquote status BATCH --json`), the batch complete, exit code 0;
- the server holds exactly one quote per row (a replayed Idempotency-Key is not a new quote);
- the server never had to answer 409 (the engine never POSTs over a quote in flight) and no
  quote is left in flight (the never-finishing ones were DELETEd at their timeout);
- the rows whose quote never finished failed with code "timeout";
- no stall: no gap between two finished rows longer than the quote timeout and some slack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from bulkquote_gui.services.simulator import Faults, SimulatorServer
from tests.helpers.references import by_row

ROWS = 500
QUOTE_TIMEOUT_S = 2.0
STALL_SLACK_S = 1.5  # a timed-out row's DELETE and the next POST's first retries
KEY = "sk_storm_5e7d"
STORM = Faults(server_error_rate=0.10, rate_limit_rate=0.05, drop_connection_rate=0.03,
               truncate_body_rate=0.01, lose_response_after_create_rate=0.02,
               never_finish_rate=0.02, seed=2026)


def storm_sites(path: Path) -> Path:
    lines = ["Site ID,Company,Street Address,City,State,ZIP,Speed,Term"]
    lines += [f"S-{i:03d},Storm Dental {i % 7},{100 + i} Congress Ave,Austin,TX,78701,1 Gbps,36"
              for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_500_rows_through_a_fault_storm_end_once_each_without_409_or_stall(tmp_path):
    env = {**os.environ, "BULKQUOTE_API_KEY": KEY}
    db = f"sqlite:///{tmp_path / 'storm.sqlite'}"
    with SimulatorServer(port=0, time_scale=0.002, api_key=KEY, faults=STORM) as sim:
        # Polls every 0.02 s: a quote is done within milliseconds (time_scale), so a row is one
        # poll either way; at 0.05 s the 500 rows spent ~15 s more just waiting to look.
        cmd = [sys.executable, "-m", "bulkquote_gui", "--db", db, "--api-url", sim.base_url,
               "--poll-interval", "0.02", "--quote-timeout", str(QUOTE_TIMEOUT_S),
               "submit", str(storm_sites(tmp_path / "storm.csv")), "--wait", "--json"]
        started = time.monotonic()
        finished_at: list[tuple[float, str]] = []  # (seconds since start, progress line)
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as run:

            def read_progress() -> None:
                assert run.stderr is not None
                for line in run.stderr:
                    finished_at.append((time.monotonic() - started, line.rstrip()))

            reader = threading.Thread(target=read_progress)
            reader.start()
            assert run.stdout is not None
            stdout = run.stdout.read()  # stderr is the reader's alone
            run.wait(timeout=240)
            reader.join(timeout=10)
        elapsed = time.monotonic() - started
        stats = sim.stats()
    stderr = "\n".join(line for _, line in finished_at)
    assert "Traceback" not in stderr, stderr[-3000:]
    assert run.returncode == 0, (run.returncode, stderr[-3000:])
    batch = json.loads(stdout.splitlines()[0])["batch"]
    status = subprocess.run([sys.executable, "-m", "bulkquote_gui", "--db", db, "status", str(batch),
                             "--json"], env=env, capture_output=True, text=True, timeout=60)
    report = json.loads(status.stdout)
    rows = {row["row"]: row for row in report["rows"]}

    # The storm really blew.
    assert stats["faults"] > 0.15 * stats["posts"], stats
    assert stats["never_finish"] >= 3 and stats["replays"] >= 1, stats

    # Every row terminal, the batch complete.
    assert len(rows) == ROWS and report["counts"]["total"] == ROWS
    not_terminal = {n: r["status"] for n, r in rows.items() if r["status"] not in ("complete", "failed")}
    assert not_terminal == {}, not_terminal
    assert report["status"] == "complete"

    # Exactly one quote per row on the server.
    quotes = by_row(stats["quotes"])   # references as the rows were numbered, install id aside
    per_row = {n: len(quotes.get(f"batch-{batch}/row-{n}", [])) for n in rows}
    wrong = {n: count for n, count in per_row.items() if count != 1}
    assert wrong == {}, f"rows with other than one quote on the server: {wrong}"
    assert stats["created"] == ROWS

    # Never a 409, and nothing left blocking the account.
    assert stats["answered"].get("409", 0) == 0, stats["answered"]
    assert stats["max_in_flight"] == 1
    assert not set(stats["statuses"]) & {"queued", "processing"}, stats["statuses"]

    # The quotes that never finished: their rows timed out (and were DELETEd, above).
    reference_of = {quote_id: ref for ref, ids in stats["quotes"].items() for quote_id in ids}
    never_rows = {int(reference_of[q].rsplit("-", 1)[1]) for q in stats["never_finish_ids"]}
    assert {n: rows[n]["error"] for n in never_rows} == {n: "timeout" for n in never_rows}
    outcomes = Counter(r["error"] or r["status"] for r in rows.values())
    assert outcomes["complete"] >= 0.8 * ROWS, outcomes

    # No stall longer than the quote timeout.
    done = [t for t, line in finished_at if " row " in line and (": complete" in line or ": failed" in line)]
    assert len(done) == ROWS  # one progress line per finished row
    gaps = [b - a for a, b in zip(done, done[1:])]
    print(f"storm: {elapsed:.1f} s, longest gap between finished rows {max(gaps):.2f} s, "
          f"outcomes {dict(outcomes)}, server {stats['posts']} POSTs {stats['gets']} GETs "
          f"{stats['deletes']} DELETEs {stats['faults']} faults {stats['replays']} replays, "
          f"answered {stats['answered']}")
    assert max(gaps) <= QUOTE_TIMEOUT_S + STALL_SLACK_S, sorted(gaps)[-5:]
    assert elapsed < 150, elapsed
