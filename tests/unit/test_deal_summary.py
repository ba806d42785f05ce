"""The deal summary against a batch computed by hand (FakeMomentum's options: Spectrum 749.00 +
500.00 install, an estimate, and the row's Lumen price with no install, firm, 36 months), and
against a deal of two providers and terms: the totals are the chosen offers' to the cent, and
the other rules' costs are what they would choose."""

from __future__ import annotations

import random
from decimal import Decimal

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.output.deal_summary import summarise
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.deal.overrides import choose_sites
from bulkquote_gui.core.deal.rules import DEFAULT_RULE, Rule
from bulkquote_gui.core.store.choices import DealChoices
from tests.helpers.fakes import FakeClock, FakeMomentum, Outcome, fake_import
from tests.helpers.deals import make_deal


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
        deal = summarise(choice_store.read_deal(session, batch_id))
    # By hand: Lumen 899 + 899 + 500 a month, nothing to install, 36 months: the firm offers
    # (Spectrum's cheaper contract value is an estimate, never picked over a firm one).
    assert deal.currency == "USD"
    assert (deal.overall.sites, deal.overall.mrc, deal.overall.nrc) == (3, Decimal("2298.00"), Decimal("0.00"))
    assert deal.overall.contract_value == Decimal("82728.00")
    assert list(deal.by_carrier) == ["Lumen"] and deal.by_carrier["Lumen"].sites == 3
    # Each site's chosen offer beside its lowest contract value: Spectrum 749 x 36 + 500 =
    # 27,464 under Lumen's 899 x 36 = 32,364; at 500 a month Lumen (18,000) is the lowest.
    assert [(c.row_number, c.offer.carrier, c.offer.contract_value, c.cheapest_contract_value,
             c.chosen_by) for c in deal.sites] == [
        (2, "Lumen", Decimal("32364.00"), Decimal("27464.00"), "rule"),
        (3, "Lumen", Decimal("32364.00"), Decimal("27464.00"), "rule"),
        (4, "Lumen", Decimal("18000.00"), Decimal("18000.00"), "rule")]
    js = deal.as_json()
    assert js["mrc"] == "2298.00" and js["contract_value"] == "82728.00"
    assert js["by_carrier"]["Lumen"] == {"sites": 3, "mrc": "2298.00", "nrc": "0.00",
                                         "contract_value": "82728.00"}


def test_a_batch_with_nothing_priced_sums_to_zero():
    deal = summarise(DealChoices(1, DEFAULT_RULE, "", {}, {}))
    assert deal.overall.sites == 0 and deal.overall.contract_value == Decimal("0.00")
    assert deal.as_json()["sites"] == []
    assert [(o.name, o.mrc) for o in deal.other_rules] == [("lowest-mrc", Decimal("0.00")),
                                                          ("on-net-first", Decimal("0.00"))]


def test_the_summary_is_the_chosen_offers_to_the_cent_and_prices_the_other_rules(session_factory):
    """tests/helpers/deals.py's make_deal: row 2 has Acme (Sonata, budgetary) 12 and
    36 months, Spectrum (estimate) and Lumen on-net (firm); row 3 Lumen alone, firm."""
    sonata, momentum = make_deal(session_factory)
    with session_factory() as session:
        spectrum = choice_store.deal_offers(session, sonata)[2][2]
    with engine_store.in_transaction(session_factory) as session:
        choice_store.set_rule(session, sonata, Rule("lowest-mrc"), "Bob")
    with session_factory() as session:
        chosen = choice_store.read_deal(session, momentum)
    deal = summarise(chosen)
    # Lowest MRC among firm offers: row 2 Lumen 650.00 (the only firm one), row 3 Lumen 899.10.
    assert (deal.overall.sites, deal.overall.mrc, deal.overall.nrc) == (
        2, Decimal("1549.10"), Decimal("250.05"))
    assert deal.overall.contract_value == Decimal("23400.00") + Decimal("32617.65")
    assert deal.overall.contract_value == sum(c.offer.contract_value for c in chosen.choices.values())
    assert deal.rule == "Lowest monthly price (MRC)" and deal.needs_review == 0
    # Every other rule chooses the firm Lumen offers too: the same cost.
    assert [(o.name, o.mrc, o.mrc_change) for o in deal.other_rules] == [
        ("lowest-tcv", Decimal("1549.10"), Decimal("0.00")),
        ("on-net-first", Decimal("1549.10"), Decimal("0.00"))]

    # The rep takes Spectrum's estimate for row 2: it counts, and the other rules keep it.
    with engine_store.in_transaction(session_factory) as session:
        choice_store.set_override(session, sonata, 2, spectrum.option_id, "Alice")
    with session_factory() as session:
        deal = summarise(choice_store.read_deal(session, sonata))
    assert (deal.overall.mrc, deal.overall.nrc, deal.overall.contract_value) == (
        Decimal("1399.10"), Decimal("750.05"), Decimal("18500.00") + Decimal("32617.65"))
    assert deal.by_carrier["Spectrum"].as_json() == {"sites": 1, "mrc": "500.00", "nrc": "500.00",
                                                     "contract_value": "18500.00"}
    assert deal.chosen_by_rep == 1 and [s.chosen_by for s in deal.sites] == ["Alice", "rule"]
    assert deal.other_rules[0].mrc == Decimal("1399.10")

    # Firm offers only, and Lumen excluded: nothing firm is left on row 3; row 2 keeps the
    # rep's pick. The other rules: nothing on row 3 either.
    with engine_store.in_transaction(session_factory) as session:
        choice_store.set_rule(session, sonata, Rule(exclude=("Lumen",), firm_only=True), "Bob")
    with session_factory() as session:
        deal = summarise(choice_store.read_deal(session, sonata))
    assert (deal.overall.sites, deal.overall.mrc, deal.not_chosen, deal.needs_review) == (
        1, Decimal("500.00"), 1, 1)
    assert deal.choice_line() == ("Chosen by the rule: Lowest contract value; firm offers only; "
                                  "Lumen excluded; 1 site needs review; 1 with no offer chosen "
                                  "(not added); 1 chosen by hand")


def test_other_rules_read_as_the_change_from_the_deals_own():
    offers = {2: [Offer(1, "Momentum", "Lumen", 36, Decimal("100.00"), Decimal("0.00"),
                        access="on-net"),
                  Offer(2, "Momentum", "Zayo", 36, Decimal("80.00"), Decimal("900.00"),
                        access="off-net")]}
    # lowest-tcv: Lumen 3,600 beats Zayo 3,780; lowest MRC takes Zayo; on-net first Lumen.
    deal = summarise(DealChoices(2, DEFAULT_RULE, "", offers, choose_sites(DEFAULT_RULE, offers, {})))
    assert deal.other_rules_line(lambda m: f"${m:,.2f}") == (
        "Other rules: lowest MRC $80.00/mo (-$20.00/mo); on-net first $100.00/mo (the same)")
