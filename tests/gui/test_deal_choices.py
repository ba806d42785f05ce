"""A finished deal's choices in the window (issue 18): the rule bar above the results says which
rule chose; a row's offers (right-click) pick one as the rep's own, stored with their name
through an operation, and the deal summary follows; "Back to the rule" clears it; a new rule
from the bar is stored and recomputes the rest. The real window over a temp store."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from bulkquote_gui.core.deal.rules import Rule
from bulkquote_gui.core.store import choices as choice_store
from bulkquote_gui.gui.models.results_model import COLUMNS

from .conftest import store_batch
from .test_daily_use import open_finished, price_batch
from .test_progress_page import write_sites


def row_cells(window, row_number: int) -> tuple[str, ...]:
    model = window.progress_page.model
    row = model.row_of_sheet_row(row_number)
    return tuple(model.index(row, COLUMNS.index(name)).data()
                 for name in ("Carrier", "MRC", "Provider", "Reason"))


def offers_of(menu) -> list:
    return [a for a in menu.actions() if a.isCheckable()]


def test_the_rep_picks_a_rows_offer_and_gives_it_back_to_the_rule(qtbot, window, context, tmp_path):
    context.settings.rep_name = "Dana"
    batch_id = store_batch(context, path=write_sites(tmp_path / "two.csv", ["100 Congress Ave",
                                                                          "200 Congress Ave"]))
    # Each row: the carrier's price, and "Dearer Co" at twice the MRC.
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 12), ("Zayo", "200.00", "0.00", 12)])
    with qtbot.waitSignal(window.choices.shown, timeout=10_000):
        open_finished(qtbot, window, batch_id)
    bar = window.progress_page.rule_bar
    assert bar.isVisible() and bar.combo.currentText() == "Lowest contract value"
    assert bar.sentence.text() == "Right-click a priced row to pick its offer yourself"
    view = window.progress_page.deal_view
    assert view.text("Total", "MRC / month") == "$300.00"

    menu = window.choices.menu_for(2)
    lumen, dearer = offers_of(menu)
    assert lumen.text() == "1. Momentum / Lumen, 12 mo: $100.00/mo + $0.00, contract $1,200.00"
    assert lumen.isChecked() and not dearer.isChecked()
    assert window.choices.menu_for(99) is None   # not a priced site

    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        dearer.trigger()
    assert view.text("Total", "MRC / month") == "$400.00"   # Dearer Co's 200.00 on row 2
    # The results table shows the chosen offer, and who chose it.
    assert row_cells(window, 2) == ("Dearer Co", "$200.00", "Momentum", "chosen by Dana")
    assert row_cells(window, 3) == ("Zayo", "$200.00", "Momentum", "")
    with context.session_factory() as session:
        (stored,) = choice_store.overrides(session, batch_id).values()
    assert stored.chosen_by == "Dana"
    menu = window.choices.menu_for(2)
    assert offers_of(menu)[1].isChecked()
    back = next(a for a in menu.actions() if a.text().startswith("Back to the rule"))
    assert back.text() == "Back to the rule (chosen by Dana)"

    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        back.trigger()
    assert view.text("Total", "MRC / month") == "$300.00"
    assert row_cells(window, 2) == ("Lumen", "$100.00", "Momentum", "")
    with context.session_factory() as session:
        assert choice_store.overrides(session, batch_id) == {}


def test_a_rule_from_the_bar_is_stored_and_keeps_the_reps_pick(qtbot, window, context, tmp_path):
    batch_id = store_batch(context, path=write_sites(tmp_path / "two.csv", ["100 Congress Ave",
                                                                          "200 Congress Ave"]))
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 12), ("Zayo", "200.00", "0.00", 12)])
    with context.session_factory.begin() as session:
        dearer = choice_store.deal_offers(session, batch_id)[3][1]
        choice_store.set_override(session, batch_id, 3, dearer.option_id, "Erin")
    with qtbot.waitSignal(window.choices.shown, timeout=10_000):
        open_finished(qtbot, window, batch_id)
    bar = window.progress_page.rule_bar
    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        bar.firm_only.setChecked(True)
    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        bar.combo.setCurrentIndex(bar.combo.findData("lowest-mrc"))
    assert (bar.combo.currentData(), bar.firm_only.isChecked()) == ("lowest-mrc", True)
    with context.session_factory() as session:
        rule, _by = choice_store.deal_rule(session, batch_id)
        assert set(choice_store.overrides(session, batch_id)) == {3}
    assert rule == Rule("lowest-mrc", firm_only=True)
    # Row 2 by the rule (Lumen 100.00), row 3 the rep's Dearer Co (400.00).
    assert window.progress_page.deal_view.text("Total", "MRC / month") == "$500.00"
    assert Decimal("500.00") == Decimal("100.00") + dearer.mrc


def test_the_bar_says_what_its_controls_do_not():
    from bulkquote_gui.gui.widgets.rule_bar import bar_sentence

    assert bar_sentence(Rule(prefer=("AT&T",), exclude=("Lumen", "Zayo")), 2) == (
        "AT&T preferred; Lumen, Zayo excluded; 2 sites need review; right-click a priced row "
        "to pick its offer yourself")


def test_a_row_says_how_firm_its_chosen_offer_is():
    from datetime import date

    from bulkquote_gui.core.deal.offers import Offer
    from bulkquote_gui.gui.models.results_model import ResultRow

    row = ResultRow(1, 2, "100 Main St", "complete", valid_until=date(2999, 1, 1))
    row.chosen = Offer(1, "Acme", "Acme", 36, Decimal("1.00"), Decimal("0.00"),
                       level="budgetary", alternate=True)
    row.chosen_note = "needs review"
    assert row.reason() == "budgetary; alternate: review; needs review"


def test_a_carrier_with_an_ampersand_reads_as_written_in_the_menu(qtbot):
    from PySide6.QtWidgets import QWidget

    from bulkquote_gui.core.deal.offers import Offer
    from bulkquote_gui.core.deal.rules import choose
    from bulkquote_gui.gui.widgets.offer_menu import offer_menu

    parent = QWidget()
    qtbot.addWidget(parent)
    att = Offer(7, "Momentum", "AT&T", 36, Decimal("10.00"), Decimal("0.00"))
    menu = offer_menu(parent, 2, [att], choose(Rule(), [att]), lambda *_a: None, lambda *_a: None)
    (action,) = offers_of(menu)
    assert action.text().startswith("1. Momentum / AT&&T, 36 mo")
    assert action.iconText().startswith("1. Momentum / AT&T")   # what is drawn: one "&"


def test_a_carrier_name_is_never_read_as_markup(qtbot):
    from PySide6.QtWidgets import QWidget

    from bulkquote_gui.gui.widgets.rule_bar import RuleBar

    page = QWidget()   # (a bar of its own would be a window, which offscreen Qt warns about)
    qtbot.addWidget(page)
    bar = RuleBar(page)
    bar.show_rule(Rule(prefer=("<b>Acme</b>",)), 0)
    assert bar.sentence.textFormat() == Qt.TextFormat.PlainText
    assert bar.sentence.text().startswith("<b>Acme</b> preferred")


def carrier_menu(bar, title: str):
    """The rule bar's submenu of one carrier, by its title as drawn."""
    found = [a.menu() for a in bar.carriers_menu.actions() if a.iconText() == title]
    assert len(found) == 1, [a.iconText() for a in bar.carriers_menu.actions()]
    return found[0]


def place(bar, carrier_title: str, choice: str) -> None:
    (action,) = [a for a in carrier_menu(bar, carrier_title).actions() if a.text() == choice]
    action.trigger()


def test_the_bars_carriers_are_preferred_and_excluded_as_the_deals_rule(qtbot, window, context,
                                                                         tmp_path):
    batch_id = store_batch(context, path=write_sites(tmp_path / "two.csv", ["100 Congress Ave",
                                                                          "200 Congress Ave"]))
    # Row 2: Lumen 100.00 or Dearer Co 200.00; row 3: Zayo 200.00 or Dearer Co 400.00.
    price_batch(context, batch_id, [("Lumen", "100.00", "0.00", 12), ("Zayo", "200.00", "0.00", 12)])
    with qtbot.waitSignal(window.choices.shown, timeout=10_000):
        open_finished(qtbot, window, batch_id)
    bar = window.progress_page.rule_bar
    assert bar.carriers_button.isVisible() and bar.carriers_button.isEnabled()
    assert [a.iconText() for a in bar.carriers_menu.actions()] == ["Dearer Co", "Lumen", "Zayo"]
    checked = [a.text() for a in carrier_menu(bar, "Lumen").actions() if a.isChecked()]
    assert checked == ["No preference"]
    view = window.progress_page.deal_view
    assert view.text("Total", "MRC / month") == "$300.00"

    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        place(bar, "Lumen", "Exclude")
    assert view.text("Total", "MRC / month") == "$400.00"   # row 2 now Dearer Co's 200.00
    assert row_cells(window, 2)[0] == "Dearer Co"
    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        place(bar, "Dearer Co", "Prefer")
    assert view.text("Total", "MRC / month") == "$600.00"   # Dearer Co on both rows
    with context.session_factory() as session:
        rule, _by = choice_store.deal_rule(session, batch_id)
    assert rule == Rule(prefer=("Dearer Co",), exclude=("Lumen",))
    assert [a.iconText() for a in bar.carriers_menu.actions()] == [
        "Dearer Co: preferred", "Lumen: excluded", "Zayo"]
    assert bar.sentence.text().startswith("Dearer Co preferred; Lumen excluded")

    # Lumen back to no preference; the rule's other parts stay.
    with qtbot.waitSignal(window.daily.deal_shown, timeout=10_000):
        place(bar, "Lumen: excluded", "No preference")
    with context.session_factory() as session:
        rule, _by = choice_store.deal_rule(session, batch_id)
    assert rule == Rule(prefer=("Dearer Co",))


def test_the_carriers_menu_reads_a_carrier_as_written(qtbot):
    from PySide6.QtWidgets import QWidget

    from bulkquote_gui.gui.widgets.rule_bar import RuleBar

    page = QWidget()
    qtbot.addWidget(page)
    bar = RuleBar(page)
    # A carrier the rule names but no offer has (set with `choose`) is listed to be set back.
    bar.show_rule(Rule(exclude=("Lumen",)), 0, {"AT&T", "zayo"})
    assert [a.iconText() for a in bar.carriers_menu.actions()] == [
        "AT&T", "zayo", "Lumen: excluded"]
    with qtbot.waitSignal(bar.rule_changed) as changed:
        place(bar, "AT&T", "Prefer")
    assert changed.args == [Rule(prefer=("AT&T",), exclude=("Lumen",))]
    # Preferring an excluded carrier moves it: never both.
    with qtbot.waitSignal(bar.rule_changed) as changed:
        place(bar, "Lumen: excluded", "Prefer")
    assert changed.args == [Rule(prefer=("Lumen",))]


def test_the_provider_column_shows_when_the_chosen_offers_come_from_two_providers(
        qtbot, window, context):
    """One batch of a deal is one provider's, but the table shows each site's chosen offer,
    which may be another provider's: the Provider column follows the offers shown."""
    from sqlalchemy import update

    from bulkquote_gui.core.store import engine as engine_store
    from bulkquote_gui.core.store.models import BatchJob
    from bulkquote_gui.gui.models.results_model import PROVIDER_COLUMN
    from tests.helpers.deals import make_deal

    sf = context.session_factory
    sonata, momentum = make_deal(sf)
    with engine_store.in_transaction(sf) as session:
        session.execute(update(BatchJob).where(BatchJob.id.in_([sonata, momentum]))
                        .values(status="complete"))
    with qtbot.waitSignal(window.choices.shown, timeout=10_000):
        open_finished(qtbot, window, momentum)
    view = window.progress_page.view
    assert view.isColumnHidden(PROVIDER_COLUMN)      # the rule chose Momentum's Lumen twice
    with sf() as session:
        acme_12 = choice_store.deal_offers(session, sonata)[2][0]
    with engine_store.in_transaction(sf) as session:
        choice_store.set_override(session, sonata, 2, acme_12.option_id, "Dana")
    with qtbot.waitSignal(window.choices.shown, timeout=10_000):
        open_finished(qtbot, window, momentum)
    assert not view.isColumnHidden(PROVIDER_COLUMN)
    assert row_cells(window, 2)[:3] == ("Acme", "$700.00", "Acme Sonata")
