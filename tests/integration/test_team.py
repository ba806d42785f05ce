"""One account, many BulkQuotes: real processes over real loopback HTTP against the simulator,
which enforces one quote in flight per key (409 quote_in_flight) like the API.

Each test prints its figures (run pytest with -s to see them): 409s answered, quotes cancelled,
duplicate quotes, takeover times.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_bulkquote
from tests.helpers.pool_run import quote_with_pool, sites_file
from tests.helpers.store_peek import batch_progress

POLL = "0.05"


def sites(tmp_path: Path, n: int, name: str = "sites", first: int = 100) -> Path:
    return sites_file(tmp_path, n, name, first)


def command(env: dict[str, str], db: str, *args: object, api_url: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "bulkquote_gui", "--db", db, "--poll-interval", POLL,
           "--quote-timeout", "60"]
    if api_url:
        cmd += ["--api-url", api_url]
    return cmd + [str(a) for a in args]


def run(env, db, *args, api_url=None, check=0, timeout=180):
    """A command run to its end, in a process of its own (forked: no interpreter start-up)."""
    out = run_bulkquote(env, command(env, db, *args, api_url=api_url)[3:], timeout=timeout)
    assert "Traceback" not in out.stderr, out.stderr
    if check is not None:
        assert out.returncode == check, (out.returncode, out.stdout, out.stderr)
    return out


def start(env, db, *args, api_url=None) -> subprocess.Popen:
    return subprocess.Popen(command(env, db, *args, api_url=api_url), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return proc.returncode, out, err


class Tail:
    """A running process's stderr, read line by line on a thread: a test waits for what the
    process says (observed), not for a time it assumes is enough."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.out: list[str] = []   # stdout drained too, so a full pipe never blocks the process
        self._reader = threading.Thread(target=self._read, args=(proc.stderr, self.lines),
                                        daemon=True)
        self._reader.start()
        threading.Thread(target=self._read, args=(proc.stdout, self.out), daemon=True).start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        with stream:
            for line in stream:
                into.append(line)

    def wait_for(self, text: str, timeout: float) -> str:
        def said() -> str | None:
            found = next((line for line in list(self.lines) if text in line), None)
            if found is None and not self._reader.is_alive():
                pytest.fail(f"the process ended without saying {text!r}: {self.text()[-2000:]}")
            return found
        return wait_for(said, timeout, f"a line with {text!r}")

    def text(self, timeout: float = 30) -> str:
        self._reader.join(timeout)
        return "".join(self.lines)


def status(env, db, batch) -> dict:
    return json.loads(run(env, db, "status", batch, "--json").stdout)


def submit(env, db, path, *, api_url) -> int:
    return int(run(env, db, "submit", path, api_url=api_url).stdout.strip())


# How the simulator answers some addresses, by design (services/simulator_pricing.py): a real
# answer about the site, unlike a timeout or a cancelled quote, which would be the engine's doing.
SITE_ANSWERS = {"no_coverage", "manual_pricing_required", "address_not_found"}


def answered(report: dict) -> int:
    """Rows with the API's own answer (a price, or a failure about the site); asserts no row
    ended any other way (timed out, cancelled, internal error)."""
    wrong = [r for r in report["rows"]
             if r["status"] != "complete" and not (r["status"] == "failed" and r["error"] in SITE_ANSWERS)]
    assert not wrong, wrong
    return len(report["rows"])


def done(report: dict) -> int:
    return report["counts"]["complete"] + report["counts"]["failed"]


def done_now(db: str, batch: int) -> int:
    """Rows answered so far, read from the store: a poll costs milliseconds, not a CLI start."""
    return batch_progress(db, batch)["done"]


def duplicates(sim: SimulatorServer) -> dict[str, list[str]]:
    """References the server made more than one quote for (a replayed key is not a new quote)."""
    return {ref: ids for ref, ids in sim.stats()["quotes"].items() if len(ids) > 1}


def cancelled(sim: SimulatorServer) -> int:
    return sim.stats()["statuses"].get("cancelled", 0)


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"not within {timeout:g} s: {what}")


@pytest.fixture
def env(tmp_path):
    env = dict(os.environ)
    env.pop("BULKQUOTE_DB", None)
    env["BULKQUOTE_API_KEY"] = "team-key"
    env["BULKQUOTE_LEASE_TTL_S"] = "4"   # takeovers in seconds, not the default half minute
    return env


@pytest.fixture
def sim():
    server = SimulatorServer(port=0, time_scale=0.004).start()   # any key: its own account
    yield server
    server.stop()


@pytest.fixture
def slow_sim():
    """About half a second a quote: a batch is still running when the test steps in."""
    server = SimulatorServer(port=0, time_scale=0.03).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request, tmp_path):
    """One database two processes share: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite'}"
    return request.getfixturevalue("db_url_postgresql")


@pytest.fixture
def db_url_postgresql(postgres_url, request):
    """A fresh PostgreSQL database for a test whose processes share it."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    name = f"team_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------------------------------------------------------- two installs

def test_two_installs_on_one_key_cancel_nothing_and_finish_every_row(sim, env, tmp_path):
    a, b = (f"sqlite:///{tmp_path / name}.sqlite" for name in ("a", "b"))
    batch_a = submit(env, a, sites(tmp_path, 10, "a"), api_url=sim.base_url)
    batch_b = submit(env, b, sites(tmp_path, 10, "b"), api_url=sim.base_url)
    procs = [start(env, a, "resume", api_url=sim.base_url),
             start(env, b, "resume", api_url=sim.base_url)]
    for proc in procs:
        assert finish(proc)[0] == 0
    done = [status(env, a, batch_a), status(env, b, batch_b)]
    stats = sim.stats()
    print(f"\ntwo installs, one key: {stats['in_flight_conflicts'] if 'in_flight_conflicts' in stats else 0} "
          f"409s, {cancelled(sim)} cancelled, {sum(answered(d) for d in done)}/20 answered")
    assert cancelled(sim) == 0
    assert stats["deletes"] == 0
    assert [answered(d) for d in done] == [10, 10]
    assert stats["max_in_flight"] == 1
    assert not duplicates(sim)
    refs = list(stats["quotes"])
    assert len({r.split("/")[0] for r in refs}) == 2, "each install names itself in its references"


# ----------------------------------------------------------------------------- one database

def test_two_processes_on_one_database_send_nothing_twice(sim, env, tmp_path, shared_db):
    first = submit(env, shared_db, sites(tmp_path, 8, "a"), api_url=sim.base_url)
    second = submit(env, shared_db, sites(tmp_path, 8, "b"), api_url=sim.base_url)
    procs = [start(env, shared_db, "resume", api_url=sim.base_url) for _ in range(2)]
    for proc in procs:
        assert finish(proc)[0] == 0
    stats = sim.stats()
    print(f"\ntwo processes, one {shared_db.split(':')[0]} database: "
          f"{stats.get('in_flight_conflicts', 0)} 409s, {len(duplicates(sim))} duplicate quotes, "
          f"{stats['posts']} POSTs for 16 rows")
    assert stats.get("in_flight_conflicts", 0) == 0
    assert not duplicates(sim)
    assert stats["created"] == 16
    for batch in (first, second):
        report = status(env, shared_db, batch)
        assert report["status"] == "complete" and answered(report) == 8


def test_a_killed_holder_is_taken_over_and_nothing_is_lost_or_asked_twice(slow_sim, env, tmp_path):
    sim = slow_sim
    rows = 16  # about 8 s of quotes: the second process is up and waiting well before the end
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    batch = submit(env, db, sites(tmp_path, rows), api_url=sim.base_url)
    holder = start(env, db, "resume", api_url=sim.base_url)
    wait_for(lambda: done_now(db, batch) >= 2, 60, "two rows priced")
    other = start(env, db, "resume", api_url=sim.base_url)
    other_said = Tail(other)
    other_said.wait_for("lease", 60)  # the second process is now waiting for the lease
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=10)  # reaped, its pipes closed
    killed_at = time.monotonic()
    done_before = done_now(db, batch)
    assert done_before < rows, "the holder finished before it could be killed: slow the simulator"
    try:
        wait_for(lambda: done_now(db, batch) > done_before, 60,
                 "the other process to take over")
    except BaseException:
        other.kill()
        other.wait(10)
        print("the other process said:\n" + other_said.text()[-3000:], status(env, db, batch))
        raise
    took_over_s = time.monotonic() - killed_at
    code, err = other.wait(180), other_said.text()
    assert "Traceback" not in err, err
    report = status(env, db, batch)
    print(f"\nSIGKILL of the holder: taken over in {took_over_s:.1f} s (lease 4 s); "
          f"{report['counts']['complete']}/{rows} complete, {len(duplicates(sim))} duplicates")
    assert code == 0, err
    assert took_over_s < 60
    assert report["status"] == "complete" and answered(report) == rows
    assert not duplicates(sim)
    assert sim.stats()["max_in_flight"] == 1


def test_a_frozen_holder_that_wakes_after_a_takeover_starts_no_new_row(slow_sim, env, tmp_path):
    sim = slow_sim
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    batch = submit(env, db, sites(tmp_path, 12), api_url=sim.base_url)
    holder = start(env, db, "resume", api_url=sim.base_url)
    wait_for(lambda: done_now(db, batch) >= 2, 60, "two rows priced")
    holder.send_signal(signal.SIGSTOP)          # a laptop lid closed mid-batch
    frozen_at = sim.stats()["posts"]
    other = start(env, db, "resume", api_url=sim.base_url)
    done_before = done_now(db, batch)
    wait_for(lambda: done_now(db, batch) >= done_before + 2, 60,
             "the other process to take over past the frozen lease")
    holder.send_signal(signal.SIGCONT)          # wakes up believing it still holds the lease
    code_other, _, err_other = finish(other)
    code_holder, _, err_holder = finish(holder)
    report = status(env, db, batch)
    stats = sim.stats()
    print(f"\nSIGSTOP past the lease, then SIGCONT: {stats.get('in_flight_conflicts', 0)} 409s, "
          f"{len(duplicates(sim))} duplicates, {report['counts']['complete']}/12 complete "
          f"({frozen_at} POSTs before the freeze)")
    assert (code_other, code_holder) == (0, 0), (err_other, err_holder)
    assert report["status"] == "complete" and answered(report) == 12
    assert not duplicates(sim)
    assert stats.get("in_flight_conflicts", 0) == 0
    assert stats["max_in_flight"] == 1
    assert "lease" in err_holder, "the woken holder says it stepped back"


# ----------------------------------------------------------------------------- fair turns

def test_a_small_batch_behind_a_big_one_is_done_in_its_turn(env, tmp_path):
    sim = SimulatorServer(port=0, time_scale=0.03).start()   # ~0.5 s a quote: submitting takes ~2
    request_stop = sim.stop
    db = f"sqlite:///{tmp_path / 'one.sqlite'}"
    big = submit(env, db, sites(tmp_path, 40, "big"), api_url=sim.base_url)
    runner = start(env, db, "resume", api_url=sim.base_url)
    wait_for(lambda: done_now(db, big) >= 1, 60, "the big batch going")
    # Other sites than the big batch's: a site priced a moment ago would be reused, not asked.
    small = submit(env, db, sites(tmp_path, 5, "small", first=900), api_url=sim.base_url)
    try:
        assert finish(runner)[0] == 0
        created = [ref.split("/")[1] for ref in sim.stats()["quotes"]]  # batch-N, in order
    finally:
        request_stop()
    # Its turn, observed in the order the API saw the quotes (not in how many of the big batch
    # were left when a slow `status` looked): from its first quote on, the two batches take
    # turns, so its 5 quotes span 9 places (s b s b s b s b s), not 5 + the big batch's rest.
    places = [k for k, batch in enumerate(created) if batch == f"batch-{small}"]
    print(f"\nfair turns: the 5-row batch's quotes were made at places {places} of {len(created)}")
    assert len(places) == 5 and len(created) == 45
    assert places[-1] - places[0] <= 9, created
    assert len(created) - 1 - places[-1] >= 15, created  # done while the big one still ran
    assert answered(status(env, db, big)) == 40 and answered(status(env, db, small)) == 5


def test_rush_takes_a_batch_to_the_front(sim, env, tmp_path):
    db = f"sqlite:///{tmp_path / 'one.sqlite'}"
    first = submit(env, db, sites(tmp_path, 6, "first"), api_url=sim.base_url)
    second = submit(env, db, sites(tmp_path, 6, "second"), api_url=sim.base_url)
    run(env, db, "rush", second)
    assert status(env, db, second)["rush"] is True
    run(env, db, "resume", api_url=sim.base_url)
    created = [ref.split("/")[1] for ref in sim.stats()["quotes"]]   # batch-N, in creation order
    assert created[:6] == [f"batch-{second}"] * 6, created
    assert answered(status(env, db, first)) == 6


# ----------------------------------------------------------------------------- parallel accounts

def test_two_accounts_quote_in_parallel(tmp_path):
    """Each account's line runs beside the other's: the simulator saw both in flight at once.
    (How much faster that is, a wall-time ratio, is measured in
    benchmarks/bench_parallel_accounts.py, not asserted here.)"""
    sim = SimulatorServer(port=0, time_scale=0.03).start()   # ~0.3 s a quote: waiting dominates
    try:
        quote_with_pool(f"sqlite:///{tmp_path / 'db.sqlite'}", sim, {"key-a": 10, "key-b": 10},
                        tmp_path)
        stats = sim.stats()
        assert stats["created"] == 20
        assert stats["max_in_flight"] == 1        # one quote in flight per account, always
        assert stats["max_in_flight_all"] >= 2    # and the two accounts side by side
    finally:
        sim.stop()


def test_the_worker_quotes_for_every_account_it_has_a_key_for(sim, env, tmp_path):
    db = f"sqlite:///{tmp_path / 'team.sqlite'}"
    batches = [submit({**env, "BULKQUOTE_API_KEY": key}, db, sites(tmp_path, 3, key),
                      api_url=sim.base_url) for key in ("key-a", "key-b")]
    worker_env = {**env, "BULKQUOTE_API_KEYS": "key-a, key-b"}
    worker_env.pop("BULKQUOTE_API_KEY")
    out = run(worker_env, db, "worker", "--until-idle", api_url=sim.base_url)
    assert "quoting for 2 account(s)" in out.stderr
    for batch in batches:
        assert answered(status(env, db, batch)) == 3


def test_the_worker_stops_cleanly_on_sigterm_and_frees_the_lease(sim, env, tmp_path):
    db = f"sqlite:///{tmp_path / 'team.sqlite'}"
    worker = start(env, db, "worker", api_url=sim.base_url)        # waits for batches
    batch = submit(env, db, sites(tmp_path, 3), api_url=sim.base_url)
    wait_for(lambda: batch_progress(db, batch)["status"] == "complete", 60,
             "the worker to take it")
    worker.send_signal(signal.SIGTERM)
    code, _, err = finish(worker, timeout=30)
    assert code == 0 and "worker stopped" in err
    # The lease is free: another process runs the next batch at once, with no wait for expiry.
    second = submit(env, db, sites(tmp_path, 2, "second"), api_url=sim.base_url)
    out = run(env, db, "resume", api_url=sim.base_url)
    assert "waiting for the account's lease" not in out.stderr
    assert answered(status(env, db, second)) == 2


# ----------------------------------------------------------------------------- unreachable API

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_api_that_refuses_connections_makes_the_batch_wait_then_it_finishes(env, tmp_path):
    db = f"sqlite:///{tmp_path / 'one.sqlite'}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    batch = submit(env, db, sites(tmp_path, 4), api_url=url)
    proc = start(env, db, "resume", api_url=url)
    started = time.monotonic()
    wait_for(lambda: batch_progress(db, batch)["waiting"], 10, "the batch waiting")
    waited_s = time.monotonic() - started
    report = status(env, db, batch)
    waiting = report["waiting"]
    assert waiting["reason"] == "api"
    assert f"can't reach 127.0.0.1:{port} (connection refused)" in waiting["message"]
    assert report["counts"]["failed"] == 0 and report["status"] == "running"
    time.sleep(3)  # longer than a quote's whole life here: still no row fails
    assert status(env, db, batch)["counts"]["failed"] == 0
    server = SimulatorServer(port=port, time_scale=0.004).start()   # the API comes back
    try:
        code, _, err = finish(proc, timeout=120)
    finally:
        server.stop()
    report = status(env, db, batch)
    print(f"\nrefused connections: waiting after {waited_s:.1f} s; then {report['counts']['complete']}/4 "
          "complete once the API answered")
    assert code == 0, err
    assert "waiting for the API" in err
    assert report["status"] == "complete", report
    assert answered(report) == 4
    assert report["waiting"] is None
