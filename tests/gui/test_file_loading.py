"""The upload page's loading row: the importer's progress on the bar as it goes, only the newest
load answered, and a load given up (the page cleared) leaves nothing busy."""

from __future__ import annotations

import threading

import pytest

from PySide6.QtWidgets import QWidget

from bulkquote_gui.gui import operations
from bulkquote_gui.gui.pages.file_loading import LoadingRow


@pytest.fixture
def row(qtbot):
    page = QWidget()   # never shown: the row's own visibility is what it sets
    qtbot.addWidget(page)
    yield LoadingRow(page)


def _slow(gate: threading.Event, value: str, *, at: float = 0.5):
    def work(progress):
        progress(at)
        gate.wait(5)
        return value
    return work


def test_the_bar_shows_the_work_s_progress_then_hides(qtbot, row):
    gate = threading.Event()
    done, busy = [], []
    row.busy_changed.connect(busy.append)
    row.start("Reading sites.csv…", _slow(gate, "rows"), done.append, done.append)
    assert row.is_busy() and busy == [True] and row.label.text() == "Reading sites.csv…"
    assert not row.isHidden()
    assert row.bar.maximum() == 0            # indeterminate until the work reports
    qtbot.waitUntil(lambda: row.bar.value() == 50 and row.bar.maximum() == 100, timeout=5_000)
    gate.set()
    qtbot.waitUntil(lambda: done == ["rows"], timeout=5_000)
    assert not row.is_busy() and busy == [True, False] and row.isHidden()


def test_only_the_newest_load_is_answered(qtbot, row):
    first, second = threading.Event(), threading.Event()
    done = []
    row.start("Reading a.csv…", _slow(first, "a", at=0.9), done.append, done.append)
    row.start("Reading b.csv…", _slow(second, "b", at=0.2), done.append, done.append)
    second.set()
    qtbot.waitUntil(lambda: done == ["b"], timeout=5_000)
    first.set()                              # the older file comes back late: dropped
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert done == ["b"] and not row.is_busy() and row.bar.value() != 90


def test_a_load_given_up_leaves_nothing_busy(qtbot, row):
    gate = threading.Event()
    done = []
    row.start("Reading a.csv…", _slow(gate, "a"), done.append, done.append)
    row.cancel()                             # the page went back to the drop zone
    assert not row.is_busy() and row.isHidden()
    gate.set()
    qtbot.waitUntil(lambda: operations.running() == 0, timeout=5_000)
    assert done == []


def test_a_file_the_importer_refuses_is_its_sentence_a_bug_names_its_type(qtbot, row):
    from bulkquote_gui.core.intake.importer import SpreadsheetError

    failed = []

    def refused(_progress):
        raise SpreadsheetError("orders.pdf is not a spreadsheet")

    row.start("Reading orders.pdf…", refused, failed.append, failed.append)
    qtbot.waitUntil(lambda: len(failed) == 1, timeout=5_000)
    row.start("Checking rows…", lambda _p: {}["street"], failed.append, failed.append)
    qtbot.waitUntil(lambda: len(failed) == 2, timeout=5_000)
    assert failed == ["orders.pdf is not a spreadsheet", "Could not read the file: KeyError: 'street'"]
    assert not row.is_busy()
