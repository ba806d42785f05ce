"""What the rep is told when the engine cannot go on: a refused key, no key at all; and the ETA."""

from __future__ import annotations

import argparse

from PySide6.QtCore import Qt

from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.context import context_from_args
from bulkquote_gui.core.output.durations import duration_text
from bulkquote_gui.gui.models.eta import EtaEstimator
from bulkquote_gui.services.simulator import SimulatorServer

from .conftest import SAMPLE


def submit_sample(qtbot, window) -> int:
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    return opened.args[0]


def test_live_api_without_a_key_warns_and_pauses_the_batch(qtbot, make_window, tmp_path):
    with SimulatorServer(time_scale=0.002, api_key="the-key") as sim:
        args = argparse.Namespace(file=None, db=f"sqlite:///{tmp_path / 'live.sqlite'}",
                                  api_url=sim.base_url, poll_interval=0.05, quote_timeout=None)
        context = context_from_args(args)  # the real app's context; the test keyring is empty
        try:
            window = make_window(context)
            window.start()
            qtbot.waitUntil(lambda: window.connection is not None, timeout=10_000)
            assert not window.demo_banner.isVisible()
            assert window.warning_banner.isVisible()
            assert "No API key" in window.warning_banner.text()
            batch_id = submit_sample(qtbot, window)
            page = window.progress_page
            qtbot.waitUntil(lambda: page.status == "paused", timeout=20_000)
            assert page.message_banner.isVisible()
            assert "key" in page.message_banner.text()
            assert page.pause_button.text().replace("&", "") == "Resume"
            with context.session_factory() as session:
                assert view_store.batch_status(session, batch_id) == "paused"
                assert view_store.batch_counts(session, batch_id)["complete"] == 0
            assert sim.stats()["created"] == 0  # nothing was sent without a key
        finally:
            window.shutdown()
            context.close()


def test_refused_key_pauses_with_the_servers_reason(qtbot, make_window, tmp_path):
    with SimulatorServer(time_scale=0.002, api_key="the-key") as sim:
        args = argparse.Namespace(file=None, db=f"sqlite:///{tmp_path / 'live.sqlite'}",
                                  api_url=sim.base_url, poll_interval=0.05, quote_timeout=None)
        context = context_from_args(args)
        context.keystore.set("a-wrong-key")  # no keyring in tests: kept for the session
        try:
            window = make_window(context)
            window.engine.reconnect()  # as after saving the key in Settings
            assert not window.warning_banner.isVisible()
            submit_sample(qtbot, window)
            page = window.progress_page
            qtbot.waitUntil(lambda: page.status == "paused", timeout=20_000)
            assert "401" in page.message_banner.text()
            assert "a-wrong-key" not in page.message_banner.text()
        finally:
            window.shutdown()
            context.close()


def test_eta_from_the_measured_pace():
    now = [100.0]
    eta = EtaEstimator(lambda: now[0])
    assert eta.describe(10) == "Estimating time left…"
    for _ in range(5):
        eta.quote_finished()
        now[0] += 2.0
    # five quotes finished 2 s apart: 2 s per quote
    assert eta.seconds_per_quote() == 2.0
    assert eta.remaining_seconds(30) == 60.0
    assert eta.describe(30) == "About 1 min 00 s left  ·  2.0 s per quote"
    assert eta.describe(0) == ""
    assert duration_text(45) == "45 s" and duration_text(3 * 3600 + 120) == "3 h 02 min"
