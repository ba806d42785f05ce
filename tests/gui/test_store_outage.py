"""The database goes away under a running window: the waiting banner says so, the window keeps
answering, and the banner goes when the database answers again; the batch then finishes by
itself. The real engine on its thread against the simulator; the outage is a fake
(tests.helpers.fakes.StoreOutage: every statement of the window's engine fails, as SQLite does when its
file cannot be opened), switched off by the test."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.clock import SystemClock
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.fakes import StoreOutage

from .conftest import store_batch

BANNER = "The database cannot be reached: BulkQuote waits and goes on by itself."


@pytest.fixture
def simulator():
    """Slower than the window tests' own: the batch is still running when the store goes."""
    sim = SimulatorServer(time_scale=0.01).start()
    yield sim
    sim.stop()


def open_running_batch(qtbot, make_window, context):
    """A window on a running batch, once its first row has ended (the store is in use): the
    batch id, the window and its progress page."""
    batch_id = store_batch(context, paused=False)
    window = make_window()
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.start()
        window.open_batch(batch_id)
    page = window.progress_page
    qtbot.waitUntil(lambda: page.counts.get("complete", 0) + page.counts.get("failed", 0) >= 1,
                    timeout=30_000)
    return batch_id, window, page


def test_the_window_shows_the_outage_stays_responsive_and_goes_on(qtbot, make_window, context,
                                                                   dialogs):
    outage = StoreOutage(context.session_factory.kw["bind"], SystemClock())
    batch_id, window, page = open_running_batch(qtbot, make_window, context)

    outage.go_down()
    qtbot.waitUntil(page.wait_banner.isVisible, timeout=15_000)
    assert page.wait_banner.text() == BANNER
    assert not page.wait_banner.action_button.isVisible()   # nothing for the rep to do
    # The window answers meanwhile: the rep goes to the upload page at once, and the recent
    # jobs it cannot read are one line in the status bar, not a hang or a crash.
    window.show_upload()
    assert window.pages.currentWidget() is window.upload_page
    qtbot.waitUntil(lambda: "Could not read the recent jobs" in window.statusBar().currentMessage(),
                    timeout=10_000)
    # In the store's words, not the driver's ("unable to open database file", or on PostgreSQL
    # "consuming input failed: server closed the connection unexpectedly").
    assert window.statusBar().currentMessage() == \
        "Could not read the recent jobs: the database cannot be reached"
    assert outage.failures > 0 and outage.down
    assert not any("Traceback" in text for text in dialogs.errors())

    outage.come_back()
    qtbot.waitUntil(page.wait_banner.isHidden, timeout=30_000)   # probes back off to a few s
    qtbot.waitUntil(lambda: _status(context, batch_id) == "complete", timeout=60_000)
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.open_batch(batch_id)
    assert page.status == "complete" and page.wait_banner.isHidden()
    with context.session_factory() as session:
        counts = view_store.batch_counts(session, batch_id)
    assert counts["complete"] + counts["failed"] == counts["total"]


def _status(context, batch_id) -> str | None:
    with context.session_factory() as session:
        return view_store.batch_status(session, batch_id)
