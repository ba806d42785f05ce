"""The team's PostgreSQL database restarts under a running `bulkquote worker` and a running
`submit --wait`: the line waits for it ("the database cannot be reached; waiting"), goes on by
itself when it answers, and the batch finishes with nothing quoted twice.

The module has a cluster of its own (stopping it must not hurt the session's server), each
test a fresh database on it; real CLI processes and the simulator over loopback HTTP. The server is stopped the hard way,
`pg_ctl -m immediate stop`: no goodbye reaches the clients, as in a crash or a power cut.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.postgres import PostgresCluster, PostgresUnavailable
from tests.helpers.store_peek import batch_progress
from tests.integration.test_team import (answered, command, duplicates, env, sites,  # noqa: F401
                                         status, submit, wait_for)

# One worker runs this module whole (.ci/run: --dist loadgroup):
# one crashable PostgreSQL cluster for the module.
pytestmark = pytest.mark.xdist_group("database_restart")

WAITING = "the database cannot be reached; waiting"


class _CrashableDatabase:
    """A fresh database on the module's own cluster (not the session's: these tests stop its
    server); the cluster is made once, as initdb and a first start take seconds each."""

    def __init__(self, cluster: PostgresCluster) -> None:
        self._cluster = cluster
        self.url = cluster.create_database()

    def crash(self) -> None:
        self._cluster.crash()

    def start_again(self) -> None:
        self._cluster.start_again()

    def close(self) -> None:
        if not self._cluster.running:   # a test that failed between crash and start again
            self._cluster.start_again()
        self._cluster.drop_database(self.url)


@pytest.fixture(scope="module")
def crashable_cluster():
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as exc:   # never skipped, as own_postgres_cluster
        pytest.fail(f"no PostgreSQL server for this test: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cluster(crashable_cluster):
    database = _CrashableDatabase(crashable_cluster)
    yield database
    database.close()


@pytest.fixture
def slow_sim():
    """About half a second a quote: the batch is still running when the server goes."""
    server = SimulatorServer(port=0, time_scale=0.03).start()
    yield server
    server.stop()


class Running:
    """A CLI process whose stderr is read as it comes (the test waits on its lines)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr:
            for line in self.proc.stderr:
                self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(10)
        return code, "\n".join(self.lines)


def _restart_under(running: Running, cluster: _CrashableDatabase) -> None:
    """Crash the server once a row has been quoted, start it again once the line says it waits."""
    wait_for(lambda: running.said(": complete"), 60, "a first row quoted")
    cluster.crash()
    wait_for(lambda: running.said(WAITING) or running.proc.poll() is not None, 30,
             "the line to say it waits for the database")
    assert running.proc.poll() is None, "\n".join(running.lines)   # alive, waiting
    cluster.start_again()


def test_the_worker_waits_for_a_restarted_database_and_finishes_the_batch(cluster, slow_sim,
                                                                           env, tmp_path):
    db = cluster.url
    batch = submit(env, db, sites(tmp_path, 8), api_url=slow_sim.base_url)
    worker = Running(command(env, db, "worker", api_url=slow_sim.base_url), env)
    try:
        _restart_under(worker, cluster)
        wait_for(lambda: batch_progress(db, batch)["status"] == "complete", 120,
                 "the batch to finish after the restart")
        assert worker.proc.poll() is None, "\n".join(worker.lines)   # still serving
    finally:
        worker.proc.send_signal(signal.SIGTERM)
    code, err = worker.finish()
    report = status(env, db, batch)
    print(f"\nworker: {worker.said(WAITING)} wait line(s); {answered(report)}/8 rows answered")
    assert code == 0, err
    assert "Traceback" not in err and "could not release" not in err, err
    assert worker.said(WAITING) == 1 and "going on" in err, err
    assert answered(report) == 8 and report["waiting"] is None
    assert duplicates(slow_sim) == {}


def test_submit_wait_rides_out_a_database_restart_with_one_line(cluster, slow_sim, env,
                                                                tmp_path):
    db = cluster.url
    started = time.monotonic()
    run = Running(command(env, db, "submit", sites(tmp_path, 8), "--wait",
                          api_url=slow_sim.base_url), env)
    _restart_under(run, cluster)
    code, err = run.finish()
    print(f"\nsubmit --wait: done {time.monotonic() - started:.1f} s after it started")
    assert code == 0, err
    assert "Traceback" not in err, err
    assert run.said(WAITING) == 1, err
    report = status(env, db, 1)
    assert report["status"] == "complete" and answered(report) == 8
    assert duplicates(slow_sim) == {}


def test_a_worker_stopped_while_the_database_is_away_exits_cleanly(cluster, slow_sim, env,
                                                                   tmp_path):
    db = cluster.url
    batch = submit(env, db, sites(tmp_path, 8), api_url=slow_sim.base_url)
    worker = Running(command(env, db, "worker", api_url=slow_sim.base_url), env)
    wait_for(lambda: worker.said(": complete"), 60, "a first row quoted")
    cluster.crash()
    wait_for(lambda: worker.said(WAITING) or worker.proc.poll() is not None, 30,
             "the worker to say it waits for the database")
    worker.proc.send_signal(signal.SIGTERM)   # systemd stops it while the server is down
    code, err = worker.finish()
    assert code == 0, err
    assert "Traceback" not in err and "worker stopped" in err, err
    cluster.start_again()   # the next runner finishes the batch: nothing lost, nothing twice
    resume = Running(command(env, db, "resume", api_url=slow_sim.base_url), env)
    code, err = resume.finish()
    assert code == 0 and "Traceback" not in err, err
    assert answered(status(env, db, batch)) == 8
    assert duplicates(slow_sim) == {}
