"""What a rep puts in a proposal, from a batch's priced rows: totals and the cheapest options.

Over the priced rows, each at its recommended option: total MRC, total NRC and total contract
value (MRC x term + NRC), overall and by carrier; and per site the cheapest option over the whole
term (installation included). Money stays Decimal; amounts in other currencies than the batch's
main one are not added into its totals (they are counted apart).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

ZERO = Decimal("0.00")


@dataclass
class Totals:
    sites: int = 0
    mrc: Decimal = ZERO
    nrc: Decimal = ZERO
    contract_value: Decimal = ZERO

    def add(self, mrc: Decimal, nrc: Decimal, term_months: int) -> None:
        self.sites += 1
        self.mrc += mrc
        self.nrc += nrc
        self.contract_value += mrc * term_months + nrc

    def as_json(self) -> dict[str, object]:
        return {"sites": self.sites, "mrc": f"{self.mrc:.2f}", "nrc": f"{self.nrc:.2f}",
                "contract_value": f"{self.contract_value:.2f}"}


@dataclass(frozen=True)
class Cheapest:
    row_number: int
    carrier: str
    mrc: Decimal
    nrc: Decimal
    term_months: int
    contract_value: Decimal
    is_recommended: bool


@dataclass
class DealSummary:
    currency: str
    overall: Totals = field(default_factory=Totals)
    by_carrier: dict[str, Totals] = field(default_factory=dict)
    cheapest: list[Cheapest] = field(default_factory=list)
    other_currency_sites: int = 0

    def as_json(self) -> dict[str, object]:
        return {"currency": self.currency, **self.overall.as_json(),
                "by_carrier": {c: t.as_json() for c, t in sorted(self.by_carrier.items())},
                "cheapest": [{"row": c.row_number, "carrier": c.carrier, "mrc": f"{c.mrc:.2f}",
                              "nrc": f"{c.nrc:.2f}", "term_months": c.term_months,
                              "contract_value": f"{c.contract_value:.2f}",
                              "recommended": c.is_recommended} for c in self.cheapest],
                "other_currency_sites": self.other_currency_sites}


def summarise(options: Iterable) -> DealSummary:
    """From store.batch_options(): each priced row's options (the recommended one flagged)."""
    by_row: dict[int, list] = {}
    for option in options:
        by_row.setdefault(option.row_number, []).append(option)
    recommended = [next((o for o in opts if o.recommended), opts[0]) for opts in by_row.values()]
    currencies = Counter(o.currency for o in recommended)
    main = currencies.most_common(1)[0][0] if currencies else "USD"
    summary = DealSummary(currency=main)
    for row_number in sorted(by_row):
        opts = by_row[row_number]
        best = next((o for o in opts if o.recommended), opts[0])
        if best.currency != main:
            summary.other_currency_sites += 1
            continue
        summary.overall.add(best.mrc, best.nrc, best.term_months)
        summary.by_carrier.setdefault(best.carrier, Totals()).add(best.mrc, best.nrc, best.term_months)
        same = [o for o in opts if o.currency == main]
        cheapest = min(same, key=lambda o: (o.mrc * o.term_months + o.nrc, o.position))
        summary.cheapest.append(Cheapest(
            row_number=row_number, carrier=cheapest.carrier, mrc=cheapest.mrc, nrc=cheapest.nrc,
            term_months=cheapest.term_months,
            contract_value=cheapest.mrc * cheapest.term_months + cheapest.nrc,
            is_recommended=cheapest.recommended))
    return summary
