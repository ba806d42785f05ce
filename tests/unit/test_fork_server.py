"""The fork server (tests/helpers/fork_server.py) gives what `python -m bulkquote_gui` in a
subprocess gives (exit code, stdout, stderr), and each run is a process of its own: its own pid,
environment, folder and memory cap, nothing left behind for the next run, killed past its time
cap, a native crash reported as the signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.helpers.fork_server import ForkServer


def probe(argv: list[str]) -> int:
    """A stand-in CLI for the isolation checks: does what argv says, in the forked child."""
    what = argv[0]
    if what == "facts":
        global LEFT_BEHIND
        print(json.dumps({"pid": os.getpid(), "cwd": os.getcwd(), "env": os.environ.get("PROBE"),
                          "stdin": sys.stdin.read(), "left": LEFT_BEHIND}))
        LEFT_BEHIND = "by an earlier run"
        return 0
    if what == "sleep":
        import time
        time.sleep(60)
    if what == "allocate":  # address space only: mapped, never touched
        import mmap
        try:
            mmap.mmap(-1, int(argv[1])).close()
        except (MemoryError, OSError):
            print("refused", file=sys.stderr)
            return 3
        return 0
    if what == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if what == "raise":
        raise ValueError("a bug")
    if what == "exit":
        sys.exit(argv[1] if not argv[1].isdigit() else int(argv[1]))
    return 0


LEFT_BEHIND = None
PROBE = "tests.unit.test_fork_server:probe"


@pytest.fixture(scope="module")
def cli():
    with ForkServer(dict(os.environ), preload=["bulkquote_gui.cli"]) as running:
        yield running


@pytest.fixture(scope="module")
def prober():
    with ForkServer(dict(os.environ), entry=PROBE) as running:
        yield running


@pytest.mark.parametrize("argv", [["--version"], ["--no-such-flag"], ["check", "--help"],
                                  ["check", "/no/such/file.csv", "--json"]])
def test_a_run_gives_what_a_subprocess_gives(cli, argv, tmp_path):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    forked = cli.run(argv, env=env, cwd=tmp_path, time_cap=60)
    real = subprocess.run([sys.executable, "-m", "bulkquote_gui", *argv], capture_output=True,
                          env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert not forked.timeout
    assert (forked.returncode, forked.stdout, forked.stderr) == \
        (real.returncode, real.stdout, real.stderr)


def test_each_run_is_a_process_of_its_own(prober, tmp_path):
    facts = []
    for n in (1, 2):
        folder = tmp_path / str(n)
        folder.mkdir()
        out = prober.run(["facts"], env=dict(os.environ, PROBE=str(n)), cwd=folder, time_cap=60,
                         stdin=b"typed\n" if n == 2 else b"")
        assert out.returncode == 0, out.stderr
        facts.append(json.loads(out.stdout))
    assert [f["env"] for f in facts] == ["1", "2"]
    assert [f["cwd"] for f in facts] == [str(tmp_path / "1"), str(tmp_path / "2")]
    assert facts[0]["pid"] != facts[1]["pid"] and os.getpid() not in {f["pid"] for f in facts}
    assert [f["left"] for f in facts] == [None, None]  # the second run is not the first's leftover
    assert [f["stdin"] for f in facts] == ["", "typed\n"]


def test_the_memory_cap_is_the_childs(prober):
    cap = 1024 ** 3
    refused = prober.run(["allocate", str(2 * cap)], env=dict(os.environ), memory_cap=cap,
                         time_cap=60)
    assert (refused.returncode, refused.stderr) == (3, b"refused\n")
    uncapped = prober.run(["allocate", str(2 * cap)], env=dict(os.environ), time_cap=60)
    assert uncapped.returncode == 0, uncapped.stderr


def test_a_child_past_its_time_cap_is_killed(prober):
    out = prober.run(["sleep"], env=dict(os.environ), time_cap=0.5)
    assert out.timeout and out.returncode is None
    assert prober.run(["exit", "0"], env=dict(os.environ), time_cap=60).returncode == 0


def test_exits_and_crashes_read_as_the_interpreters(prober):
    def run(*argv):
        return prober.run(list(argv), env=dict(os.environ), time_cap=60)

    assert run("crash").returncode == -signal.SIGSEGV
    bug = run("raise")
    assert bug.returncode == 1 and b"Traceback" in bug.stderr and b"ValueError: a bug" in bug.stderr
    assert run("exit", "7").returncode == 7
    said = run("exit", "no can do")
    assert (said.returncode, said.stderr) == (1, b"no can do\n")


def start_a_thread() -> None:
    """Preloaded by the test below: a server that has a thread must not fork."""
    import threading
    import time

    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()


@pytest.mark.parametrize("preload, why", [
    ("tests.unit.test_fork_server:start_a_thread", "2 threads are running"),
    ("PySide6.QtCore", "Qt is loaded"),
])
def test_a_server_with_a_thread_or_qt_refuses_to_fork(preload, why):
    with (ForkServer(dict(os.environ), entry=PROBE, preload=[preload]) as server,
          pytest.raises(RuntimeError, match=why)):
        server.run(["exit", "0"], env=dict(os.environ), time_cap=60)
