"""Engine overhead per quote on a Sonata provider: the processor's own cost, as bench_engine.py
measures it for Momentum, on SQLite and PostgreSQL.

    python benchmarks/bench_sonata_engine.py [--db sqlite|postgresql|both] [--quotes 200]
                                             [--repeat 3] [--out benchmarks/sonata_engine_results.md]

The built-in Sonata simulator at time scale 0 (a quote priced at once) in a process of its own,
on loopback; the real SonataClient (OAuth token, POST /quote, GET /quote/{id}); one lane.
  1. engine + Sonata simulator - the Processor quoting a batch of N rows on a fresh database
                                 (bench_engine.Backend: a SQLite file, or a new database on a
                                 throwaway PostgreSQL server).
  2. bare Sonata calls         - the same POST + GET per row with the client alone, no engine.
Overhead per quote = (1 - 2) / N. Target (issue 17): < 5 ms per quote on each backend.
Best of R runs, interleaved backend by backend, the median beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import FAST, Backend, _Import, run_engine  # noqa: E402

from bulkquote_gui.core.quoting.factory import SONATA, build_client  # noqa: E402
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings  # noqa: E402

assert FAST.poll_interval_s == 0.0


@contextlib.contextmanager
def _simulator_process() -> Iterator[tuple[str, str]]:
    """A zero-latency Sonata simulator in a child process; yields (base URL, token URL)."""
    code = ("import sys\n"
            "from bulkquote_gui.services.sonata_simulator import SonataSimulator\n"
            "sim = SonataSimulator(time_scale=0, max_in_progress=1_000_000).start()\n"
            "print(sim.base_url, sim.token_url, flush=True)\n"
            "sys.stdin.read()\n"
            "sim.stop()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None and proc.stdin is not None
        base, token = proc.stdout.readline().split()
        yield base, token
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _client(base: str, token: str):
    settings = SonataSettings(token_url=token, client_id="bench", seller="Sim Fiber",
                              offerings={"DIA": "BIA-1"}, contact=Contact("Bench", "b@x.example"))
    return build_client(base, "bench-secret", kind=SONATA, sonata=settings)


def run_bare(client, n: int) -> tuple[float, float]:
    rows = _Import(n).rows
    started, cpu = time.perf_counter(), time.process_time()
    for row in rows:
        request = {"reference": f"bare/{uuid.uuid4()}", "customer": {"company": "Bench Co"},
                   "location": {**row.location, "country": "US"}, "service": row.service}
        quote = client.submit(request, str(uuid.uuid4())).quote
        while not quote.status.terminal:
            quote = client.poll(quote.id).quote
    return time.perf_counter() - started, time.process_time() - cpu


def measure(backends: list[Backend], urls: tuple[str, str], n: int, repeat: int
            ) -> dict[str, dict[str, list[float]]]:
    runs = {b.name: {k: [] for k in ("engine", "bare", "engine_cpu", "bare_cpu")} for b in backends}
    for r in range(repeat):
        for backend in backends:
            mine = runs[backend.name]
            with _client(*urls) as client:
                wall, cpu = run_engine(backend, n, client, f"sonata{r}")
            mine["engine"].append(wall)
            mine["engine_cpu"].append(cpu)
            with _client(*urls) as client:
                wall, cpu = run_bare(client, n)
            mine["bare"].append(wall)
            mine["bare_cpu"].append(cpu)
    return runs


def section(backend: Backend, runs: dict[str, list[float]], n: int, repeat: int) -> tuple[list[str], float]:
    per = {k: min(v) / n * 1000 for k, v in runs.items()}
    med = {k: statistics.median(v) / n * 1000 for k, v in runs.items()}
    overhead, overhead_med = per["engine"] - per["bare"], med["engine"] - med["bare"]
    title = "SQLite" if backend.name == "sqlite" else "PostgreSQL"
    return [
        f"## {title}",
        "",
        f"{backend.describe()}; one batch of {n} rows; best of {repeat} (median of {repeat}).",
        "",
        "| run | ms per quote, best | ms per quote, median | CPU ms per quote, best |",
        "|---|---:|---:|---:|",
        f"| engine + Sonata simulator, zero latency | {per['engine']:.2f} | {med['engine']:.2f} "
        f"| {per['engine_cpu']:.2f} |",
        f"| bare Sonata POST + GET, no engine | {per['bare']:.2f} | {med['bare']:.2f} "
        f"| {per['bare_cpu']:.2f} |",
        "",
        f"Engine overhead on a Sonata provider: **{overhead:.2f} ms per quote** (medians: "
        f"{overhead_med:.2f}); in CPU time {per['engine_cpu'] - per['bare_cpu']:.2f} ms. "
        "Target < 5 ms.",
        "",
    ], overhead_med


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quotes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    names = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    body: list[str] = []
    overheads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, _simulator_process() as urls:
        backends: list[Backend] = []
        try:
            for name in names:
                backends.append(Backend(name, Path(tmp)))
            runs = measure(backends, urls, args.quotes, args.repeat)
        finally:
            for backend in backends:
                backend.close()
        for backend in backends:
            lines, overhead = section(backend, runs[backend.name], args.quotes, args.repeat)
            body += lines
            overheads.append(overhead)
    command = (f"python benchmarks/bench_sonata_engine.py --db {args.db} --quotes {args.quotes} "
               f"--repeat {args.repeat}")
    text = "\n".join([
        f"# Engine overhead per quote, Sonata provider ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`{command}` on {platform.machine()} / Python {platform.python_version()} / "
        f"{platform.system()}, {os.cpu_count()} CPUs shared with other jobs "
        f"(load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        *body,
    ])
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    ok = all(o < 5.0 for o in overheads)
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
