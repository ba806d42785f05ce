"""Two batches of the same sites quoted against the fake API with chosen prices: what a
comparison (core/deal/changes.py) reads, for its unit, CLI, export and window tests."""

from __future__ import annotations

import random
from decimal import Decimal

from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.provider import QuoteOption
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.fakes import (
    FakeClock,
    FakeImport,
    FakeMomentum,
    Outcome,
    checked_row,
)


def priced(mrc: str, carrier: str = "Lumen", nrc: str = "0.00") -> Outcome:
    """A priced answer; the price says carrier and NRC too ("950.00 Zayo 250.00")."""
    return Outcome(mrc=f"{mrc} {carrier} {nrc}")


FAILED = Outcome(status="failed", error_code="no_coverage", error_message="No carrier here")


def _options(price: str) -> tuple[QuoteOption, ...]:
    mrc, carrier, nrc = (price.split() + ["Lumen", "0.00"])[:3]
    return (QuoteOption(carrier, "DIA", 1000, 36, Decimal(mrc), Decimal(nrc), "USD", 45,
                        "on_net", False),)


def quoted_batch(sf, answers: dict[int, Outcome], *, rows=None, name: str = "sites.csv",
                 options=_options) -> int:
    """A batch of `rows` (default: one per row number of `answers`, checked_row's sites),
    quoted to the end; row N answered as answers[N] (priced at 899.00 by Lumen if absent);
    `options` makes a priced row's options from its answer (the fake recommends the second)."""
    rows = rows if rows is not None else [checked_row(n) for n in sorted(answers)]
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(),
                                            source_name=name)
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0, options=options)
    for n, outcome in answers.items():
        api.outcomes[f"batch-{batch_id}/row-{n}"] = outcome
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(3)).run_batch(batch_id)
    return batch_id
