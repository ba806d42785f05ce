"""Lanes (issue 17): a seller that allows N quotes in progress gets N lanes, each the sequential
line fenced by its own lease, so at most N quotes are ever in progress on the account, across
threads and processes; no two lanes ever take the same row. Against the built-in Sonata
simulator on loopback, which counts the most quotes it ever had in progress and answers a POST
beyond its limit with a 429."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.states import ROW_TERMINAL, BatchStatus, RowState
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from tests.helpers.fakes import FakeImport, checked_row

REPO = Path(__file__).resolve().parents[2]
FAST = EngineConfig(poll_interval_s=0.02, quote_timeout_s=20.0, retry_after_floor_s=0.01,
                    retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05,
                    command_check_s=0.05, delete_attempts=3, cleanup_timeout_s=2.0)


def _settings(sim: SonataSimulator, lanes: int) -> SonataSettings:
    return SonataSettings(token_url=sim.token_url, client_id="buyer-1", seller="Sim Fiber",
                          offerings={"DIA": "BIA-1", "ETHERNET": "AEL-1"},
                          contact=Contact("Rita Rep", "rita@buyer.example", "555-0100"),
                          lanes=lanes)


def _batch(sf, rows: int) -> int:
    with engine_store.in_transaction(sf) as session:
        return batch_store.create_batch(session,
                                        FakeImport([checked_row(n) for n in range(2, 2 + rows)]),
                                        defaults=BatchDefaults(), source_name="sites.csv")


def _quoted_once(sim: SonataSimulator, rows: int) -> None:
    made = [q.request["externalId"] for q in sim.state.quotes()]
    assert len(made) == len(set(made)) == rows   # every site asked, none twice


def _all_terminal(sf, batch_id: int) -> list:
    with sf() as session:
        done = view_store.batch_rows(session, batch_id)
    assert all(r.status in ROW_TERMINAL for r in done)
    return done


def test_four_lanes_keep_four_quotes_in_progress_and_never_more(sf):
    batch_id = _batch(sf, 16)
    with SonataSimulator(time_scale=0.02, max_in_progress=4) as sim, \
            build_client(sim.base_url, "s", kind=SONATA, sonata=_settings(sim, 4)) as client:
        processor = Processor(sf, client, config=FAST, rng=random.Random(3))
        assert processor.lanes == 4
        assert processor.run_batch(batch_id) == BatchStatus.COMPLETE
        assert 2 <= sim.state.most_in_progress <= 4   # in parallel, within what the seller allows
        _quoted_once(sim, 16)
    _all_terminal(sf, batch_id)


def test_a_429_beyond_the_sellers_limit_is_waited_out_never_a_failed_row(sf):
    # 4 lanes against a seller allowing 1: three lanes meet 429s for far longer than a quote's
    # 1 s timeout, yet no row fails for it.
    config = EngineConfig(**{**FAST.__dict__, "quote_timeout_s": 1.0})
    batch_id = _batch(sf, 8)
    with SonataSimulator(time_scale=0.02, max_in_progress=1) as sim, \
            build_client(sim.base_url, "s", kind=SONATA, sonata=_settings(sim, 4)) as client:
        assert Processor(sf, client, config=config, rng=random.Random(3)).run_batch(batch_id) \
            == BatchStatus.COMPLETE
        assert sim.state.counts.get("throttled", 0) > 0
        assert sim.state.most_in_progress == 1
        _quoted_once(sim, 8)
    done = _all_terminal(sf, batch_id)
    assert [r for r in done if r.status == RowState.FAILED and r.error_code != "unableToProvide"] == []


def test_a_momentum_client_keeps_one_lane():
    from bulkquote_gui.core.quoting.provider import lanes_of
    with build_client("http://127.0.0.1:9", "k", allow_insecure_http=True) as client:
        assert lanes_of(client) == 1


@pytest.mark.backends("sqlite", "postgresql")
def test_two_processes_with_two_lanes_each_share_two_never_four(db_url, tmp_path):
    """Lanes are leases: two processes on one account hold the lanes they can get, 2 in all."""
    engine = engine_store.make_engine(db_url)
    try:
        sf = engine_store.make_session_factory(engine)
        batch_id = _batch(sf, 16)
        with SonataSimulator(time_scale=0.02, max_in_progress=10) as sim:
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            logs = [tmp_path / f"runner-{n}.log" for n in (1, 2)]
            procs = []
            for log in logs:
                with log.open("wb") as out:
                    procs.append(subprocess.Popen(
                        [sys.executable, "-m", "tests.helpers.sonata_runner", db_url,
                         sim.base_url, sim.token_url, str(batch_id), "run", "2"],
                        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT))
            for proc in procs:
                proc.wait(timeout=120)
            texts = [log.read_text(errors="replace") for log in logs]
            assert [p.returncode for p in procs] == [0, 0], texts
            assert 1 <= sim.state.most_in_progress <= 2, texts
            _quoted_once(sim, 16)
        _all_terminal(sf, batch_id)
        with sf() as session:
            assert view_store.get_batch(session, batch_id).status == BatchStatus.COMPLETE
    finally:
        engine.dispose()


def test_a_row_in_flight_is_resumed_by_its_own_lane_only(sf):
    """The claim keeps the lane: after a crash, lane 1's new holder resumes lane 1's row, and
    lane 0 never takes it (it would send it a second time beside lane 1); lane 0 takes it only
    when the provider has no lane 1 any more."""
    from datetime import datetime, timezone

    from bulkquote_gui.core.store import accounts as account_store
    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.store import rows as row_store
    from bulkquote_gui.core.store import work as work_store
    from bulkquote_gui.core.store.accounts import Fence, Holder

    batch_id = _batch(sf, 2)
    account = account_store.ensure_account(sf, "https://seller.example/v8", "s", provider="sonata")
    with engine_store.in_transaction(sf) as session:
        batch_store.start_batch(session, batch_id, account.id)
    holder = Holder("lane-1-holder", "test pid 1 (worker)")
    now = datetime.now(timezone.utc)
    token = account_store.acquire_lease(sf, account.id, holder, now, 30.0, lane=1)
    with sf() as session:
        first = work_store.next_row_for_account(session, account.id, lane=1, lanes=2)
    with engine_store.in_transaction(sf) as session:
        assert row_store.mark_submitting(session, first, now,
                                         fence=Fence(account.id, holder, token, 30.0, lane=1))
        assert not row_store.mark_submitting(session, first, now)   # claimed: nobody else

    def next_for(lane: int, lanes: int):
        with sf() as session:
            return work_store.next_row_for_account(session, account.id, lane=lane, lanes=lanes)

    assert (next_for(1, 2).id, next_for(1, 2).status) == (first.id, RowState.SUBMITTING)
    assert (next_for(0, 2).id, next_for(0, 2).status) != (first.id, RowState.SUBMITTING)
    assert next_for(0, 2).status == RowState.PENDING    # lane 0 takes the next pending row
    assert (next_for(0, 1).id, next_for(0, 1).status) == (first.id, RowState.SUBMITTING)


def test_a_cancel_reaches_every_lane_with_a_row_of_the_batch(sf):
    """Four lanes at work on one batch: the rep's cancel withdraws every quote in progress."""
    import threading
    import time

    batch_id = _batch(sf, 12)
    with SonataSimulator(time_scale=0.5, max_in_progress=4) as sim, \
            build_client(sim.base_url, "s", kind=SONATA, sonata=_settings(sim, 4)) as client:
        processor = Processor(sf, client, config=FAST, rng=random.Random(3))
        outcome: list[str] = []
        runner = threading.Thread(target=lambda: outcome.append(processor.run_batch(batch_id)))
        runner.start()
        guard = time.monotonic() + 30
        while len(sim.state.quotes()) < 4 and time.monotonic() < guard:
            time.sleep(0.02)
        assert processor.current_batch == batch_id
        processor.cancel(batch_id)
        runner.join(timeout=30)
        assert outcome == [BatchStatus.CANCELLED]
        open_at_seller = [q for q in sim.state.quotes() if q.state in ("acknowledged", "inProgress")]
        assert open_at_seller == []
    rows = _all_terminal(sf, batch_id)
    assert {r.status for r in rows} == {RowState.CANCELLED}
