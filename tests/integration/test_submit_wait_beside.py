"""`submit --wait` while another BulkQuote (a window, a `resume`) holds the account's lease and
sends the new batch's quotes: the command waits for ITS batch, shows it advancing, says how it
ended and exits by that end; Ctrl-C stops only the waiting. Real processes, the simulator.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulkquote_gui.services.simulator import SimulatorServer


def sites(tmp_path: Path, n: int, name: str) -> Path:
    street = "Congress Ave" if name == "theirs" else "Lavaca St"   # nothing to reuse
    rows = [f"{name} Co,{100 + i} {street},Austin,TX,78701" for i in range(n)]
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join(["Company,Street,City,State,ZIP", *rows]) + "\n", encoding="utf-8")
    return path


def start(env: dict[str, str], db: str, *args: object, api_url: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bulkquote_gui", "--db", db, "--poll-interval", "0.05",
           "--api-url", api_url, *map(str, args)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return proc.returncode, out, err


def stop(holder: subprocess.Popen) -> None:
    holder.send_signal(signal.SIGINT)
    finish(holder)


@pytest.fixture
def env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("BULKQUOTE_DB", None)
    env["BULKQUOTE_API_KEY"] = "team-key"
    # The lease's usual 30 s: a holder slowed by a busy machine is never taken over here.
    return env


@pytest.fixture
def sim():
    server = SimulatorServer(port=0, time_scale=0.03).start()   # about half a second a quote
    yield server
    server.stop()


def holder_running(env, db, tmp_path, sim) -> subprocess.Popen:
    """Another BulkQuote holding the account's lease (as a window does), sending a batch of its
    own, too long to finish during the test, and taking up every new batch of the account in
    fair turns."""
    assert finish(start(env, db, "submit", sites(tmp_path, 300, "theirs"), api_url=sim.base_url))[0] == 0
    holder = start(env, db, "resume", api_url=sim.base_url)
    deadline = time.monotonic() + 60
    while sim.stats()["posts"] < 2:   # it has the lease and is sending
        assert time.monotonic() < deadline and holder.poll() is None, holder.communicate()
        time.sleep(0.05)
    return holder


def test_submit_wait_follows_its_batch_sent_by_another_bulkquote_to_the_end(env, tmp_path, sim):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    holder = holder_running(env, db, tmp_path, sim)
    mine = start(env, db, "submit", sites(tmp_path, 6, "mine"), "--wait", api_url=sim.base_url)
    code, out, err = finish(mine)
    stop(holder)
    batch = int(out.strip())
    lines = err.splitlines()
    assert any("waiting for the account's lease: held by" in line for line in lines), err
    # It showed its batch advancing while the other process sent it...
    moving = [line for line in lines if re.match(rf"batch {batch} running: [1-5]/6 done", line)]
    assert moving and all(line.endswith("(sent by another BulkQuote)") for line in moving), err
    # ...said how it ended, and exits by that end.
    assert lines[-1].startswith(f"batch {batch} complete (6/6 done, "), err
    assert code == 0


def test_ctrl_c_while_another_bulkquote_sends_the_batch_stops_only_the_waiting(env, tmp_path, sim):
    db = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    holder = holder_running(env, db, tmp_path, sim)
    mine = start(env, db, "submit", sites(tmp_path, 6, "mine"), "--wait", api_url=sim.base_url)
    deadline, said = time.monotonic() + 60, []
    while True:   # wait until it shows its batch sent by the other process
        said.append(mine.stderr.readline())
        assert said[-1] and time.monotonic() < deadline, ("no progress shown", said,
                                                          holder.poll() is None or finish(holder))
        if "(sent by another BulkQuote)" in said[-1]:
            break
    mine.send_signal(signal.SIGINT)
    code, out, err = finish(mine)
    batch = int(out.strip())
    assert code == 1
    assert err.splitlines()[-1] == (f"stopped waiting; the BulkQuote holding the account goes on "
                                    f"with batch {batch} (`bulkquote status {batch}`)"), err
    stop(holder)


def test_on_a_terminal_submit_prints_no_bare_batch_number(env, tmp_path):
    # Issue 15, words: a bare "4" line on the terminal; a script reading stdout still gets it.
    import pty

    sheet = sites(tmp_path, 1, "mine")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cmd = [sys.executable, "-m", "bulkquote_gui", "--db", db, "submit", str(sheet)]
    main, terminal = pty.openpty()
    try:
        done = subprocess.run(cmd, env=env, stdout=terminal, stderr=subprocess.PIPE, text=True,
                              timeout=60, check=False)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:   # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 0, done.stderr
    assert shown == b"" and "batch 1 stored: 1 quote\n" in done.stderr   # and "1 quote", not "1 quotes"
    piped = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert piped.stdout == "2\n"
