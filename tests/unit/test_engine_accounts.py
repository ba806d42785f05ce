"""The engine's account-wide rules with a fake API and a fake clock: the lease and its fence, fair
turns and rush, an unreachable API, and the WaitEvents that tell the rep why nothing is sent."""

from __future__ import annotations

import random
import socket
import subprocess

import pytest

from bulkquote_gui.core.engine.lease import this_process
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.events import WaitEvent
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import cleanup as cleanup_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import rows as row_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.store import work as work_store
from bulkquote_gui.core.store.accounts import Holder
from tests.helpers.fakes import FakeMomentum, fake_import
from tests.helpers.store_setup import next_open_row


@pytest.fixture
def api(clock):
    return FakeMomentum(clock, ready_after_s=10.0, retry_after=5.0)


@pytest.fixture
def account(sf):
    return account_store.ensure_account(sf, "https://api.example/v1", "key-1")


def batch(sf, n, account=None):
    with engine_store.in_transaction(sf) as session:
        return batch_store.create_batch(session, fake_import(n), defaults=BatchDefaults(), source_name="t.csv",
                                  account_id=account.id if account else None)


def processor(sf, api, clock, account, events=None, role="test", **config):
    return Processor(sf, api, clock=clock, on_event=(events.append if events is not None else lambda e: None),
                     config=EngineConfig(**config), rng=random.Random(3), account=account,
                     holder=this_process(role))


def posts(api):
    return [ref for method, ref in api.calls if method == "POST" and not ref.startswith("fault:")]


def statuses(sf, batch_id):
    with sf() as session:
        return [r.status for r in view_store.batch_rows(session, batch_id)]


# ----------------------------------------------------------------------------- the lease

def test_a_held_lease_is_waited_for_and_taken_over_once_it_expires(sf, api, clock, account):
    other = Holder("other-instance", "laptop-7 pid 42 (window)")
    assert account_store.acquire_lease(sf, account.id, other, clock.now(), 30.0) == 1
    batch_id = batch(sf, 2, account)
    events = []
    p = processor(sf, api, clock, account, events)
    assert p.run_batch(batch_id) == "complete"
    waits = [e for e in events if isinstance(e, WaitEvent)]
    assert waits[0].reason == "lease"
    assert "held by laptop-7 pid 42 (window)" in waits[0].message
    assert waits[-1].reason == ""
    # Nothing was sent before the other holder's lease ran out.
    assert api.call_times[0] >= 30.0
    with sf() as session:
        lease = account_store.read_lease(session, account.id)
    assert lease.instance_id == "" and lease.token == 2   # released after; token grew with the takeover


def test_a_window_that_stopped_is_named_once_with_about_how_long_the_wait_is(sf, api, clock, account):
    # A window of this machine killed with -9: its lease stays until it expires.
    gone = _exited_pid()
    killed = Holder("killed-window", f"{socket.gethostname()} pid {gone} (window)")
    account_store.acquire_lease(sf, account.id, killed, clock.now(), 30.0)
    clock.advance(4.0)   # it renewed last 4 s before the restart
    restarted, events = clock.monotonic(), []
    assert processor(sf, api, clock, account, events).run_batch(batch(sf, 2, account)) == "complete"
    waits = [e.message for e in events if isinstance(e, WaitEvent) and e.reason]
    assert waits == [(f"the previous BulkQuote window (pid {gone}) stopped without handing the "
                      "account over; this one takes over in about 26 s, nothing is lost")]
    assert 26.0 <= api.call_times[0] - restarted <= 28.0   # and so it did (asking every 2 s)


def test_a_holder_that_stops_while_waited_for_is_named_as_stopped(sf, api, clock, account):
    running = subprocess.Popen(["sleep", "60"])   # a command of this machine holding the account
    host = socket.gethostname()
    account_store.acquire_lease(sf, account.id, Holder("cli", f"{host} pid {running.pid} (cli)"),
                        clock.now(), 30.0)

    def killed_during_the_first_wait(_seconds: float) -> None:
        if running.poll() is None:
            running.kill()
            running.wait()

    clock.on_wait = killed_during_the_first_wait
    events = []
    assert processor(sf, api, clock, account, events).run_batch(batch(sf, 1, account)) == "complete"
    assert [e.message for e in events if isinstance(e, WaitEvent) and e.reason] == [
        f"waiting for the account's lease: held by {host} pid {running.pid} (cli)",
        (f"the previous BulkQuote command (pid {running.pid}) stopped without handing the "
         "account over; this one takes over in about 28 s, nothing is lost")]


def _exited_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_holder_taken_over_while_frozen_sends_no_new_row(sf, api, clock, account):
    batch_id = batch(sf, 3, account)
    p = processor(sf, api, clock, account, lease_ttl_s=30.0, lease_retry_s=2.0)
    thief = Holder("thief", "laptop-9 pid 7 (cli)")
    stolen = []

    def freeze_then_steal(seconds):
        # While the first quote is in flight the holder "sleeps" past its lease; another takes it.
        if not stolen and statuses(sf, batch_id)[0] == "polling":
            clock.advance(120)
            stolen.append((clock.monotonic(), account_store.acquire_lease(sf, account.id, thief, clock.now(), 30.0)))
    clock.on_wait = freeze_then_steal
    assert p.run_batch(batch_id) == "complete"
    (stolen_at, token), = stolen
    assert token == 2
    # Nothing at all was sent while the thief held the lease (it never renewed: 30 s).
    during = [m for (m, _), t in zip(api.calls, api.call_times) if stolen_at <= t < stolen_at + 30]
    assert during == []
    # Then the lease was taken back (token 3) and the same quote polled to its end: one per row.
    assert len(posts(api)) == 3 and all(len(api.created_for(r)) == 1 for r in posts(api))
    assert statuses(sf, batch_id) == ["complete"] * 3
    with sf() as session:
        assert account_store.read_lease(session, account.id).token == 3


def test_the_fence_refuses_a_submitting_write_with_a_stale_token(sf, clock, account):
    batch_id = batch(sf, 1, account)
    me = Holder("me", "me")
    token = account_store.acquire_lease(sf, account.id, me, clock.now(), 30.0)
    clock.advance(60)
    assert account_store.acquire_lease(sf, account.id, Holder("you", "you"), clock.now(), 30.0) == token + 1
    with sf() as session:
        row = next_open_row(session, batch_id)
    fence = account_store.Fence(account.id, me, token, 30.0)
    with pytest.raises(account_store.LeaseLost):
        with engine_store.in_transaction(sf) as session:
            row_store.mark_submitting(session, row, clock.now(), fence=fence)
    assert statuses(sf, batch_id) == ["pending"]


def test_an_expired_lease_nobody_took_is_still_ours(sf, clock, account):
    """Only the token decides: a lease that merely expired, with no new holder, may go on."""
    batch_id = batch(sf, 1, account)
    me = Holder("me", "me")
    token = account_store.acquire_lease(sf, account.id, me, clock.now(), 30.0)
    clock.advance(600)
    with sf() as session:
        row = next_open_row(session, batch_id)
    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_submitting(session, row, clock.now(), fence=account_store.Fence(account.id, me, token, 30.0))


# ----------------------------------------------------------------------------- fair turns

def test_batches_of_one_account_take_turns_and_rush_goes_first(sf, api, clock, account):
    a, b, c = batch(sf, 3, account), batch(sf, 3, account), batch(sf, 2, account)
    with engine_store.in_transaction(sf) as session:
        batch_store.set_priority(session, c, True)
    p = processor(sf, api, clock, account)
    p.run_unfinished()
    order = [ref.split("/")[1] for ref in posts(api)]
    assert order == [f"batch-{c}", f"batch-{c}",          # rushed: first, to the end
                     f"batch-{a}", f"batch-{b}", f"batch-{a}", f"batch-{b}", f"batch-{a}", f"batch-{b}"]
    for batch_id in (a, b, c):
        assert set(statuses(sf, batch_id)) == {"complete"}


def test_pausing_one_batch_does_not_hold_the_others(sf, api, clock, account):
    a, b = batch(sf, 3, account), batch(sf, 3, account)
    p = processor(sf, api, clock, account)
    paused = []

    def pause_a_once(seconds):
        if posts(api) and not paused:
            paused.append(p.pause(a))
    clock.on_wait = pause_a_once
    result = p.run_unfinished()
    assert result.statuses[a] == "paused" and result.statuses[b] == "complete"
    assert statuses(sf, b) == ["complete"] * 3


def test_another_accounts_batches_are_left_to_it(sf, api, clock, account):
    theirs = account_store.ensure_account(sf, "https://api.example/v1", "key-2")
    mine, other = batch(sf, 1, account), batch(sf, 1, theirs)
    processor(sf, api, clock, account).run_unfinished()
    assert statuses(sf, mine) == ["complete"] and statuses(sf, other) == ["pending"]


def test_another_accounts_owed_cleanup_is_left_to_it(sf, api, clock, account):
    """A DELETE owed for a quote of another account's row needs that account's key: ours would
    get a 404, and the item would be settled while the quote still blocks their account."""
    theirs = account_store.ensure_account(sf, "https://api.example/v1", "key-2")
    other = batch(sf, 1, theirs)
    with sf() as session:
        their_row = view_store.batch_rows(session, other)[0]
    with engine_store.in_transaction(sf) as session:
        cleanup_store.owe_delete(session, "q_theirs", their_row.quote_id)
    mine = batch(sf, 1, account)
    processor(sf, api, clock, account).run_unfinished()
    assert statuses(sf, mine) == ["complete"]
    assert [c for c in api.calls if c[0] == "DELETE"] == []
    with sf() as session:
        assert [o.remote_id for o in work_store.owed_cleanup(session, theirs.id)] == ["q_theirs"]
        assert work_store.owed_cleanup(session, account.id) == []
        assert cleanup_store.owed_count(session) == 1


def test_a_quote_costs_the_store_seven_statements_and_one_transaction(sf, clock, account):
    """On a server every statement is a round trip, and so are BEGIN and COMMIT: per quote the
    next row is one read (with what is owed), `submitting` and `polling` are one conditional
    UPDATE each without a transaction around them, and only the result (row, quote, options)
    is written in a transaction. Counted, not timed: benchmarks/bench_engine.py has the times."""
    from sqlalchemy import event

    api = FakeMomentum(clock, ready_after_s=0.0, retry_after=None)   # complete at the first GET
    engine = sf.kw["bind"]

    def cost(rows: int) -> tuple[int, int]:
        batch_id = batch(sf, rows, account)
        p = processor(sf, api, clock, account, poll_interval_s=0.0)
        statements, transactions = [], []
        count_statement = lambda *a: statements.append(1)   # noqa: E731
        count_begin = lambda conn: transactions.append(   # noqa: E731
            conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT")
        event.listen(engine, "before_cursor_execute", count_statement)
        event.listen(engine, "begin", count_begin)
        try:
            assert p.run_batch(batch_id) == "complete"
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
            event.remove(engine, "begin", count_begin)
        return len(statements), sum(transactions)

    # What 50 more rows cost: a batch's own start and end are the same for both.
    small, big = cost(10), cost(60)
    per_quote = (big[0] - small[0]) / 50, (big[1] - small[1]) / 50
    # (about 19 statements and 4.3 transactions in the previous version, 22 and 9.3 before it)
    assert per_quote[0] <= 7.0 and per_quote[1] <= 1.0, per_quote


def test_every_row_event_carries_the_counts_the_store_has(sf, api, clock, account):
    """The engine reads fewer counts than it announces (a row's start is counted from the line's
    read, its polling from its start): each announcement still says what the store says."""
    from bulkquote_gui.core.events import QuoteEvent
    from bulkquote_gui.core.quoting.momentum import ApiError

    a, b = batch(sf, 4, account), batch(sf, 3, account)   # two batches taking turns
    api.fail_next("POST", ApiError("postal code not served", status=422, code="unserviceable"))
    seen, wrong = [], []

    def check(event):
        if isinstance(event, QuoteEvent):
            with sf() as session:
                stored = view_store.batch_counts(session, event.batch_id)
            seen.append(event.status)
            if event.counts != stored:
                wrong.append((event.batch_id, event.row_number, event.status, event.counts, stored))

    p = Processor(sf, api, clock=clock, on_event=check, config=EngineConfig(),
                  rng=random.Random(3), account=account, holder=this_process("test"))
    p.run_unfinished()
    assert statuses(sf, a).count("complete") + statuses(sf, b).count("complete") == 6
    assert {"submitting", "polling", "complete", "failed"} <= set(seen)
    assert wrong == []


# ----------------------------------------------------------------------------- unreachable API

def test_an_unreachable_api_makes_the_account_wait_and_no_row_fails(sf, api, clock, account):
    batch_id = batch(sf, 2, account)
    api.go_down(3600)                      # an hour: far past the 60 s quote timeout
    events = []
    p = processor(sf, api, clock, account, events, quote_timeout_s=60.0, api_probe_max_s=15.0)
    assert p.run_batch(batch_id) == "complete"
    assert statuses(sf, batch_id) == ["complete", "complete"]
    waits = [(e.reason, e.message) for e in events if isinstance(e, WaitEvent)]
    assert waits[0] == ("api", "waiting for the API: can't reach api.test (connection refused)")
    assert waits[1] == ("", "")
    probes = [t for (m, _), t in zip(api.calls, api.call_times) if m == "HEALTH"]
    gaps = [b - a for a, b in zip(probes, probes[1:])]
    assert max(gaps) <= 15.0 + 1e-6 and gaps[0] <= 2.0, "backoff from a second or two up to its ceiling"


def test_an_outage_while_polling_is_given_back_to_the_rows_timeout(sf, api, clock, account):
    batch_id = batch(sf, 1, account)
    api.ready_after_s = 200.0              # the quote takes 200 s: inside its 300 s timeout...
    went_down = []

    def outage_while_polling(seconds):
        if statuses(sf, batch_id) == ["polling"] and not went_down:
            went_down.append(clock.monotonic())
            api.go_down(250)               # ...but not with 250 s of outage counted against it
    clock.on_wait = outage_while_polling
    p = processor(sf, api, clock, account, quote_timeout_s=300.0)
    assert p.run_batch(batch_id) == "complete"
    assert statuses(sf, batch_id) == ["complete"]
    assert not [c for c in api.calls if c[0] == "DELETE"]


def test_a_sleep_past_the_timeout_gets_one_more_poll_before_giving_up(sf, api, clock, account):
    """A laptop lid closed mid-poll: on wake-up the quote may well be done; ask before failing."""
    batch_id = batch(sf, 1, account)
    api.ready_after_s = 30.0
    slept = []

    def sleep_through(seconds):
        if statuses(sf, batch_id) == ["polling"] and not slept:
            slept.append(True)
            clock.advance(900)             # the wall clock and monotonic time jump together
    clock.on_wait = sleep_through
    assert processor(sf, api, clock, account, quote_timeout_s=300.0).run_batch(batch_id) == "complete"
    assert statuses(sf, batch_id) == ["complete"]
