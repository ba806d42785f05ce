"""The choosing rules (core/deal/rules.py) on offers made by Hypothesis: the choice is the
minimum of the rule's key among the eligible offers, recomputed here independently of the rule's
own ranking; an excluded carrier is never chosen; firm-only never picks a non-firm offer; a firm
offer always beats an alternate, budgetary or estimate one; the same offers in any order give the
same choice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bulkquote_gui.core.deal.offers import (
    BUDGETARY,
    ESTIMATE,
    FEASIBILITY,
    FIRM,
    Offer,
    access_word,
    level_of,
    listing_order,
)
from bulkquote_gui.core.deal.rules import DEFAULT_RULE, Rule, RuleError, choose

CARRIERS = ("AT&T", "Lumen", "Zayo", "Cogent")
cents = st.integers(0, 900_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def offer_lists(draw):
    n = draw(st.integers(0, 8))
    return [Offer(option_id=i + 1, provider=draw(st.sampled_from(("Momentum", "Acme Sonata"))),
                  carrier=draw(st.sampled_from(CARRIERS)),
                  term_months=draw(st.sampled_from((12, 24, 36, 60))),
                  mrc=draw(cents), nrc=draw(cents),
                  access=draw(st.sampled_from((None, "on-net", "off-net"))),
                  level=draw(st.sampled_from((FIRM, FEASIBILITY, BUDGETARY, ESTIMATE))),
                  alternate=draw(st.booleans()))
            for i in range(n)]


rules = st.builds(Rule, name=st.sampled_from(("lowest-tcv", "lowest-mrc", "on-net-first")),
                  prefer=st.lists(st.sampled_from(CARRIERS[:2]), unique=True, max_size=2).map(tuple),
                  exclude=st.lists(st.sampled_from(CARRIERS[2:]), unique=True, max_size=2).map(tuple),
                  firm_only=st.booleans())


def expected_pool(rule: Rule, offers: list[Offer]) -> list[Offer]:
    """What the rule may choose from, written out: not excluded; the firm offers (firm or firm
    subject to feasibility, not alternate) if there are any; otherwise the rest unless firm-only."""
    allowed = [o for o in offers if o.carrier not in rule.exclude]
    firm = [o for o in allowed if o.level in ("firm", "firm subject to feasibility")
            and not o.alternate]
    return firm or ([] if rule.firm_only else allowed)


def expected_best_value(rule: Rule, pool: list[Offer]):
    """The minimum of the rule's measure in the best preferred tier, computed from the prices."""
    def tier(o):
        return rule.prefer.index(o.carrier) if o.carrier in rule.prefer else len(rule.prefer)
    top = [o for o in pool if tier(o) == min(tier(p) for p in pool)]
    if rule.name == "lowest-mrc":
        return min(o.mrc for o in top)
    if rule.name == "on-net-first":
        on_net = [o for o in top if o.access == "on-net"] or top
        return min(o.mrc * o.term_months + o.nrc for o in on_net)
    return min(o.mrc * o.term_months + o.nrc for o in top)


def measure(rule: Rule, offer: Offer):
    return offer.mrc if rule.name == "lowest-mrc" else offer.mrc * offer.term_months + offer.nrc


@given(rule=rules, offers=offer_lists())
def test_the_choice_is_the_minimum_of_the_rules_key_among_the_eligible_offers(rule, offers):
    choice = choose(rule, offers)
    pool = expected_pool(rule, offers)
    if not pool:
        assert choice.offer is None
        return
    assert choice.offer in pool
    assert measure(rule, choice.offer) == expected_best_value(rule, pool)
    assert choice.needs_review == (not choice.offer.firm)


@given(rule=rules, offers=offer_lists())
def test_an_excluded_carrier_is_never_chosen_nor_suggested(rule, offers):
    choice = choose(rule, offers)
    for offer in (choice.offer, choice.suggestion):
        assert offer is None or offer.carrier not in rule.exclude


@given(rule=rules, offers=offer_lists())
def test_firm_only_never_picks_a_non_firm_offer(rule, offers):
    choice = choose(Rule(rule.name, rule.prefer, rule.exclude, firm_only=True), offers)
    assert choice.offer is None or (choice.offer.level in (FIRM, FEASIBILITY)
                                    and not choice.offer.alternate)


@given(rule=rules, offers=offer_lists())
def test_a_firm_offer_always_wins_over_the_others(rule, offers):
    choice = choose(rule, offers)
    if any(o.firm and not rule.excludes(o) for o in offers):
        assert choice.offer.firm and not choice.needs_review


@given(rule=rules, offers=offer_lists(), data=st.data())
def test_the_same_offers_in_any_order_give_the_same_choice(rule, offers, data):
    shuffled = data.draw(st.permutations(offers))
    assert choose(rule, shuffled) == choose(rule, offers)


def offer(option_id, carrier="AT&T", mrc="100.00", nrc="0.00", term=36, **kw):
    return Offer(option_id=option_id, provider=kw.pop("provider", "Momentum"), carrier=carrier,
                 term_months=term, mrc=Decimal(mrc), nrc=Decimal(nrc), **kw)


def test_the_contract_value_is_mrc_times_months_plus_nrc_to_the_cent():
    assert offer(1, mrc="899.10", nrc="250.05", term=36).contract_value == Decimal("32617.65")


def test_a_site_with_only_budgetary_offers_gets_the_best_chosen_and_marked_for_review():
    cheap, dear = offer(1, mrc="90.00", level=BUDGETARY), offer(2, mrc="95.00", level=ESTIMATE)
    choice = choose(DEFAULT_RULE, [dear, cheap])
    assert (choice.offer, choice.needs_review, choice.suggestion) == (cheap, True, cheap)
    assert choice.reason == "no firm offer; budgetary chosen: review"


def test_firm_only_leaves_such_a_site_unchosen_with_the_best_as_a_suggestion():
    cheap = offer(1, mrc="90.00", alternate=True)
    choice = choose(Rule(firm_only=True), [cheap, offer(2, mrc="95.00", level=ESTIMATE)])
    assert (choice.offer, choice.needs_review, choice.suggestion) == (None, True, cheap)
    assert choice.reason == "no firm offer; best is alternate: review"


def test_a_cheaper_alternate_is_not_picked_over_a_dearer_firm_offer():
    firm = offer(2, mrc="120.00")
    assert choose(DEFAULT_RULE, [offer(1, mrc="80.00", alternate=True), firm]).offer == firm


def test_a_site_with_offers_only_from_excluded_carriers_needs_review():
    choice = choose(Rule(exclude=("lumen",)), [offer(1, carrier="Lumen")])
    assert (choice.offer, choice.needs_review) == (None, True)


def test_a_tie_goes_to_the_provider_then_term_then_carrier_then_option_id():
    a, b = offer(7, carrier="Zayo", provider="Momentum"), offer(3, carrier="AT&T", provider="Momentum")
    assert choose(DEFAULT_RULE, [a, b]).offer == b
    c, d = offer(9, carrier="Zayo"), offer(4, carrier="Zayo")
    assert choose(DEFAULT_RULE, [c, d]).offer == d


def test_preferred_carriers_come_first_in_the_order_given():
    cheap, lumen, att = offer(1, "Zayo", "50.00"), offer(2, "Lumen", "90.00"), offer(3, "AT&T", "80.00")
    assert choose(Rule(prefer=("Lumen", "AT&T")), [cheap, lumen, att]).offer == lumen
    assert choose(Rule(prefer=("at&t",)), [cheap, lumen, att]).offer == att


def test_on_net_first_takes_a_dearer_on_net_offer():
    on_net = offer(2, mrc="130.00", access="on-net")
    assert choose(Rule("on-net-first"), [offer(1, mrc="100.00", access="off-net"), on_net]).offer == on_net


def test_the_rule_reads_as_the_sentence_the_rep_sees():
    rule = Rule(firm_only=True, prefer=("AT&T",), exclude=("Lumen",))
    assert rule.describe() == "Lowest contract value; firm offers only; AT&T preferred; Lumen excluded"
    assert Rule("lowest-mrc", prefer=("AT&T", "Zayo")).describe() == \
        "Lowest monthly price (MRC); AT&T, Zayo preferred (in that order)"


@pytest.mark.parametrize("stored", ['{"name": "greenest-first"}', "not json", "[1, 2]",
                                    '{"prefer": 5}'])
def test_a_stored_rule_this_version_cannot_read_is_the_default(stored):
    assert Rule.from_json(stored) == DEFAULT_RULE


def test_a_rule_survives_its_stored_form():
    rule = Rule("on-net-first", prefer=("AT&T",), exclude=("Lumen", "Zayo"), firm_only=True)
    assert Rule.from_json(rule.as_json()) == rule
    assert Rule.from_json(None) == DEFAULT_RULE


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "cheapest"}, "unknown rule 'cheapest': use one of lowest-tcv, lowest-mrc, on-net-first"),
    ({"prefer": ("AT&T",), "exclude": ("at&t",)},
     "a carrier cannot be both preferred and excluded: at&t")])
def test_a_rule_that_cannot_be_is_one_sentence(kwargs, message):
    with pytest.raises(RuleError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        Rule(**kwargs)


def test_levels_and_access_in_the_reps_words():
    assert [level_of("firmSubjectToFeasibilityCheck", None), level_of("budgetary", True),
            level_of(None, True), level_of(None, None)] == [FEASIBILITY, BUDGETARY, ESTIMATE, FIRM]
    assert (access_word("on_net"), access_word(None)) == ("on-net", None)


def test_a_sites_offers_are_listed_by_provider_term_contract_value_carrier():
    offers = [offer(1, "Zayo", provider="Momentum", term=36), offer(2, "AT&T", provider="Momentum", term=12),
              offer(3, "AT&T", "10.00", provider="Acme"), offer(4, "AT&T", provider="Momentum", term=36)]
    assert [o.option_id for o in listing_order(offers)] == [3, 2, 4, 1]


@given(rule=rules, sites=st.lists(offer_lists(), min_size=1, max_size=4), data=st.data())
def test_an_override_wins_where_its_offer_is_there_and_the_rule_chooses_the_rest(rule, sites, data):
    from bulkquote_gui.core.deal.overrides import Override, choose_sites

    by_site = {n + 2: offers for n, offers in enumerate(sites)}
    overrides = {row: Override(data.draw(st.integers(1, 10)), "Alice")
                 for row in data.draw(st.sets(st.sampled_from(sorted(by_site))))}
    choices = choose_sites(rule, by_site, overrides)
    assert list(choices) == sorted(by_site)
    for row, offers in by_site.items():
        kept = [o for o in offers if row in overrides and o.option_id == overrides[row].option_id]
        if kept:
            assert (choices[row].offer, choices[row].chosen_by) == (kept[0], "Alice")
            assert not choices[row].needs_review
        else:
            assert choices[row] == choose(rule, offers)
