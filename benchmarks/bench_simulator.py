"""Time the Momentum client against the built-in simulator over loopback.

    python benchmarks/bench_simulator.py [--calls 2000] [--rows 100] [--time-scale 0.01]
                                         [--out benchmarks/simulator_results.md]

Three figures: the round trip of one authenticated GET (keep-alive connection, median and p99),
the same with every fault switch on (how much slower the client's error path is), and a
sequential demo batch of N quotes at the given time scale, each created, polled as the server's
Retry-After says (at least every 20 ms: at small
time scales the integer Retry-After rounds to 0) and finished before the next: the lower bound of a demo run.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bulkquote_gui.core.quoting.momentum import ApiError, MomentumClient, NotFound
from bulkquote_gui.services.simulator import Faults, SimulatorServer


def request(n: int) -> dict:
    return {"reference": f"bench/row-{n}", "customer": {"company": "Bench Co"},
            "location": {"street": f"{100 + n} Congress Ave", "city": "Austin", "state": "TX",
                         "postal_code": "78701"},
            "service": {"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}}


def round_trips(calls: int, faults: Faults) -> list[float]:
    times = []
    with SimulatorServer(time_scale=0, faults=faults) as sim, MomentumClient(sim.base_url, "k") as client:
        for _ in range(calls):
            start = time.perf_counter()
            try:
                client.get_quote("q_missing")
            except (NotFound, ApiError):
                pass
            times.append(time.perf_counter() - start)
    return times


def demo_batch(rows: int, time_scale: float) -> tuple[float, dict]:
    with SimulatorServer(time_scale=time_scale) as sim, MomentumClient(sim.base_url, "k") as client:
        start = time.perf_counter()
        for n in range(rows):
            reply = client.create_quote(request(n), f"bench-{n}")
            while not reply.quote.terminal:
                time.sleep(max(reply.retry_after or 0.0, 0.02))
                reply = client.get_quote(reply.quote.id)
        return time.perf_counter() - start, sim.stats()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--time-scale", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    clean = round_trips(args.calls, Faults())
    faulty = round_trips(args.calls, Faults(rate_limit_rate=0.1, server_error_rate=0.1,
                                            drop_connection_rate=0.1, truncate_body_rate=0.1, seed=1))
    batch_s, stats = demo_batch(args.rows, args.time_scale)

    def ms(values: list[float], q: float) -> str:
        return f"{statistics.quantiles(values, n=100)[int(q) - 1] * 1000:.2f} ms" if q < 100 else ""

    lines = [
        f"# Simulator benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"`python benchmarks/bench_simulator.py --calls {args.calls} --rows {args.rows} "
        f"--time-scale {args.time_scale:g}` on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
        "",
        "| measure | result |",
        "|---|---|",
        f"| GET round trip, no faults (median / p99) | {statistics.median(clean) * 1000:.2f} ms / {ms(clean, 99)} |",
        f"| GET round trip, 40 % faulted (median / p99) | {statistics.median(faulty) * 1000:.2f} ms / {ms(faulty, 99)} |",
        f"| demo batch: {args.rows} quotes, time scale {args.time_scale:g} | {batch_s:.2f} s "
        f"({stats['gets']} polls, {stats['created']} created) |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
