""""Compare with…" on the finished page: the earlier batches of the same file first, then the
changes since the one picked, site by site, with the totals (read through an operation)."""

from __future__ import annotations

import pytest

from .conftest import store_batch
from .test_daily_use import open_finished, price_batch
from .test_progress_page import write_sites

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()

STREETS = ["100 Congress Ave", "200 Congress Ave", "300 Congress Ave", "400 Congress Ave"]


def _compared(qtbot, window, click):
    with qtbot.waitSignal(window.comparisons.compared, timeout=10_000) as done:
        click()
    return done.args


def test_compare_with_shows_the_sites_whose_price_changed_since_the_same_file(
        qtbot, window, context, tmp_path):
    path = write_sites(tmp_path / "sites.csv", STREETS)
    other = store_batch(context, path=write_sites(tmp_path / "other.csv", STREETS[:2]))
    price_batch(context, other, [("Cogent", "1.00", "0.00", 36)] * 2)
    old = store_batch(context, path=path)
    price_batch(context, old, [("Lumen", "1000.00", "500.00", 36), ("Lumen", "200.00", "0.00", 36),
                               ("Zayo", "300.00", "0.00", 36)])        # row 5 failed
    new = store_batch(context, path=path)
    price_batch(context, new, [("Lumen", "1000.00", "500.00", 36), ("Zayo", "180.50", "0.00", 36),
                               ("Zayo", "300.00", "0.00", 36), ("Cogent", "90.00", "10.00", 36)])
    open_finished(qtbot, window, new)
    button = window.progress_page.compare_button
    assert button.isEnabled()

    assert _compared(qtbot, window, button.click) == [old, new]
    dialog = window.comparisons.dialog
    assert dialog.isVisible()
    # The same file first (so it is compared at once), then the other recent batch.
    assert [dialog.picker.itemData(i) for i in range(dialog.picker.count())] == [old, other]
    assert "(same file)" in dialog.picker.itemText(0)
    assert dialog.rows() == [
        ["3", "200 Congress Ave, Austin, TX 78701", "Price down, carrier Lumen → Zayo",
         "$200.00", "$180.50", "-$19.50", ""],
        ["5", "400 Congress Ave, Austin, TX 78701", "Newly priced", "—", "$90.00", "", ""]]
    assert dialog.table.item(0, 3).toolTip() == "Lumen, 36 months, NRC $0.00"
    summary = dialog.summary.text()
    assert f"2 of 4 sites changed since batch #{old}" in summary
    assert "1 price down, 1 carrier changed, 1 newly priced" in summary
    assert "$1,500.00 → $1,570.50 (-$19.50 on the sites priced both times)" in summary

    dialog.show_all.setChecked(True)
    assert [r[0] for r in dialog.rows()] == ["2", "3", "4", "5"]

    # Another batch picked: its changes replace these.
    assert _compared(qtbot, window, lambda: (dialog.picker.setCurrentIndex(1),
                                             dialog.picker.activated.emit(1))) == [other, new]
    assert f"since batch #{other}" in dialog.summary.text()


def test_compare_is_offered_only_for_a_finished_batch(qtbot, window, context, tmp_path):
    batch = store_batch(context, path=write_sites(tmp_path / "sites.csv", STREETS))
    with qtbot.waitSignal(window.events.batch_opened, timeout=10_000):
        window.open_batch(batch)           # paused, not finished
    assert not window.progress_page.compare_button.isEnabled()


def test_the_dialog_names_a_deal_and_never_subtracts_two_currencies(qtbot):
    """"Compare batch #4 … since batch #2" and "-$0.00" for a deal priced in USD then CAD."""
    from datetime import date
    from decimal import Decimal

    from bulkquote_gui.core.deal.changes import Side, compare
    from bulkquote_gui.core.deal.offers import Offer
    from bulkquote_gui.core.store.comparisons import SiteRow
    from bulkquote_gui.gui.dialogs.compare_dialog import CompareDialog

    def site(mrc: str, currency: str) -> SiteRow:
        offer = Offer(1, "Lumen", "Lumen", 36, Decimal(mrc), Decimal("0.00"), currency=currency)
        return SiteRow(2, "S1", "100 Congress Ave", ("100 congress ave",), offer, None)

    dialog = CompareDialog(4, "sites.csv")
    qtbot.addWidget(dialog)
    changes = compare([site("900.00", "USD")], [site("1200.00", "CAD")], today=date(2026, 1, 1),
                      old_side=Side(2, 1), new_side=Side(4, 3))
    dialog.show_changes(2, changes)
    assert dialog.windowTitle() == "Compare deal #3"
    assert dialog.head_label.text() == "Deal #3 (sites.csv) compared with"
    summary = dialog.summary.text()
    assert "1 of 1 sites changed since deal #1: 1 currency changed." in summary
    assert "Totals not compared: priced in USD before, CAD now." in summary
    assert dialog.rows() == [["2", "100 Congress Ave", "Currency changed", "$900.00",
                              "1,200.00 CAD", "", ""]]


def test_a_deal_is_offered_once_and_never_its_own_batches(qtbot, window, context, tmp_path):
    """Deal 3's second batch opened: "Compare with…" offered batch 3 (the same deal) first and
    compared it at once, then batches 2 and 1 (one earlier deal) apart."""
    from bulkquote_gui.core.intake.importer import import_file
    from bulkquote_gui.core.offer import BatchDefaults
    from bulkquote_gui.core.store import batches as batch_store
    from bulkquote_gui.core.store import deals as deal_store
    from bulkquote_gui.core.store import engine as engine_store

    path = write_sites(tmp_path / "sites.csv", STREETS[:2])
    deals = []
    for _ in range(2):
        with engine_store.in_transaction(context.session_factory) as session:
            ids = deal_store.create_deal(
                session, import_file(path), defaults=BatchDefaults(), source_name=path.name,
                asks=[deal_store.Ask(None, (36,)), deal_store.Ask(None, (60,))])
            for batch_id in ids:
                batch_store.mark_paused(session, batch_id, "paused")
        for batch_id, term in zip(ids, (36, 60)):
            price_batch(context, batch_id, [("Lumen", "100.00", "0.00", term)] * 2)
        deals.append(ids)
    (old, _), (first, second) = deals
    open_finished(qtbot, window, second)
    assert _compared(qtbot, window, window.progress_page.compare_button.click) == [old, second]
    dialog = window.comparisons.dialog
    assert [dialog.picker.itemData(i) for i in range(dialog.picker.count())] == [old]
    assert dialog.picker.itemText(0).startswith(f"Deal #{old}  sites.csv")
    assert f"since deal #{old}" in dialog.summary.text()
    assert dialog.windowTitle() == f"Compare deal #{first}"
