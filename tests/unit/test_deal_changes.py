"""What changed between two batches of the same sites (core/deal/changes.py), read from a temp
database the engine filled against the fake API."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from bulkquote_gui.core.deal.changes import Kind, compare_batches
from bulkquote_gui.core.quoting.provider import QuoteOption
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.fakes import VALID_UNTIL, checked_row
from tests.helpers.two_batches import FAILED, priced, quoted_batch

TODAY = VALID_UNTIL - timedelta(days=10)


def _changes(sf, old, new, today=TODAY):
    with sf() as session:
        return compare_batches(session, old, new, today=today)


def _by_row(changes):
    return {s.row_number: s for s in changes.sites}


def test_the_same_file_quoted_twice_lists_exactly_the_sites_whose_price_moved(sf):
    old = quoted_batch(sf, {2: priced("900.00"), 3: priced("500.00", nrc="100.00"),
                            4: priced("700.00"), 5: priced("300.00")})
    new = quoted_batch(sf, {2: priced("950.50"), 3: priced("500.00", nrc="40.00"),
                            4: priced("700.00"), 5: priced("250.25")})
    changes = _changes(sf, old, new)
    sites = _by_row(changes)
    assert [s.row_number for s in changes.changed()] == [2, 3, 5]
    assert (sites[2].kinds, sites[2].mrc_change, sites[2].nrc_change) == (
        (Kind.UP,), Decimal("50.50"), Decimal("0.00"))
    # MRC the same, NRC down: down, by the one-time price
    assert (sites[3].kinds, sites[3].mrc_change, sites[3].nrc_change) == (
        (Kind.DOWN,), Decimal("0.00"), Decimal("-60.00"))
    assert sites[4].kinds == (Kind.UNCHANGED,)
    assert (sites[5].kinds, sites[5].mrc_change) == ((Kind.DOWN,), Decimal("-49.75"))
    assert (changes.monthly_change, changes.one_time_change) == (Decimal("0.75"), Decimal("-60.00"))
    assert (changes.old_monthly, changes.new_monthly) == (Decimal("2400.00"), Decimal("2400.75"))
    assert changes.counts[Kind.UP] == 1 and changes.counts[Kind.DOWN] == 2
    assert changes.counts[Kind.UNCHANGED] == 1 and changes.counts[Kind.CARRIER] == 0


def test_carrier_changed_newly_priced_and_no_longer_priced(sf):
    old = quoted_batch(sf, {2: priced("900.00", "Lumen"), 3: FAILED, 4: priced("700.00"),
                            5: priced("100.00")})
    new = quoted_batch(sf, {2: priced("880.00", "Zayo"), 3: priced("400.00"), 4: FAILED,
                            6: priced("200.00")})
    changes = _changes(sf, old, new)
    sites = _by_row(changes)
    assert sites[2].kinds == (Kind.DOWN, Kind.CARRIER)
    assert (sites[3].kinds, sites[3].mrc_change) == ((Kind.NEWLY_PRICED,), None)
    assert (sites[4].kinds, sites[4].mrc_change) == ((Kind.NO_LONGER_PRICED,), None)
    # row 6 is a site NEW alone has (priced); row 5 one OLD alone had
    assert (sites[6].old, sites[6].kinds) == (None, (Kind.NEWLY_PRICED,))
    assert (sites[5].new, sites[5].kinds) == (None, (Kind.NO_LONGER_PRICED,))
    # like for like: only row 2 is priced in both
    assert changes.monthly_change == Decimal("-20.00")
    assert (changes.old_monthly, changes.new_monthly) == (Decimal("1700.00"), Decimal("1480.00"))
    assert changes.counts[Kind.NEWLY_PRICED] == 2 and changes.counts[Kind.NO_LONGER_PRICED] == 2


def test_an_offer_past_its_valid_until_date_is_told_as_expired(sf):
    old = quoted_batch(sf, {2: priced("900.00"), 3: priced("500.00")})
    new = quoted_batch(sf, {2: priced("900.00"), 3: priced("510.00")})
    later = VALID_UNTIL + timedelta(days=1)
    sites = _by_row(_changes(sf, old, new, today=later))
    assert sites[2].kinds == (Kind.EXPIRED,)
    assert sites[3].kinds == (Kind.UP, Kind.EXPIRED)
    assert _by_row(_changes(sf, old, new, today=VALID_UNTIL))[2].kinds == (Kind.UNCHANGED,)


def test_sites_are_matched_by_their_normalised_address_then_by_site_id(sf):
    old_rows = [checked_row(2, street="111 E. Wacker Dr."), checked_row(3), checked_row(4)]
    # NEW: the first two sites in the other order, Wacker written differently, and row 4's
    # street corrected (only its site id S4 says it is the same site)
    new_rows = [replace(checked_row(2, street="3 Main St"), site_id="X"),
                replace(checked_row(3, street="111  e wacker dr"), site_id="Y"),
                checked_row(4, street="4 Main Street")]
    old = quoted_batch(sf, {2: priced("100.00"), 3: priced("300.00"), 4: priced("400.00")},
                       rows=old_rows)
    new = quoted_batch(sf, {2: priced("300.00"), 3: priced("100.00"), 4: priced("450.00")},
                       rows=new_rows)
    sites = _by_row(_changes(sf, old, new))
    assert (sites[2].old.row_number, sites[2].kinds) == (3, (Kind.UNCHANGED,))   # 3 Main St
    assert (sites[3].old.row_number, sites[3].kinds) == (2, (Kind.UNCHANGED,))   # Wacker
    assert (sites[4].old.row_number, sites[4].mrc_change) == (4, Decimal("50.00"))  # by S4
    assert len(sites) == 3


def test_a_batch_compared_with_itself_has_nothing_to_tell(sf):
    batch = quoted_batch(sf, {2: priced("900.00"), 3: FAILED})
    changes = _changes(sf, batch, batch)
    assert changes.changed() == []
    assert changes.monthly_change == Decimal("0.00") and changes.counts[Kind.UNCHANGED] == 2


# ----------------------------------------------------------------- the deal's choice is compared

def _lumen_or_dearer_zayo(price: str) -> tuple[QuoteOption, ...]:
    """Lumen at the answer's price, and Zayo at 2,000.00: the fake's recommended option (the
    second), which the deal's default rule (lowest contract value) never chooses."""
    mrc = price.split()[0]
    return (QuoteOption("Lumen", "DIA", 1000, 36, Decimal(mrc), Decimal("0.00"), "USD", 45,
                        "on_net", False),
            QuoteOption("Zayo", "DIA", 1000, 36, Decimal("2000.00"), Decimal("0.00"), "USD", 30,
                        "on_net", False))


def _two_offer_batches(sf):
    old = quoted_batch(sf, {2: priced("900.00"), 3: priced("500.00")},
                       options=_lumen_or_dearer_zayo)
    new = quoted_batch(sf, {2: priced("850.00"), 3: priced("500.00")},
                       options=_lumen_or_dearer_zayo)
    return old, new


def test_the_diff_compares_the_offer_the_deals_rule_chose_not_the_apis_recommended_one(sf):
    old, new = _two_offer_batches(sf)
    sites = _by_row(_changes(sf, old, new))
    assert (sites[2].old_offer.carrier, sites[2].new_offer.carrier) == ("Lumen", "Lumen")
    assert (sites[2].kinds, sites[2].mrc_change) == ((Kind.DOWN,), Decimal("-50.00"))
    assert sites[3].kinds == (Kind.UNCHANGED,)


def test_a_reps_pick_changes_the_diff_and_clearing_it_changes_it_back(sf):
    old, new = _two_offer_batches(sf)
    with engine_store.in_transaction(sf) as session:
        zayo = next(o for o in choice_store.deal_offers(session, new)[3] if o.carrier == "Zayo")
        choice_store.set_override(session, new, 3, zayo.option_id, "dana")
    changes = _changes(sf, old, new)
    site = _by_row(changes)[3]
    assert site.new_offer.option_id == zayo.option_id
    assert (site.kinds, site.mrc_change) == ((Kind.UP, Kind.CARRIER), Decimal("1500.00"))
    assert changes.monthly_change == Decimal("1450.00")   # row 2's -50.00 and row 3's pick
    with engine_store.in_transaction(sf) as session:
        assert choice_store.clear_override(session, new, 3)
    assert _by_row(_changes(sf, old, new))[3].kinds == (Kind.UNCHANGED,)


# ----------------------------------------------------------------- currencies and deals

def _in_cad(price: str) -> tuple[QuoteOption, ...]:
    mrc = price.split()[0]
    return (QuoteOption("Lumen", "DIA", 1000, 36, Decimal(mrc), Decimal("0.00"), "CAD", 45,
                        "on_net", False),)


def test_prices_in_two_currencies_are_said_to_differ_never_subtracted(sf):
    """USD 900 then CAD 1,200 was told as "price up +300.00", and the totals subtracted."""
    old = quoted_batch(sf, {2: priced("900.00"), 3: priced("500.00")})
    new = quoted_batch(sf, {2: priced("1200.00"), 3: priced("500.00")}, options=_in_cad)
    changes = _changes(sf, old, new)
    sites = _by_row(changes)
    assert [(s.kinds, s.mrc_change, s.nrc_change) for s in (sites[2], sites[3])] == [
        ((Kind.CURRENCY,), None, None), ((Kind.CURRENCY,), None, None)]
    assert changes.counts[Kind.CURRENCY] == 2 and changes.counts[Kind.UP] == 0
    assert changes.currency is None
    assert changes.currency_words() == "priced in USD before, CAD now"
    assert (changes.old_currencies, changes.new_currencies) == (("USD",), ("CAD",))
    same = _changes(sf, old, old)
    assert same.currency == "USD" and same.currency_words() == ""


def test_a_side_that_is_one_of_a_deals_batches_is_named_as_the_deal(sf):
    from bulkquote_gui.core.deal.changes import Side, side_of
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import deals as deal_store
    from tests.helpers.fakes import FakeImport

    lone = quoted_batch(sf, {2: priced("900.00")})
    with engine_store.in_transaction(sf) as session:
        deal = deal_store.create_deal(
            session, FakeImport([checked_row(2)]), defaults=BatchDefaults(), source_name="s.csv",
            asks=[deal_store.Ask(None, (36,)), deal_store.Ask(None, (60,))])
    with sf() as session:
        assert side_of(session, deal[1]) == Side(deal[1], deal[0])
        assert side_of(session, lone) == Side(lone, None)
        changes = compare_batches(session, lone, deal[1], today=TODAY)
    assert (changes.old_side.name(), changes.new_side.name("#")) == (
        f"batch {lone}", f"deal #{deal[0]}")


def test_a_deal_is_compared_with_an_earlier_deal_never_with_its_own_batches(sf):
    """Batch 4 of deal 3 compared "with the previous batch of the same file" took batch 3: the
    same deal, so nothing had changed. A deal is offered once, named by its first batch."""
    from bulkquote_gui.core.deal.changes import Side, earlier_sides
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import deals as deal_store
    from tests.helpers.fakes import FakeImport

    asks = [deal_store.Ask(None, (36,)), deal_store.Ask(None, (60,))]
    with engine_store.in_transaction(sf) as session:
        old = deal_store.create_deal(session, FakeImport([checked_row(2)]),
                                     defaults=BatchDefaults(), source_name="s.csv", asks=asks)
        new = deal_store.create_deal(session, FakeImport([checked_row(2)]),
                                     defaults=BatchDefaults(), source_name="s.csv", asks=asks)
    lone = quoted_batch(sf, {2: priced("900.00")}, name="s.csv")
    with sf() as session:
        assert earlier_sides(session, new[1]) == [Side(old[0], old[0])]
        assert earlier_sides(session, new[0]) == [Side(old[0], old[0])]
        assert earlier_sides(session, old[1]) == []
        assert earlier_sides(session, lone) == [Side(new[0], new[0]), Side(old[0], old[0])]
        assert earlier_sides(session, lone, limit=1) == [Side(new[0], new[0])]
