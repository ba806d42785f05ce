"""The deal summary against a batch computed by hand (FakeMomentum's options: Spectrum 749.00 +
500.00 install, and the row's Lumen price with no install, Lumen recommended, 36 months)."""

from __future__ import annotations

import random
from decimal import Decimal

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.deal_summary import summarise
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import options as option_store
from tests.helpers.fakes import FakeClock, FakeMomentum, Outcome, fake_import


def test_totals_by_carrier_and_the_cheapest_option_per_site(session_factory):
    sf = session_factory
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(4), defaults=BatchDefaults(), source_name="d.csv")
    api.outcomes[f"batch-{batch_id}/row-4"] = Outcome(mrc="500.00")
    api.outcomes[f"batch-{batch_id}/row-5"] = Outcome("failed", "no_coverage", "none")
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(2)).run_batch(batch_id)
    with sf() as session:
        deal = summarise(option_store.batch_options(session, batch_id))
    # By hand: Lumen 899 + 899 + 500 a month, nothing to install, 36 months.
    assert deal.currency == "USD"
    assert (deal.overall.sites, deal.overall.mrc, deal.overall.nrc) == (3, Decimal("2298.00"), Decimal("0.00"))
    assert deal.overall.contract_value == Decimal("82728.00")
    assert list(deal.by_carrier) == ["Lumen"] and deal.by_carrier["Lumen"].sites == 3
    # Cheapest over the term: Spectrum 749 x 36 + 500 = 27,464 beats Lumen 899 x 36 = 32,364;
    # at 500 a month Lumen (18,000) is cheapest, and it is the recommended one.
    assert [(c.row_number, c.carrier, c.contract_value, c.is_recommended) for c in deal.cheapest] == [
        (2, "Spectrum", Decimal("27464.00"), False), (3, "Spectrum", Decimal("27464.00"), False),
        (4, "Lumen", Decimal("18000.00"), True)]
    js = deal.as_json()
    assert js["mrc"] == "2298.00" and js["contract_value"] == "82728.00"
    assert js["by_carrier"]["Lumen"] == {"sites": 3, "mrc": "2298.00", "nrc": "0.00",
                                         "contract_value": "82728.00"}


def test_a_batch_with_nothing_priced_sums_to_zero():
    deal = summarise([])
    assert deal.overall.sites == 0 and deal.overall.contract_value == Decimal("0.00")
    assert deal.as_json()["cheapest"] == []
