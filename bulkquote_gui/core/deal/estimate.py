"""What a deal will cost before it is submitted: how many quotes each provider is asked, and how
long they will take, from the quote times that provider has shown here before.

A Sonata provider answers every term of a site in one quote (sites quotes); a Momentum
provider one quote per site and term (sites x terms). The time is the median time a quote of
that provider took (submitted to answered), times its quotes, divided by its lanes; with no
quote of it finished yet the time is unknown, never guessed. Providers run at once, so the
deal takes as long as its slowest provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Mapping, Sequence

from bulkquote_gui.core.deal.asks import PlannedBatch
from bulkquote_gui.core.output.durations import duration_text

__all__ = ["ProviderCost", "deal_seconds", "estimate", "estimate_lines"]

UNKNOWN = "unknown yet"


@dataclass(frozen=True)
class ProviderCost:
    """One provider's share of a deal."""

    provider: str | None         # its name (None: the unnamed Momentum of --api-url)
    kind: str
    terms: tuple[int, ...]
    quotes: int
    lanes: int
    seconds_per_quote: float | None   # the median seen here; None: no quote of it finished yet
    seen: int                         # how many finished quotes the median is of

    @property
    def seconds(self) -> float | None:
        if self.seconds_per_quote is None:
            return None
        return self.quotes * self.seconds_per_quote / self.lanes

    def as_json(self) -> dict[str, object]:
        return {"provider": self.provider, "kind": self.kind, "terms": list(self.terms),
                "quotes": self.quotes, "lanes": self.lanes,
                "seconds_per_quote": self.seconds_per_quote, "quotes_seen": self.seen,
                "seconds": self.seconds}


def estimate(sites: int, planned: Sequence[PlannedBatch], lanes: Mapping[str | None, int],
             history: Mapping[str | None, Sequence[float]]) -> list[ProviderCost]:
    """Each provider's cost, in the order planned. `lanes`: quotes a provider allows at once;
    `history`: the seconds its finished quotes took (any order)."""
    costs: dict[str | None, ProviderCost] = {}
    for batch in planned:
        seen = [s for s in history.get(batch.provider_name, ()) if s >= 0]
        before = costs.get(batch.provider_name)
        costs[batch.provider_name] = ProviderCost(
            provider=batch.provider_name, kind=batch.kind,
            terms=(before.terms if before else ()) + batch.terms,
            quotes=(before.quotes if before else 0) + sites,   # one quote per site per batch
            lanes=max(1, lanes.get(batch.provider_name, 1)),
            seconds_per_quote=median(seen) if seen else None, seen=len(seen))
    return list(costs.values())


def deal_seconds(costs: Sequence[ProviderCost]) -> float | None:
    """The deal's time: its slowest provider's (they run at once); None if any is unknown."""
    times = [c.seconds for c in costs]
    return None if not times or any(t is None for t in times) else max(times)  # type: ignore[type-var]


def estimate_lines(sites: int, costs: Sequence[ProviderCost], *, brief: bool = False) -> list[str]:
    """The cost in the rep's words, one line per provider and one for the whole deal. `brief`:
    each line's quotes and time alone, without the details in brackets (the window's line
    under the terms, its tooltip the whole)."""
    lines = []
    for c in costs:
        name = c.provider or "Momentum"
        per = (f"{sites:,} site{'s' if sites != 1 else ''}, {len(c.terms)} term"
               f"{'s' if len(c.terms) != 1 else ''}"
               + (" in one quote each" if c.quotes == sites and len(c.terms) > 1 else ""))
        if c.seconds is None:
            when, why = f"time {UNKNOWN}", f"no quote from {name} has finished here"
        else:
            assert c.seconds_per_quote is not None
            when, why = (f"about {duration_text(c.seconds)}",
                         f"{duration_text(c.seconds_per_quote)} a quote, the median of {c.seen}; "
                         f"{c.lanes} at a time")
        quotes = f"{name}: {c.quotes:,} quote{'s' if c.quotes != 1 else ''}"
        lines.append(f"{quotes}, {when}" if brief else f"{quotes} ({per}), {when} ({why})")
    total = deal_seconds(costs)
    lines.append(f"in all: {sum(c.quotes for c in costs):,} quotes, "
                 + (f"about {duration_text(total)}" + ("" if brief else " (the providers run at once)")
                    if total is not None else f"time {UNKNOWN}"))
    return lines
