"""Issue 15: what the screenshots at 1440x900 and 1024x576 showed out of place on the pages."""

from __future__ import annotations

import pytest

from bulkquote_gui.gui.progress_page import ProgressPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()


def gap_above_the_cards(page: ProgressPage) -> int:
    cards = next(iter(page.cards.values()))
    bar_bottom = max(w.mapTo(page, w.rect().bottomLeft()).y() + 1
                     for w in (page.progress, page.percent_label))  # the bar's row
    return cards.mapTo(page, cards.rect().topLeft()).y() - bar_bottom


def test_a_finished_batch_has_no_blank_line_between_its_bar_and_its_cards(qtbot):
    """The time-left line is blank once a batch is over: it took a line's room (and two spacings)
    of a 576 px high screen, an empty band under the bar."""
    page = ProgressPage(lambda: 0.0)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    counts = {"total": 21, "complete": 8, "pending": 13}
    page.show_batch(1, "sites.csv", "running", counts, [])
    qtbot.waitUntil(lambda: page.eta_label.isVisible())
    running = gap_above_the_cards(page)
    page.show_batch(1, "sites.csv", "complete", {"total": 21, "complete": 21}, [])
    qtbot.waitUntil(lambda: gap_above_the_cards(page) < running)
    spacing = page.layout().spacing()
    assert gap_above_the_cards(page) <= spacing + 1
    page.show_batch(1, "sites.csv", "cancelled", {"total": 21, "complete": 19, "cancelled": 2}, [])
    qtbot.wait(50)
    assert gap_above_the_cards(page) <= spacing + 1
