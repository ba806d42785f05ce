"""One window per user and database: a second start hands its file to the running window."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtNetwork import QLocalServer

from bulkquote_gui.gui.single_instance import AlreadyRunning, SingleInstance, hand_over, server_name

from .conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def serving(qtbot, make_window, db_url):
    """The first start: a window listening for later starts on the database's name."""
    window = make_window()
    window.start()
    instance = SingleInstance(server_name(db_url))
    assert instance.listen()
    instance.activated.connect(window.present)
    yield window, instance
    instance.close()


def test_a_second_start_hands_its_file_over_and_exits(qtbot, serving, db_url):
    window, _instance = serving
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BULKQUOTE_DB": db_url,
           "PYTHONPATH": str(ROOT)}
    began = time.monotonic()
    with qtbot.waitSignal(window.upload_page.loaded, timeout=30_000) as loaded:
        second = subprocess.Popen([sys.executable, "-m", "bulkquote_gui", str(SAMPLE)], env=env,
                                  cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=15_000)
    finally:
        if second.poll() is None:
            second.kill()
        out, err = second.communicate()
    taken = time.monotonic() - began
    assert second.returncode == 0, err.decode(errors="replace")
    assert taken < 15, f"the second start took {taken:.1f} s"
    # Started from a terminal, it says what it did rather than exiting in silence.
    assert err.decode() == f"BulkQuote is already open for this database: {SAMPLE.name} was " \
                           "handed to its window.\n"
    assert Path(loaded.args[0].path) == SAMPLE.resolve()
    assert window.pages.currentWidget() is window.upload_page
    assert window.upload_page.file_label.text() == SAMPLE.name


def test_a_second_start_without_a_file_only_raises_the_window(qtbot, serving, db_url):
    window, instance = serving
    answers: list[object] = []
    with qtbot.waitSignal(instance.activated, timeout=10_000) as activated:
        # Blocking socket calls: on a thread of their own, as they are in the second process.
        threading.Thread(target=lambda: answers.append(hand_over(server_name(db_url), None))).start()
    qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
    assert answers == [True] and activated.args == [""]
    assert window.upload_page.result is None  # nothing loaded


def test_the_name_is_per_user_and_database(tmp_path):
    a = f"sqlite:///{tmp_path / 'a.sqlite'}"
    b = f"sqlite:///{tmp_path / 'b.sqlite'}"
    assert server_name(a) != server_name(b)
    assert server_name(a, user="dana") != server_name(a, user="lee")
    # The same file however it is spelled; a password never shows in the name.
    relative = f"sqlite:///{os.path.relpath(tmp_path / 'a.sqlite')}"
    assert server_name(relative) == server_name(a)
    assert "s3cret" not in server_name("postgresql://rep:s3cret@db.example/quotes")


@pytest.mark.skipif(sys.platform == "win32", reason="a crashed run leaves a socket file on Unix only")
def test_a_crashed_runs_socket_is_taken_over(qtbot, db_url):
    name = server_name(db_url)
    stale = Path(QDir.tempPath()) / name
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(stale))  # bound, never listening, never removed: what a crash leaves
    leftover.close()
    assert stale.exists()
    instance = SingleInstance(name)
    try:
        assert instance.listen()
        answers: list[object] = []
        with qtbot.waitSignal(instance.activated, timeout=10_000) as activated:
            threading.Thread(target=lambda: answers.append(hand_over(name, SAMPLE))).start()
        qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
        assert answers == [True] and activated.args == [str(SAMPLE.resolve())]
    finally:
        instance.close()


def test_a_window_that_does_not_answer_is_not_taken_over(qtbot, db_url):
    name = server_name(db_url)
    mute = QLocalServer()  # listens, never reads nor answers
    assert mute.listen(name)
    try:
        errors: list[BaseException] = []

        def knock() -> None:
            try:
                hand_over(name, SAMPLE, answer_ms=300)
            except AlreadyRunning as exc:
                errors.append(exc)

        thread = threading.Thread(target=knock)
        thread.start()
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
        assert errors and "already open" in str(errors[0])
        assert not SingleInstance(name).listen()  # a live server is never removed
    finally:
        mute.close()
