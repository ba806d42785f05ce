"""The rules that choose each site's offer, and the sentence that tells the rep which rule ran.

A rule is a ranking (lowest contract value, the default; lowest MRC; on-net first), preferred
carriers ranked first in the order given, excluded carriers never chosen, and optionally firm
offers only. Whatever the rule, a firm offer (firm or firm subject to feasibility, and a price
for what was asked) always wins over an alternate, budgetary or estimate one: those are never
picked over a firm offer.

A site whose only offers are alternates, budgetary or estimates "needs review". What it gets
then was decided so the rep is never surprised and never left without a figure:
- by default the best of them is chosen, marked needs_review: the totals count it, and every
  view says that the site needs review and why (a budgetary price is a price the proposal can
  show, flagged, rather than a hole in it);
- with firm_only nothing is chosen: the best of them is only a `suggestion`, the site counts in
  no total, and the rep takes it with `choose --row N --offer K` if they want it.

Ties are broken by provider, term, carrier, then the stored option id: the same offers always
give the same choice. Prices are compared as numbers: a deal is asked in one currency.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Iterable

from bulkquote_gui.core.deal.offers import Offer

__all__ = ["DEFAULT_RULE", "RULE_NAMES", "Choice", "Rule", "RuleError", "choose"]

# The ranking of each rule, and how the rep reads it.
RULE_NAMES = ("lowest-tcv", "lowest-mrc", "on-net-first")
_WORDS = {"lowest-tcv": "Lowest contract value", "lowest-mrc": "Lowest monthly price (MRC)",
          "on-net-first": "On-net first, then lowest contract value"}


class RuleError(ValueError):
    """A rule that cannot be: its message is one sentence for the rep."""


@lru_cache(maxsize=1024)   # a deal names a handful of carriers
def _same_carrier(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Rule:
    name: str = "lowest-tcv"
    prefer: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    firm_only: bool = False

    def __post_init__(self) -> None:
        if self.name not in RULE_NAMES:
            raise RuleError(f"unknown rule {self.name!r}: use one of {', '.join(RULE_NAMES)}")
        both = {_same_carrier(c) for c in self.prefer} & {_same_carrier(c) for c in self.exclude}
        if both:
            raise RuleError(f"a carrier cannot be both preferred and excluded: {sorted(both)[0]}")

    def describe(self) -> str:
        """"Lowest contract value; firm offers only; AT&T preferred; Lumen excluded"."""
        parts = [_WORDS[self.name]]
        if self.firm_only:
            parts.append("firm offers only")
        if self.prefer:
            order = " (in that order)" if len(self.prefer) > 1 else ""
            parts.append(f"{', '.join(self.prefer)} preferred{order}")
        if self.exclude:
            parts.append(f"{', '.join(self.exclude)} excluded")
        return "; ".join(parts)

    @cached_property
    def _excluded(self) -> frozenset[str]:
        return frozenset(_same_carrier(c) for c in self.exclude)

    @cached_property
    def _places(self) -> dict[str, int]:
        places: dict[str, int] = {}
        for place, carrier in enumerate(self.prefer):
            places.setdefault(_same_carrier(carrier), place)
        return places

    def excludes(self, offer: Offer) -> bool:
        return bool(self.exclude) and _same_carrier(offer.carrier) in self._excluded

    def rank(self, offer: Offer) -> tuple:
        """The rule's key: the smallest is chosen (preferred carriers first, then the ranking,
        then the tie-breakers)."""
        carrier = _same_carrier(offer.carrier)
        place = self._places.get(carrier, len(self.prefer))
        if self.name == "lowest-mrc":
            ranking = (offer.mrc, offer.contract_value)
        elif self.name == "on-net-first":
            ranking = (not offer.on_net, offer.contract_value, offer.mrc)
        else:
            ranking = (offer.contract_value, offer.mrc)
        return (place, *ranking, offer.provider.casefold(), offer.term_months, carrier,
                offer.option_id)

    def as_json(self) -> str:
        return json.dumps({"name": self.name, "prefer": list(self.prefer),
                           "exclude": list(self.exclude), "firm_only": self.firm_only})

    @classmethod
    def from_json(cls, text: str | None) -> Rule:
        """A stored rule; the default for none stored, and for one this version cannot read (a
        team database shared with a newer BulkQuote that knows more rules): its views must
        open, and the rep sees which rule they get."""
        if not text:
            return DEFAULT_RULE
        try:
            data = json.loads(text)
            return cls(name=data.get("name", "lowest-tcv"),
                       prefer=tuple(str(c) for c in data.get("prefer", ())),
                       exclude=tuple(str(c) for c in data.get("exclude", ())),
                       firm_only=bool(data.get("firm_only")))
        except (ValueError, TypeError, AttributeError):   # RuleError is a ValueError
            return DEFAULT_RULE


DEFAULT_RULE = Rule()


@dataclass(frozen=True)
class Choice:
    """A site's choice: the offer counted (None: nothing chosen), whether the rep should look
    at it, why in a few words, the best offer when nothing was chosen (`suggestion`), and who
    chose ("rule", or the rep's name for an override)."""

    offer: Offer | None
    needs_review: bool
    reason: str
    suggestion: Offer | None = None
    chosen_by: str = "rule"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def choose(rule: Rule, offers: Iterable[Offer]) -> Choice:
    """The site's offer by the rule (see the module's docstring for a site without firm offers)."""
    offers = list(offers)
    if not offers:
        return Choice(None, False, "no offer")
    allowed = [o for o in offers if not rule.excludes(o)]
    if not allowed:
        return Choice(None, True, "every offer is from an excluded carrier")
    firm = [o for o in allowed if o.firm]
    if firm:
        return Choice(min(firm, key=rule.rank), False, f"best of {_count(len(firm), 'firm offer')}")
    best = min(allowed, key=rule.rank)
    if rule.firm_only:
        return Choice(None, True, f"no firm offer; best is {best.caveat()}: review",
                      suggestion=best)
    return Choice(best, True, f"no firm offer; {best.caveat()} chosen: review", suggestion=best)
