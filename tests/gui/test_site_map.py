"""The progress page's map tab: each site a dot where its ZIP is, coloured by its row's status
while the batch runs and by price band (or carrier, as the rep picks) when it is done; the
table's "Show" filter shows the same rows on the map; a click on a dot selects its row in the
table, rows selected in the table are ringed on the map. Checked on the drawn pixels."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent

from bulkquote_gui.core.events import BatchEvent, QuoteEvent
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.widgets.site_map_paint import (
    BAND_COLOURS,
    CARRIER_COLOURS,
    STATUS_COLOURS,
)
from tests.helpers.fakes import offer

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()

SITES = {2: "10001", 3: "94105", 4: "60601", 5: "78701", 6: "99501", 7: "96813", 8: "00901"}


def _view(row_number: int, zip_code: str, status: str = "pending"):
    return SimpleNamespace(quote_id=100 + row_number, row_number=row_number,
                           address=f"{row_number} Main St", status=status, offer=None,
                           error_code=None, error_message=None, valid_until=None,
                           quoted=("1 Main St", "Town", "XX", zip_code), original={})


def _page(qtbot) -> ProgressPage:
    page = ProgressPage(monotonic=lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    views = [_view(n, z) for n, z in SITES.items()]
    views.append(_view(9, "00000"))   # a ZIP the table does not know: not on the map
    page.show_batch(1, "sites.csv", "running", {"total": 8, "pending": 8}, views)
    page.show()
    page.result_tabs.setCurrentWidget(page.results_map)
    qtbot.waitExposed(page.results_map.view)
    # The places are found off the GUI thread (the ZIP table's first read): drawn when found.
    qtbot.waitUntil(lambda: len(page.results_map.view.sites) == len(SITES), timeout=10_000)
    return page


def _pixel(page, row_number: int, dx: int = 0) -> QColor:
    view = page.results_map.view
    point = view.viewport_point_of(row_number).toPoint() + QPoint(dx, 0)
    return view.viewport().grab().toImage().pixelColor(point)


def _close(colour: QColor, hex_text: str, slack: int = 40) -> bool:
    want = QColor(hex_text)
    return all(abs(a - b) <= slack for a, b in ((colour.red(), want.red()),
                                                (colour.green(), want.green()),
                                                (colour.blue(), want.blue())))


def _event(row: int, status: str, **kw) -> QuoteEvent:
    return QuoteEvent(batch_id=1, quote_id=100 + row, row_number=row, status=status, **kw)


def test_every_known_site_is_a_dot_coloured_by_its_status(qtbot):
    page = _page(qtbot)
    panel = page.results_map
    assert sorted(s.row_number for s in panel.view.sites) == sorted(SITES)
    assert panel.note.text() == "1 not on the map"
    assert all(_close(_pixel(page, n), STATUS_COLOURS["Waiting"]) for n in SITES)
    page.apply_quote_event(_event(2, "polling"))
    page.apply_quote_event(_event(3, "complete", offer=offer("500.00", "Zayo")))
    page.apply_quote_event(_event(4, "failed", error_code="no_coverage", error_message="none"))
    qtbot.waitUntil(lambda: _close(_pixel(page, 4), STATUS_COLOURS["Failed"]), timeout=3000)
    assert _close(_pixel(page, 2), STATUS_COLOURS["Quoting"])
    assert _close(_pixel(page, 3), STATUS_COLOURS["Priced"])
    assert _close(_pixel(page, 5), STATUS_COLOURS["Waiting"])
    assert [e.group for e in panel.legend.entries] == ["Priced", "Quoting", "Waiting", "Failed"]


def _done_by_price(qtbot) -> ProgressPage:
    """Rows 2-5 priced at $200, $450, $700 and $1,250.50 a month; 6-8 failed; done."""
    page = _page(qtbot)
    for row, mrc in ((2, "200.00"), (3, "450.00"), (4, "700.00"), (5, "1250.50")):
        page.apply_quote_event(_event(row, "complete", offer=offer(mrc, "Zayo")))
    for row in (6, 7, 8):
        page.apply_quote_event(_event(row, "failed", error_code="no_coverage", error_message="no"))
    page.apply_batch_event(BatchEvent(batch_id=1, status="complete", counts={"total": 7}))
    return page


def test_a_done_batch_colours_its_sites_by_the_price_band_of_their_mrc(qtbot):
    """The rep compares prices: the cheapest quarter of the sites low, the dearest high, the
    legend saying each band's dollar range; a site not priced keeps its colour."""
    page = _done_by_price(qtbot)
    panel = page.results_map
    qtbot.waitUntil(lambda: [e.group for e in panel.legend.entries] ==
                    ["Low $200/mo", "Mid $450–$700/mo", "High $1,250.50/mo", "Not priced"],
                    timeout=3000)
    assert [e.count for e in panel.legend.entries] == [1, 2, 1, 3]
    qtbot.waitUntil(lambda: _close(_pixel(page, 2), BAND_COLOURS[0]), timeout=3000)
    assert _close(_pixel(page, 3), BAND_COLOURS[1]) and _close(_pixel(page, 4), BAND_COLOURS[1])
    assert _close(_pixel(page, 5), BAND_COLOURS[2])
    assert _close(_pixel(page, 7), STATUS_COLOURS["Not priced"])
    assert panel.colour_by.isVisibleTo(panel) and panel.colour_by.currentText() == "Price"


def test_the_show_filter_shows_the_same_rows_on_the_map(qtbot):
    """"Show: Failed" hid the priced rows from the table but the map still drew them all."""
    page = _done_by_price(qtbot)
    panel = page.results_map
    qtbot.waitUntil(lambda: len(panel.view.sites) == len(SITES), timeout=3000)
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("Priced"))
    assert page.proxy.rowCount() == 4
    qtbot.waitUntil(lambda: sorted(s.row_number for s in panel.view.sites) == [2, 3, 4, 5],
                    timeout=3000)
    # the bands are still the whole batch's: a filter does not make $450 "low"
    assert [e.group for e in panel.legend.entries] == \
        ["Low $200/mo", "Mid $450–$700/mo", "High $1,250.50/mo"]
    page.filter_combo.setCurrentIndex(0)   # All rows
    qtbot.waitUntil(lambda: len(panel.view.sites) == len(SITES), timeout=3000)


def test_a_done_batch_colours_its_sites_by_carrier_when_asked(qtbot):
    page = _page(qtbot)
    for row in (2, 3, 4):
        page.apply_quote_event(_event(row, "complete", offer=offer("500.00", "Zayo")))
    page.apply_quote_event(_event(5, "complete", offer=offer("500.00", "Lumen")))
    for row in (6, 7, 8):
        page.apply_quote_event(_event(row, "failed", error_code="no_coverage", error_message="no"))
    page.apply_batch_event(BatchEvent(batch_id=1, status="complete", counts={"total": 7}))
    panel = page.results_map
    panel.colour_by.setCurrentText("Carrier")
    qtbot.waitUntil(lambda: [e.group for e in panel.legend.entries] ==
                    ["Zayo", "Lumen", "Not priced"], timeout=3000)
    qtbot.waitUntil(lambda: _close(_pixel(page, 2), CARRIER_COLOURS[0]), timeout=3000)
    assert _close(_pixel(page, 5), CARRIER_COLOURS[1])
    assert _close(_pixel(page, 7), STATUS_COLOURS["Not priced"])


def test_clicking_a_dot_selects_its_row_in_the_table(qtbot):
    page = _page(qtbot)
    view = page.results_map.view
    for row in (6, 3, 8):   # Anchorage (an inset), San Francisco, San Juan (an inset)
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.viewport_point_of(row).toPoint())
        selected = page.view.selectionModel().selectedRows()
        assert [page.proxy.index(ix.row(), 0).data() for ix in selected] == [str(row)]
    # a click on the sea selects nothing new
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert [page.proxy.index(ix.row(), 0).data()
            for ix in page.view.selectionModel().selectedRows()] == ["8"]


def test_rows_selected_in_the_table_are_ringed_on_the_map(qtbot):
    page = _page(qtbot)
    ring = "#fde047"
    assert not _close(_pixel(page, 5, dx=5), ring)
    page.show_row(5)
    assert page.results_map.view.highlighted_rows == [5]
    qtbot.waitUntil(lambda: _close(_pixel(page, 5, dx=5), ring), timeout=3000)
    assert _close(_pixel(page, 5), STATUS_COLOURS["Waiting"])   # the dot keeps its colour
    page.view.selectAll()
    assert sorted(page.results_map.view.highlighted_rows) == sorted(SITES)
    page.view.clearSelection()
    assert page.results_map.view.highlighted_rows == []


def test_the_wheel_zooms_about_the_pointer_and_a_double_click_shows_the_whole_map(qtbot):
    page = _page(qtbot)
    view = page.results_map.view
    before = view.transform().m11()
    at = view.viewport_point_of(5).toPoint()
    wheel = QWheelEvent(QPointF(at), QPointF(view.viewport().mapToGlobal(at)), QPoint(0, 0),
                        QPoint(0, 120 * 3), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(wheel)
    assert view.transform().m11() > 1.9 * before
    # the site under the pointer stayed under it (within a few pixels)
    assert (view.viewport_point_of(5).toPoint() - at).manhattanLength() <= 4
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert abs(view.transform().m11() - before) < 1e-6


def test_a_rows_own_latitude_and_longitude_place_it_before_its_zip(qtbot):
    """The sheet's own columns, kept with the row, win over the ZIP's centre."""
    from bulkquote_gui.core.geo.us_states import state_at

    page = ProgressPage(monotonic=lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    anchorage = _view(2, "10001")   # a New York ZIP, but the sheet says Anchorage
    anchorage.original = {"Site": "AK-1", "Latitude": "61.2181", "Longitude": "-149.9003"}
    page.show_batch(1, "sites.csv", "running", {"total": 2}, [anchorage, _view(3, "10001")])
    page.show()
    page.result_tabs.setCurrentWidget(page.results_map)
    qtbot.waitExposed(page.results_map.view)
    qtbot.waitUntil(lambda: len(page.results_map.view.sites) == 2, timeout=10_000)
    placed = {s.row_number: state_at(s.x, s.y).code for s in page.results_map.view.sites}
    assert placed == {2: "AK", 3: "NY"}


def test_rows_queued_again_keep_their_place_on_the_map(qtbot):
    page = ProgressPage(monotonic=lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show_batch(1, "sites.csv", "cancelled", {"total": 2, "cancelled": 2},
                    [_view(2, "10001", "cancelled"), _view(3, "94105", "cancelled")])
    page.show()
    page.rows_requeued("rest")   # Quote the rest, before the map was ever looked at
    page.apply_batch_event(BatchEvent(batch_id=1, status="running", counts={"total": 2}))
    page.result_tabs.setCurrentWidget(page.results_map)
    qtbot.waitExposed(page.results_map.view)
    qtbot.waitUntil(lambda: [(e.group, e.count) for e in page.results_map.legend.entries]
                    == [("Waiting", 2)], timeout=10_000)
    assert sorted(s.row_number for s in page.results_map.view.sites) == [2, 3]


def test_a_done_batch_colours_each_site_by_the_carrier_the_deal_chose(qtbot):
    """The map's legend said Cogent (5), AT&T (2) beside a deal summary and a table of Cogent 4,
    AT&T 4: the map coloured by the recommended option, the rest of the page by the offer the
    deal's rule chose. A site shows the carrier of the offer the table shows."""
    from bulkquote_gui.gui.models.map_sites import MapSites
    from bulkquote_gui.gui.models.results_model import ResultRow
    row = ResultRow(quote_id=1, row_number=2, address="600 Congress Ave, Austin, TX 78701",
                    status="complete", offer=offer("705.00", "Spectrum"),
                    chosen=SimpleNamespace(carrier="AT&T"))
    sites = MapSites()
    sites.add({2: (0.5, 0.5)})
    assert [s.group for s in sites.sites([row], finished=True, colour_by="Carrier")] == ["AT&T"]


def test_a_done_deal_bands_each_site_by_the_mrc_of_the_offer_chosen(qtbot):
    """The offer the table shows (the deal's choice), not the recommended one, sets the band."""
    from decimal import Decimal

    from bulkquote_gui.gui.models.map_sites import MapSites
    from bulkquote_gui.gui.models.results_model import ResultRow
    rows = [ResultRow(quote_id=n, row_number=n, address="", status="complete",
                      offer=offer(mrc, "Spectrum"),
                      chosen=SimpleNamespace(carrier="AT&T", mrc=Decimal(chosen), currency="USD"))
            for n, mrc, chosen in ((2, "100.00", "900.00"), (3, "900.00", "100.00"))]
    sites = MapSites()
    sites.add({2: (0.5, 0.5), 3: (0.6, 0.6)})
    assert [(s.group, s.band) for s in sites.sites(rows, finished=True)] == \
        [("High $900/mo", 2), ("Low $100/mo", 0)]
