"""The team's PostgreSQL server crashes and starts again under a running window (a cluster of the
test's own, `pg_ctl -m immediate stop`): the banner says the database cannot be reached, and
goes when the server answers; the batch finishes by itself, nothing quoted twice."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.store import views as view_store

from .test_store_outage import BANNER, open_running_batch
from .test_store_outage import simulator  # noqa: F401  (a fixture: the same slow simulator)


@pytest.fixture
def cluster(own_postgres_cluster):   # its own: this test stops the server
    return own_postgres_cluster


@pytest.fixture
def db_url(cluster) -> str:
    return cluster.url


def test_the_window_rides_out_a_postgresql_restart(qtbot, make_window, context, cluster,
                                                   simulator):
    batch_id, _window, page = open_running_batch(qtbot, make_window, context)

    cluster.crash()
    qtbot.waitUntil(page.wait_banner.isVisible, timeout=15_000)
    assert page.wait_banner.text() == BANNER
    cluster.start_again()
    qtbot.waitUntil(page.wait_banner.isHidden, timeout=30_000)
    qtbot.waitUntil(lambda: page.status == "complete", timeout=60_000)

    with context.session_factory() as session:
        counts = view_store.batch_counts(session, batch_id)
    assert counts["complete"] + counts["failed"] == counts["total"]
    twice = {ref: ids for ref, ids in simulator.stats()["quotes"].items() if len(ids) > 1}
    assert twice == {}
