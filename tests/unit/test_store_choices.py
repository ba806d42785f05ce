"""A deal's offers, rule and the rep's choices in the store (schema v10, core/store/choices.py),
on SQLite and PostgreSQL: every offer of a site across the deal's batches like for like; an
override survives a change of rule, which recomputes every other site; a cleared override, or
one whose offer is gone, gives the site back to the rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bulkquote_gui.core.deal.offers import BUDGETARY, ESTIMATE, FIRM
from bulkquote_gui.core.deal.overrides import Override, choose_sites
from bulkquote_gui.core.deal.rules import DEFAULT_RULE, Rule
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.deals import make_deal


def test_a_sites_offers_come_from_every_batch_of_the_deal_like_for_like(session_factory):
    sonata, momentum = make_deal(session_factory)
    with session_factory() as session:
        by_site = choice_store.deal_offers(session, momentum)
        assert by_site == choice_store.deal_offers(session, sonata)
    assert list(by_site) == [2, 3]
    assert [(o.provider, o.carrier, o.term_months, o.contract_value, o.level, o.access,
             o.valid_until) for o in by_site[2]] == [
        ("Acme Sonata", "Acme", 12, Decimal("8500.00"), BUDGETARY, None, date(2027, 2, 1)),
        ("Acme Sonata", "Acme", 36, Decimal("21600.00"), BUDGETARY, None, date(2027, 2, 1)),
        ("Momentum", "Spectrum", 36, Decimal("18500.00"), ESTIMATE, None, date(2027, 1, 31)),
        ("Momentum", "Lumen", 36, Decimal("23400.00"), FIRM, "on-net", date(2027, 1, 31))]
    (only,) = by_site[3]
    assert (only.contract_value, only.mrc, only.nrc) == (Decimal("32617.65"), Decimal("899.10"),
                                                         Decimal("250.05"))


def test_an_override_survives_a_change_of_rule_until_it_is_cleared(session_factory):
    sonata, momentum = make_deal(session_factory)
    with session_factory() as session:
        by_site = choice_store.deal_offers(session, sonata)
    spectrum = by_site[2][2]
    with engine_store.in_transaction(session_factory) as session:
        assert choice_store.deal_rule(session, sonata) == (DEFAULT_RULE, "")
        choice_store.set_override(session, sonata, 2, spectrum.option_id, "Alice")
        choice_store.set_rule(session, sonata, Rule("lowest-mrc", exclude=("Spectrum",)), "Bob")

    with session_factory() as session:
        rule, set_by = choice_store.deal_rule(session, sonata)
        picks = choose_sites(rule, by_site, choice_store.overrides(session, sonata))
    assert (rule, set_by) == (Rule("lowest-mrc", exclude=("Spectrum",)), "Bob")
    assert (picks[2].offer, picks[2].chosen_by, picks[2].needs_review) == (spectrum, "Alice", False)
    assert (picks[3].offer.carrier, picks[3].chosen_by) == ("Lumen", "rule")

    with engine_store.in_transaction(session_factory) as session:
        assert choice_store.clear_override(session, sonata, 2)
        assert not choice_store.clear_override(session, sonata, 2)
    with session_factory() as session:
        picks = choose_sites(rule, by_site, choice_store.overrides(session, sonata))
    assert (picks[2].offer.carrier, picks[2].chosen_by) == ("Lumen", "rule")   # the only firm one


def test_an_override_whose_offer_is_gone_gives_the_site_back_to_the_rule(session_factory):
    sonata, momentum = make_deal(session_factory)
    with session_factory() as session:
        by_site = choice_store.deal_offers(session, sonata)
    gone = {3: Override(option_id=10_000, chosen_by="Alice")}
    assert choose_sites(DEFAULT_RULE, by_site, gone)[3].chosen_by == "rule"


def test_a_deal_that_is_not_there_has_no_offers(session_factory):
    with session_factory() as session:
        assert choice_store.deal_offers(session, 42) == {}
