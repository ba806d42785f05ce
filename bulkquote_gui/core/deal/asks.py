"""What a deal asks: the terms the rep typed, checked, and the batches they become.

A Sonata seller prices every term of a site in one quote (an item per term), so a Sonata
provider gets one batch asking all the terms; a Momentum quote asks one term, so a Momentum
provider gets one batch per term (quoted one after another in its own lanes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bulkquote_gui.core.offer import TERMS_MONTHS
from bulkquote_gui.core.quoting.factory import SONATA

MAX_TERM_MONTHS = 600   # fifty years: beyond it a number is a typo, not a term

__all__ = ["MAX_TERM_MONTHS", "BadAsk", "PlannedBatch", "parse_terms", "plan_batches"]


class BadAsk(ValueError):
    """The terms or providers cannot make a deal; str() is one sentence for the rep."""


@dataclass(frozen=True)
class PlannedBatch:
    """One batch of the deal: the provider (None: the unnamed Momentum), its kind, its terms."""

    provider_name: str | None
    kind: str
    terms: tuple[int, ...]


def parse_terms(text: str) -> tuple[int, ...]:
    """"12,36,60" as (12, 36, 60), in the order typed; BadAsk names what is wrong."""
    parts = [p.strip() for p in str(text).split(",")]
    if not any(parts):
        raise BadAsk("--terms is empty: give months separated by commas, e.g. 12,36,60")
    terms: list[int] = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= MAX_TERM_MONTHS:
            raise BadAsk(f"--terms: {part!r} is not a term in months (a whole number from 1 to "
                         f"{MAX_TERM_MONTHS}), e.g. 12,36,60")
        if int(part) in terms:
            raise BadAsk(f"--terms: {int(part)} months is given twice")
        terms.append(int(part))
    return tuple(terms)


def plan_batches(providers: Sequence[tuple[str | None, str]],
                 terms: Sequence[int]) -> list[PlannedBatch]:
    """The deal's batches, in the order the providers were given: (name, kind) each. BadAsk for
    a provider named twice, or a term a Momentum provider cannot quote."""
    names = [name for name, _ in providers]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None or not providers:
        raise BadAsk(f"--provider {twice} is given twice" if twice else "no provider to ask")
    planned: list[PlannedBatch] = []
    for name, kind in providers:
        if kind == SONATA:
            planned.append(PlannedBatch(name, kind, tuple(terms)))
            continue
        unquotable = [t for t in terms if t not in TERMS_MONTHS]
        if unquotable:
            raise BadAsk(f"{name or 'Momentum'} quotes terms of "
                         f"{', '.join(map(str, TERMS_MONTHS))} months, not {unquotable[0]}")
        planned.extend(PlannedBatch(name, kind, (term,)) for term in terms)
    return planned
