"""Each site's choice: the rep's own pick where they made one, else the deal's rule.

An override names an offer by its option id, so it survives a change of rule (the rule
recomputes every other site) until the rep clears it. An override whose offer is gone (the row
was quoted again, its options replaced) no longer counts: the rule chooses that site again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.deal.rules import Choice, Rule, choose

__all__ = ["Override", "choose_sites"]


@dataclass(frozen=True)
class Override:
    option_id: int
    chosen_by: str
    chosen_at: datetime | None = None


def choose_sites(rule: Rule, offers_by_site: Mapping[int, Sequence[Offer]],
                 overrides: Mapping[int, Override]) -> dict[int, Choice]:
    """{row number: its Choice} for every site that has offers, in row order."""
    choices = {}
    for row_number in sorted(offers_by_site):
        offers = offers_by_site[row_number]
        override = overrides.get(row_number)
        picked = next((o for o in offers if override and o.option_id == override.option_id), None)
        if picked is not None:
            # The rep looked at this offer and took it: not "needs review", whatever its level.
            choices[row_number] = Choice(picked, False, f"chosen by {override.chosen_by}",
                                         chosen_by=override.chosen_by)
        else:
            choices[row_number] = choose(rule, offers)
    return choices
