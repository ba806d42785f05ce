"""The engine benchmark's in-memory API (benchmarks/bench_engine.py) quotes: a fake out of step
with the provider seam made every row fail inside the engine, and the benchmark timed that
failure path as "pure engine overhead" (its batch still ended complete, its rows failed)."""

from __future__ import annotations

from benchmarks.bench_engine import FAST, InstantApi, _Import
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store


def test_the_benchmarks_in_memory_api_prices_every_row(sf):
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, _Import(5), defaults=BatchDefaults(),
                                            source_name="bench.csv")
    assert Processor(sf, InstantApi(), config=FAST).run_batch(batch_id) == BatchStatus.COMPLETE
    with sf() as session:
        assert view_store.batch_counts(session, batch_id)["complete"] == 5
