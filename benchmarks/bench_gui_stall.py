"""The window's longest stall while a batch runs on a slow team database and the rep pauses
and resumes it: every database round trip delayed by 300 ms.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_stall.py \
        [--delay-ms 300] [--cycles 4] [--rows 30] [--out benchmarks/gui_results.md]

A throwaway PostgreSQL server (tests/helpers/postgres.py) behind benchmarks/delay_proxy.py (its
own process, on 127.0.0.1: each chunk from client to server held `delay`, so every round trip
takes >= delay). The store is made and the batch stored over a direct connection; then the
app's store is pointed at the proxy and the real MainWindow (offscreen, qasync loop, built as in
bench_gui.py) runs the batch against the built-in simulator (time scale 0.01, in-process),
and the rep pauses it and resumes it `cycles` times from the GUI thread (the progress page's
Pause/Resume button: window.batches.pause_batch / resume_batch), each pause a varying time after
a row event.

A 10 ms QTimer (PreciseTimer) on the GUI thread measures stalls: the longest gap between two
ticks (reported raw and minus the 10 ms interval). Target: under 100 ms. Meanwhile:
  * every pool checkout and statement made ON THE GUI THREAD on the delayed engine is recorded
    with the stack that made it (a SQLAlchemy event hook), and
  * a watchdog thread samples the GUI thread's stack whenever a tick is over 50 ms late,
so a stall is named by the call that waited. Window construction (MainWindow(context) builds
the worker, whose Processor is made on the GUI thread) is timed on its own, before the loop runs.
Appends a section to benchmarks/gui_results.md with --out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
HEARTBEAT_MS = 10
LATE_S = 0.05  # the watchdog samples the GUI thread's stack once a tick is this late


class Heartbeat:
    """Gaps between GUI-thread ticks of a 10 ms timer."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.gaps: list[tuple[float, float]] = []  # (gap s, when it ended)
        self.running = False

    def start(self) -> None:
        self.last = time.perf_counter()
        self.gaps = []
        self.running = True
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.running = False

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last, now))
        self.last = now

    @property
    def worst(self) -> float:
        return max((g for g, _ in self.gaps), default=0.0)


class Watchdog(threading.Thread):
    """Samples the GUI thread's stack while its ticks are late (names what it waits on)."""

    def __init__(self, beat: Heartbeat) -> None:
        super().__init__(daemon=True, name="stall-watchdog")
        self.beat = beat
        self.main_id = threading.main_thread().ident
        self.samples: list[tuple[float, float, str]] = []  # (stall start, late by, stack)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.01):
            if not self.beat.running:
                continue
            last = self.beat.last
            late = time.perf_counter() - last
            if late > LATE_S and (not self.samples or self.samples[-1][0] != last):
                frame = sys._current_frames().get(self.main_id)
                stack = "".join(traceback.format_stack(frame, limit=14)) if frame else ""
                self.samples.append((last, late, stack))

    def halt(self) -> None:
        self._halt.set()


class GuiThreadDb:
    """Checkouts and statements the GUI thread makes on an engine, with their stacks."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event
        self.hits: list[tuple[str, str]] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)

    def _record(self, what: str) -> None:
        if threading.current_thread() is threading.main_thread():
            self.hits.append((what, "".join(traceback.format_stack(limit=16)[:-2])))

    def _statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._record(" ".join(statement.split())[:90])

    def _checkout(self, dbapi_conn, record, proxy) -> None:
        self._record("pool checkout (a ping, one round trip, when the connection is in doubt)")


def our_frames(stack: str, limit: int = 4) -> list[str]:
    """The deepest lines of the stack that are the app's own code (bulkquote_gui/...)."""
    lines = [ln.strip() for ln in stack.splitlines() if ln.strip().startswith("File ")]
    ours = [ln for ln in lines if "bulkquote_gui" in ln]
    short = [ln.replace(str(ROOT) + "/", "").replace('File "', "").replace('", line ', ":")
             for ln in ours]
    return short[-limit:]


def raw_frames(stack: str, limit: int = 2) -> list[str]:
    lines = [ln.strip() for ln in stack.splitlines() if ln.strip().startswith("File ")]
    short = [ln.replace('File "', "").replace('", line ', ":") for ln in lines]
    return ["/".join(ln.split(",")[0].split("/")[-2:]) for ln in short][-limit:]


async def until(predicate, timeout: float, what: str) -> None:
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def drive(window, batch_id: int, beat: Heartbeat, cycles: int, rounds: int,
                log: list[str]) -> dict:
    page = window.progress_page
    quotes: list[float] = []
    window.worker.quote_event.connect(
        lambda e: quotes.append(time.perf_counter()) if e.batch_id == batch_id else None)
    commanded: list[str] = []
    window.commanded.connect(lambda name, b: commanded.append(name))
    t0 = time.perf_counter()
    beat.start()
    window.start()
    window.open_batch(batch_id)
    await until(lambda: page.batch_id == batch_id, 120, "the batch to open")
    log.append(f"{time.perf_counter() - t0:6.1f} s  batch #{batch_id} shown")
    # Start-up apart (as in bench_gui.py): the spreadsheet reader is imported on a thread then.
    await asyncio.sleep(max(0.0, 3.0 - (time.perf_counter() - t0)))
    beat.stop()
    startup_worst = beat.worst
    log.append(f"{time.perf_counter() - t0:6.1f} s  start-up: longest gap {startup_worst * 1000:.0f} ms")
    beat.start()
    window.worker.start_batch(batch_id)
    pause_lat: list[float] = []
    resume_lat: list[float] = []
    round_worst: list[float] = []
    all_gaps: list[float] = []
    offsets = [0.0, 0.4, 1.1, 2.3, 0.7, 1.6, 0.2, 3.0]
    for r in range(rounds):
        if r:
            beat.start()
        round_t0 = beat.last
        for cycle in range(cycles):
            seen = len(quotes)
            await until(lambda: len(quotes) > seen and page.status == "running", 180,
                        "a row event of the running batch")
            await asyncio.sleep(offsets[(r * cycles + cycle) % len(offsets)])
            in_hand = window.worker.current_batch() == batch_id
            t = time.perf_counter()
            page.pause_button.click()  # -> window.batches.pause_batch(batch_id)
            await until(lambda: page.status == "paused", 180, "the pause")
            pause_lat.append(time.perf_counter() - t)
            log.append(f"{time.perf_counter() - t0:6.1f} s  round {r + 1}: paused  in "
                       f"{pause_lat[-1]:5.2f} s (row in hand when clicked: {in_hand})")
            await asyncio.sleep(0.5)
            t = time.perf_counter()
            n_resumed = commanded.count("resume")
            page.pause_button.click()  # -> window.batches.resume_batch(batch_id)
            await until(lambda: commanded.count("resume") > n_resumed, 180, "the resume")
            resume_lat.append(time.perf_counter() - t)
            log.append(f"{time.perf_counter() - t0:6.1f} s  round {r + 1}: resumed in "
                       f"{resume_lat[-1]:5.2f} s (store says {page.status})")
        seen = len(quotes)
        await until(lambda: len(quotes) > seen, 180, "a row event after the last resume")
        beat.stop()
        round_worst.append(beat.worst)
        all_gaps += [g for g, _ in beat.gaps]
        gap, at = max(beat.gaps)
        log.append(f"{time.perf_counter() - t0:6.1f} s  round {r + 1}: longest gap "
                   f"{gap * 1000:.0f} ms (ended {at - round_t0:.1f} s into the round) over "
                   f"{len(beat.gaps)} ticks")
    elapsed = time.perf_counter() - t0
    t = time.perf_counter()
    window.shutdown()  # inside the loop: its last operations find a running loop
    shutdown_s = time.perf_counter() - t
    return {"pause_s": pause_lat, "resume_s": resume_lat, "elapsed_s": elapsed,
            "quote_events": len(quotes), "round_worst": round_worst, "gaps": all_gaps,
            "shutdown_s": shutdown_s, "startup_s": startup_worst}


NOTES = """Reading (code as of this run): while the batch runs, pause, resume and cancel make no
database call on the GUI thread: `MainWindow.pause_batch` only sets the engine's flag when the
row is in hand (`Processor.pause` -> `Commands.pause`, flags only), else it, `resume_batch` and
`cancel_batch` are operations on the command thread (gui/operations/batches.py). Building the
window makes none either: the worker's Processor finds its account on the engine thread when it
first runs (`Processor._runner`). What still waits on the database on the GUI thread: closing or
reconnecting (`_disconnect_engine` -> `WorkerThread.shutdown` waits up to 10 s for the engine
thread, which first finishes the store call in hand and releases the lease through the same slow
connection).

Pause latency is the engine's, not the window's: the flag is read at the engine's next
`Commands.check()`, after the store call in hand; then the pause is written and its counts read.
A quote costs the database 9 round trips (7 statements and one transaction), so at 300 ms a
round trip a click waits 2-5 s.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=300.0)
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="repeat the cycles, each round measured apart")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from bench_engine import _Import
    from bench_window import demo_context, qt_loop, scratch_home
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.gui.main_window import MainWindow
    from bulkquote_gui.services.simulator import SimulatorServer
    from tests.helpers.postgres import PostgresCluster

    scratch_home("bench-stall-")

    cluster = PostgresCluster.start()
    proxy = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "delay_proxy.py"),
                              "--target", f"127.0.0.1:{cluster.port}",
                              "--delay-ms", str(args.delay_ms)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sim = None
    try:
        assert proxy.stdout is not None
        proxy_port = int(proxy.stdout.readline())
        # Schema and batch over the direct connection (setup, not measured).
        direct = engine_store.make_engine(cluster.url)
        with engine_store.in_transaction(engine_store.make_session_factory(direct)) as session:
            batch_id = batch_store.create_batch(session, _Import(args.rows),
                                          defaults=BatchDefaults(), source_name="stall.csv")
        direct.dispose()
        slow_url = cluster.url.replace(f":{cluster.port}/", f":{proxy_port}/")
        t = time.perf_counter()
        engine = engine_store.make_engine(slow_url)  # the app's store, through the proxy
        open_store_s = time.perf_counter() - t
        factory = engine_store.make_session_factory(engine)
        gui_db = GuiThreadDb(engine)

        app, loop = qt_loop()
        sim = SimulatorServer(time_scale=0.01).start()
        context = demo_context(factory, sim.base_url)
        t = time.perf_counter()
        window = MainWindow(context)
        construct_s = time.perf_counter() - t
        construct_hits = list(gui_db.hits)
        gui_db.hits.clear()
        log: list[str] = []
        window.dialogs.error = lambda title, text="", *a, **k: log.append(f"ERROR {title}: {text}")
        window.resize(1440, 900)
        window.show()
        beat = Heartbeat()
        dog = Watchdog(beat)
        dog.start()
        with loop:
            figures = loop.run_until_complete(drive(window, batch_id, beat, args.cycles,
                                                         args.rounds, log))
        dog.halt()
        beat.timer.deleteLater()
        window.deleteLater()
        QApplication.processEvents()
        engine.dispose()
    finally:
        if sim is not None:
            sim.stop()
        if proxy.stdin:
            proxy.stdin.close()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
        cluster.stop()

    gaps = sorted(figures["gaps"], reverse=True)
    rw = figures["round_worst"]
    worst = gaps[0] if gaps else 0.0
    median_gap = statistics.median(gaps) if gaps else 0.0
    over = [g for g in gaps if g > 0.1]
    stacks: dict[str, tuple[int, float]] = {}
    for _start, late, stack in dog.samples:
        key = " <- ".join(reversed(our_frames(stack, 3))) or \
            "(no app frame) " + " <- ".join(reversed(raw_frames(stack, 2)))
        count, most = stacks.get(key, (0, 0.0))
        stacks[key] = (count + 1, max(most, late))
    hits: dict[str, int] = {}
    for what, stack in gui_db.hits:
        key = f"{what} | " + " <- ".join(reversed(our_frames(stack, 3)))
        hits[key] = hits.get(key, 0) + 1
    c_hits: dict[str, int] = {}
    for what, stack in construct_hits:
        key = ("checkout: " if what.startswith("pool") else "statement: ") + \
            " <- ".join(reversed(our_frames(stack, 3)))
        c_hits[key] = c_hits.get(key, 0) + 1

    command = (f"QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_stall.py "
               f"--delay-ms {args.delay_ms:g} --cycles {args.cycles} --rounds {args.rounds} "
               f"--rows {args.rows}")
    lines = [
        f"## Slow team database: pause and resume with every round trip delayed "
        f"{args.delay_ms:g} ms ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}; Qt offscreen. "
        f"PostgreSQL 15 (throwaway cluster) behind benchmarks/delay_proxy.py on 127.0.0.1 "
        f"(client-to-server chunks held {args.delay_ms:g} ms: each round trip >= "
        f"{args.delay_ms:g} ms); simulator time scale 0.01; {args.rows}-row batch; "
        f"{args.rounds} rounds of {args.cycles} pause/resume cycles through the progress page's "
        "Pause/Resume button, each round measured apart.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| **longest gap between 10 ms GUI-thread ticks** while the batch runs and is paused and "
        f"resumed, worst of all rounds (target < 100 ms) | **{worst * 1000:.0f} ms** "
        f"({(worst * 1000 - HEARTBEAT_MS):.0f} ms over the interval) |",
        f"| start-up apart: longest gap in the first 3 s (window.start(), batch opened, the "
        f"spreadsheet reader imported on a thread) | {figures['startup_s'] * 1000:.0f} ms |",
        f"| longest gap per round; best of {len(rw)} / median of {len(rw)} | "
        + ", ".join(f"{g * 1000:.0f}" for g in rw)
        + f" ms; {min(rw) * 1000:.0f} / {statistics.median(rw) * 1000:.0f} ms |",
        f"| gaps over 100 ms / ticks; median gap; next-longest gaps | {len(over)} / {len(gaps)}; "
        f"{median_gap * 1000:.1f} ms; " + ", ".join(f"{g * 1000:.0f}" for g in gaps[1:6]) + " ms |",
        "| pause: click until the page says paused (engine's event), per cycle | "
        + ", ".join(f"{s:.1f}" for s in figures["pause_s"]) + " s |",
        "| resume: click until the store said pending (command + summary read), per cycle | "
        + ", ".join(f"{s:.1f}" for s in figures["resume_s"]) + " s |",
        f"| measured span / row events of the batch | {figures['elapsed_s']:.0f} s / "
        f"{figures['quote_events']} |",
        f"| statements or checkouts made on the GUI thread during the run | {len(gui_db.hits)} |",
        f"| window.shutdown() at the end (stops the engine, releases the lease; blocks the GUI "
        f"thread) | {figures['shutdown_s']:.1f} s |",
        f"| before the loop runs: make_engine through the proxy (schema check) | {open_store_s:.1f} s |",
        f"| before the loop runs: `MainWindow(context)` blocks the GUI thread (it builds the "
        f"worker; its Processor finds its account on the engine thread) | {construct_s:.1f} s, "
        f"{len(construct_hits)} checkouts/statements on the GUI thread |",
        "",
    ]
    if hits:
        lines += ["Database calls made on the GUI thread during the run (count, statement, the app's "
                  "frames, innermost first):", ""]
        lines += [f"- {n} x {k}" for k, n in sorted(hits.items(), key=lambda kv: -kv[1])]
        lines.append("")
    if c_hits:
        lines += ["Database calls on the GUI thread while the window is built (count, the app's "
                  "frames, innermost first):", ""]
        lines += [f"- {n} x {k}" for k, n in sorted(c_hits.items(), key=lambda kv: -kv[1])]
        lines.append("")
    if stacks:
        lines += [f"GUI-thread stacks sampled while a tick was over {LATE_S * 1000:.0f} ms late "
                  "(samples, longest lateness seen, the app's frames innermost first):", ""]
        lines += [f"- {n} x (up to {late * 1000:.0f} ms) {k}"
                  for k, (n, late) in sorted(stacks.items(), key=lambda kv: -kv[1][1])[:8]]
        lines.append("")
    lines += ["Timeline:", "", "```", *log, "```", "", NOTES]
    text = "\n".join(lines)
    print(text)
    if args.out:
        previous = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        marker = "## Slow team database"
        if marker in previous:
            previous = previous[:previous.index(marker)].rstrip() + "\n"
        args.out.write_text(previous.rstrip() + "\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
