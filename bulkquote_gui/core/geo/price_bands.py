"""The map's price bands: each priced site low, mid or high by the MRC of the offer it shows,
so a rep comparing prices sees where the dear sites are.

The bands are the quartiles of those MRCs: the cheapest quarter is "Low", the dearest quarter
"High", the middle half "Mid". Sites of equal MRC are always in the same band, so a band may be
empty (every site at one price is "Low"). Only MRCs in one currency are comparable: the bands
are drawn over the most common currency, and a site priced in another is `OTHER_CURRENCY`.
Each band's label says the dollar range of the sites in it ("Low $210–$480/mo").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

__all__ = ["BAND_NAMES", "OTHER_CURRENCY", "PriceBand", "price_bands"]

BAND_NAMES = ("Low", "Mid", "High")
OTHER_CURRENCY = "Other currency"   # the map's group of a site whose MRC is not comparable

K = TypeVar("K")


@dataclass(frozen=True)
class PriceBand:
    rank: int            # 0 low, 1 mid, 2 high: the map's colour
    lowest: Decimal      # the lowest and highest MRC of the sites in the band
    highest: Decimal
    currency: str

    @property
    def label(self) -> str:
        """"Low $210–$480/mo", or "Low $500/mo" when its sites share one price."""
        prices = _money(self.lowest, self.currency)
        if self.highest != self.lowest:
            prices += f"–{_money(self.highest, self.currency)}"
        return f"{BAND_NAMES[self.rank]} {prices}/mo"


def price_bands(prices: Mapping[K, tuple[Decimal, str]]) -> dict[K, PriceBand]:
    """{key: its band} for each (MRC, currency) in the most common currency; keys priced in
    another currency are left out (the caller shows them as `OTHER_CURRENCY`)."""
    if not prices:
        return {}
    currency = Counter(c for _, c in prices.values()).most_common(1)[0][0]
    mrcs = {k: mrc for k, (mrc, c) in prices.items() if c == currency}
    values = sorted(mrcs.values())
    q1, q3 = _quantile(values, 1, 4), _quantile(values, 3, 4)
    rank = {k: 0 if mrc <= q1 else 2 if mrc >= q3 else 1 for k, mrc in mrcs.items()}
    bands = {}
    for r in set(rank.values()):
        members = [mrcs[k] for k in rank if rank[k] == r]
        bands[r] = PriceBand(r, min(members), max(members), currency)
    return {k: bands[r] for k, r in rank.items()}


def _quantile(values: list[Decimal], numerator: int, denominator: int) -> Decimal:
    """The value `numerator/denominator` of the way up the sorted `values`, interpolated
    between neighbours (the "inclusive" method: the lowest is 0, the highest 1)."""
    at = Decimal((len(values) - 1) * numerator) / denominator
    below = int(at)
    if below + 1 >= len(values):
        return values[-1]
    return values[below] + (values[below + 1] - values[below]) * (at - below)


def _money(amount: Decimal, currency: str) -> str:
    # Whole dollars where the price has no cents: a legend is read at a glance.
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"${text}" if currency in ("", "USD") else f"{text} {currency}"
