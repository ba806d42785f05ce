"""A batch runs end to end through the real engine against the built-in Sonata simulator, over
real sockets on loopback, with the client the factory builds for kind "sonata"."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.factory import SONATA, build_client
from bulkquote_gui.core.quoting.sonata.settings import Contact, SonataSettings
from bulkquote_gui.core.states import ROW_TERMINAL, BatchStatus, RowState
from bulkquote_gui.services.sonata_simulator import SonataSimulator
from bulkquote_gui.services.sonata_simulator_state import price_of
from tests.helpers.fakes import FakeImport, checked_row

FAST = EngineConfig(poll_interval_s=0.05, quote_timeout_s=20.0, retry_after_floor_s=0.01,
                    retry_after_ceiling_s=0.05, backoff_base_s=0.01, backoff_max_s=0.1,
                    command_check_s=0.05, delete_attempts=3, cleanup_timeout_s=2.0)


def _settings(sim: SonataSimulator, **kw) -> SonataSettings:
    return SonataSettings(token_url=sim.token_url, client_id="buyer-1", seller="Sim Fiber",
                          offerings={"DIA": "BIA-1", "ETHERNET": "AEL-1"},
                          contact=Contact("Rita Rep", "rita@buyer.example", "555-0100"), **kw)


def _batch(sf, rows) -> int:
    with engine_store.in_transaction(sf) as session:
        return batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="sites.csv")


def test_a_batch_is_quoted_end_to_end_by_the_sonata_simulator(sf):
    rows = [checked_row(n) for n in range(2, 8)] + [checked_row(8, street="8 Fake St")]
    batch_id = _batch(sf, rows)
    with SonataSimulator(time_scale=0.01, clients={"buyer-1": "right-secret"}) as sim, \
            build_client(sim.base_url, "right-secret", kind=SONATA, sonata=_settings(sim)) as client:
        outcome = Processor(sf, client, config=FAST, rng=random.Random(3)).run_batch(batch_id)
        # each quote's description is its row's reference (…/row-N)
        quotes = {int(q.request["description"].rsplit("-", 1)[1]): q for q in sim.state.quotes()}
        assert sim.state.most_in_progress <= sim.state.max_in_progress

    assert outcome == BatchStatus.COMPLETE
    with sf() as session:
        done = view_store.batch_rows(session, batch_id)
    assert all(r.status in ROW_TERMINAL for r in done)
    assert len(quotes) == len(rows)   # one quote per site, none asked twice
    priced = 0
    for row in done:
        answer = quotes[row.row_number].answer
        if answer.status == "complete":
            price = price_of(answer)
            assert row.status == RowState.COMPLETE
            assert (row.mrc, row.nrc) == (Decimal(price["mrc"]), Decimal(price["nrc"]))
            assert row.carrier == "Sim Fiber"
            priced += 1
        else:
            assert (row.status, row.error_code) == (RowState.FAILED, "unableToProvide")
            assert row.error_message == ("Sim Fiber could not quote this site: "
                                         f"{answer.error_message} (/quoteItem/0/product/place)")
    assert priced >= 4
    assert done[-1].status == RowState.FAILED   # "8 Fake St" is no address


def test_lost_answers_are_found_by_external_id_never_quoted_twice(sf):
    batch_id = _batch(sf, [checked_row(n) for n in range(2, 6)])
    with SonataSimulator(time_scale=0.01, lose_answers=3) as sim, \
            build_client(sim.base_url, "secret-123", kind=SONATA, sonata=_settings(sim)) as client:
        assert Processor(sf, client, config=FAST, rng=random.Random(3)).run_batch(batch_id) \
            == BatchStatus.COMPLETE
        made = [q.request["externalId"] for q in sim.state.quotes()]
        searches = sim.state.counts.get("searches", 0)
    assert len(made) == len(set(made)) == 4   # three answers lost, no site asked twice
    assert searches >= 3
    with sf() as session:
        assert all(r.status in ROW_TERMINAL for r in view_store.batch_rows(session, batch_id))


def test_a_budgetary_instant_seller_answers_at_once(sf):
    batch_id = _batch(sf, [checked_row(2)])
    with SonataSimulator(time_scale=1.0) as sim, \
            build_client(sim.base_url, "s", kind=SONATA,
                         sonata=_settings(sim, quote_level="budgetary", instant=True)) as client:
        assert Processor(sf, client, config=FAST, rng=random.Random(3)).run_batch(batch_id) \
            == BatchStatus.COMPLETE
    with sf() as session:
        [row] = view_store.batch_rows(session, batch_id)
    assert row.status == RowState.COMPLETE


def test_a_refused_secret_stops_the_batch_with_one_sentence(sf):
    batch_id = _batch(sf, [checked_row(2)])
    with SonataSimulator(time_scale=0.01, clients={"buyer-1": "right-secret"}) as sim, \
            build_client(sim.base_url, "wrong-secret", kind=SONATA, sonata=_settings(sim)) as client:
        outcome = Processor(sf, client, config=FAST, rng=random.Random(3)).run_batch(batch_id)
        assert sim.state.quotes() == []
    assert outcome == BatchStatus.PAUSED
    with sf() as session:
        job = view_store.get_batch(session, batch_id)
    assert "the seller Sim Fiber refused the client id/secret" in (job.status_message)
    assert "wrong-secret" not in (job.status_message)


@pytest.mark.parametrize("auth", ["basic", "form"])
def test_the_simulator_takes_the_client_secret_as_basic_or_form(auth):
    with SonataSimulator(clients={"buyer-1": "right-secret"}) as sim, \
            build_client(sim.base_url, "right-secret", kind=SONATA,
                         sonata=_settings(sim, client_auth=auth)) as client:
        client.check_auth()


def test_a_deals_batch_asks_every_term_in_one_quote_per_site(sf):
    """A Sonata batch of a deal asking 12 and 36 months (issue 18): one quote per site with an
    item per term, each priced at its term, stored as two options of the row."""
    from bulkquote_gui.core.store import deals as deal_store
    from bulkquote_gui.core.store import options as option_store

    with engine_store.in_transaction(sf) as session:
        (batch_id,) = deal_store.create_deal(
            session, FakeImport([checked_row(n) for n in range(2, 6)]), defaults=BatchDefaults(),
            source_name="sites.csv", asks=[deal_store.Ask("Sim Fiber", (12, 36))])
    with SonataSimulator(time_scale=0.01) as sim, \
            build_client(sim.base_url, "secret-123", kind=SONATA, sonata=_settings(sim)) as client:
        assert Processor(sf, client, config=FAST, rng=random.Random(3)).run_batch(batch_id) \
            == BatchStatus.COMPLETE
        quotes = {int(q.request["description"].rsplit("-", 1)[1]): q for q in sim.state.quotes()}
    assert sorted(quotes) == [2, 3, 4, 5]                     # one quote per site
    with sf() as session:
        options = option_store.batch_options(session, batch_id)
        rows = view_store.batch_rows(session, batch_id)
    priced = [r.row_number for r in rows if r.status == RowState.COMPLETE]
    assert len(priced) >= 3
    for number in priced:
        mine = [o for o in options if o.row_number == number]
        expected = [price_of(quotes[number].item_answers[item]) for item in ("1", "2")]
        assert [(o.term_months, o.mrc, o.alternate) for o in mine] == [
            (12, Decimal(expected[0]["mrc"]), False), (36, Decimal(expected[1]["mrc"]), False)]
