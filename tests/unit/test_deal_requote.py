"""A deal's stale quotes asked again (core/deal/requote.py, the window's "Re-quote stale rows…"
and `bulkquote requote`): a batch per batch of the deal with a stale row, the same provider and
terms, one deal again; the provider the rep quotes through is asked with the account given,
the others with the account that quoted them (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import timedelta

from bulkquote_gui.core.deal.requote import requote_deal
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import accounts as account_store
from bulkquote_gui.core.store import deals as deal_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.fakes import (
    VALID_UNTIL,
    FakeClock,
    FakeImport,
    FakeMomentum,
    checked_row,
)

LATER = VALID_UNTIL + timedelta(days=34)   # past every quote's valid-until


def test_every_batch_of_the_deal_is_asked_again_with_its_terms(session_factory):
    sf = session_factory
    momentum = account_store.ensure_account(sf, "https://m.example", "key-1")
    sonata = account_store.ensure_account(sf, "https://s.example", "key-2", provider="sonata")
    asks = [deal_store.Ask("M", (36,), momentum.id), deal_store.Ask("M", (60,), momentum.id),
            deal_store.Ask("S", (36, 60), sonata.id)]
    with engine_store.in_transaction(sf) as session:
        ids = deal_store.create_deal(session, FakeImport([checked_row(2), checked_row(3)]),
                                     defaults=BatchDefaults(), source_name="x.csv", asks=asks)
    clock = FakeClock()
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0)
    for batch_id, account in zip(ids, (momentum, momentum, sonata)):
        # priced by one fake: the prices do not matter, their valid-until dates do
        Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(1),
                  account=account).run_batch(batch_id)
    renewed = account_store.ensure_account(sf, "https://m.example", "key-3")

    with engine_store.in_transaction(sf) as session:
        assert requote_deal(session, ids[2], today=VALID_UNTIL) == []   # nothing stale yet
    with engine_store.in_transaction(sf) as session:
        new = requote_deal(session, ids[2], today=LATER, owner="Dana",
                           accounts={"M": renewed.id})
    with sf() as session:
        batches = deal_store.deal_batches(session, new[0])
        assert [(b.id, b.provider_name, deal_store.batch_terms(b), b.account_id, b.total,
                 b.owner) for b in batches] == [
            (new[0], "M", [36], renewed.id, 2, "Dana"), (new[1], "M", [60], renewed.id, 2, "Dana"),
            (new[2], "S", [36, 60], sonata.id, 2, "Dana")]
        assert {b.deal_id for b in batches} == {new[0]}
