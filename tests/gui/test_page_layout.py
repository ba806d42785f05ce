"""Issue 15: what the screenshots at 1440x900 and 1024x576 showed out of place on the pages."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from bulkquote_gui.gui.pages.progress_page import ProgressPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()


def test_a_finished_batch_shows_neither_its_bar_nor_its_cards(qtbot):
    """Once a batch is over its bar and count cards say no more than its banner (or its deal
    summary), and took the table's rows at 1024x576: they show while it runs, under the
    buttons, so the buttons never move when they come or go."""
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    page.show_batch(1, "sites.csv", "running", {"total": 21, "complete": 8, "pending": 13}, [])
    qtbot.waitUntil(lambda: page.eta_label.isVisible())
    assert page.progress.isVisible() and all(c.isVisible() for c in page.cards.values())
    buttons = page.button_row.pos()
    for status, counts in (("complete", {"total": 21, "complete": 21}),
                           ("cancelled", {"total": 21, "complete": 19, "cancelled": 2})):
        page.show_batch(1, "sites.csv", status, counts, [])
        qtbot.waitUntil(lambda: not page.progress.isVisible())
        assert not any(c.isVisible() for c in page.cards.values())
        assert page.done_banner.isVisible() and "sites priced" in page.done_banner.text()
        assert page.button_row.pos() == buttons


def test_a_short_window_shows_more_of_the_results_table(qtbot, window):
    """At 1024x576 (1280x720 at 125 %) the four count cards, caption over number, left the table
    little more than a row: on a short window they take one line each."""
    page = window.progress_page
    window.resize(1360, 860)
    window.pages.setCurrentWidget(page)
    page.show_batch(1, "sites.csv", "running", {"total": 21, "complete": 8, "pending": 13}, [])
    qtbot.waitUntil(lambda: page.view.isVisible())
    tall = {key: card.height() for key, card in page.cards.items()}
    window.resize(1024, 540)
    qtbot.waitUntil(lambda: all(card.height() < tall[key] - 20 for key, card in page.cards.items()))
    for card in page.cards.values():  # both still whole, side by side
        assert card.caption.isVisible() and card.value_label.height() >= card.value_label.sizeHint().height()
    window.resize(1360, 860)
    qtbot.waitUntil(lambda: all(card.height() == tall[key] for key, card in page.cards.items()))


def _sample_rows(providers: tuple[str, ...]) -> list:
    """The sample file's sites as a finished batch's rows, priced in turn by `providers`."""
    import csv
    from bulkquote_gui.core.store.views import RowView
    from tests.helpers.fakes import offer
    from pathlib import Path
    with open(Path(__file__).resolve().parents[2] / "resources" / "sample_sites.csv", newline="") as f:
        sites = list(csv.DictReader(f))
    return [RowView(quote_id=n, row_number=n + 2, status="complete",
                    address=f"{s['Street Address']} {s['Suite']}, {s['City']}, {s['State']} {s['ZIP']}",
                    offer=offer("705.00", "Comcast Business"), error_code=None, error_message=None,
                    attempts=1, provider=providers[n % len(providers)])
            for n, s in enumerate(sites)]


@pytest.mark.parametrize("providers", [("Momentum",), ("Momentum", "Demo Sonata seller")])
def test_the_results_table_fits_a_1440_px_window_without_scrolling_sideways(qtbot, window, providers):
    """The Provider column (issue 17) pushed Reason past the right edge at 1440x900: the table
    scrolled sideways on every batch. Provider shows only when the batch has two providers, and
    the columns leave Reason its minimum even then."""
    from bulkquote_gui.gui.models.results_model import PROVIDER_COLUMN, REASON_COLUMN
    from bulkquote_gui.gui.pages.progress_page import ERROR_MIN
    page = window.progress_page
    window.resize(1440, 860)
    window.pages.setCurrentWidget(page)
    page.show_batch(4, "sample_sites.csv", "complete", {"total": 21, "complete": 21},
                    _sample_rows(providers))
    qtbot.waitUntil(lambda: page.view.isVisible())
    qtbot.wait(50)
    assert page.view.isColumnHidden(PROVIDER_COLUMN) == (len(providers) == 1)
    assert page.view.horizontalScrollBar().maximum() == 0
    assert page.view.columnWidth(REASON_COLUMN) >= ERROR_MIN


def _ink(page: ProgressPage, column: int) -> list[list[bool]]:
    """The header section `column` as rows of "inked" pixels (text or arrow, not background)."""
    header = page.view.horizontalHeader()
    x, width = header.sectionViewportPosition(column), header.sectionSize(column)
    image = header.viewport().grab().toImage()
    background = image.pixelColor(x + 3, 3).lightness()
    return [[abs(image.pixelColor(x + i, y).lightness() - background) > 60 for i in range(3, width - 3)]
            for y in range(1, image.height() - 2)]   # (the section's border lines left out)


def _runs(flags: list[bool]) -> int:
    return sum(1 for i, on in enumerate(flags) if on and (i == 0 or not flags[i - 1]))


def test_the_sort_arrow_does_not_run_over_a_right_aligned_header(qtbot):
    """At 1440x900 the sorted "Row" header read "Ro▾": the arrow sat on the "w", as it would on
    "MRC" or "Install" sorted. The arrow now stands above the header's text, which stays whole."""
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1440, 700)
    page.show()
    page.show_batch(1, "sites.csv", "complete", {"total": 21, "complete": 21}, _sample_rows(("M",)))
    qtbot.waitUntil(lambda: page.view.isVisible())
    for column in (0, 4):   # Row and MRC: right-aligned as their numbers
        page.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        plain = _ink(page, column)
        page.view.sortByColumn(column, Qt.SortOrder.AscendingOrder)
        sorted_ = _ink(page, column)
        assert _runs([any(row) for row in sorted_]) == 2   # the arrow's lines, then the text's
        text_columns = [any(col) for col in zip(*plain)]
        text_rows = [row for row, on in zip(sorted_, [any(r) for r in plain]) if on]
        assert sum(any(col) for col in zip(*text_rows)) == sum(text_columns)   # not clipped


def test_a_combo_box_keeps_its_arrow_at_its_right_edge(qtbot):
    """A style sheet edit once moved every combo's chevron to the top centre, over its text."""
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    page.show()
    combo = page.filter_combo
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    arrow = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxArrow, combo)
    assert arrow.right() >= combo.width() - 12 and arrow.left() >= combo.width() - 40


def test_the_batch_buttons_stay_on_one_line_on_a_small_laptop(qtbot):
    """Compare with… and Create proposal… made the right group four buttons: at 1280x720 and
    125 % (1024 px) the row wrapped, the right group under the left, a line the table lost. Too
    wide at their usual paddings, the buttons take narrower ones and keep to one line."""
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1024, 560)
    page.show()
    page.show_batch(1, "sites.csv", "complete", {"total": 21, "complete": 21}, _sample_rows(("M",)))
    qtbot.waitUntil(lambda: page.button_row.isVisible())
    qtbot.wait(50)
    assert page.button_row.is_one_line()
    buttons = page.button_row.findChildren(QPushButton)
    assert all(b.width() >= b.fontMetrics().horizontalAdvance(b.text().replace("&", "")) + 12
               for b in buttons)   # every label whole
    page.resize(1440, 700)
    qtbot.waitUntil(lambda: all(b.property("tight") is not True for b in buttons))
    assert page.button_row.is_one_line()


def test_the_reason_filter_sits_whole_beside_the_tabs(qtbot):
    """The filter took a line of its own above the tabs (a row of the table at 1024x576). Beside
    them it is whole (Qt cuts a corner widget to the tab bar's height), and no base line runs
    above the tabs to stop short where it starts (seen on Xvfb at 1440x900)."""
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1440, 700)
    page.show()
    page.show_batch(1, "sites.csv", "complete", {"total": 21, "complete": 21}, _sample_rows(("M",)))
    qtbot.waitUntil(lambda: page.filter_combo.isVisible())
    bar, combo = page.result_tabs.tabBar(), page.filter_combo
    top = combo.mapTo(page, combo.rect().topLeft()).y()
    assert abs(top - bar.mapTo(page, bar.rect().topLeft()).y()) <= bar.height()
    assert combo.height() >= combo.sizeHint().height()
    assert combo.parentWidget().height() >= combo.height()
    assert not bar.drawBase()


def test_a_deal_s_summary_line_does_not_add_one_batch_s_failures(qtbot):
    """A deal's summary counts the sites every batch priced: beside it, the failures of the batch
    shown read "20 priced sites, 2 failed" of 21 sites (seen on Xvfb at 1280x720). A batch alone
    says its failures there (its banner gives way to the summary)."""
    from bulkquote_gui.gui.operations.batches import DealShape
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    counts = {"total": 21, "complete": 19, "failed": 2}
    page.show_batch(1, "sites.csv", "complete", counts, [])
    assert page.deal_view.failed == 2
    page.show_batch(2, "sites.csv", "complete", counts, [], deal=DealShape(1, 2, 2))
    assert page.deal_view.failed == 0
