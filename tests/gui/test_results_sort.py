"""The results table sorts its rows itself (one key per row): the proxy only filters. Clicking a
header orders the rows, selections and later events follow them, and the filter still applies."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from types import SimpleNamespace

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.core.quoting.provider import OFFER_FIELDS
from bulkquote_gui.gui.models.results_model import COLUMNS, ResultRow, ResultsFilter, ResultsModel
from tests.helpers.fakes import offer

MRC = COLUMNS.index("MRC")


def _view(row_number: int, status: str, mrc: str | None):
    return SimpleNamespace(quote_id=100 + row_number, row_number=row_number,
                           address=f"{row_number} Main St, Austin, TX 78701", status=status,
                           offer=offer(mrc) if mrc else None, error_code=None,
                           error_message=None, valid_until=None)


def _table(qtbot):
    model = ResultsModel()
    model.load([_view(2, "complete", "500"), _view(3, "pending", None),
                _view(4, "complete", "900"), _view(5, "complete", "500"),
                _view(6, "failed", None)])
    proxy = ResultsFilter()
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    qtbot.addWidget(view)
    return model, proxy, view


def _row_numbers(proxy) -> list[int]:
    return [int(proxy.index(r, 0).data()) for r in range(proxy.rowCount())]


def test_a_header_sorts_the_rows_stably_and_events_follow_them(qtbot):
    model, proxy, view = _table(qtbot)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert _row_numbers(proxy) == [2, 3, 4, 5, 6]
    view.sortByColumn(MRC, Qt.SortOrder.AscendingOrder)
    assert _row_numbers(proxy) == [2, 5, 4, 3, 6]       # equal prices keep their order; unpriced last
    view.sortByColumn(MRC, Qt.SortOrder.DescendingOrder)
    assert _row_numbers(proxy) == [3, 6, 4, 2, 5]
    assert view.horizontalHeader().sortIndicatorSection() == MRC
    # an event after the sort lands on its own row
    assert model.apply(QuoteEvent(batch_id=1, quote_id=103, row_number=3, status="complete",
                                  offer=offer("700.00", "Zayo")))
    row3 = _row_numbers(proxy).index(3)
    assert proxy.index(row3, MRC).data() == "$700.00"


def test_a_selected_row_stays_selected_through_a_sort_and_the_filter_applies(qtbot):
    model, proxy, view = _table(qtbot)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.selectionModel().select(proxy.index(2, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                 | QItemSelectionModel.SelectionFlag.Rows)   # row 4
    view.sortByColumn(MRC, Qt.SortOrder.DescendingOrder)
    selected = {int(proxy.index(i.row(), 0).data()) for i in view.selectionModel().selectedRows()}
    assert selected == {4}
    proxy.set_category(proxy.sourceModel().row_at(0).category())   # the first row's kind: priced?
    kinds = {model.row_at(r).category() for r in range(model.rowCount())}
    assert proxy.rowCount() < model.rowCount() and len(kinds) > 1
    shown = _row_numbers(proxy)
    assert shown == sorted(shown, key=lambda n: _row_numbers_all(model).index(n))


def _row_numbers_all(model) -> list[int]:
    return [model.row_at(r).row_number for r in range(model.rowCount())]


def test_the_counts_the_buttons_read_follow_every_change(qtbot):
    """failed/retryable/quoted are kept as rows change (no pass over the rows per event)."""
    from bulkquote_gui.core.output.reasons import is_retryable

    model, proxy, view = _table(qtbot)

    def recount():
        rows = [model.row_at(r) for r in range(model.rowCount())]
        return (sum(r.status == "failed" for r in rows), sum(r.retryable for r in rows),
                sum(not r.skipped for r in rows))

    def counted():
        return model.failed_count(), model.retryable_count(), model.quoted_count()

    assert counted() == recount() == (1, 1, 5)
    assert is_retryable("timeout") and not is_retryable("manual_pricing_required")
    steps = [("failed", "timeout", 103), ("failed", "manual_pricing_required", 102),
             ("pending", None, 103), ("failed", "timeout", 103), ("complete", None, 106)]
    for status, code, quote_id in steps:
        model.apply(QuoteEvent(batch_id=1, quote_id=quote_id, row_number=quote_id - 100,
                               status=status, error_code=code, error_message=code,
                               offer=offer("1.00") if status == "complete" else None))
        assert counted() == recount(), (status, code, quote_id)
    assert model.requeue_failed() == 1 and counted() == recount()
    assert model.close_open_rows("cancelled", "cancelled by the user") > 0
    assert counted() == recount()


def test_a_result_row_carries_the_recommended_offer_not_copies_of_its_fields():
    assert {f.name for f in fields(ResultRow)} & set(OFFER_FIELDS) == set()
    row = ResultRow.from_view(_view(2, "complete", "500"))
    assert row.offer == offer("500") and (row.carrier, row.mrc) == ("Lumen", Decimal("500"))
    assert ResultRow.from_view(_view(3, "pending", None)).mrc is None
