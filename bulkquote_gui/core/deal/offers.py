"""An offer: one priced option of a site, from any provider and term of a deal, like for like.

The fields a rep compares offers by, whatever provider answered: provider, carrier, term, MRC,
NRC, contract value over the term (MRC x months + NRC, always computed here, never stored),
install days, access, level, alternate, valid until. `option_id` (the stored quote_option's
id) is the offer's key within a deal. A site's offers are listed in one deterministic order
(`listing_order`): `bulkquote choose --offer K` is the K-th of that list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable

__all__ = ["BUDGETARY", "ESTIMATE", "FEASIBILITY", "FIRM", "FIRM_LEVELS", "Offer", "access_word",
           "level_of", "listing_order"]

# An offer's level, in the rep's words. "Firm subject to feasibility" is a firm price the seller
# will confirm after a site check: it counts as firm (what a rep asks a firm quote for).
FIRM = "firm"
FEASIBILITY = "firm subject to feasibility"
BUDGETARY = "budgetary"
ESTIMATE = "estimate"
FIRM_LEVELS = frozenset({FIRM, FEASIBILITY})

_SONATA_LEVELS = {"firm": FIRM, "firmSubjectToFeasibilityCheck": FEASIBILITY,
                  "budgetary": BUDGETARY}
_ACCESS_WORDS = {"on_net": "on-net", "off_net": "off-net"}


def level_of(quote_level: str | None, is_estimate: bool | None) -> str:
    """A stored option's level: the Sonata seller's quote level where it gave one, else
    Momentum's estimate flag ("estimate" when set, "firm" otherwise)."""
    if quote_level in _SONATA_LEVELS:
        return _SONATA_LEVELS[quote_level]
    return ESTIMATE if is_estimate else FIRM


def access_word(access: str | None) -> str | None:
    """"on_net" as the API says it -> "on-net" as the rep reads it (None: not said)."""
    return _ACCESS_WORDS.get(access, access) if access else None


@dataclass(frozen=True)
class Offer:
    option_id: int
    provider: str
    carrier: str
    term_months: int
    mrc: Decimal
    nrc: Decimal
    install_days: int | None = None
    access: str | None = None          # "on-net" | "off-net" | None
    level: str = FIRM
    alternate: bool = False            # a price for something other than what was asked
    valid_until: date | None = None
    currency: str = "USD"
    contract_value: Decimal = field(init=False)

    def __post_init__(self) -> None:
        # Computed, so no caller can hand in a contract value that disagrees with its prices.
        object.__setattr__(self, "contract_value", self.mrc * self.term_months + self.nrc)

    @property
    def firm(self) -> bool:
        """Firm (or firm subject to feasibility), and a price for what was asked: an offer a
        rule may pick without the rep looking at it."""
        return self.level in FIRM_LEVELS and not self.alternate

    @property
    def on_net(self) -> bool:
        return self.access == "on-net"

    def caveat(self) -> str:
        """Why the offer is not firm, in the rep's words ("budgetary, alternate"); "" if firm."""
        return ", ".join(word for word, why in ((self.level, self.level not in FIRM_LEVELS),
                                                ("alternate", self.alternate)) if why)


def listing_order(offers: Iterable[Offer]) -> list[Offer]:
    """A site's offers as `status --json` lists them and `choose --offer K` counts them:
    provider, term, contract value, carrier (the option id last, so the order never depends on
    the order the store read them in)."""
    return sorted(offers, key=lambda o: (o.provider.casefold(), o.term_months, o.contract_value,
                                         o.carrier.casefold(), o.option_id))
