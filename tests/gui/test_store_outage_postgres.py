"""The team's PostgreSQL server crashes and starts again under a running window (a cluster of the
test's own, `pg_ctl -m immediate stop`): the banner says the database cannot be reached, and
goes when the server answers; the batch finishes by itself, nothing quoted twice."""

from __future__ import annotations

import pytest

from bulkquote_gui.core import store
from bulkquote_gui.services.simulator import SimulatorServer

from .conftest import store_batch
from .test_store_outage import BANNER


@pytest.fixture
def cluster(own_postgres_cluster):   # its own: this test stops the server
    return own_postgres_cluster


@pytest.fixture
def db_url(cluster) -> str:
    return cluster.url


@pytest.fixture
def simulator():
    sim = SimulatorServer(time_scale=0.01).start()
    yield sim
    sim.stop()


def test_the_window_rides_out_a_postgresql_restart(qtbot, make_window, context, cluster,
                                                   simulator):
    batch_id = store_batch(context, paused=False)
    window = make_window()
    with qtbot.waitSignal(window.batch_opened, timeout=10_000):
        window.start()
        window.open_batch(batch_id)
    page = window.progress_page
    qtbot.waitUntil(lambda: page.counts.get("complete", 0) + page.counts.get("failed", 0) >= 1,
                    timeout=30_000)

    cluster.crash()
    qtbot.waitUntil(page.wait_banner.isVisible, timeout=15_000)
    assert page.wait_banner.text() == BANNER
    cluster.start_again()
    qtbot.waitUntil(page.wait_banner.isHidden, timeout=30_000)
    qtbot.waitUntil(lambda: page.status == "complete", timeout=60_000)

    with context.session_factory() as session:
        counts = store.batch_counts(session, batch_id)
    assert counts["complete"] + counts["failed"] == counts["total"]
    twice = {ref: ids for ref, ids in simulator.stats()["quotes"].items() if len(ids) > 1}
    assert twice == {}
