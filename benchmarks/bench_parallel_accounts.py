"""Two accounts quote side by side: 20 rows on one account against 10 + 10 on two.

    python benchmarks/bench_parallel_accounts.py [--repeat 3] [--out benchmarks/parallel_results.md]

The built-in simulator on loopback at time scale 0.03 (about 0.3 s a quote, so waiting
dominates), the engine as `bulkquote worker` runs it (tests/helpers/pool_run.py). Each account
has one quote in flight at a time (its rule), so two accounts should take about half as long.
The test (tests/integration/test_team.py) checks that they really overlap; this times it.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bulkquote_gui.services.simulator import SimulatorServer  # noqa: E402
from tests.helpers.pool_run import quote_with_pool  # noqa: E402


def once(batches: dict[str, int]) -> float:
    sim = SimulatorServer(port=0, time_scale=0.03).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            return quote_with_pool(f"sqlite:///{Path(folder) / 'db.sqlite'}", sim, batches,
                                   Path(folder))
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    single, parallel = [], []
    for _ in range(args.repeat):  # interleaved: load on the machine hits both alike
        single.append(once({"key-0": 20}))
        parallel.append(once({"key-a": 10, "key-b": 10}))
    ratio = [p / s for p, s in zip(parallel, single)]
    lines = [
        "# Parallel accounts",
        "",
        f"`python benchmarks/bench_parallel_accounts.py --repeat {args.repeat}` on "
        f"{platform.node()} ({platform.machine()}), "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        "| | best | median |",
        "|---|---|---|",
        f"| 20 rows, one account | {min(single):.2f} s | {statistics.median(single):.2f} s |",
        f"| 10 + 10 rows, two accounts | {min(parallel):.2f} s | "
        f"{statistics.median(parallel):.2f} s |",
        f"| ratio (two / one) | {min(ratio):.2f} | {statistics.median(ratio):.2f} |",
        "",
        "Target: at most 0.6 (the line of each account is its own; the old test's bound).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
