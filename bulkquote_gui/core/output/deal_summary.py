"""What a rep puts in a proposal, from a deal's chosen offers: totals, and what other rules cost.

Each priced site counts at its chosen offer (core/deal: the rep's own pick, else the deal's
rule): total MRC, total NRC and total contract value (MRC x term + NRC), overall and by carrier;
per site the chosen offer beside the lowest contract value it had. A site the rule left without
a choice (firm offers only, none firm) counts in no total: it is counted apart, as are sites
whose chosen offer is in another currency than the deal's main one. Beside the totals, what each
other rule (same preferred and excluded carriers, the rep's own picks kept) would have cost: the
figures a rep weighs before changing the rule. Money stays Decimal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Callable, Mapping, Protocol

from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.deal.overrides import Override, choose_sites
from bulkquote_gui.core.deal.rules import RULE_NAMES, Choice, Rule

ZERO = Decimal("0.00")
# The rules as the summary's one line names them ("lowest MRC: $41,210.00/mo").
RULE_SHORT = {"lowest-tcv": "lowest contract value", "lowest-mrc": "lowest MRC",
              "on-net-first": "on-net first"}


class ChosenDeal(Protocol):
    """What the summary reads (core/store/choices.py's DealChoices)."""

    rule: Rule
    offers: dict[int, list[Offer]]
    choices: dict[int, Choice]


@dataclass
class Totals:
    sites: int = 0
    mrc: Decimal = ZERO
    nrc: Decimal = ZERO
    contract_value: Decimal = ZERO

    def add(self, offer: Offer) -> None:
        self.sites += 1
        self.mrc += offer.mrc
        self.nrc += offer.nrc
        self.contract_value += offer.contract_value

    def as_json(self) -> dict[str, object]:
        return {"sites": self.sites, "mrc": f"{self.mrc:.2f}", "nrc": f"{self.nrc:.2f}",
                "contract_value": f"{self.contract_value:.2f}"}


@dataclass(frozen=True)
class ChosenSite:
    """A priced site's chosen offer, who chose it, and the lowest contract value it had."""

    row_number: int
    offer: Offer
    chosen_by: str
    needs_review: bool
    cheapest_contract_value: Decimal

    def as_json(self) -> dict[str, object]:
        o = self.offer
        return {"row": self.row_number, "provider": o.provider, "carrier": o.carrier,
                "term_months": o.term_months, "mrc": f"{o.mrc:.2f}", "nrc": f"{o.nrc:.2f}",
                "contract_value": f"{o.contract_value:.2f}", "level": o.level,
                "alternate": o.alternate, "chosen_by": self.chosen_by,
                "needs_review": self.needs_review,
                "cheapest_contract_value": f"{self.cheapest_contract_value:.2f}"}


@dataclass(frozen=True)
class OtherRule:
    """What another rule would have cost: its totals and the change from the deal's own."""

    name: str
    mrc: Decimal
    contract_value: Decimal
    mrc_change: Decimal
    contract_value_change: Decimal

    @property
    def short(self) -> str:
        return RULE_SHORT[self.name]

    def as_json(self) -> dict[str, object]:
        return {"rule": self.name, "reads": self.short, "mrc": f"{self.mrc:.2f}",
                "contract_value": f"{self.contract_value:.2f}",
                "mrc_change": f"{self.mrc_change:.2f}",
                "contract_value_change": f"{self.contract_value_change:.2f}"}


@dataclass
class DealSummary:
    currency: str
    rule: str = ""                     # the rule as the rep reads it
    overall: Totals = field(default_factory=Totals)
    by_carrier: dict[str, Totals] = field(default_factory=dict)
    sites: list[ChosenSite] = field(default_factory=list)
    other_rules: list[OtherRule] = field(default_factory=list)
    other_currency_sites: int = 0
    needs_review: int = 0              # sites the rep should look at (counted or not)
    not_chosen: int = 0                # priced sites with no chosen offer (counted in no total)
    chosen_by_rep: int = 0

    def choice_line(self) -> str:
        """"Chosen by the rule: Lowest contract value; 2 sites need review; 1 chosen by hand"."""
        parts = [f"Chosen by the rule: {self.rule}"]
        if self.needs_review:
            parts.append(f"{self.needs_review:,} site{'s' if self.needs_review != 1 else ''} "
                         f"need{'s' if self.needs_review == 1 else ''} review")
        if self.not_chosen:
            parts.append(f"{self.not_chosen:,} with no offer chosen (not added)")
        if self.chosen_by_rep:
            parts.append(f"{self.chosen_by_rep:,} chosen by hand")
        return "; ".join(parts)

    def other_rules_line(self, money: Callable[[Decimal], str]) -> str:
        """"Other rules: lowest MRC $41,210.00/mo (-$640.00/mo); on-net first $43,680.00/mo
        (+$1,830.00/mo)", each amount written by `money` (the view's own format)."""
        def change(amount: Decimal) -> str:
            if not amount:
                return "the same"
            return f"{'+' if amount > 0 else '-'}{money(abs(amount))}/mo"

        return "Other rules: " + "; ".join(
            f"{o.short} {money(o.mrc)}/mo ({change(o.mrc_change)})" for o in self.other_rules)

    def as_json(self) -> dict[str, object]:
        return {"currency": self.currency, "rule": self.rule, **self.overall.as_json(),
                "by_carrier": {c: t.as_json() for c, t in sorted(self.by_carrier.items())},
                "sites": [s.as_json() for s in self.sites],
                "other_rules": [r.as_json() for r in self.other_rules],
                "other_currency_sites": self.other_currency_sites,
                "needs_review": self.needs_review, "not_chosen": self.not_chosen,
                "chosen_by_rep": self.chosen_by_rep}


def main_currency(choices: Mapping[int, Choice]) -> str:
    counted = Counter(c.offer.currency for c in choices.values() if c.offer is not None)
    return counted.most_common(1)[0][0] if counted else "USD"


def _totals(choices: Mapping[int, Choice], currency: str) -> Totals:
    totals = Totals()
    for choice in choices.values():
        if choice.offer is not None and choice.offer.currency == currency:
            totals.add(choice.offer)
    return totals


def _other_rules(deal: ChosenDeal, currency: str, own: Totals) -> list[OtherRule]:
    """Each other ranking with the deal's own preferences, the rep's picks kept (what a change
    of rule would give)."""
    kept = {row: Override(c.offer.option_id, c.chosen_by) for row, c in deal.choices.items()
            if c.chosen_by != "rule" and c.offer is not None}
    others = []
    for name in RULE_NAMES:
        if name == deal.rule.name:
            continue
        totals = _totals(choose_sites(replace(deal.rule, name=name), deal.offers, kept), currency)
        others.append(OtherRule(name, totals.mrc, totals.contract_value, totals.mrc - own.mrc,
                                totals.contract_value - own.contract_value))
    return others


def summarise(deal: ChosenDeal) -> DealSummary:
    """The deal's figures from its chosen offers (see the module's docstring)."""
    currency = main_currency(deal.choices)
    summary = DealSummary(currency=currency, rule=deal.rule.describe())
    for row_number, choice in sorted(deal.choices.items()):
        summary.needs_review += choice.needs_review
        offer = choice.offer
        if offer is None:
            summary.not_chosen += 1
            continue
        if offer.currency != currency:
            summary.other_currency_sites += 1
            continue
        summary.chosen_by_rep += choice.chosen_by != "rule"
        summary.overall.add(offer)
        summary.by_carrier.setdefault(offer.carrier, Totals()).add(offer)
        cheapest = min(o.contract_value for o in deal.offers[row_number] if o.currency == currency)
        summary.sites.append(ChosenSite(row_number, offer, choice.chosen_by, choice.needs_review,
                                        cheapest))
    summary.other_rules = _other_rules(deal, currency, summary.overall)
    return summary

