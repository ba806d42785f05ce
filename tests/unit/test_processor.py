"""The sequential processor against an in-memory Momentum account and a fake clock."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest

from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.clock import SystemClock
from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from bulkquote_gui.core.engine.unblock import NotABlocker, cancel_blocking_quote
from bulkquote_gui.core.quoting.momentum import PermanentError
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.engine.policy import EngineConfig, Timing
from bulkquote_gui.core.engine.processor import Processor
from tests.helpers.fakes import FakeClock, FakeMomentum, Outcome, auth_error, fake_import, server_error
from tests.helpers.store_setup import next_open_row


@pytest.fixture
def api(clock):
    return FakeMomentum(clock)


class Harness:
    def __init__(self, sf, api, clock):
        self.sf, self.api, self.clock = sf, api, clock
        self.events: list = []

    def batch(self, n=3) -> int:
        with engine_store.in_transaction(self.sf) as session:
            return batch_store.create_batch(session, fake_import(n), defaults=BatchDefaults(), source_name="t.csv")

    def processor(self, **config) -> Processor:
        return Processor(self.sf, self.api, clock=self.clock, on_event=self.events.append,
                         config=EngineConfig(**config), rng=random.Random(7))

    def rows(self, batch_id):
        with self.sf() as session:
            return view_store.batch_rows(session, batch_id)

    def statuses(self, batch_id):
        return [r.status for r in self.rows(batch_id)]

    def batch_status(self, batch_id):
        with self.sf() as session:
            return view_store.get_batch(session, batch_id).status

    def posts(self):
        return [ref for method, ref in self.api.calls if method == "POST" and not ref.startswith("fault:")]

    def one_quote_per_row(self, batch_id):
        for row in self.rows(batch_id):
            assert len(self.api.created_for(self.ref(batch_id, row.row_number))) == 1, row

    def ref(self, batch_id, row_number):
        """The reference a row is sent with: this database's install id first."""
        return f"{account_store.install_id(self.sf)}/batch-{batch_id}/row-{row_number}"


@pytest.fixture
def h(sf, api, clock):
    return Harness(sf, api, clock)


def test_batch_runs_in_row_order_with_one_quote_in_flight(h):
    batch_id = h.batch(3)
    assert h.processor().run_batch(batch_id) == "complete"
    assert h.statuses(batch_id) == ["complete"] * 3
    assert h.posts() == [h.ref(batch_id, n) for n in (2, 3, 4)]
    h.one_quote_per_row(batch_id)
    row = h.rows(batch_id)[0]
    assert (row.carrier, str(row.mrc), str(row.nrc), row.currency, row.install_days) == \
        ("Lumen", "899.00", "0.00", "USD", 45)
    assert (row.access, row.is_estimate, row.option_count, row.attempts) == ("on_net", False, 2, 1)
    assert row.valid_until.isoformat() == "2099-12-29"
    with h.sf() as session:
        summary = view_store.get_batch(session, batch_id)
    assert summary.finished_at is not None and summary.started_at is not None


def test_events_follow_the_state_machine_with_counts(h):
    batch_id = h.batch(2)
    h.processor().run_batch(batch_id)
    first = [e.status for e in h.events if isinstance(e, QuoteEvent) and e.row_number == 2]
    assert first == ["submitting", "polling", "complete"]
    batch_events = [e.status for e in h.events if isinstance(e, BatchEvent)]
    assert batch_events == ["running", "complete"]
    done = [e for e in h.events if isinstance(e, QuoteEvent) and e.status == "complete"]
    assert done[0].counts["complete"] == 1 and done[0].counts["pending"] == 1
    assert str(done[0].mrc) == "899.00" and done[0].carrier == "Lumen"
    assert done[1].counts == {"total": 2, "pending": 0, "active": 0, "complete": 2,
                              "failed": 0, "cancelled": 0}


@pytest.mark.parametrize("retry_after, expected", [(5.0, 5.0), (None, 15.0), (0.01, 1.0), (9999.0, 300.0)])
def test_poll_waits_honour_retry_after_within_floor_and_ceiling(h, retry_after, expected):
    h.api.retry_after = retry_after
    h.api.ready_after_s = 1.0
    batch_id = h.batch(1)
    h.processor().run_batch(batch_id)
    assert h.statuses(batch_id) == ["complete"]
    post_at, get_at = h.api.call_times[0], h.api.call_times[1]
    assert h.api.calls[1][0] == "GET"
    assert get_at - post_at == pytest.approx(expected)


def test_transient_faults_are_retried_and_never_fail_the_row(h):
    batch_id = h.batch(2)
    h.api.fail_next("POST", server_error(), server_error(retry_after=7.0), "lose")
    h.api.fail_next("GET", server_error(), "lose", server_error())
    assert h.processor().run_batch(batch_id) == "complete"
    assert h.statuses(batch_id) == ["complete", "complete"]
    h.one_quote_per_row(batch_id)  # the lost POST answer was replayed by its idempotency key
    gaps = [b - a for a, b in zip(h.api.call_times, h.api.call_times[1:])]
    assert gaps[1] == pytest.approx(7.0), "Retry-After of the second 503 honoured"


def test_backoff_grows_with_jitter_and_is_capped(h):
    timing = Timing(EngineConfig(backoff_base_s=1.0, backoff_max_s=8.0), random.Random(7))
    delays = [timing.retry_delay(None, attempt) for attempt in range(8)]
    for attempt, delay in enumerate(delays):
        ceiling = min(8.0, 2 ** attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays), "jitter"


def test_permanent_error_fails_that_row_and_the_batch_goes_on(h):
    batch_id = h.batch(3)
    h.api.outcomes[h.ref(batch_id, 3)] = Outcome("invalid", "invalid_address", "ZIP does not match")
    assert h.processor().run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [r.status for r in rows] == ["complete", "failed", "complete"]
    assert rows[1].error_code == "invalid_address"
    assert rows[1].error_message == "ZIP does not match (field location.postal_code)"


def test_remote_failures_map_to_failed_rows(h):
    batch_id = h.batch(3)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("failed", "no_coverage", "no carrier serves it")
    h.api.outcomes[h.ref(batch_id, 3)] = Outcome("failed", "manual_pricing_required", "call us")
    h.api.outcomes[h.ref(batch_id, 4)] = Outcome("expired")
    h.processor().run_batch(batch_id)
    rows = h.rows(batch_id)
    assert [(r.status, r.error_code) for r in rows] == [
        ("failed", "no_coverage"), ("failed", "manual_pricing_required"), ("failed", "expired")]
    assert rows[0].error_message == "no carrier serves it"
    assert "person must chase it" in rows[1].error_message


def test_timeout_deletes_the_quote_fails_the_row_and_frees_the_account(h):
    batch_id = h.batch(2)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    assert h.processor(quote_timeout_s=300).run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert (rows[0].status, rows[0].error_code) == ("failed", "timeout")
    assert rows[1].status == "complete"
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    assert ("DELETE", remote) in h.api.calls
    assert h.api.quotes[remote].status == "cancelled"
    # Gave up at the timeout, not a poll later.
    assert h.clock.total_waited < 300 + 20 + 5


def test_resumed_polling_row_counts_its_timeout_from_stored_submit_time(h):
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    with h.sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(h.sf) as session:
        row_store.mark_submitting(session, row, h.clock.now() - timedelta(seconds=290))
    reply = h.api.create_quote(row.request, row.idempotency_key)
    with engine_store.in_transaction(h.sf) as session:
        row_store.mark_polling(session, row.id, reply.quote.id)
    h.processor(quote_timeout_s=300).run_batch(batch_id)
    assert h.rows(batch_id)[0].error_code == "timeout"
    assert h.clock.total_waited <= 10.0 + 1e-6


def test_bad_key_pauses_the_batch_instead_of_failing_rows(h):
    batch_id = h.batch(3)
    p = h.processor()
    p.run_batch(batch_id)  # warm: nothing special
    batch_id = h.batch(3)
    h.api.fail_next("POST", auth_error())
    assert p.run_batch(batch_id) == "paused"
    assert h.statuses(batch_id) == ["submitting", "pending", "pending"]
    paused = [e for e in h.events if isinstance(e, BatchEvent) and e.status == "paused"]
    assert paused and "API key" in paused[-1].message
    with h.sf() as session:
        assert "API key" in view_store.get_batch(session, batch_id).status_message
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.resume_batch(session, batch_id)
    assert p.run_batch(batch_id) == "complete"
    h.one_quote_per_row(batch_id)


def test_a_foreign_quote_in_flight_is_waited_for_never_cancelled(h):
    batch_id = h.batch(2)
    foreign = h.api.add_foreign_quote(outcome="complete")   # done after ready_after_s (20 s)
    h.processor().run_batch(batch_id)
    assert h.statuses(batch_id) == ["complete", "complete"]
    assert not [c for c in h.api.calls if c[0] == "DELETE"]
    assert h.api.quotes[foreign].status == "complete"       # their paid work went through
    waits = [e for e in h.events if isinstance(e, WaitEvent)]
    assert [(w.reason, w.blocker_id) for w in waits] == [("account", foreign), ("", None)]
    assert f"another client's quote {foreign} is in flight" in waits[0].message
    assert waits[0].batch_ids == (batch_id,)
    # The wait was GETs of their quote at the server's Retry-After, not a storm of POSTs.
    assert [m for m, _ in h.api.calls].count("POST") == 3


def test_waiting_on_a_foreign_quote_fails_no_row_however_long_it_takes(h):
    batch_id = h.batch(1)
    foreign = h.api.add_foreign_quote(outcome="never")
    p = h.processor(quote_timeout_s=60.0)
    seen = {}

    def on_wait(seconds):
        if h.clock.monotonic() > 3600 and "state" not in seen:   # an hour later: still waiting
            with h.sf() as session:
                seen["state"] = view_store.batch_rows(session, batch_id)[0].status
                seen["lease"] = account_store.read_lease(session, p.account.id)
            cancel_blocking_quote(h.api, h.sf, foreign)             # the rep's explicit decision
    h.clock.on_wait = on_wait
    assert p.run_batch(batch_id) == "complete"
    assert seen["state"] == "submitting"
    assert (seen["lease"].waiting, seen["lease"].blocker_id) == ("account", foreign)
    assert h.statuses(batch_id) == ["complete"]
    with h.sf() as session:
        assert account_store.read_lease(session, p.account.id).waiting == ""


def test_the_rep_cannot_unblock_a_quote_of_our_own_rows(h):
    batch_id = h.batch(1)
    p = h.processor()
    h.clock.on_wait = lambda s: p.pause()
    p.run_batch(batch_id)
    remote = h.rows(batch_id)[0]
    with h.sf() as session:
        ours = work_store.load_row(session, remote.quote_id).remote_id
    with pytest.raises(NotABlocker, match="ours"):
        cancel_blocking_quote(h.api, h.sf, ours)
    assert h.api.quotes[ours].status in ("queued", "processing")


def test_uncancellable_foreign_quote_is_waited_for(h):
    batch_id = h.batch(1)
    foreign = h.api.add_foreign_quote(cancellable=False, outcome="complete")
    h.processor().run_batch(batch_id)
    assert h.statuses(batch_id) == ["complete"]
    assert h.api.quotes[foreign].status == "complete"
    assert len(h.api.in_flight()) == 0


def test_a_colleagues_quote_with_our_reference_is_not_taken_for_ours(h):
    batch_id = h.batch(2)
    with h.sf() as session:
        row = next_open_row(session, batch_id)
    # A tool that sends the same reference text: only a stored remote id makes a quote ours.
    colleague = h.api.create_quote({**row.request, "service": {"product": "DIA", "bandwidth_mbps": 100,
                                                               "term_months": 12}}, "their-key")
    h.api.quotes[colleague.quote.id].outcome = Outcome(mrc="1.00")
    h.processor().run_batch(batch_id)
    rows = h.rows(batch_id)
    assert [r.status for r in rows] == ["complete", "complete"]
    assert str(rows[0].mrc) == "899.00"
    assert h.api.quotes[colleague.quote.id].status == "complete"   # waited for, not cancelled
    assert len(h.api.created_for(h.ref(batch_id, 2))) == 2  # theirs and ours


def test_in_flight_quote_of_a_paused_batch_is_finished_for_its_row(h):
    first = h.batch(2)
    second = h.batch(1)
    p = h.processor()
    h.clock.on_wait = lambda s: p.pause()
    assert p.run_batch(first) == "paused"
    h.clock.on_wait = None
    assert h.statuses(first) == ["polling", "pending"]
    assert p.run_batch(second) == "complete"
    # The paused batch's quote blocked the account: it was finished for its own row.
    assert h.statuses(first) == ["complete", "pending"]
    h.one_quote_per_row(second)


@pytest.mark.parametrize("crash_at", range(1, 14))
def test_crash_at_any_call_then_resume_loses_nothing_and_asks_once(sf, crash_at):
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=6.0, retry_after=5.0)
    h = Harness(sf, api, clock)
    batch_id = h.batch(3)
    h.api.outcomes[h.ref(batch_id, 3)] = Outcome("failed", "no_coverage", "none")
    calls = 0

    class Crash(BaseException):
        pass

    def maybe_crash(method, ref):
        nonlocal calls
        calls += 1
        if calls == crash_at:
            raise Crash  # the process dies right after the server acted, before we record it

    h.api.after_call = maybe_crash
    try:
        h.processor().run_batch(batch_id)
    except Crash:
        pass
    h.api.after_call = None
    assert Processor(sf, api, clock=clock).run_batch(batch_id) == "complete"
    assert h.statuses(batch_id) == ["complete", "failed", "complete"]
    h.one_quote_per_row(batch_id)


def test_cancel_mid_wait_deletes_the_quote_in_flight(h):
    batch_id = h.batch(3)
    p = h.processor()
    h.clock.on_wait = lambda s: p.cancel(batch_id) if h.posts() else None
    assert p.run_batch(batch_id) == "cancelled"
    assert h.statuses(batch_id) == ["cancelled"] * 3
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    assert h.api.quotes[remote].status == "cancelled"
    assert len(h.posts()) == 1
    assert [e.status for e in h.events if isinstance(e, BatchEvent)][-1] == "cancelled"


def test_pause_keeps_the_quote_polling_and_resume_finishes_it(h):
    batch_id = h.batch(2)
    p = h.processor()
    h.clock.on_wait = lambda s: p.pause()
    assert p.run_batch(batch_id) == "paused"
    h.clock.on_wait = None
    assert h.statuses(batch_id) == ["polling", "pending"]
    assert not [c for c in h.api.calls if c[0] == "DELETE"]
    with h.sf() as session:
        assert view_store.unfinished_batch_ids(session) == []
    with engine_store.in_transaction(h.sf) as session:
        batch_store.resume_batch(session, batch_id)
    assert p.run_batch(batch_id) == "complete"
    h.one_quote_per_row(batch_id)


def test_stop_leaves_the_batch_resumable(h):
    batch_id = h.batch(2)
    p = h.processor()
    h.clock.on_wait = lambda s: p.stop()
    assert p.run_batch(batch_id) == "running"
    h.clock.on_wait = None
    with h.sf() as session:
        assert view_store.unfinished_batch_ids(session) == [batch_id]
    Processor(h.sf, h.api, clock=h.clock).run_unfinished()
    assert h.statuses(batch_id) == ["complete", "complete"]
    h.one_quote_per_row(batch_id)


def test_cancel_of_a_batch_not_running_queues_its_quote_for_delete(h):
    batch_id = h.batch(2)
    p = h.processor()
    h.clock.on_wait = lambda s: p.stop()
    p.run_batch(batch_id)  # left polling, as after a crash
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    p2 = Processor(h.sf, h.api, clock=h.clock)
    p2.cancel(batch_id)
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]
    assert p2.send_pending_deletes() == 1
    assert h.api.quotes[remote].status == "cancelled"


def test_cancel_from_another_process_is_noticed_during_a_wait(h):
    batch_id = h.batch(2)
    p = h.processor(poll_interval_s=60)
    h.api.retry_after = None
    h.api.ready_after_s = 1000
    h.clock.on_wait = lambda s: _cancel_elsewhere(h, batch_id) if h.clock.total_waited >= 3 else None
    assert p.run_batch(batch_id) == "cancelled"
    assert h.clock.total_waited <= 4.0 + 1e-6, "noticed within a second"
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    assert h.api.quotes[remote].status == "cancelled"


def test_retry_failed_rows_asks_again_with_a_new_key(h):
    batch_id = h.batch(2)
    h.api.outcomes[h.ref(batch_id, 3)] = Outcome("failed", "carrier_timeout", "try later")
    p = h.processor()
    p.run_batch(batch_id)
    h.api.outcomes.pop(h.ref(batch_id, 3))
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.retry_failed(session, batch_id) == 1
    assert p.run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [r.status for r in rows] == ["complete", "complete"]
    assert rows[1].attempts == 2
    assert len(h.api.created_for(h.ref(batch_id, 3))) == 2
    assert len(h.api.created_for(h.ref(batch_id, 2))) == 1


def test_run_unfinished_takes_batches_oldest_first_and_skips_paused(h):
    a, b, c = h.batch(1), h.batch(1), h.batch(1)
    with engine_store.in_transaction(h.sf) as session:
        batch_store.mark_paused(session, b)
    h.processor().run_unfinished()
    assert [h.batch_status(i) for i in (a, b, c)] == ["complete", "paused", "complete"]
    assert h.posts() == [h.ref(a, 2), h.ref(c, 2)]


def test_a_broken_listener_does_not_stop_the_batch(h):
    batch_id = h.batch(2)

    def explode(event):
        raise RuntimeError("listener bug")

    p = Processor(h.sf, h.api, clock=h.clock, on_event=explode)
    assert p.run_batch(batch_id) == "complete"


def test_permanent_error_while_polling_fails_only_that_row(h):
    batch_id = h.batch(2)
    h.api.fail_next("GET", PermanentError("bad id", status=400, code="bad_request"))
    h.processor().run_batch(batch_id)
    assert [(r.status, r.error_code) for r in h.rows(batch_id)] == [
        ("failed", "bad_request"), ("complete", None)]


def test_cancel_from_another_thread_takes_effect_within_a_second(h):
    """Real threads and the real clock: a 60 s poll wait must not delay the cancel."""
    batch_id = h.batch(2)
    h.api.retry_after = None
    h.api.ready_after_s = 10_000
    p = Processor(h.sf, h.api, clock=SystemClock(), config=EngineConfig(poll_interval_s=60))
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(p.run_batch(batch_id)))
    worker.start()
    deadline = time.monotonic() + 5
    while not h.posts() and time.monotonic() < deadline:
        time.sleep(0.01)
    p.cancel(batch_id)
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert outcome == ["cancelled"]
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]


def test_a_cancel_as_a_row_ends_is_announced(h):
    """The rep cancels just as a row is priced (the row in hand, so by the engine's flag): the
    batch's other rows are cancelled in the store at once, nothing is left for the engine to
    interrupt, and it must still say the batch ended cancelled (the window waits for that)."""
    batch_id = h.batch(3)
    p = Processor(h.sf, h.api, clock=h.clock, on_event=lambda e: (h.events.append(e), cancel(e)),
                  config=EngineConfig(), rng=random.Random(7))

    def cancel(event):
        if isinstance(event, QuoteEvent) and event.status == "complete" and event.row_number == 2:
            p.cancel(batch_id)

    assert p.run_batch(batch_id) == "cancelled"
    assert h.statuses(batch_id) == ["complete", "cancelled", "cancelled"]
    ends = [e.status for e in h.events if isinstance(e, BatchEvent) and e.status != "running"]
    assert ends == ["cancelled"]
    assert h.posts() == [h.ref(batch_id, 2)]


def test_an_unexpected_error_fails_only_that_row(h):
    batch_id = h.batch(3)
    h.api.fail_next("POST", "lose", RuntimeError("unforeseen"))
    assert h.processor().run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [(r.status, r.error_code) for r in rows] == [
        ("failed", "internal_error"), ("complete", None), ("complete", None)]
    assert "unforeseen" in rows[0].error_message
    # The first row's quote, created before the error, was cleared off the account (409 path).
    assert h.api.in_flight() == []
    h.one_quote_per_row(batch_id)


def test_row_left_submitting_long_ago_is_posted_again_before_any_timeout(h):
    batch_id = h.batch(1)
    with h.sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(h.sf) as session:
        row_store.mark_submitting(session, row, h.clock.now())
    h.api.create_quote(row.request, row.idempotency_key)  # sent, then the app was closed
    h.clock.advance(3600)  # reopened an hour later: the quote is long finished
    assert h.processor().run_batch(batch_id) == "complete"
    assert h.statuses(batch_id) == ["complete"]
    h.one_quote_per_row(batch_id)


def test_transient_faults_until_the_timeout_fail_the_row_as_timeout(h):
    batch_id = h.batch(2)
    h.api.fail_next("POST", *[server_error(retry_after=30.0) for _ in range(12)])
    h.processor(quote_timeout_s=300).run_batch(batch_id)
    rows = h.rows(batch_id)
    assert (rows[0].status, rows[0].error_code) == ("failed", "timeout")
    assert rows[1].status == "complete"


def test_a_servers_field_is_named_in_the_rows_message(h):
    batch_id = h.batch(1)
    h.api.fail_next("POST", PermanentError("ZIP does not match the city", status=422,
                                           code="invalid_address", field="location.postal_code"))
    h.processor().run_batch(batch_id)
    row = h.rows(batch_id)[0]
    assert row.error_code == "invalid_address" and "location.postal_code" in row.error_message


def test_delete_at_the_timeout_finding_the_quote_failed_keeps_its_reason(h):
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("failed", "no_coverage", "none", cancellable=False)
    h.api.ready_after_s = 10_000
    p = h.processor(quote_timeout_s=60)
    original = h.api.cancel_quote

    def delete_finds_it_failed(quote_id):
        h.api.quotes[quote_id].status = "failed"
        return original(quote_id)

    h.api.cancel_quote = delete_finds_it_failed
    p.run_batch(batch_id)
    assert h.rows(batch_id)[0].error_code == "no_coverage"


def test_lost_post_answer_until_the_timeout_is_found_and_deleted_at_the_batch_end(h):
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    # The quote is made but its answer lost, then POST fails until after the row's timeout.
    h.api.fail_next("POST", "lose", *[server_error(retry_after=20.0) for _ in range(5)])
    assert h.processor(quote_timeout_s=60).run_batch(batch_id) == "complete"
    assert (h.rows(batch_id)[0].status, h.rows(batch_id)[0].error_code) == ("failed", "timeout")
    assert h.api.in_flight() == [], "the account is not left blocked"
    assert len(h.api.created_for(h.ref(batch_id, 2))) == 1


def test_delete_outage_at_the_timeout_is_retried_until_the_account_is_clear(h):
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("DELETE", *[server_error() for _ in range(6)])
    assert h.processor(quote_timeout_s=60).run_batch(batch_id) == "complete"
    assert h.rows(batch_id)[0].error_code == "timeout"
    assert h.api.in_flight() == []


def test_delete_outage_during_a_cancel_is_retried_until_the_account_is_clear(h):
    batch_id = h.batch(2)
    p = h.processor()
    h.api.ready_after_s = 10_000

    def cancel_in_an_outage(seconds):
        if h.posts() and not h.api.faults["DELETE"] and not p.commands.cancel_asked(batch_id):
            h.api.fail_next("DELETE", *[server_error() for _ in range(5)])
            p.cancel(batch_id)

    h.clock.on_wait = cancel_in_an_outage
    assert p.run_batch(batch_id) == "cancelled"
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]
    assert h.api.in_flight() == []


def test_a_lost_post_whose_quote_completed_meanwhile_keeps_its_price(h):
    batch_id = h.batch(2)
    # Made, answer lost, then POST fails past the row's timeout while the quote completes.
    h.api.fail_next("POST", "lose", *[server_error(retry_after=30.0) for _ in range(3)])
    assert h.processor(quote_timeout_s=60).run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [(r.status, r.error_code) for r in rows] == [("complete", None), ("complete", None)]
    assert str(rows[0].mrc) == "899.00"
    h.one_quote_per_row(batch_id)


def test_a_refused_key_while_clearing_the_account_pauses_the_batch(h):
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("DELETE", *[auth_error() for _ in range(3)])
    assert h.processor(quote_timeout_s=60).run_batch(batch_id) == "paused"
    assert h.rows(batch_id)[0].error_code == "timeout"
    with h.sf() as session:
        assert "401" in view_store.get_batch(session, batch_id).status_message


def test_an_owed_delete_that_finds_the_quote_complete_keeps_its_price(h):
    batch_id = h.batch(2)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("DELETE", *[server_error() for _ in range(4)])
    original = h.api.cancel_quote

    def completes_when_finally_deleted(quote_id):
        if not h.api.faults["DELETE"]:
            h.api.quotes[quote_id].outcome = Outcome()  # it was priced meanwhile
        return original(quote_id)

    h.api.cancel_quote = completes_when_finally_deleted
    assert h.processor(quote_timeout_s=60).run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [(r.status, r.error_code) for r in rows] == [("complete", None), ("complete", None)]
    assert str(rows[0].mrc) == "899.00"


def test_a_quotes_timeout_runs_from_its_creation_not_from_the_first_post_attempt(h):
    batch_id = h.batch(1)
    h.api.ready_after_s = 100
    h.api.fail_next("POST", *[server_error(retry_after=50.0) for _ in range(4)])  # 200 s outage
    h.processor(quote_timeout_s=300).run_batch(batch_id)
    assert h.statuses(batch_id) == ["complete"], "made at 200 s, priced at 300 s: within its own 300 s"


def test_a_long_retry_after_on_post_never_holds_a_row_past_its_timeout(h):
    batch_id = h.batch(2)
    h.api.fail_next("POST", *[server_error(retry_after=250.0) for _ in range(3)])
    h.processor(quote_timeout_s=300).run_batch(batch_id)
    first_row_posts = [t for (m, ref), t in zip(h.api.calls, h.api.call_times) if m == "POST"][:3]
    assert first_row_posts == [pytest.approx(x + first_row_posts[0]) for x in (0, 250, 300)], \
        "the last wait is cut at the deadline, and the deadline still gets its try"
    rows = h.rows(batch_id)
    assert (rows[0].status, rows[0].error_code) == ("failed", "timeout")
    second_post = [t for (m, ref), t in zip(h.api.calls, h.api.call_times)
                   if m == "POST" and ref == h.ref(batch_id, 3)][0]
    assert second_post - h.api.call_times[0] == pytest.approx(300.0, abs=1.0)
    assert rows[1].status == "complete"


def test_clean_up_owed_survives_a_restart(h):
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("DELETE", *[server_error() for _ in range(50)])
    assert h.processor(quote_timeout_s=60, cleanup_timeout_s=10).run_batch(batch_id) == "complete"
    assert len(h.api.in_flight()) == 1, "the outage outlasted the clean-up time"
    h.api.faults["DELETE"].clear()
    restarted = Processor(h.sf, h.api, clock=h.clock)
    assert restarted.cleanup_owed == 1
    assert restarted.send_pending_deletes() == 1
    assert h.api.in_flight() == [] and restarted.cleanup_owed == 0


def test_a_replayed_lost_post_whose_delete_finds_the_quote_complete_keeps_its_price(h):
    """The lost POST's key is replayed at the batch end: the quote is still in flight, so it is
    DELETEd; the DELETE finds it priced meanwhile. The row never stored the quote's id."""
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("POST", "lose", *[server_error(retry_after=20.0) for _ in range(5)])
    original = h.api.cancel_quote

    def priced_when_deleted(quote_id):
        h.api.quotes[quote_id].outcome = Outcome()
        return original(quote_id)

    h.api.cancel_quote = priced_when_deleted
    assert h.processor(quote_timeout_s=60).run_batch(batch_id) == "complete"
    assert [m for m, _ in h.api.calls].count("DELETE") == 1, "found by the replay, then DELETEd"
    row = h.rows(batch_id)[0]
    assert (row.status, row.error_code, str(row.mrc)) == ("complete", None, "899.00")
    h.one_quote_per_row(batch_id)


def _cancel_on_first_wait(h, p, batch_id):
    def cancel(seconds):
        if h.posts() and not p.commands.cancel_asked(batch_id):
            p.cancel(batch_id)
    return cancel


def test_cancel_while_a_lost_post_is_retried_leaves_no_quote_in_flight(h):
    batch_id = h.batch(2)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("POST", "lose", *[server_error(retry_after=20.0) for _ in range(2)])
    p = h.processor(quote_timeout_s=300)
    h.clock.on_wait = _cancel_on_first_wait(h, p, batch_id)
    assert p.run_batch(batch_id) == "cancelled"
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]
    assert h.api.in_flight() == [], "the quote the lost POST made was found and DELETEd"
    assert len(h.api.created_for(h.ref(batch_id, 2))) == 1
    assert p.cleanup_owed == 0


def test_cancel_while_a_lost_post_is_retried_keeps_a_price_found_on_replay(h):
    batch_id = h.batch(1)
    h.api.ready_after_s = 0.4  # priced while the first replay meets a fault too
    h.api.fail_next("POST", "lose", server_error(retry_after=30.0), server_error())
    p = h.processor(quote_timeout_s=300)
    h.clock.on_wait = _cancel_on_first_wait(h, p, batch_id)
    assert p.run_batch(batch_id) == "cancelled"
    row = h.rows(batch_id)[0]
    assert (row.status, str(row.mrc)) == ("complete", "899.00"), "priced before the replay"
    h.one_quote_per_row(batch_id)


def test_cancel_while_waiting_behind_a_foreign_quote_makes_no_quote(h):
    """Every POST was answered (409): nothing of ours can exist behind the key, nothing replayed."""
    h.api.add_foreign_quote(cancellable=False)
    batch_id = h.batch(1)
    p = h.processor()
    h.clock.on_wait = _cancel_on_first_wait(h, p, batch_id)
    assert p.run_batch(batch_id) == "cancelled"
    assert h.api.created_for(h.ref(batch_id, 2)) == []
    assert len(h.posts()) == 1 and p.cleanup_owed == 0


def test_cancelling_a_paused_batch_replays_a_lost_post_and_deletes_its_quote(h):
    """Paused while its lost POST was retried, the row stays `submitting` with no remote id;
    cancelling the batch (not running) owes a replay of its key, which finds the quote."""
    batch_id = h.batch(2)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("POST", "lose")
    p = h.processor()
    h.clock.on_wait = lambda s: p.pause()
    assert p.run_batch(batch_id) == "paused"
    h.clock.on_wait = None
    assert h.statuses(batch_id) == ["submitting", "pending"]
    p.cancel(batch_id)
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]
    assert p.cleanup_owed == 1
    assert p.send_pending_deletes() == 1
    assert h.api.in_flight() == [] and p.cleanup_owed == 0
    assert len(h.api.created_for(h.ref(batch_id, 2))) == 1


def test_cancel_behind_a_foreign_quote_after_a_lost_post_answer_replays_nothing(h):
    """A POST's answer was lost, but the next one was answered 409: the contract would have
    replayed a quote made with the key, so there is none, and the cancel makes none."""
    foreign = h.api.add_foreign_quote(cancellable=False, outcome="complete")
    h.api.quotes[foreign].status = "complete"  # not blocking yet: the first POST gets through
    batch_id = h.batch(1)
    h.api.fail_next("POST", server_error())  # refused before it made anything: unanswered
    p = h.processor()

    def block_then_cancel(seconds):
        if h.api.quotes[foreign].status == "complete":
            h.api.quotes[foreign].status = "processing"
            h.api.quotes[foreign].outcome = Outcome("never", cancellable=False)
        elif len([c for c in h.api.calls if c[0] == "POST"]) >= 2:
            h.api.quotes[foreign].status = "complete"  # a replay now would make a quote
            p.cancel(batch_id)

    h.clock.on_wait = block_then_cancel
    assert p.run_batch(batch_id) == "cancelled"
    assert h.api.created_for(h.ref(batch_id, 2)) == []
    assert p.cleanup_owed == 0


def test_clearing_the_account_honours_the_servers_retry_after(h):
    """The DELETEs owed at the batch end meet 429s: each retry waits at least Retry-After."""
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("DELETE", *[server_error(retry_after=40.0) for _ in range(6)])
    assert h.processor(quote_timeout_s=60, cleanup_timeout_s=600).run_batch(batch_id) == "complete"
    assert h.api.in_flight() == []
    deletes = [t for (m, _), t in zip(h.api.calls, h.api.call_times) if m == "DELETE"]
    assert len(deletes) == 7
    assert min(b - a for a, b in zip(deletes, deletes[1:])) >= 40.0


# --------------------------------------------------------------------- a quote never paid twice
# Issue 15: pause with a quote in flight, the API finishes it, cancel, quote the rest.

def _cancel_elsewhere(h, batch_id):
    """Another process's cancel: the store's, in a transaction of its own."""
    with engine_store.in_transaction(h.sf) as session:
        batch_store.request_cancel(session, batch_id)


def _key(h, row_id):
    with h.sf() as session:
        return work_store.load_row(session, row_id).idempotency_key


def _paused_with_a_quote_in_flight(h, n=2):
    """A batch paused while its first row's quote is in flight (left `polling`)."""
    batch_id = h.batch(n)
    p = h.processor()
    h.clock.on_wait = lambda s: p.pause()
    assert p.run_batch(batch_id) == "paused"
    h.clock.on_wait = None
    assert h.statuses(batch_id)[0] == "polling"
    first = h.rows(batch_id)[0].quote_id
    return batch_id, p, first, _key(h, first)


def test_a_quote_finished_while_paused_is_kept_when_the_rest_is_quoted(h):
    batch_id, p, first, key = _paused_with_a_quote_in_flight(h)
    h.clock.advance(h.api.ready_after_s)   # the API finishes the quote meanwhile
    p.cancel(batch_id)                     # not in hand: its DELETE is owed
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 2
    assert p.run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [(r.status, str(r.mrc)) for r in rows] == [("complete", "899.00")] * 2
    h.one_quote_per_row(batch_id)
    assert _key(h, first) == key, "asked again under its own key: the API answered the original"
    assert [k for k, q in h.api.keys.items() if q in h.api.created_for(h.ref(batch_id, 2))] == [key]


def test_a_row_asked_again_while_its_quote_is_in_flight_keeps_its_key(h):
    h.api.ready_after_s = 100
    batch_id, p, first, key = _paused_with_a_quote_in_flight(h)
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    p.cancel(batch_id)
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 2
    assert p.cleanup_owed == 0, "the row wants its quote: no DELETE owed for it any more"
    assert p.run_batch(batch_id) == "complete"
    assert h.statuses(batch_id) == ["complete", "complete"]
    assert not [c for c in h.api.calls if c[0] == "DELETE"]
    assert h.api.created_for(h.ref(batch_id, 2)) == [remote], "the API answered with the original"
    assert _key(h, first) == key
    h.one_quote_per_row(batch_id)


def test_a_row_whose_quote_was_cancelled_at_the_api_is_asked_with_a_new_key(h):
    h.api.ready_after_s = 100
    batch_id, p, first, key = _paused_with_a_quote_in_flight(h)
    p.cancel(batch_id)
    assert p.send_pending_deletes() == 1   # the DELETE answered: cancelled
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 2
    assert p.run_batch(batch_id) == "complete"
    made = h.api.created_for(h.ref(batch_id, 2))
    assert [h.api.quotes[q].status for q in made] == ["cancelled", "complete"]
    assert _key(h, first) != key and h.api.keys[_key(h, first)] == made[1]
    assert h.posts().count(h.ref(batch_id, 2)) == 2, "no replay of a key known to be spent"


def test_a_replayed_key_whose_quote_was_cancelled_is_asked_with_a_new_key(h):
    """Cancelled at the API without our knowing (the DELETE's answer lost, another process):
    the replay of the row's key answers `cancelled`, so the row asks under a new key."""
    h.api.ready_after_s = 100
    batch_id, p, first, key = _paused_with_a_quote_in_flight(h)
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    p.cancel(batch_id)
    h.api.cancel_quote(remote)             # its answer never reached us: the DELETE stays owed
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 2
    assert p.run_batch(batch_id) == "complete"
    rows = h.rows(batch_id)
    assert [(r.status, str(r.mrc)) for r in rows] == [("complete", "899.00")] * 2
    made = h.api.created_for(h.ref(batch_id, 2))
    assert [h.api.quotes[q].status for q in made] == ["cancelled", "complete"]
    assert _key(h, first) != key and h.api.keys[_key(h, first)] == made[1]


@pytest.mark.parametrize("other", ["another BulkQuote", "a cancel that owed nothing"])
def test_a_cancel_by_another_process_keeps_the_price_the_holders_delete_finds(h, other):
    """Another process cancelled the batch the holder has in hand (another BulkQuote, whose
    Processor owes the DELETE; or a process that died before owing it): the holder's DELETE
    finds the quote priced, and the price is kept."""
    batch_id = h.batch(2)
    p = h.processor(poll_interval_s=60)
    h.api.retry_after = None
    h.api.ready_after_s = 10    # priced long before the first poll, at 60 s
    cancel = Processor(h.sf, h.api, clock=h.clock).cancel if other == "another BulkQuote" \
        else (lambda b: _cancel_elsewhere(h, b))
    h.clock.on_wait = lambda s: cancel(batch_id) if h.clock.total_waited >= 30 else None
    assert p.run_batch(batch_id) == "cancelled"
    h.clock.on_wait = None
    rows = h.rows(batch_id)
    assert [(r.status, str(r.mrc)) for r in rows] == [("complete", "899.00"), ("cancelled", "None")]
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 1
    assert p.run_batch(batch_id) == "complete"
    h.one_quote_per_row(batch_id)


def test_a_cancels_own_transaction_owes_the_delete_of_a_paused_quote(h):
    """Killed right after the cancel's transaction (before any DELETE was sent or owed): what
    the store holds still says the quote needs clearing, so quote the rest keeps its key."""
    batch_id, p, first, key = _paused_with_a_quote_in_flight(h)
    h.clock.advance(h.api.ready_after_s)        # priced meanwhile
    with engine_store.in_transaction(h.sf) as session:
        batch_store.request_cancel(session, batch_id)         # all a process killed at that instant leaves
    assert Processor(h.sf, h.api, clock=h.clock).cleanup_owed == 1
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 2
    assert Processor(h.sf, h.api, clock=h.clock).run_batch(batch_id) == "complete"
    assert [(r.status, str(r.mrc)) for r in h.rows(batch_id)] == [("complete", "899.00")] * 2
    assert _key(h, first) == key
    h.one_quote_per_row(batch_id)


def test_killed_between_a_cancel_in_hand_and_its_delete_the_rest_is_quoted_once(h):
    """The rep cancels the batch in hand; the process dies before the engine's DELETE. Its row
    is left in flight in a cancelled batch; quote the rest finishes that quote for it."""
    class Crash(BaseException):
        pass

    batch_id = h.batch(2)
    p = h.processor()

    def cancel_then_die(seconds):
        if h.posts():
            p.cancel(batch_id)
            raise Crash

    h.clock.on_wait = cancel_then_die
    with pytest.raises(Crash):
        p.run_batch(batch_id)
    h.clock.on_wait = None
    h.clock.advance(h.api.ready_after_s)        # priced meanwhile
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.quote_rest(session, batch_id) == 1
    assert Processor(h.sf, h.api, clock=h.clock).run_batch(batch_id) == "complete"
    assert [(r.status, str(r.mrc)) for r in h.rows(batch_id)] == [("complete", "899.00")] * 2
    h.one_quote_per_row(batch_id)


def test_retry_of_a_timeout_whose_delete_is_still_owed_keeps_the_price(h):
    """`retry` before the timed-out quote's owed DELETE got through: the quote was priced
    meanwhile, so the row asks with its own key and gets that price, not a second quote."""
    batch_id = h.batch(1)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    h.api.fail_next("DELETE", *[server_error() for _ in range(50)])
    p = h.processor(quote_timeout_s=60, cleanup_timeout_s=10)
    assert p.run_batch(batch_id) == "complete"
    row = h.rows(batch_id)[0]
    assert (row.status, row.error_code, p.cleanup_owed) == ("failed", "timeout", 1)
    remote = h.api.created_for(h.ref(batch_id, 2))[0]
    h.api.quotes[remote].outcome = Outcome()          # priced at last
    h.api.faults["DELETE"].clear()
    with engine_store.in_transaction(h.sf) as session:
        assert batch_store.retry_failed(session, batch_id) == 1
    assert p.run_batch(batch_id) == "complete"
    row = h.rows(batch_id)[0]
    assert (row.status, str(row.mrc)) == ("complete", "899.00")
    assert h.api.created_for(h.ref(batch_id, 2)) == [remote]


def test_a_quote_left_in_flight_by_a_cancel_cut_short_is_deleted_by_the_next_run(h):
    """Cancel pressed, then the app quit (or died) before the engine's DELETE: the row is left
    in flight in a cancelled batch. The next run cancels it and clears its quote."""
    batch_id = h.batch(2)
    h.api.outcomes[h.ref(batch_id, 2)] = Outcome("never")
    p = h.processor()

    def cancel_then_quit(seconds):
        if h.posts() and not p.commands.stopped:
            p.cancel(batch_id)
            p.stop()

    h.clock.on_wait = cancel_then_quit
    p.run_batch(batch_id)
    h.clock.on_wait = None
    assert h.statuses(batch_id) == ["polling", "cancelled"] and len(h.api.in_flight()) == 1
    Processor(h.sf, h.api, clock=h.clock).run_unfinished()
    assert h.statuses(batch_id) == ["cancelled", "cancelled"]
    assert h.api.in_flight() == []
