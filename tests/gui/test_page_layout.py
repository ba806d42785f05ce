"""Issue 15: what the screenshots at 1440x900 and 1024x576 showed out of place on the pages."""

from __future__ import annotations

import pytest

from bulkquote_gui.gui.pages.progress_page import ProgressPage

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
