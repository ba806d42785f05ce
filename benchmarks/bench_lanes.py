"""Lanes: 40 rows against a Sonata seller that allows 4 quotes in progress, with 1 lane and 4.

    python benchmarks/bench_lanes.py [--repeat 2] [--time-scale 0.05] [--out benchmarks/lanes_results.md]

The built-in Sonata simulator on loopback (services/sonata_simulator.py, `max_in_progress=4`,
a 429 beyond it, the most quotes it ever had in progress counted) at a time scale where a quote
takes 0.25-1 s to price, so waiting dominates; the real Processor and SonataClient on a SQLite
file. The same 40 sites each run (the simulator's pricing time is a function of the address).
Targets (issue 17): 4 lanes finish in at most 0.3x the time of 1 lane, and never more than 4
quotes in progress. tests/integration/test_lanes.py checks the limit; this times the gain.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulkquote_gui.core.engine.policy import EngineConfig  # noqa: E402
from bulkquote_gui.core.engine.processor import Processor  # noqa: E402
from bulkquote_gui.core.offer import BatchDefaults  # noqa: E402
from bulkquote_gui.core.quoting.factory import SONATA, build_client  # noqa: E402
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings  # noqa: E402
from bulkquote_gui.core.states import ROW_TERMINAL  # noqa: E402
from bulkquote_gui.core.store import batches as batch_store  # noqa: E402
from bulkquote_gui.core.store import engine as engine_store  # noqa: E402
from bulkquote_gui.core.store import views as view_store  # noqa: E402
from bulkquote_gui.services.sonata_simulator import SonataSimulator  # noqa: E402
from tests.helpers.fakes import FakeImport, checked_row  # noqa: E402

ROWS, ALLOWED = 40, 4
CONFIG = EngineConfig(poll_interval_s=0.02, quote_timeout_s=120.0, retry_after_floor_s=0.01,
                      retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05,
                      command_check_s=0.05)


def once(lanes: int, time_scale: float) -> tuple[float, int]:
    """(seconds to quote the batch, the most quotes the seller had in progress)."""
    with tempfile.TemporaryDirectory() as folder, \
            SonataSimulator(time_scale=time_scale, max_in_progress=ALLOWED) as sim:
        engine = engine_store.make_engine(f"sqlite:///{Path(folder) / 'db.sqlite'}")
        try:
            sf = engine_store.make_session_factory(engine)
            with engine_store.in_transaction(sf) as session:
                batch_id = batch_store.create_batch(
                    session, FakeImport([checked_row(n) for n in range(2, 2 + ROWS)]),
                    defaults=BatchDefaults(), source_name="bench.csv")
            settings = SonataSettings(token_url=sim.token_url, client_id="bench",
                                      seller="Sim Fiber", offerings={"DIA": "BIA-1"},
                                      contact=Contact("Bench", "bench@buyer.example"),
                                      lanes=lanes)
            with build_client(sim.base_url, "s", kind=SONATA, sonata=settings) as client:
                started = time.perf_counter()
                Processor(sf, client, config=CONFIG, rng=random.Random(1)).run_batch(batch_id)
                elapsed = time.perf_counter() - started
            with sf() as session:
                rows = view_store.batch_rows(session, batch_id)
            made = [q.request["externalId"] for q in sim.state.quotes()]
        finally:
            engine.dispose()
    assert all(r.status in ROW_TERMINAL for r in rows)
    assert len(made) == len(set(made)) == ROWS, "a site quoted twice, or not at all"
    return elapsed, sim.state.most_in_progress


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    one, four, peaks = [], [], []
    for _ in range(args.repeat):  # interleaved: load on the machine hits both alike
        seconds, peak = once(1, args.time_scale)
        one.append(seconds)
        peaks.append(peak)
        seconds, peak = once(ALLOWED, args.time_scale)
        four.append(seconds)
        peaks.append(peak)
    ratio = [f / o for f, o in zip(four, one)]
    lines = [
        "# Lanes",
        "",
        f"`python benchmarks/bench_lanes.py --repeat {args.repeat} --time-scale {args.time_scale}` "
        f"on {platform.node()} ({platform.machine()}), "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        f"{ROWS} rows against the Sonata simulator allowing {ALLOWED} quotes in progress.",
        "",
        "| | best | median |",
        "|---|---|---|",
        f"| 1 lane | {min(one):.2f} s | {statistics.median(one):.2f} s |",
        f"| {ALLOWED} lanes | {min(four):.2f} s | {statistics.median(four):.2f} s |",
        f"| ratio ({ALLOWED} / 1) | {min(ratio):.2f} | {statistics.median(ratio):.2f} |",
        "",
        f"Most quotes in progress at the seller, every run: {max(peaks)} (1 lane: "
        f"{max(peaks[0::2])}, {ALLOWED} lanes: {max(peaks[1::2])}).",
        "",
        f"Targets: ratio at most 0.3; never more than {ALLOWED} in progress.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    ok = statistics.median(ratio) <= 0.3 and max(peaks) <= ALLOWED
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
