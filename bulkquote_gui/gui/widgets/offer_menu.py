"""A site's offers as a menu (the results table's right-click): each offer like for like, the
chosen one checked, and "Back to the rule" when the rep chose it by hand. Picking emits through
the callbacks it is given; the menu holds no work."""

from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from bulkquote_gui.core.deal.offers import Offer
from bulkquote_gui.core.deal.rules import Choice
from bulkquote_gui.gui.models.results_model import format_money


def offer_text(number: int, offer: Offer) -> str:
    """"2. Momentum / Lumen, 36 mo: $650.00/mo + $0.00, contract $23,400.00 (estimate)"."""
    caveat = f" ({offer.caveat()})" if offer.caveat() else ""
    access = f", {offer.access}" if offer.access else ""
    return (f"{number}. {offer.provider} / {offer.carrier}, {offer.term_months} mo: "
            f"{format_money(offer.mrc, offer.currency)}/mo + {format_money(offer.nrc, offer.currency)}, "
            f"contract {format_money(offer.contract_value, offer.currency)}{access}{caveat}")


def offer_menu(parent: QWidget, row_number: int, offers: list[Offer], choice: Choice,
               pick: Callable[[int, int], None], clear: Callable[[int], None]) -> QMenu:
    """The menu of the site on sheet row `row_number`: `pick(row, option_id)`, `clear(row)`."""
    menu = QMenu(parent)
    menu.setObjectName("offerMenu")
    title = menu.addAction(f"Row {row_number}: choose its offer")
    title.setEnabled(False)
    chosen = choice.offer.option_id if choice.offer else None
    for number, offer in enumerate(offers, 1):
        # "&" marks a menu's shortcut key: AT&T would read "AT_T" with the T underlined.
        action = QAction(offer_text(number, offer).replace("&", "&&"), menu)
        action.setCheckable(True)
        action.setChecked(offer.option_id == chosen)
        action.triggered.connect(lambda _on=False, o=offer: pick(row_number, o.option_id))
        menu.addAction(action)
    if choice.chosen_by != "rule":
        menu.addSeparator()
        back = menu.addAction(f"Back to the rule (chosen by {choice.chosen_by})".replace("&", "&&"))
        back.triggered.connect(lambda _on=False: clear(row_number))
    return menu
