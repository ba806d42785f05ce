"""What the upload page's submit will cost (issue 18): read again, off the GUI thread, when the
file, its quotable rows, the terms ticked, the default term or the providers change; only the
newest answer is shown."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from bulkquote_gui.core.deal.asks import BadAsk, plan_batches
from bulkquote_gui.gui.controllers.engine_link import EngineLink
from bulkquote_gui.gui.operations import Latest
from bulkquote_gui.gui.operations import deals as deal_ops
from bulkquote_gui.gui.pages.upload_page import UploadPage


class DealCost(QObject):
    def __init__(self, upload_page: UploadPage, context: Any, engine: EngineLink,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._upload = upload_page
        self._context = context
        self._engine = engine
        self._latest = Latest()
        self._terms = upload_page.actions.deal_terms
        self._terms.changed.connect(self.refresh)
        upload_page.actions.also_changed.connect(self.refresh)
        upload_page.loaded.connect(lambda _result: self.refresh())
        upload_page.model.counts_changed.connect(lambda _counts: self.refresh())
        upload_page.defaults_panel.defaults_changed.connect(lambda *_: self.refresh())
        engine.connected.connect(lambda _connection: self.refresh())

    def terms(self) -> tuple[int, ...]:
        """The terms a submit asks now: the default term, then those ticked."""
        return self._terms.terms(self._upload.defaults().term_months)

    def providers(self) -> tuple[Any, ...]:
        """The providers a submit asks now: the chosen one, then those ticked in "Also ask"
        (EngineLink.asked_lines)."""
        return self._engine.asked_lines(self._upload.actions.also())

    def quotes_per_site(self) -> int:
        """Each site's quotes in the submit (core/deal/asks.plan_batches: a batch per Sonata
        seller, one per Momentum term); without the connection's providers, Momentum's."""
        providers = self.providers()
        if not providers:
            return len(self.terms())
        try:
            return len(plan_batches([(p.provider_name, p.kind) for p in providers], self.terms()))
        except BadAsk:
            return 1   # the cost line says why; the submit refuses it

    def refresh(self) -> None:
        self._upload.actions.set_quotes_per_site(self.quotes_per_site())
        self._upload.refresh_submit()
        sites = self._upload.quotable_count() if self._upload.result is not None else 0
        if not sites:
            self._latest.cancel()
            self._terms.show_estimate([])
            return
        self._latest.run(deal_ops.cost(self, self._context.session_factory,
                                       provider_name=self._engine.provider_name(), sites=sites,
                                       terms=self.terms(), providers=self.providers())
                         .success(lambda lines: self._terms.show_estimate(*lines))
                         .failure(lambda _message: self._terms.show_estimate([])))
