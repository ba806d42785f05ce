"""The operations runner: answers come back on the GUI thread, errors as sentences, commands in
order, nothing after the parent is gone; and a slow store never stalls the window."""

from __future__ import annotations

import dataclasses
import threading
import time
from itertools import pairwise

from PySide6.QtCore import QObject, QThread, QTimer
from PySide6.QtWidgets import QWidget
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bulkquote_gui.core.store.engine import make_engine, make_session_factory
from bulkquote_gui.gui import operations
from bulkquote_gui.gui.context import Connection
from bulkquote_gui.gui.operations import (
    Coalescing,
    Latest,
    Operation,
    Progress,
    error_message,
)

from .conftest import store_batch

# Every statement of the slow store sleeps SLOW_S: a statement run on the GUI thread stalls the
# window at least that long. MAX_GAP_S sits well below it and far above what a busy machine
# delays a 10 ms timer by once the time spent waiting for a core is taken out (without that:
# 268 ms at load ~5, 666 ms at load 19, with 2 cores shared by many pytest workers).
SLOW_S = 1.0
MAX_GAP_S = 0.5


def test_the_value_comes_back_on_the_gui_thread(qtbot):
    parent = QObject()
    seen = []
    gui = QThread.currentThread()

    def work(sessions):
        seen.append(("work", sessions, threading.current_thread() is threading.main_thread()))
        return 42

    Operation(parent, work, "the-sessions").success(
        lambda v: seen.append(("success", v, QThread.currentThread() is gui))).run()
    assert not [s for s in seen if s[0] == "success"]  # run() returned before the answer
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5_000)
    assert seen == [("work", "the-sessions", False), ("success", 42, True)]
    assert operations.running() == 0


def test_an_error_comes_back_as_a_sentence(qtbot):
    parent = QObject()
    messages = []

    def broken(_sessions):
        raise OperationalError("SELECT 1", {}, Exception("could not connect to server: Connection refused"))

    Operation(parent, broken).failure(messages.append).run()
    Operation(parent, lambda _s: 1 / 0).failure(messages.append).run()
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=5_000)
    assert "could not connect to server: Connection refused" in messages
    assert "division by zero" in messages
    assert not any("[SQL" in m or "sqlalche.me" in m for m in messages)
    assert error_message(ValueError()) == "ValueError"


def test_commands_run_in_the_order_asked(qtbot):
    parent = QObject()
    done: list[str] = []
    for name, pause in (("pause", 0.15), ("resume", 0.0), ("retry", 0.05)):
        Operation(parent, lambda _s, n=name, p=pause: (time.sleep(p), n)[1], command=True) \
            .success(done.append).run()
    qtbot.waitUntil(lambda: len(done) == 3, timeout=5_000)
    assert done == ["pause", "resume", "retry"]


def test_no_answer_once_the_parent_is_gone_or_cancelled(qtbot):
    widget = QWidget()
    other = QObject()
    release = threading.Event()
    answers = []
    Operation(widget, lambda _s: release.wait(5)).success(answers.append).run()
    Operation(other, lambda _s: release.wait(5)).success(answers.append).run()
    widget.deleteLater()
    qtbot.waitUntil(lambda: not _alive(widget), timeout=5_000)
    operations.cancel_all(other)
    release.set()
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert answers == []


def test_coalescing_reads_once_more_at_most(qtbot):
    parent = QObject()
    release = [threading.Event() for _ in range(3)]
    started = []

    def read():
        n = len(started)
        started.append(1)
        return Operation(parent, lambda _s: release[n].wait(5))

    refresh = Coalescing(read)
    for _ in range(5):
        refresh.request()  # one read in flight; the other four asks make one more read
    assert len(started) == 1
    release[0].set()
    qtbot.waitUntil(lambda: len(started) == 2, timeout=5_000)
    release[1].set()
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert len(started) == 2


def test_progress_comes_to_the_gui_thread_newest_first_and_before_the_answer(qtbot):
    """A fn reporting every row costs the window one delivery per turn of its loop, not one per
    row: 1,000 reports made while the GUI thread is busy arrive as one, the newest."""
    parent = QObject()
    gui = QThread.currentThread()
    started, go, reported, release = (threading.Event() for _ in range(4))
    seen: list[tuple[str, object]] = []

    def work(_sessions, progress):
        started.set()
        go.wait(5)
        for row in range(1, 1001):
            progress(row, 1000, f"row {row}")
        reported.set()
        release.wait(5)
        progress(1000, 1000, "checked")
        return "loaded"

    Operation(parent, work, reports_progress=True) \
        .progress(lambda p: seen.append(("progress", p, QThread.currentThread() is gui))) \
        .success(lambda v: seen.append(("success", v))).run()
    qtbot.waitUntil(started.is_set, timeout=5_000)
    go.set()
    assert reported.wait(5)   # the GUI thread held up meanwhile: nothing delivered yet
    assert seen == []
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert seen == [("progress", Progress(1000, 1000, "row 1000"), True)]
    release.set()
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=5_000)
    assert seen[1:] == [("progress", Progress(1000, 1000, "checked"), True), ("success", "loaded")]


def test_latest_wins_only_the_newest_answer_is_delivered(qtbot):
    parent = QObject()
    latest = Latest()
    gates = [threading.Event() for _ in range(3)]
    answers: list[str] = []
    progress: list[str] = []

    def slow(name, gate):
        def work(_sessions, report):
            report(1, 1, name)
            gate.wait(5)
            return name
        return Operation(parent, work, reports_progress=True) \
            .progress(lambda p: progress.append(p.text)).success(answers.append)

    latest.run(slow("first", gates[0]))
    latest.run(slow("second", gates[1]))
    latest.run(slow("third", gates[2]))
    gates[2].set()   # the newest answers first ...
    qtbot.waitUntil(lambda: answers == ["third"], timeout=5_000)
    gates[0].set()   # ... the older ones come back late: dropped
    gates[1].set()
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert answers == ["third"]
    assert set(progress) <= {"third"}

    latest.run(slow("after", gates[0]))   # already open: answers at once unless cancelled
    latest.cancel()
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert answers == ["third"]


def _alive(obj) -> bool:
    import shiboken6
    return shiboken6.isValid(obj)


# ---------------------------------------------------------------- a slow store, a fluid window
class _IdleEngine:
    """Runs nothing and touches no store: the test is about the window's own store calls."""

    def __init__(self, _on_event) -> None:
        pass

    def run_batch(self, _batch_id: int) -> str:
        return "pending"

    def run_unfinished(self) -> None:
        pass

    def pause(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def cancel(self, _batch_id: int) -> None:
        pass


def _slow_context(context, db_url, on_gui_thread: list[str]):
    engine = make_engine(db_url)

    @event.listens_for(engine, "before_cursor_execute")
    def _crawl(_conn, _cursor, statement, *_args) -> None:  # a store across a slow network
        if threading.current_thread() is threading.main_thread():
            on_gui_thread.append(statement)
        time.sleep(SLOW_S)

    slow = dataclasses.replace(
        context, session_factory=make_session_factory(engine),
        connect=lambda _settings: Connection(demo=True, api_url="", make_processor=_IdleEngine))
    return slow, engine


def _waited_for_a_cpu() -> float:
    """Seconds this (the GUI) thread has been ready to run with no core free (Linux schedstat):
    the machine's load, which no code of ours can cause or avoid."""
    with open(f"/proc/self/task/{threading.get_native_id()}/schedstat", encoding="ascii") as f:
        return int(f.read().split()[1]) / 1e9


def _longest_gap(qtbot, action, done) -> tuple[float, float]:
    """(longest gap between 10 ms timer ticks, less the time the GUI thread only waited for a
    core; seconds taken) while `action` runs until `done`. A stall caused by the store (a
    statement on the GUI thread, or the GUI thread waiting for one) is time the thread was
    blocked, and counts in full."""
    def tick() -> tuple[float, float]:
        return time.monotonic(), _waited_for_a_cpu()

    ticks = [tick()]
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(tick()))
    timer.start()
    began = time.monotonic()
    action()
    qtbot.waitUntil(done, timeout=30_000)
    taken = time.monotonic() - began
    timer.stop()
    ticks.append(tick())
    return max((b - a) - (b_cpu - a_cpu) for (a, a_cpu), (b, b_cpu) in pairwise(ticks)), taken


def test_a_slow_store_never_stalls_the_window(qtbot, make_window, context, db_url):
    batch_id = store_batch(context, paused=True)  # stored fast, before the store turns slow
    on_gui_thread: list[str] = []
    slow, engine = _slow_context(context, db_url, on_gui_thread)
    try:
        window = make_window(slow)
        page = window.progress_page
        shown = []
        window.jobs_shown.connect(lambda: shown.append(1))
        commands: list[str] = []
        window.commanded.connect(lambda name, _id: commands.append(name))

        steps = {
            "start (list + unfinished)": (window.start, lambda: bool(shown) and operations.running() == 0),
            "open": (lambda: window.open_batch(batch_id), lambda: page.batch_id == batch_id),
            "resume": (page.pause_button.click, lambda: "resume" in commands and page.status == "pending"),
            "pause": (page.pause_button.click, lambda: "pause" in commands and page.status == "paused"),
            "list": (lambda: (shown.clear(), window.refresh_jobs()), lambda: bool(shown)),
        }
        for name, (action, done) in steps.items():
            qtbot.waitUntil(lambda: operations.running() == 0, timeout=30_000)
            gap, taken = _longest_gap(qtbot, action, done)
            assert taken >= SLOW_S, f"{name}: the store was not slow ({taken:.2f} s)"
            assert not on_gui_thread, f"{name}: the GUI thread ran {on_gui_thread[0][:80]!r}"
            assert gap < MAX_GAP_S, f"{name}: the window stalled {gap * 1000:.0f} ms"
        assert page.pause_button.text().replace("&", "") == "Resume"
        assert window.upload_page.jobs_panel.model.batch_ids() == [batch_id]
    finally:
        qtbot.waitUntil(lambda: operations.running() == 0, timeout=30_000)
        engine.dispose()


def test_connecting_reads_the_providers_off_the_gui_thread(qtbot, make_window, simulator, tmp_path,
                                                           monkeypatch):
    """The window (re)connects to its engine through an operation: while the store holds the
    read of the providers, the window goes on answering, and no store read is on its thread."""
    import argparse

    from sqlalchemy.engine import Engine

    from bulkquote_gui.core.store import providers as provider_store
    from bulkquote_gui.gui.context import context_from_args

    db = f"sqlite:///{tmp_path / 'providers.sqlite'}"
    engine = make_engine(db)
    provider_store.add_provider(make_session_factory(engine), "Momentum", "momentum",
                                simulator.base_url, settings={"secret_env": "MOMENTUM_KEY"})
    engine.dispose()
    monkeypatch.setenv("MOMENTUM_KEY", "demo-key")
    context = context_from_args(argparse.Namespace(file=None, db=db, api_url=None,
                                                   poll_interval=0.05, quote_timeout=None))
    held = threading.Event()          # the store answers once the test lets it
    on_gui_thread: list[bool] = []

    def hold(*_args, **_kwargs) -> None:   # a store across a network that stands still
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        if not held.wait(3):
            held.set()   # (on the old code the window waits here: let the rest through)

    try:
        window = make_window(context)
        window.start()
        qtbot.waitUntil(lambda: window.engine.provider_name() == "Momentum", timeout=10_000)
        qtbot.waitUntil(lambda: operations.running() == 0, timeout=10_000)
        event.listen(Engine, "before_cursor_execute", hold)
        try:
            window.engine.reconnect()
            ticks: list[int] = []
            QTimer.singleShot(0, lambda: ticks.append(1))
            qtbot.waitUntil(lambda: bool(ticks) and bool(on_gui_thread), timeout=5_000)
            assert not held.is_set(), "the window waited for the store"
            assert window.connection is None   # still reading: no worker yet, and no stall
        finally:
            held.set()
        qtbot.waitUntil(lambda: window.engine.provider_name() == "Momentum", timeout=10_000)
        qtbot.waitUntil(lambda: operations.running() == 0, timeout=10_000)
        assert on_gui_thread and not any(on_gui_thread)
    finally:
        window.shutdown()
        context.close()
        if event.contains(Engine, "before_cursor_execute", hold):
            event.remove(Engine, "before_cursor_execute", hold)   # no store is in use now


def test_work_asked_as_the_loop_stops_is_not_started_and_prints_nothing():
    """qasync still delivers Qt events as its loop stops: an engine event at quit asks for a
    refresh, whose first step then runs with no running loop. It ends cancelled, unstarted,
    instead of "Task exception was never retrieved: no running event loop" on stderr."""
    import asyncio

    import pytest

    from bulkquote_gui.gui.background import run_blocking

    ran = []
    step = run_blocking(lambda: ran.append(1))
    running = asyncio.events._get_running_loop()   # the tests' qasync loop, set as running
    asyncio.events._set_running_loop(None)
    try:
        with pytest.raises(asyncio.CancelledError):
            step.send(None)   # a task's first step, with no running loop
    finally:
        asyncio.events._set_running_loop(running)
    assert ran == []
