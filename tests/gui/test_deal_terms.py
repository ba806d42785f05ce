"""The upload page asks terms beside the default one (issue 18), through the real window over a
temp store and the simulator on loopback: unticked, a submit is one batch as always; with a
term ticked, what it will cost is shown first and the submit stores a deal of one batch per
Momentum term, each quoted to the end by the window's engine."""

from __future__ import annotations

from PySide6.QtCore import Qt

from bulkquote_gui.core.states import BatchStatus
from bulkquote_gui.core.store import deals as deal_store

from .conftest import SAMPLE


def load(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(path)


def cost_text(window) -> str:
    return window.upload_page.actions.deal_terms.estimate_label.text()


def cost_details(window) -> str:
    return window.upload_page.actions.deal_terms.estimate_label.toolTip()


def test_a_term_ticked_shows_its_cost_and_submits_a_deal(qtbot, window):
    load(qtbot, window, SAMPLE)                        # 21 quotable sites, default term 36
    terms = window.upload_page.actions.deal_terms
    assert not any(box.isChecked() for box in terms.boxes.values())
    qtbot.waitUntil(lambda: "21 quotes" in cost_text(window), timeout=20_000)
    # One line on the page (Submit stays in sight under it), the details in its tooltip.
    assert cost_text(window) == ("What it will cost: Momentum: 21 quotes, time unknown yet; "
                                 "in all: 21 quotes, time unknown yet")
    assert cost_details(window) == (
        "What it will cost:\nMomentum: 21 quotes (21 sites, 1 term), time unknown yet (no quote "
        "from Momentum has finished here)\nin all: 21 quotes, time unknown yet")

    terms.boxes[12].setChecked(True)
    qtbot.waitUntil(lambda: "42 quotes" in cost_text(window), timeout=20_000)
    assert "Momentum: 42 quotes (21 sites, 2 terms)" in cost_details(window)

    with qtbot.waitSignal(window.batch_opened, timeout=20_000) as opened:
        qtbot.mouseClick(window.upload_page.submit_button, Qt.MouseButton.LeftButton)
    first = opened.args[0]
    sf = window.context.session_factory

    def statuses() -> list[str]:
        with sf() as session:
            return [b.status for b in deal_store.deal_batches(session, first)]

    qtbot.waitUntil(lambda: statuses() == [BatchStatus.COMPLETE] * 2, timeout=120_000)
    with sf() as session:
        batches = deal_store.deal_batches(session, first)
        assert [(b.id, b.deal_id, b.term_months, b.terms, b.total) for b in batches] == [
            (first, first, 36, None, 21), (first + 1, first, 12, None, 21)]
        assert len(deal_store.quote_seconds(session, None)) > 0   # the quotes' times, kept
    # The next file asks the default term alone again, and its cost now has a time.
    window.show_upload()
    load(qtbot, window, SAMPLE)
    assert not terms.boxes[12].isChecked()
    qtbot.waitUntil(lambda: "21 quotes" in cost_text(window) and "about" in cost_text(window),
                    timeout=20_000)


def test_the_default_term_is_not_offered_again(qtbot, window):
    """"Also ask for 36 months" beside a default term of 36 months asked nothing more."""
    load(qtbot, window, SAMPLE)
    terms = window.upload_page.actions.deal_terms
    defaults = window.upload_page.defaults_panel
    assert window.upload_page.defaults().term_months == 36
    assert [t for t, box in terms.boxes.items() if not box.isHidden()] == [12, 24, 60]
    terms.boxes[12].setChecked(True)
    defaults.term.setCurrentIndex(defaults.term.findData(12))   # 12 months is the default now
    qtbot.waitUntil(lambda: terms.boxes[12].isHidden())
    assert not terms.boxes[12].isChecked() and not terms.boxes[36].isHidden()
    assert terms.terms(12) == (12,)
