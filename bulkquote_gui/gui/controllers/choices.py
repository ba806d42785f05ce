"""A finished deal's choices in the window (issue 18): the rule bar above the results, and a
row's offers on right-click, picking one as the rep's own choice or giving the site back to the
rule. A controller (gui/controllers/): given its page and operations, it talks back through
signals; every read and command is an operation (gui/operations/choices.py), its answer dropped
when another batch is shown meanwhile. After a change the deal summary is read again
(`summary_stale`), so the totals follow the choices."""

from __future__ import annotations

import getpass
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QMenu

from bulkquote_gui.core.deal.rules import Choice, Rule
from bulkquote_gui.core.states import BATCH_FINISHED
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.operations import choices
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.offer_menu import offer_menu


def _note(choice: Choice) -> str:
    """What the results table's reason says of a site's choice ("" for the rule's firm pick)."""
    if choice.offer is None:
        return f"nothing chosen: {choice.reason}"
    if choice.needs_review:
        return "needs review"
    return "" if choice.chosen_by == "rule" else f"chosen by {choice.chosen_by}"


class Choices(QObject):
    shown = Signal(int)           # the rule bar shows this batch's deal
    summary_stale = Signal(int)   # a choice changed: the batch's deal summary is to be read again

    def __init__(self, page: ProgressPage, feedback: Feedback, context: Any,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._page = page
        self._feedback = feedback
        self._context = context
        self.deal: choices.Deal | None = None
        self._batch_id: int | None = None   # the batch self.deal was read for
        page.finished.connect(lambda batch_id, _status: self.read(batch_id))
        page.rule_bar.rule_changed.connect(self.set_rule)
        page.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        page.view.customContextMenuRequested.connect(self._menu_at)

    def batch_opened(self, batch_id: int) -> None:
        self.deal = self._batch_id = None
        if self._page.status in BATCH_FINISHED:
            self.read(batch_id)

    def other_batch_finished(self, batch_id: int, _status: str) -> None:
        """Another batch finished while a finished one is shown: it may be of the same deal
        (issue 18 quotes a deal's batches at once), so the rule bar and summary are read again
        to cover it; the deal is read whole, whichever of its batches is shown."""
        shown = self._page.batch_id
        if shown is not None and shown != batch_id and self._page.status in BATCH_FINISHED:
            self.read(shown)
            emit(self.summary_stale, shown)

    def read(self, batch_id: int) -> None:
        choices.read(self, self._context.session_factory, batch_id).success(
            lambda deal: self._show(batch_id, deal)).failure(self._failed).run()

    def _show(self, batch_id: int, deal: choices.Deal | None) -> None:
        if deal is None or self._page.batch_id != batch_id:
            return   # another batch is shown now
        self.deal, self._batch_id = deal, batch_id
        review = sum(c.needs_review for c in deal.choices.values())
        carriers = {o.carrier for offers in deal.offers.values() for o in offers}
        self._page.rule_bar.show_rule(deal.rule, review, carriers)
        self._page.model.show_chosen({row: (c.offer, _note(c)) for row, c in deal.choices.items()})
        self._page.show_provider_column()
        emit(self.shown, batch_id)

    def _changed(self, batch_id: int, deal: choices.Deal | None) -> None:
        self._show(batch_id, deal)
        if self._page.batch_id == batch_id:
            emit(self.summary_stale, batch_id)

    def _failed(self, message: str) -> None:
        self._feedback.say(f"Could not read or change the deal's choices: {message}", 10000)

    def _rep(self) -> str:
        name = self._context.settings.rep_name.strip()
        if name:
            return name
        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "the rep"

    # ------------------------------------------------------------ commands
    def _run(self, make: Any) -> None:
        if self.deal is None:
            return
        batch_id = self._batch_id
        make(self.deal.deal_id).success(lambda deal: self._changed(batch_id, deal)).failure(
            self._failed).run()

    def set_rule(self, rule: Rule) -> None:
        sf = self._context.session_factory
        self._run(lambda deal_id: choices.set_rule(self, sf, deal_id, rule, self._rep()))

    def pick(self, row_number: int, option_id: int) -> None:
        sf = self._context.session_factory
        self._run(lambda deal_id: choices.choose_offer(self, sf, deal_id, row_number, option_id,
                                                       self._rep()))

    def clear(self, row_number: int) -> None:
        sf = self._context.session_factory
        self._run(lambda deal_id: choices.clear_choice(self, sf, deal_id, row_number))

    # ------------------------------------------------------------ the row's menu
    def menu_for(self, row_number: int) -> QMenu | None:
        """The site's offers as a menu (None: not a priced site of the deal shown)."""
        deal = self.deal
        if deal is None or row_number not in deal.offers:
            return None
        return offer_menu(self._page.view, row_number, deal.offers[row_number],
                          deal.choices[row_number], self.pick, self.clear)

    def _menu_at(self, pos: QPoint) -> None:
        index = self._page.view.indexAt(pos)
        if not index.isValid():
            return
        row = self._page.model.row_at(self._page.proxy.mapToSource(index).row())
        menu = self.menu_for(row.row_number)
        if menu is not None:
            menu.exec(self._page.view.viewport().mapToGlobal(pos))
            menu.deleteLater()
