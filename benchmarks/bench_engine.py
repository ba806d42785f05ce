"""Engine overhead per quote: the processor's own cost (store writes, events, bookkeeping).

    python benchmarks/bench_engine.py [--quotes 300] [--repeat 3] [--out benchmarks/engine_results.md]

Three runs of the same batch of N rows, each on a fresh SQLite file (WAL, as in the app):
  1. engine + in-memory API   - the Processor against an API double that answers at once
                                (POST -> queued, GET -> complete): pure engine overhead.
  2. engine + HTTP simulator  - the Processor with the real MomentumClient against the built-in
                                simulator at time_scale 0 (zero latency) over loopback, the
                                simulator in its own process (as a real API would be: no GIL
                                shared with the engine).
  3. bare HTTP                - the same POST + GET pairs with the client alone, no engine.
Overhead per quote over HTTP = (2 - 3) / N. Target: < 5 ms per quote. Best of R runs.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from bulkquote_gui.core import store
from bulkquote_gui.core.momentum import ApiReply, MomentumClient, QuoteOption, QuoteResult, RemoteQuote
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.rows import CheckedRow, RowStatus

FAST = EngineConfig(poll_interval_s=0.0, retry_after_floor_s=0.0, backoff_base_s=0.0)
STATES = ["TX", "MA", "IL", "WA", "CO", "NY", "CA", "GA"]
ZIPS = ["78701", "02110", "60601", "98101", "80202", "10016", "94105", "30303"]


class _Import:
    def __init__(self, n: int) -> None:
        self.columns = ["Site", "Street", "City", "State", "ZIP"]
        self.mapping = {"site_id": "Site", "street": "Street", "city": "City", "state": "State",
                        "postal_code": "ZIP"}
        self.rows = []
        for i in range(n):
            street = f"{100 + i} Congress Ave"
            loc = {"street": street, "city": "Austin", "state": STATES[i % 8], "postal_code": ZIPS[i % 8]}
            self.rows.append(CheckedRow(
                index=i, row_number=i + 2, original=dict(zip(self.columns, [f"S{i}", street, "Austin",
                                                                             loc["state"], loc["postal_code"]])),
                status=RowStatus.VALID, location=loc, customer={"company": "Bench Co"},
                service={"product": "DIA", "bandwidth_mbps": 1000, "term_months": 36}))

    def quotable_rows(self):
        return iter(self.rows)


class InstantApi:
    """POST answers queued, the first GET complete: no waiting, no HTTP."""

    def __init__(self) -> None:
        self.n = 0
        opts = (QuoteOption("Lumen", "DIA", 1000, 36, Decimal("899.00"), Decimal("0.00"), "USD", 45,
                            "on_net", False),)
        self.result = QuoteResult(opts, 0, date(2026, 12, 29))

    def _quote(self, quote_id: str, status: str) -> RemoteQuote:
        now = datetime.now(timezone.utc)
        return RemoteQuote(quote_id, status, None, self.result if status == "complete" else None,
                           None, None, now, now)

    def create_quote(self, request, idempotency_key):
        self.n += 1
        return ApiReply(self._quote(f"q{self.n}", "queued"), 0.0, False)

    def get_quote(self, quote_id):
        return ApiReply(self._quote(quote_id, "complete"), None, False)

    def cancel_quote(self, quote_id):
        return ApiReply(self._quote(quote_id, "cancelled"), None, False)


def _fresh_batch(folder: Path, n: int, name: str):
    engine = store.make_engine(f"sqlite:///{folder / (name + '.sqlite')}")
    sf = store.make_session_factory(engine)
    batch_id = store.create_batch(sf, _Import(n), defaults=BatchDefaults(), source_name="bench.csv")
    return engine, sf, batch_id


def run_engine(folder: Path, n: int, client, name: str) -> float:
    engine, sf, batch_id = _fresh_batch(folder, n, name)
    events = []
    processor = Processor(sf, client, on_event=events.append, config=FAST)
    started = time.perf_counter()
    status = processor.run_batch(batch_id)
    elapsed = time.perf_counter() - started
    with sf() as session:
        counts = store.batch_counts(session, batch_id)
    engine.dispose()
    assert status == "complete" and counts["pending"] + counts["active"] == 0, (status, counts)
    return elapsed


def run_bare_http(client: MomentumClient, n: int) -> float:
    rows = _Import(n).rows
    started = time.perf_counter()
    for row in rows:
        request = {"reference": f"bare/{uuid.uuid4()}", "customer": {"company": "Bench Co"},
                   "location": {**row.location, "country": "US"}, "service": row.service}
        reply = client.create_quote(request, str(uuid.uuid4()))
        while not client.get_quote(reply.quote.id).quote.terminal:
            pass
    return time.perf_counter() - started


@contextlib.contextmanager
def _simulator_process() -> Iterator[str]:
    """A zero-latency simulator in a child process; yields its base URL."""
    code = ("import sys\n"
            "from bulkquote_gui.services.simulator import SimulatorServer\n"
            "sim = SimulatorServer(port=0, time_scale=0).start()\n"
            "print(sim.base_url, flush=True)\n"
            "sys.stdin.read()\n"
            "sim.stop()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    n = args.quotes
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, _simulator_process() as base_url:
        folder = Path(tmp)
        for r in range(args.repeat):
            t_mem = run_engine(folder, n, InstantApi(), f"mem{r}")
            with MomentumClient(base_url, "bench-key") as client:
                t_http = run_engine(folder, n, client, f"http{r}")
            with MomentumClient(base_url, "bench-key") as client:
                t_bare = run_bare_http(client, n)
            for key, value in (("mem", t_mem), ("http", t_http), ("bare", t_bare)):
                results[key] = min(results.get(key, float("inf")), value)
    per = {k: v / n * 1000 for k, v in results.items()}
    overhead_http = per["http"] - per["bare"]
    lines = [
        f"# Engine overhead per quote ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`python benchmarks/bench_engine.py --quotes {n} --repeat {args.repeat}` "
        f"on {platform.machine()} / Python {platform.python_version()} / {platform.system()}, "
        f"best of {args.repeat}; SQLite file in WAL mode, one batch of {n} rows.",
        "",
        "| run | total s | ms per quote |",
        "|---|---:|---:|",
        f"| engine + in-memory API (pure engine overhead) | {results['mem']:.3f} | {per['mem']:.2f} |",
        f"| engine + HTTP simulator, zero latency | {results['http']:.3f} | {per['http']:.2f} |",
        f"| bare HTTP POST + GET, no engine | {results['bare']:.3f} | {per['bare']:.2f} |",
        "",
        f"Engine overhead over HTTP (engine + HTTP minus bare HTTP): **{overhead_http:.2f} ms per quote**; "
        f"measured directly without HTTP: **{per['mem']:.2f} ms per quote**. Target < 5 ms.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
