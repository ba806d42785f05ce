"""A laptop's clocks: sleep (monotonic time frozen, the wall clock and the world move on) and a
wall clock set forward or back while a row is in flight. The fake API keeps the world's time."""

from __future__ import annotations

import random

import pytest

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from tests.helpers.fakes import FakeClock, FakeMomentum, Outcome, fake_import

HOUR = 3600.0


@pytest.fixture
def h(tmp_path):
    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'clock.sqlite'}")
    clock = FakeClock()
    harness = type("H", (), {})()
    harness.sf = engine_store.make_session_factory(engine)
    harness.clock = clock
    harness.api = FakeMomentum(clock, ready_after_s=20.0, retry_after=5.0)
    harness.events = []
    harness.processor = lambda **config: Processor(
        harness.sf, harness.api, clock=clock, on_event=harness.events.append,
        config=EngineConfig(**config), rng=random.Random(5))
    yield harness
    engine.dispose()


def _batch(h, n):
    with engine_store.in_transaction(h.sf) as session:
        return batch_store.create_batch(session, fake_import(n), defaults=BatchDefaults(), source_name="t.csv")


def _rows(h, batch_id):
    with h.sf() as session:
        return view_store.batch_rows(session, batch_id)


def _during_first_poll_wait(h, what):
    """Run `what()` once, in the middle of the first wait after the first POST."""
    done = []

    def on_wait(_seconds):
        posted = any(method == "POST" for method, _ in h.api.calls)
        if posted and not done:
            done.append(len(h.api.calls))
            what()
    h.clock.on_wait = on_wait
    return done


def _calls_after(h, mark):
    return [method for method, what in h.api.calls[mark:] if not what.startswith("fault:")]


def test_a_sleep_mid_poll_costs_no_row_and_polling_resumes(h):
    batch_id = _batch(h, 3)
    mark = _during_first_poll_wait(h, lambda: h.clock.suspend(2 * HOUR))
    assert h.processor().run_batch(batch_id) == "complete"
    assert [r.status for r in _rows(h, batch_id)] == ["complete"] * 3
    after = _calls_after(h, mark[0])
    assert after[0] == "GET"                        # woke up: asked first
    assert after.count("POST") == 2                 # and the line went on
    assert "DELETE" not in after


def test_after_a_sleep_the_row_is_polled_again_before_it_can_time_out(h):
    batch_id = _batch(h, 2)
    h.api.outcomes[f"batch-{batch_id}/row-2"] = Outcome("never")
    mark = _during_first_poll_wait(h, lambda: h.clock.suspend(2 * HOUR))
    assert h.processor(quote_timeout_s=300.0).run_batch(batch_id) == "complete"
    after = _calls_after(h, mark[0])
    # Woken: polled again, and polling resumed; the sleep took none of the row's 300 s (monotonic
    # time stands still in a suspend), so it is given up only after its own time has run.
    assert after[0] == "GET" and after.count("GET") > 2, after
    assert after.index("DELETE") > 2
    rows = _rows(h, batch_id)
    assert (rows[0].status, rows[0].error_code) == ("failed", "timeout")
    assert rows[1].status == "complete"            # polling went on with the next row


def test_a_sleep_that_outlives_the_quote_keeps_its_price(h):
    """Asleep past the quote's completion: the first poll on waking records the price."""
    batch_id = _batch(h, 1)
    mark = _during_first_poll_wait(h, lambda: h.clock.suspend(10 * 60))
    assert h.processor(quote_timeout_s=300.0).run_batch(batch_id) == "complete"
    row = _rows(h, batch_id)[0]
    assert row.status == "complete" and str(row.mrc) == "899.00"
    assert _calls_after(h, mark[0]) == ["GET"]


def test_the_wall_clock_set_back_an_hour_mid_poll_changes_nothing(h):
    batch_id = _batch(h, 2)
    mark = _during_first_poll_wait(h, lambda: h.clock.jump_wall(-HOUR))
    started = h.clock.monotonic()
    assert h.processor().run_batch(batch_id) == "complete"
    assert [r.status for r in _rows(h, batch_id)] == ["complete"] * 2
    # Polls went on at the server's Retry-After: no waiting out the hour the clock went back.
    assert h.clock.monotonic() - started < 120
    assert "DELETE" not in _calls_after(h, mark[0])


def test_the_wall_clock_set_forward_mid_poll_still_polls_before_anything_ends(h):
    batch_id = _batch(h, 2)
    mark = _during_first_poll_wait(h, lambda: h.clock.jump_wall(HOUR))
    assert h.processor().run_batch(batch_id) == "complete"
    after = _calls_after(h, mark[0])
    assert after[0] == "GET"                        # asked once more before anything else
    assert after.count("POST") == 1                 # and the line went on
    assert _rows(h, batch_id)[1].status == "complete"



def test_the_wall_clock_set_forward_does_not_time_out_a_young_quote(h):
    batch_id = _batch(h, 1)
    _during_first_poll_wait(h, lambda: h.clock.jump_wall(HOUR))
    h.processor(quote_timeout_s=300.0).run_batch(batch_id)
    assert _rows(h, batch_id)[0].status == "complete"


def test_a_sleep_while_waiting_for_the_lease_loses_nothing(h):
    """Asleep with the line idle (between rows): the lease lapsed meanwhile, is taken again."""
    batch_id = _batch(h, 2)
    slept = []

    def after_call(method, _what):
        if method == "GET" and not slept and _rows(h, batch_id)[0].status == "complete":
            slept.append(1)
            h.clock.suspend(HOUR)
    h.api.after_call = after_call
    assert h.processor().run_batch(batch_id) == "complete"
    assert slept and [r.status for r in _rows(h, batch_id)] == ["complete"] * 2


def test_a_sleep_then_a_reset_connection_on_waking_does_not_give_the_row_up_unpolled(h):
    batch_id = _batch(h, 1)
    h.api.outcomes[f"batch-{batch_id}/row-2"] = Outcome("never")

    def sleep_then_reset():
        h.clock.suspend(10 * 60)
        h.api.fail_next("GET", "lose")   # the first GET on waking: connection reset
    mark = _during_first_poll_wait(h, sleep_then_reset)
    h.processor(quote_timeout_s=300.0).run_batch(batch_id)
    answered = [m for m, what in h.api.calls[mark[0]:] if m == "GET"]
    assert len(answered) >= 2, h.api.calls[mark[0]:]
