"""Numbers that are not numbers (issue 19 #2): the engine never polls faster than its floor and
refuses a timing that is not finite, whoever built its configuration."""

from __future__ import annotations

import math
import random

import pytest

from bulkquote_gui.core.engine.policy import ENGINE_FLOOR_S, EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.services.runtime import Runtime
from bulkquote_gui.services.settings import Settings
from tests.helpers.fakes import FakeMomentum, fake_import


def test_a_tiny_poll_interval_polls_no_faster_than_the_floor(sf, clock):
    """An API that answers `processing` with no Retry-After, a poll interval of 1e-300 s: the
    engine waits its floor between GETs and gives up at the quote timeout."""
    api = FakeMomentum(clock, ready_after_s=10**9, retry_after=None)
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, fake_import(1), defaults=BatchDefaults(), source_name="t.csv")
    config = EngineConfig(poll_interval_s=1e-300, quote_timeout_s=10.0, retry_after_floor_s=0.5)
    processor = Processor(sf, api, clock=clock, on_event=lambda e: None, config=config,
                          rng=random.Random(1))
    # Without a floor the fake clock never moves (1000 + 1e-300 == 1000): stop it after a while.
    clock.on_wait = lambda s: processor.stop() if len(clock.waits) > 2000 else None

    processor.run_batch(batch_id)

    gets = [c for c in api.calls if c[0] == "GET"]
    assert len(gets) <= 10.0 / 0.5 + 2, len(gets)
    with sf() as session:
        assert [r.status for r in view_store.batch_rows(session, batch_id)] == ["failed"]


@pytest.mark.parametrize("field", ["poll_interval_s", "quote_timeout_s", "retry_after_floor_s",
                                   "retry_after_ceiling_s", "backoff_base_s"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_a_timing_that_is_not_a_finite_number_is_refused(field, value):
    with pytest.raises(ValueError, match=field):
        EngineConfig(**{field: value})


def test_the_runtime_never_builds_a_floor_under_the_engines(tmp_path):
    runtime = Runtime(db_url=f"sqlite:///{tmp_path / 'x.sqlite'}", api_url="https://x.example/v1",
                      api_key="k", demo=False, poll_interval_s=1e-300, quote_timeout_s=60,
                      settings=Settings())
    config = runtime.processor_config()
    assert config.retry_after_floor_s >= ENGINE_FLOOR_S
    assert config.backoff_base_s >= ENGINE_FLOOR_S
