"""A carrier option's fields are declared once, by the seam's QuoteOption: the store keeps them
all, `store.OptionView` hands back that very offer, and a reused quote copies every one of them
(SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import pickle
import random
from decimal import Decimal
from dataclasses import fields

from sqlalchemy import inspect

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.store import options as option_store
from bulkquote_gui.core.store import reuse as reuse_store
from bulkquote_gui.core.store import views as view_store
from bulkquote_gui.core.engine.policy import EngineConfig
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.quoting.provider import OFFER_FIELDS, QuoteOption
from bulkquote_gui.core.store.models import QuoteOption as StoredOption
from tests.helpers.fakes import VALID_UNTIL, FakeClock, FakeImport, FakeMomentum, checked_row, default_options


def _quote(sf, rows, options=default_options, on_event=lambda _event: None):
    clock = FakeClock()
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(), source_name="x.csv")
    with engine_store.in_transaction(sf) as session:
        reuse_store.reuse_valid_quotes(session, batch_id, today=VALID_UNTIL)
    api = FakeMomentum(clock, ready_after_s=1.0, retry_after=1.0, options=options)
    Processor(sf, api, clock=clock, config=EngineConfig(), rng=random.Random(1),
              on_event=on_event).run_batch(batch_id)
    return batch_id


def test_the_offer_fields_are_the_seams_and_each_has_a_stored_column():
    assert OFFER_FIELDS == tuple(f.name for f in fields(QuoteOption))
    columns = {c.key for c in inspect(StoredOption).columns}
    assert set(OFFER_FIELDS) <= columns, "a new offer field needs its column in store/models.py"


def test_an_option_view_holds_the_offer_as_the_provider_made_it(session_factory):
    batch_id = _quote(session_factory, [checked_row(2)])
    with session_factory() as session:
        views = option_store.batch_options(session, batch_id)
    assert [v.offer for v in views] == list(default_options("899.00"))
    assert [(v.position, v.recommended) for v in views] == [(0, False), (1, True)]
    assert views[1].mrc == views[1].offer.mrc and views[1].access == "on_net"   # reads as the offer
    assert copy.copy(views[1]) == views[1] == pickle.loads(pickle.dumps(views[1]))


def test_a_reused_quote_copies_every_offer_field(session_factory):
    first = _quote(session_factory, [checked_row(2)])
    second = _quote(session_factory, [checked_row(2)])   # the same site: filled from the first
    with session_factory() as session:
        assert view_store.batch_rows(session, second)[0].reused_from is not None
        before = [v.offer for v in option_store.batch_options(session, first)]
        after = [v.offer for v in option_store.batch_options(session, second)]
    assert after == before == list(default_options("899.00"))


def _seller_options(mrc):
    """What a Sonata seller adds beside the price: its quote level, an alternate, a note."""
    return (QuoteOption("Colt", "DIA", 500, 48, Decimal(mrc), Decimal("0.00"), "USD", 30, None,
                        None, quote_level="budgetary", alternate=True,
                        note="MRC includes a quarterly charge as a month"),
            QuoteOption("Colt", "DIA", 500, 36, Decimal("999.00"), Decimal("150.00"), "USD", 30,
                        None, None, quote_level="firm"))


def test_a_sellers_quote_level_alternate_and_note_are_kept_and_reused(session_factory):
    first = _quote(session_factory, [checked_row(2)], _seller_options)
    second = _quote(session_factory, [checked_row(2)], _seller_options)
    with session_factory() as session:
        kept = [v.offer for v in option_store.batch_options(session, first)]
        reused = [v.offer for v in option_store.batch_options(session, second)]
    assert kept == reused == list(_seller_options("899.00"))
    assert (kept[0].quote_level, kept[0].alternate, kept[1].alternate) == ("budgetary", True, False)


def test_a_row_and_its_event_carry_the_recommended_option_not_copies_of_its_fields():
    for carrier in (view_store.RowView, QuoteEvent):
        assert {f.name for f in fields(carrier)} & set(OFFER_FIELDS) == set(), carrier
        assert "offer" in {f.name for f in fields(carrier)}


def test_a_priced_row_and_its_event_hold_the_recommended_offer_as_stored(session_factory):
    events = []
    batch_id = _quote(session_factory, [checked_row(2)], _seller_options, on_event=events.append)
    with session_factory() as session:
        (view,) = view_store.batch_rows(session, batch_id)
    (done,) = [e for e in events if isinstance(e, QuoteEvent) and e.status == "complete"]
    firm = _seller_options("899.00")[1]          # the recommended one: 36 months, "firm"
    assert view.offer == done.offer == firm
    assert (view.mrc, view.currency, view.quote_level) == (Decimal("999.00"), "USD", "firm")
    assert (done.carrier, str(done.mrc), done.install_days) == ("Colt", "999.00", 30)


def test_a_row_not_priced_has_no_offer(session_factory):
    with engine_store.in_transaction(session_factory) as session:
        batch_id = batch_store.create_batch(session, FakeImport([checked_row(2)]),
                                            defaults=BatchDefaults(), source_name="x.csv")
    with session_factory() as session:
        (view,) = view_store.batch_rows(session, batch_id)
    assert (view.offer, view.carrier, view.mrc) == (None, None, None)
    assert copy.copy(view) == view == pickle.loads(pickle.dumps(view))
