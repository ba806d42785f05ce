"""What one quote costs the store on a Sonata provider, beside a Momentum one, counted on SQLite
and PostgreSQL (where every statement, BEGIN and COMMIT is a round trip). Counted, not timed:
benchmarks/bench_sonata_engine.py and bench_engine.py have the times.

A Momentum quote: the line's read, `submitting`, `polling` with the quote id, the result - on
SQLite four statements in one transaction (7 in all), on PostgreSQL one statement that writes
the row, its options and its quote and reads its event and the line's next row (WITH ...
UPDATE/INSERT/DELETE), sent without BEGIN and COMMIT (3 in all, no transaction). A Sonata seller that answers the POST with
the price (the built-in simulator at time scale 0, a seller answering instantSyncQuote) has
nothing left to poll: its result is written straight from `submitting` - one statement fewer
than Momentum's.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy import event

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.momentum import MomentumClient
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.states import BatchStatus, RowState
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.services.simulator import SimulatorServer
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.helpers.fakes import FakeClock, FakeImport, checked_row

FAST = EngineConfig(poll_interval_s=0.0, retry_after_floor_s=0.0, backoff_base_s=0.0)
STREET = "600 Congress Ave"   # a site the simulator prices (no coverage gap drawn for it)
SERVICE = {"product": "DIA", "bandwidth_mbps": 500, "term_months": 36}


def statements_per_quote(session_factory, run: Callable[[int], str]) -> tuple[float, float]:
    """(statements, transactions) per quote: what 20 rows more cost, so that a batch's own start
    and end, the same for any size, drop out."""
    engine = session_factory.kw["bind"]

    def cost(rows: int) -> tuple[int, int]:
        with engine_store.in_transaction(session_factory) as session:
            batch_id = batch_store.create_batch(
                session, FakeImport([checked_row(n, street=STREET, **SERVICE) for n in range(2, rows + 2)]),
                defaults=BatchDefaults(), source_name="t.csv")
        statements, transactions = [], []
        count_statement = lambda *a: statements.append(1)
        count_begin = lambda conn: transactions.append(
            conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT")
        event.listen(engine, "before_cursor_execute", count_statement)
        event.listen(engine, "begin", count_begin)
        try:
            assert run(batch_id) == BatchStatus.COMPLETE
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
            event.remove(engine, "begin", count_begin)
        with session_factory() as session:
            assert {r.status for r in view_store.batch_rows(session, batch_id)} == {RowState.COMPLETE}
        return len(statements), sum(transactions)

    cost(1)   # the account, its lease and the store's first-use bookkeeping, made once
    small, big = cost(5), cost(25)
    return (big[0] - small[0]) / 20, (big[1] - small[1]) / 20


def momentum_cost(session_factory) -> tuple[float, float]:
    """The built-in Momentum simulator at time scale 0: queued at the POST, priced at the GET."""
    with SimulatorServer(port=0, time_scale=0) as sim, MomentumClient(sim.base_url, "test-key") as api:
        return statements_per_quote(session_factory, lambda batch_id: Processor(
            session_factory, api, clock=FakeClock(), config=FAST,
            rng=random.Random(3)).run_batch(batch_id))


# (statements, transactions) per quote, by backend: Sonata answered at once, Momentum
COSTS = {"sqlite": ((6.0, 1.0), (7.0, 1.0)),
         "postgresql": ((2.0, 0.0), (3.0, 0.0))}   # before the result's one statement: 6/1, 7/1


def test_a_quote_costs_the_store_a_few_statements_sonata_one_fewer_than_momentum(
        session_factory, db_backend):
    with SonataSimulator(time_scale=0.0) as sim, build_client(
            sim.base_url, "secret-123", kind=SONATA, sonata=SonataSettings(
                token_url=sim.token_url, client_id="buyer-1", seller="Sim Fiber",
                offerings={"DIA": "BIA-1"}, contact=Contact("Rita Rep", "rita@buyer.example"))) as client:
        # The engine's clock held (the batch's status is re-read on a timer): counts, not times.
        sonata = statements_per_quote(session_factory, lambda batch_id: Processor(
            session_factory, client, clock=FakeClock(), config=FAST,
            rng=random.Random(3)).run_batch(batch_id))
        assert sim.state.counts.get("searches", 0) == 0   # nothing asked twice of the seller
    momentum = momentum_cost(session_factory)
    assert (sonata, momentum) == COSTS[db_backend]


@pytest.mark.backends("sqlite")
def test_the_work_a_quote_costs_the_store_does_not_grow_with_its_batch(session_factory):
    """A batch's counts (announced with every row's events) are counting all its rows: read
    for every quote, a quote cost more the larger its batch (O(n), O(n^2) a batch). They are
    read once, then carried from event to event while no other lane moves the rows (re-read
    after events.FRESH_COUNTS_S). Measured as the work SQLite does (its virtual machine's steps,
    counted by a progress handler), per quote, in a batch of 20 and of 200 rows."""
    engine = session_factory.kw["bind"]
    steps = [0]

    def count_steps(dbapi_connection, _record, _proxy) -> None:
        def step() -> int:
            steps[0] += 1
            return 0   # go on
        dbapi_connection.set_progress_handler(step, 100)

    def per_quote(rows: int) -> float:
        """Steps per quote for 10 rows more than `rows`: the batch's own start and end drop out."""
        def cost(n: int) -> int:
            with engine_store.in_transaction(session_factory) as session:
                batch_id = batch_store.create_batch(
                    session, FakeImport([checked_row(i, street=STREET, **SERVICE) for i in range(2, n + 2)]),
                    defaults=BatchDefaults(), source_name="t.csv")
            with SimulatorServer(port=0, time_scale=0) as sim, MomentumClient(sim.base_url, "k") as api:
                steps[0] = 0
                processor = Processor(session_factory, api, clock=FakeClock(), config=FAST,
                                      rng=random.Random(3))
                assert processor.run_batch(batch_id) == BatchStatus.COMPLETE
                return steps[0]
        return (cost(rows + 10) - cost(rows)) / 10

    event.listen(engine, "checkout", count_steps)
    try:
        engine.dispose()   # every connection from now on counts
        small, large = per_quote(20), per_quote(200)
    finally:
        event.remove(engine, "checkout", count_steps)
    # 6.9 and 7.9 hundred steps; before, 28.9 and 175.6: six times as much at 200 rows
    assert large < small * 1.5, (small, large)


def test_counts_carried_from_event_to_event_are_the_stores(session_factory):
    """Counts not read again are still what the store has, at every event of two batches
    taking turns (on PostgreSQL the result's counts come from its one statement's snapshot)."""
    from bulkquote_gui.core.events import QuoteEvent

    batches = []
    for _ in range(2):
        with engine_store.in_transaction(session_factory) as session:
            batches.append(batch_store.create_batch(
                session, FakeImport([checked_row(n, street=STREET, **SERVICE) for n in range(2, 6)]),
                defaults=BatchDefaults(), source_name="t.csv"))
    wrong, seen = [], []

    def check(event) -> None:
        if isinstance(event, QuoteEvent):
            with session_factory() as session:
                stored = view_store.batch_counts(session, event.batch_id)
            seen.append(event.status)
            if event.counts != stored:
                wrong.append((event.quote_id, event.status, event.counts, stored))

    with SimulatorServer(port=0, time_scale=0) as sim, MomentumClient(sim.base_url, "k") as api:
        processor = Processor(session_factory, api, clock=FakeClock(), config=FAST,
                              rng=random.Random(3), on_event=check)
        assert set(processor.run_unfinished().statuses.values()) == {BatchStatus.COMPLETE}
    assert seen.count(RowState.COMPLETE) == 8 and wrong == []
