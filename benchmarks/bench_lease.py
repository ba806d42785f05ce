"""What the account's lease costs: acquire, renew (the fence), release, on SQLite and PostgreSQL.

    python benchmarks/bench_lease.py [--db sqlite|postgresql|both] [--n 1000] [--quotes 300]
                                     [--out benchmarks/lease_results.md]

1. Microbenchmark, N of each, on a fresh store with one account (timed one call at a time,
   median and p95; the calls are interleaved so load on the machine hits them alike):
     acquire (free)   store.acquire_lease on a free lease: the holder's UPDATE misses, the
                      taking UPDATE (token + 1) hits, the token is read back; one transaction
     acquire (mine)   the holder asks again: its first UPDATE hits, the token is read back
     renew, own txn   `with sf.begin() as s: store.renew_lease(s, ...)`: the heartbeat and
                      LeaseKeeper.check_fence (before a re-POST or a DELETE): one conditional
                      UPDATE in a transaction of its own (checkout, BEGIN, UPDATE, COMMIT)
     submit, fenced   store.mark_submitting with the lease's fence, as the engine runs it before
                      every POST: one conditional UPDATE whose WHERE also checks the token
                      (EXISTS ... FOR SHARE on PostgreSQL), without BEGIN/COMMIT
     submit, unfenced the same UPDATE without the fence: the difference is what the fence costs
     release          store.release_lease
2. The engine's own use of it: the batch of bench_engine.py (in-memory API, no HTTP) run with
   SQLAlchemy's cursor events counting and timing every statement, those on account_lease
   apart, and the transactions and pool checkouts: the lease's share of the per-quote overhead.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_engine import FAST, Backend, InstantApi, _fresh_batch, _Import  # noqa: E402
from bulkquote_gui.core.store import accounts as account_store  # noqa: E402
from bulkquote_gui.core.store import batches as batch_store  # noqa: E402
from bulkquote_gui.core.store import engine as engine_store  # noqa: E402
from bulkquote_gui.core.store import rows as row_store  # noqa: E402
from bulkquote_gui.core.store import work as work_store  # noqa: E402
from bulkquote_gui.core.engine.processor import Processor  # noqa: E402
from bulkquote_gui.core.offer import BatchDefaults  # noqa: E402
from bulkquote_gui.core.store.models import BatchQuote  # noqa: E402
from bulkquote_gui.core.store.accounts import Holder  # noqa: E402

TTL_S = 30.0
KINDS = ("acquire (free)", "acquire (mine)", "renew, own txn", "submit, fenced",
         "submit, unfenced", "release")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def micro(backend: Backend, n: int) -> dict[str, list[float]]:
    url = backend.url("lease")
    engine = engine_store.make_engine(url)
    sf = engine_store.make_session_factory(engine)
    account = account_store.ensure_account(sf, "http://127.0.0.1:1", "bench-key")
    holder = Holder("bench-instance", "bench pid 1 (bench)")
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    clock = time.perf_counter

    def timed(kind: str, fn):
        t = clock()
        value = fn()
        times[kind].append(clock() - t)
        return value

    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, _Import(2 * (n + 20)), defaults=BatchDefaults(),
                                      source_name="bench.csv", account_id=account.id)
    with sf() as session:
        rows = [work_store.load_row(session, row_id) for row_id in session.scalars(
            select(BatchQuote.id).where(BatchQuote.batch_id == batch_id).order_by(BatchQuote.id))]
    for i in range(n + 20):  # the first 20 warm the pool and the statement caches
        now = datetime.now(timezone.utc)
        token = timed("acquire (free)", lambda: account_store.acquire_lease(sf, account.id, holder, now, TTL_S))
        assert token is not None
        again = timed("acquire (mine)", lambda: account_store.acquire_lease(sf, account.id, holder, now, TTL_S))
        assert again == token

        def renew_own() -> None:
            with sf.begin() as session:
                account_store.renew_lease(session, account.id, holder, token, now, TTL_S)
        timed("renew, own txn", renew_own)
        fence = account_store.Fence(account.id, holder, token, TTL_S)
        fenced, unfenced = rows[2 * i], rows[2 * i + 1]

        def submit(row, fence) -> None:
            with engine_store.autocommit(sf) as session:   # as Outcomes.write_row runs it
                assert row_store.mark_submitting(session, row, now, fence=fence)
        timed("submit, fenced", lambda: submit(fenced, fence))
        timed("submit, unfenced", lambda: submit(unfenced, None))
        released = timed("release", lambda: account_store.release_lease(sf, account.id, holder, token))
        assert released
        if i < 20:
            for values in times.values():
                values.clear()
    engine.dispose()
    backend.drop(url)
    return times


class Census:
    """Statements, transactions and checkouts of one engine, the account_lease ones apart."""

    def __init__(self) -> None:
        self.statements = Counter()
        self.seconds = Counter()
        self.transactions = 0     # with BEGIN and COMMIT/ROLLBACK (not the autocommit ones)
        self.checkouts = 0
        self.pings = 0            # store.engine.ping_when_in_doubt's: a round trip each
        self._started: list[float] = []

    def attach(self, engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "begin", self._begin)
        event.listen(engine.pool, "checkout", self._checkout)
        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection):
            self.pings += 1
            return ping(dbapi_connection)
        engine.dialect.do_ping = counted_ping

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        words = statement.split()
        head = words[0].upper()
        target = {"UPDATE": words[1:2], "INSERT": words[2:3], "DELETE": words[2:3]}.get(head)
        if target is None:   # a SELECT: the lease's if it reads account_lease alone
            target = ["account_lease"] if "FROM account_lease" in statement and \
                statement.count(" FROM ") == 1 else []
        if target == ["account_lease"]:
            kind = f"{head} account_lease"
        elif "account_lease" in statement:
            kind = f"{head} fenced by account_lease"
        else:
            kind = head
        self.statements[kind] += 1
        self.seconds[kind] += elapsed

    def _begin(self, conn) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self.transactions += 1

    def _checkout(self, dbapi_conn, record, proxy) -> None:
        self.checkouts += 1


def census(backend: Backend, quotes: int) -> tuple[Census, float, float]:
    """The in-memory engine run of bench_engine.py, with every statement counted and timed."""
    url, engine, sf, batch_id = _fresh_batch(backend, quotes, "census")
    found = Census()
    found.attach(engine)
    processor = Processor(sf, InstantApi(), config=FAST)
    started, cpu = time.perf_counter(), time.process_time()
    status = processor.run_batch(batch_id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    backend.drop(url)
    assert status == "complete", status
    return found, elapsed, cpu


def section(backend: Backend, times: dict[str, list[float]], found: Census, elapsed: float,
            cpu: float, quotes: int, n: int) -> list[str]:
    title = "SQLite" if backend.name == "sqlite" else "PostgreSQL"
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    p95 = {k: pct(v, 0.95) * 1000 for k, v in times.items()}
    best = {k: min(v) * 1000 for k, v in times.items()}
    lines = [f"## {title}", "", f"{backend.describe()}.", "",
             f"| call (N = {n}) | median ms | p95 ms | best ms |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {med[k]:.3f} | {p95[k]:.3f} | {best[k]:.3f} |" for k in KINDS]
    per_quote_ms = elapsed / quotes * 1000
    lease_kinds = [k for k in found.statements if k.split()[1:] == ["account_lease"]]
    lease_stmts = sum(found.statements[k] for k in lease_kinds)
    lease_s = sum(found.seconds[k] for k in lease_kinds)
    all_s = sum(found.seconds.values())
    lines += [
        "",
        f"The engine's batch of {quotes} rows (in-memory API, as in bench_engine.py): "
        f"{elapsed:.2f} s, **{per_quote_ms:.2f} ms per quote** ({cpu / quotes * 1000:.2f} ms of it "
        f"this process's CPU time, the rest waiting: for the server, and for a CPU on this busy machine); per quote "
        f"{found.transactions / quotes:.1f} transactions, {found.checkouts / quotes:.1f} pool "
        f"checkouts, {sum(found.statements.values()) / quotes:.1f} statements "
        f"({all_s / quotes * 1000:.2f} ms inside cursor.execute):",
        "",
        "| statement | per quote | ms per quote (in execute) |",
        "|---|---:|---:|",
    ]
    for kind, count in sorted(found.statements.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {kind} | {count / quotes:.2f} | {found.seconds[kind] / quotes * 1000:.3f} |")
    trips = found.pings + 2 * found.transactions + sum(found.statements.values())
    if backend.cluster is not None:
        lines += [
            "",
            f"Round trips to the server per quote: **{trips / quotes:.1f}** = "
            f"{found.pings / quotes:.2f} pings (a pooled connection is pinged only after 10 s idle "
            f"or when its socket has something to read: {found.pings} in this run) + "
            f"{2 * found.transactions / quotes:.1f} BEGIN and COMMIT/ROLLBACK (the result's "
            f"transaction; `submitting`, `polling` and the line's read need none) + "
            f"{sum(found.statements.values()) / quotes:.1f} statements. Each costs the network's "
            f"round trip on top of the figures above: at 1 ms (a LAN) that is "
            f"{trips / quotes:.0f} ms more per quote."]
    fence_ms = med["submit, fenced"] - med["submit, unfenced"]
    lines += [
        "",
        f"Lease statements per quote: {lease_stmts / quotes:.2f}, "
        f"{lease_s / quotes * 1000:.3f} ms in execute = **{lease_s / elapsed * 100:.1f}% of the "
        f"engine's per-quote time**; the fence itself is no statement of its own but part of "
        f"the `submitting` UPDATE, where it adds {fence_ms:.3f} ms a quote "
        f"({fence_ms / per_quote_ms * 100:.1f}%; fenced {med['submit, fenced']:.3f} ms, unfenced "
        f"{med['submit, unfenced']:.3f} ms). A heartbeat (`renew, own txn`, "
        f"{med['renew, own txn']:.3f} ms) runs once per {FAST.heartbeat_s:.0f} s, not per quote; "
        f"acquire + release ({med['acquire (free)'] + med['release']:.3f} ms) once per run.",
        "",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--quotes", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    names = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    body: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            backend = Backend(name, Path(tmp))
            try:
                times = micro(backend, args.n)
                found, elapsed, cpu = census(backend, args.quotes)
            finally:
                backend.close()
            body += section(backend, times, found, elapsed, cpu, args.quotes, args.n)
    command = f"python benchmarks/bench_lease.py --db {args.db} --n {args.n} --quotes {args.quotes}"
    lines = [
        f"# Lease cost ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"`{command}` on {platform.machine()} / Python {platform.python_version()} / "
        f"{platform.system()}, {os.cpu_count()} CPUs shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end). Each call timed alone with perf_counter.",
        "",
        *body,
    ]
    text_out = "\n".join(lines)
    print(text_out)
    if args.out:
        args.out.write_text(text_out, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
