"""The Settings dialog and what a change in it sets off: new batch defaults on the start page,
the recent jobs read again for a new rep name, the engine reconnected for new connection
settings (once the running batch stops)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from bulkquote_gui.gui.controllers.engine_link import EngineLink
from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.gui.pages.upload_page import UploadPage
from bulkquote_gui.gui.qt_compat import emit


# The logo files a proposal takes (core/deal/logo.py).
LOGO_FILTER = "Pictures (*.png *.jpg *.jpeg)"


class SettingsController(QObject):
    rep_renamed = Signal()   # "Mine" in the recent jobs is the batches under the rep's name

    def __init__(self, context: Any, dialogs: Any, upload_page: UploadPage, engine: EngineLink,
                 dialog_parent: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._dialogs = dialogs
        self._upload = upload_page
        self._engine = engine
        self._dialog_parent = dialog_parent
        upload_page.actions.provider_chosen.connect(self.choose_provider)
        engine.connected.connect(lambda _connection: self.refresh_providers())

    def open_settings(self) -> None:
        dialog = SettingsDialog(self._context.settings, parent=self._dialog_parent,
                                choose_logo=lambda: self._dialogs.open_file(
                                    "Choose your company's logo", LOGO_FILTER))
        dialog.providers_requested.connect(  # plain http:// as ticked, even before Save
            lambda: self.open_providers(dialog, allow_insecure_http=dialog.insecure_check.isChecked()))
        accepted = self._dialogs.run(dialog)
        dialog.deleteLater()
        if not accepted or dialog.result_settings is None:
            return
        old, new = self._context.settings, dialog.result_settings
        self._context.settings = new
        self._context.save_settings(new)
        if old.rep_name != new.rep_name:
            emit(self.rep_renamed)
        if (old.default_bandwidth_mbps, old.default_term_months, old.default_product, old.default_company) != \
                (new.default_bandwidth_mbps, new.default_term_months, new.default_product, new.default_company):
            self._upload.defaults_panel.set_defaults(new.batch_defaults())
            self._upload.apply_defaults(new.batch_defaults())
        # (the rep's name and e-mail are a Sonata seller's buyer contact, in its client)
        if (old.poll_interval_s, old.quote_timeout_s, old.allow_insecure_http, old.rep_name,
                old.rep_email) != (new.poll_interval_s, new.quote_timeout_s,
                                   new.allow_insecure_http, new.rep_name, new.rep_email):
            self._engine.reconnect_when_idle()


    def refresh_providers(self) -> None:
        """The upload page's choice of provider, read again (off the GUI thread)."""
        from bulkquote_gui.gui.operations import providers as provider_ops

        def show(found: list[Any]) -> None:
            connection = self._engine.connection
            offered = connection.choices if connection is not None else ()
            self._upload.actions.set_providers([p.name for p in found] + list(offered),
                                               self._engine.shown_provider())
            self._upload.actions.set_also(self._engine.other_lines())
        provider_ops.load(self, self._context.session_factory).success(show).run()

    def choose_provider(self, name: str) -> None:
        """The rep picked another provider: kept in Settings (a demo seller only for this
        session: it never reaches a real configuration), the engine reconnected to it."""
        if name == self._engine.shown_provider():
            return
        connection = self._engine.connection
        if connection is not None and name in connection.choices:
            self._engine.demo_choice = name
        else:
            self._engine.demo_choice = None
            self._context.settings.provider_name = name
            self._context.save_settings(self._context.settings)
        self._engine.reconnect_when_idle()

    def open_providers(self, parent: QWidget | None = None, *,
                       allow_insecure_http: bool | None = None) -> None:
        """Settings → Providers; a provider added, changed or removed reconnects the engine."""
        from bulkquote_gui.gui.dialogs.providers_dialog import ProvidersDialog

        if allow_insecure_http is None:
            allow_insecure_http = self._context.settings.allow_insecure_http
        dialog = ProvidersDialog(self._context.session_factory,
                                 allow_insecure_http=allow_insecure_http,
                                 confirm=self._dialogs.confirm,
                                 parent=parent or self._dialog_parent)
        dialog.changed.connect(self._engine.reconnect_when_idle)
        dialog.changed.connect(self.refresh_providers)
        self._dialogs.run(dialog)
        dialog.deleteLater()


def may_quit(upload_page: UploadPage, engine: EngineLink, dialogs: Any) -> bool:
    """Ctrl+Q, the window's close button: asked first when something would be lost or stop."""
    running = engine.busy()
    if upload_page.preview.has_fixes and upload_page.result is not None:
        name = Path(upload_page.result.path).name
        return dialogs.confirm(
            "Quit and lose your fixes?",
            f"The cells you fixed in {name} are kept only in this window: they are lost when "
            "BulkQuote closes. Submit the batch to keep them."
            + (" The running batch stops where it is and carries on the next time you open "
               "BulkQuote." if running else ""),
            accept="Quit and lose them", reject="Go back", destructive=True)
    if running:
        return dialogs.confirm(
            "A batch is running",
            "Quit now? The batch stops where it is and carries on by itself the next time "
            "you open BulkQuote. No quote is lost or sent twice.",
            accept="Quit and resume later", reject="Keep running")
    return True
