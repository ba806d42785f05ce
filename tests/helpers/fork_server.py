"""The CLI as a separate process per run, without paying the interpreter's start-up each time.

    with ForkServer(env, preload=["bulkquote_gui.commands.check", "pandas"]) as server:
        out = server.run(["check", path, "--json"], env=env, memory_cap=1 << 30, time_cap=20)
        out.returncode, out.stdout, out.stderr, out.timeout, out.seconds, out.cpu_seconds

`python -m bulkquote_gui` spends ~1 s (3 s under load) starting the interpreter and importing
pandas and the app before it reads a file. Here one server process (a fresh interpreter, never
the test run itself: pytest may hold Qt and threads) imports the app once, then `fork()`s a
child per run. The child is a real separate process with its own memory cap (RLIMIT_AS), its
own environment, working folder, and stdin, stdout and stderr in files; it runs the CLI's
`main` and ends through the interpreter's own exit, as `python -m bulkquote_gui` would (an
uncaught exception: the traceback on stderr and 1; a native crash: killed by the signal, -N).
The server kills a child past its time cap. It refuses to fork once a thread or Qt exists in
it, since a child of such a process can deadlock or inherit a half-made Qt. `ForkPool` (below)
shares servers between callers, one more when all are busy.

Where a test needs a process's own identity over time (kill -9, signals, a lease held by its
pid) it keeps using a real `subprocess`; this is for runs judged by exit code and output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self


@dataclass(frozen=True)
class Outcome:
    returncode: int | None   # None when the time cap was reached and the child was killed
    stdout: bytes
    stderr: bytes
    timeout: bool
    seconds: float           # the child's life, fork to exit
    cpu_seconds: float       # the CPU it used (user + system): its own cost, whatever the load


class ForkServer:
    """One server process; `run` may be called from one thread at a time per server."""

    def __init__(self, env: Mapping[str, str], preload: Sequence[str] = (),
                 entry: str = "bulkquote_gui.__main__:main") -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="bq-fork-"))
        self._runs = 0
        self._lock = threading.Lock()
        # numpy's OpenBLAS would start a thread pool on import; one thread keeps fork() safe
        # (the CLI never multiplies matrices).
        server_env = dict(env, OPENBLAS_NUM_THREADS="1")
        self._process = subprocess.Popen(
            [sys.executable, __file__, entry, *preload], env=server_env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self._process.stdout.readline()
        if ready.strip() != "ready":
            self.close()
            raise RuntimeError(f"the fork server did not start: {ready!r}")

    def run(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: str | os.PathLike | None = None,
            memory_cap: int | None = None, time_cap: float = 120.0, stdin: bytes = b"") -> Outcome:
        with self._lock:
            self._runs += 1
            inp, out, err = (self._folder / f"{self._runs}.{x}" for x in ("in", "out", "err"))
            inp.write_bytes(stdin)
            request = {"argv": [str(a) for a in argv], "env": dict(env),
                       "cwd": str(cwd or os.getcwd()), "in": str(inp), "out": str(out),
                       "err": str(err), "memory_cap": memory_cap, "time_cap": time_cap}
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
            if not answer:
                raise RuntimeError(f"the fork server died (exit {self._process.wait()})")
            result = json.loads(answer)
            if "refused" in result:
                raise RuntimeError(f"the fork server refused to fork: {result['refused']}")
            outcome = Outcome(result["returncode"], out.read_bytes(), err.read_bytes(),
                              result["timeout"], result["seconds"], result["cpu_seconds"])
            for path in (inp, out, err):
                path.unlink()
            return outcome

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        for leftover in self._folder.iterdir():
            leftover.unlink()
        self._folder.rmdir()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


# ---------------------------------------------------------------------------- the server side


def _why_not_fork() -> str | None:
    threads = len(os.listdir("/proc/self/task"))  # native ones too (a BLAS pool, Qt's)
    if threads != 1:
        return f"{threads} threads are running"
    qt = [name for name in sys.modules if name.startswith(("PySide6", "shiboken6"))]
    if qt:
        return f"Qt is loaded ({qt[0]})"
    return None


def _become_the_cli(request: dict, program: str) -> None:
    """In the forked child: its cap, stdio, folder, argv and environment, as the CLI's own."""
    import resource

    try:
        if request["memory_cap"]:
            cap = request["memory_cap"]
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        for fd, path, flags in ((0, request["in"], os.O_RDONLY),
                                (1, request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                (2, request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        os.chdir(request["cwd"])
        sys.argv = [program, *request["argv"]]
        os.environ.clear()
        os.environ.update(request["env"])
    except BaseException:  # noqa: BLE001 (never back into the server's loop)
        os._exit(70)


def _serve() -> None:
    import importlib
    import select
    import signal

    sys.path[0] = os.getcwd()  # as `python -m bulkquote_gui` has it, not this file's folder
    entry, *preload = sys.argv[1:]
    module, _, function = entry.partition(":")
    entry_module = importlib.import_module(module)
    main = getattr(entry_module, function)
    for name in preload:  # "module", or "module:function" to call (a table loaded once)
        module, _, function = name.partition(":")
        loaded = importlib.import_module(module)
        if function:
            getattr(loaded, function)()
    import gc
    gc.freeze()  # the collector leaves the imported objects alone: children copy fewer pages
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        refusal = _why_not_fork()
        if refusal:
            print(json.dumps({"refused": refusal}), flush=True)
            continue
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _become_the_cli(request, entry_module.__file__)
            # As `python -m bulkquote_gui` ends: SystemExit, or an uncaught exception printed
            # with its traceback (exit 1), rises through this loop to the interpreter, which
            # joins threads, runs atexit, closes files and exits with the code.
            sys.exit(main(request["argv"]))
        pidfd = os.pidfd_open(pid)
        finished, _, _ = select.select([pidfd], [], [], request["time_cap"])
        if not finished:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        os.close(pidfd)
        print(json.dumps({"returncode": None if not finished else os.waitstatus_to_exitcode(status),
                          "timeout": not finished, "seconds": time.monotonic() - started,
                          "cpu_seconds": usage.ru_utime + usage.ru_stime}), flush=True)


if __name__ == "__main__":
    _serve()


class ForkPool:
    """Servers for any number of callers: an idle one is reused, a new one started when all are
    busy (two runs at once stay two processes at once). Only servers started with the same
    interpreter settings are shared: a PYTHON* variable or the locale is read when an
    interpreter starts, so a run asking for another value gets a server started with it."""

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self._preload = list(preload)
        self._idle: dict[tuple, list[ForkServer]] = {}
        self._all: list[ForkServer] = []
        self._lock = threading.Lock()

    @staticmethod
    def _start_settings(env: Mapping[str, str]) -> tuple:
        return tuple(sorted((k, v) for k, v in env.items()
                            if k.startswith(("PYTHON", "LC_")) or k in ("LANG", "LANGUAGE")))

    def run(self, argv: Sequence[str], *, env: Mapping[str, str], **how) -> Outcome:
        key = self._start_settings(env)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            server = idle.pop() if idle else None
        if server is None:
            server = ForkServer(env, preload=self._preload)
            with self._lock:
                self._all.append(server)
        try:
            return server.run(argv, env=env, **how)
        finally:
            with self._lock:
                self._idle[key].append(server)

    def close(self) -> None:
        with self._lock:
            servers, self._all, self._idle = self._all, [], {}
        for server in servers:
            server.close()
