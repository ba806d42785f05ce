"""Issue 15, finding 1, through the window's own keys against the simulator on loopback: pause
with a quote in flight, the API finishes it, cancel (confirmed), quote the rest. The site must
hold one quote at the API, and its row the price."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.gui.models.results_model import COLUMNS
from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.held_clock import HeldClock

from .test_progress_page import page_statuses, quoted_rows, submit, write_sites


@pytest.fixture
def sim_clock() -> HeldClock:
    return HeldClock()


@pytest.fixture
def simulator(sim_clock):
    """The conftest's simulator, on a clock this test holds (the window's context uses it)."""
    sim = SimulatorServer(time_scale=0.002, clock=sim_clock).start()
    yield sim
    sim.stop()


def press(qtbot, window, keys: str) -> None:
    """The rep's key: the window's own shortcut, as a key event."""
    window.activateWindow()
    qtbot.keySequence(window, keys)


def test_a_quote_finished_while_paused_is_not_paid_twice_by_quote_the_rest(
        qtbot, window, dialogs, simulator, sim_clock, context, tmp_path):
    path = write_sites(tmp_path / "two.csv", ["600 Congress Ave", "100 Main St"])
    page = window.progress_page
    sim_clock.hold()                       # the first quote stays in flight
    batch_id = submit(qtbot, window, path)
    qtbot.waitUntil(lambda: page_statuses(window)[:1] == ["polling"], timeout=20_000)

    press(qtbot, window, "Ctrl+P")
    qtbot.waitUntil(lambda: page.status == "paused", timeout=20_000)
    sim_clock.go_on()                      # the API finishes the quote meanwhile
    qtbot.waitUntil(lambda: simulator.stats()["statuses"] == {"complete": 1}, timeout=20_000)

    dialogs.confirms.append(True)
    press(qtbot, window, "Ctrl+Shift+X")
    qtbot.waitUntil(lambda: page.status == "cancelled", timeout=20_000)
    assert ("confirm", f"Cancel batch #{batch_id}?") in dialogs.asked

    with qtbot.waitSignal(window.batch_finished, timeout=60_000) as finished:
        press(qtbot, window, "Ctrl+Shift+R")
    assert finished.args == [batch_id, "complete"]

    stats = simulator.stats()
    assert stats["created"] == 2, stats["quotes"]
    assert sorted(len(ids) for ids in stats["quotes"].values()) == [1, 1], "one quote per site"
    assert stats["replays"] >= 1, "the finished quote's row asked under its own key"
    assert page_statuses(window) == ["complete", "complete"]
    mrc = COLUMNS.index("MRC")
    assert all(page.model.index(r, mrc).data() for r in quoted_rows(window)), "each row shows its price"
    with context.session_factory() as session:
        rows = view_store.batch_rows(session, batch_id)
    assert [r.status for r in rows] == ["complete", "complete"] and all(r.mrc for r in rows)
