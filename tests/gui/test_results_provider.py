"""The results table names each row's provider, and a priced row's reason says how firm its
price is and whether it is an alternate to review (issue 17): from the store on load, and from
the QuoteEvent that prices a row while the batch runs."""

from __future__ import annotations

from dataclasses import replace

from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.core.store.views import RowView
from bulkquote_gui.gui.models.results_model import COLUMNS, REASON_COLUMN, ResultsModel
from tests.helpers.fakes import offer

PROVIDER = COLUMNS.index("Provider")


def _view(row_number: int, status: str, offered=None) -> RowView:
    return RowView(quote_id=100 + row_number, row_number=row_number,
                   address=f"{row_number} Main St, Austin, TX 78701", status=status,
                   offer=offered, error_code=None, error_message=None, attempts=0,
                   provider="Zayo Sonata")


def _cell(model: ResultsModel, row: int, column: int) -> str:
    return model.data(model.index(row, column))


def test_a_loaded_row_shows_its_provider_level_and_alternate(qtbot):
    model = ResultsModel()
    model.load([_view(2, "complete", replace(offer("900", "Zayo"),
                                             quote_level="firmSubjectToFeasibilityCheck",
                                             alternate=True)),
                _view(3, "complete", replace(offer("500", "Zayo"), quote_level="firm"))])
    assert [_cell(model, i, PROVIDER) for i in (0, 1)] == ["Zayo Sonata"] * 2
    assert _cell(model, 0, REASON_COLUMN) == "firm subject to feasibility; alternate: review"
    assert _cell(model, 1, REASON_COLUMN) == "firm"


def test_the_event_that_prices_a_row_brings_its_level_and_alternate(qtbot):
    model = ResultsModel()
    model.load([_view(2, "polling")])
    model.apply(QuoteEvent(batch_id=1, quote_id=102, row_number=2, status="complete",
                           offer=replace(offer("900.00", "Zayo"), quote_level="budgetary",
                                         alternate=True)))
    assert _cell(model, 0, PROVIDER) == "Zayo Sonata"
    assert _cell(model, 0, REASON_COLUMN) == "budgetary; alternate: review"
