"""The main window, a composition root: it builds the menu, the banners, the upload page and one
batch's progress page, makes the controllers (gui/controllers/, one noun each) and wires their
signals. The work is in the controllers; the window only routes.

The window never waits on the store: every read for the views and every command is an
operation (gui/operations/) that runs off the GUI thread and hands its answer back, so a shared
database across a slow network never freezes the window.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (QFrame, QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget)

from bulkquote_gui.gui import operations
from bulkquote_gui.gui.widgets.busy_status import BusyIndicator
from bulkquote_gui.gui.context import AppContext
from bulkquote_gui.gui.controllers import geometry, startup
from bulkquote_gui.gui.controllers.batch_commands import BatchCommands
from bulkquote_gui.gui.controllers.engine_events import EngineEvents
from bulkquote_gui.gui.controllers.engine_link import EngineLink
from bulkquote_gui.gui.controllers.exports import Exports
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.controllers.jobs import Jobs, Resumer
from bulkquote_gui.gui.controllers.menus import PROGRESS, UPLOAD, MenuCommands, WindowMenus
from bulkquote_gui.gui.controllers.settings import SettingsController, may_quit
from bulkquote_gui.gui.controllers.window_store import WindowStore
from bulkquote_gui.gui.controllers.comparisons import Comparisons
from bulkquote_gui.gui.controllers.choices import Choices
from bulkquote_gui.gui.controllers.daily_use import DailyUse
from bulkquote_gui.gui.dialogs.questions import Dialogs
from bulkquote_gui.gui.operations.account import Unblock
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.style import app_icon
from bulkquote_gui.gui.pages.upload_page import UploadPage
from bulkquote_gui.gui.widgets.blocks import Banner, CurrentPageStack
from bulkquote_gui.gui.widgets.tray import make_tray

HEADLESS_PLATFORMS = ("offscreen", "minimal")  # no window manager: raise() only warns
DEMO_TEXT = ("<b>Demo mode</b> — quotes come from BulkQuote's built-in simulators (Momentum and a "
             "MEF Sonata seller); prices are made up. Add a provider in Settings → Providers to "
             "quote for real.")


class MainWindow(QMainWindow):
    # The controllers' news, relayed so a caller (tests, app.py) listens to the window alone.
    batch_opened = Signal(int)           # the progress page now shows this batch
    batch_submitted = Signal(int)        # a batch was stored from the preview
    batch_finished = Signal(int, str)    # complete or cancelled (the rep was alerted)
    exported = Signal(str, int)          # path, rows written
    cleaned_exported = Signal(str)       # the cleaned-addresses CSV was written (its path)
    fix_list_exported = Signal(str, int) # a fix list was written: path, rows to fix
    task_failed = Signal(str)            # a background task's message, as shown to the rep
    quote_shown = Signal(object)         # a QuoteEvent, after the page showed it (GUI thread)
    jobs_shown = Signal()                # the recent jobs list was read and shown
    commanded = Signal(str, int)         # a command on a batch was carried out: name, batch id
    wait_shown = Signal(object)          # a WaitEvent, after the page showed (or hid) it

    def __init__(self, context: AppContext, *, dialogs: Dialogs | None = None,
                 unblock: Unblock | None = None) -> None:
        super().__init__()
        self.context = context
        self.dialogs = dialogs or Dialogs(self, db_url=_store_url(context))
        self.store = WindowStore()
        self._shut_down = False
        self._warm_up: operations.Operation[None] | None = None
        self._source_paths: dict[int, Path] = {}  # batch -> the file it came from (this session)
        self.setWindowTitle("BulkQuote")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(*geometry.MINIMUM_SIZE)
        self._build_banners()
        self._build_pages()
        self._build_central()
        self._build_controllers(unblock)
        self.menus = WindowMenus(self, self.pages, self.upload_page, self.progress_page, MenuCommands(
            open_file=self.open_file_dialog, new_batch=self.show_upload, export=self.exports.export_batch,
            settings=self.settings.open_settings, quit=self.close, about=self._about))
        for name in WindowMenus.ACTIONS:  # the window's actions, as callers and tests know them
            setattr(self, name, getattr(self.menus, name))
        geometry.restore_geometry(self, self.store)
        self.engine.connect_engine()
        self._sync_actions()

    # ------------------------------------------------------------------ construction
    def _build_banners(self) -> None:
        self.demo_banner = Banner("demoBanner", DEMO_TEXT, action="Open Settings…")
        self.warning_banner = Banner("demoBanner", "", action="Open Settings…")
        self.warning_banner.hide()
        self.resume_banner = Banner("infoBanner", "", action="Show")
        self.resume_banner.hide()

    def _build_pages(self) -> None:
        self.upload_page = UploadPage(self.context.settings.batch_defaults())
        self.upload_page.database_url = _store_url(self.context)   # never read as a sheet
        self.upload_page.browse_requested.connect(self.open_file_dialog)
        self.upload_page.load_failed.connect(
            lambda message: self.dialogs.error("Cannot open the spreadsheet", message))
        self.upload_page.loaded.connect(lambda _r: self._sync_actions())
        self.upload_page.busy_changed.connect(lambda _b: self._sync_actions())
        self.progress_page = ProgressPage(self.context.clock.monotonic)
        self.progress_page.back_requested.connect(self.show_upload)
        self.progress_page.state_changed.connect(self._sync_actions)
        self.pages = CurrentPageStack()
        self.pages.addWidget(self.upload_page)
        self.pages.addWidget(self.progress_page)
        self.pages.currentChanged.connect(lambda _i: self._sync_actions())

    def _build_central(self) -> None:
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.demo_banner)
        column.addWidget(self.warning_banner)
        self._resume_holder = QWidget()
        holder_layout = QVBoxLayout(self._resume_holder)
        holder_layout.setContentsMargins(20, 12, 20, 0)
        holder_layout.addWidget(self.resume_banner)
        self._resume_holder.hide()
        column.addWidget(self._resume_holder)
        # On a small screen (1280x720 at 125-150 %) a page scrolls instead of cutting off its
        # buttons; on a big one the pages fit and no scroll bar shows.
        self.page_scroll = QScrollArea()
        self.page_scroll.setObjectName("pageScroll")
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page_scroll.setWidget(self.pages)
        for stack in (self.pages, self.upload_page.stack):  # another page starts at its top
            stack.currentChanged.connect(lambda _i: self.page_scroll.verticalScrollBar().setValue(0))
        column.addWidget(self.page_scroll, 1)
        self.setCentralWidget(central)
        self.connection_label = QLabel("")
        self.connection_label.setObjectName("muted")
        self.statusBar().addPermanentWidget(self.connection_label)
        self.busy = BusyIndicator(self.statusBar())   # an export being written
        # The start page's own action first, not the demo banner's "Open Settings…".
        self.upload_page.drop_zone.browse_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.tray = make_tray(self)

    def _build_controllers(self, unblock: Unblock | None) -> None:
        context, dialogs, upload, page = self.context, self.dialogs, self.upload_page, self.progress_page
        self.feedback = feedback = Feedback(self.statusBar(), dialogs, self)
        self.engine = EngineLink(context, feedback, self)
        self.jobs = Jobs(upload.jobs_panel, feedback, context, self.store, self)
        self.events = EngineEvents(page, lambda: self.pages.setCurrentIndex(PROGRESS), dialogs,
                                   feedback, context.session_factory, self.tray, self, self)
        self.open_batch, self.refresh_jobs = self.events.open_batch, self.jobs.refresh
        self.batches = BatchCommands(upload, page, dialogs, feedback, context, self.engine,
                                     self.open_batch, self._source_paths, unblock, self)
        self.exports = Exports(page, dialogs, feedback, self.busy, context.session_factory,
                               self.store, self._source_paths, self,
                               settings=lambda: self.context.settings)
        self.settings = SettingsController(context, dialogs, upload, self.engine, self, self)
        self.resumer = Resumer(self.resume_banner, self._resume_holder, feedback, context,
                               self.engine, self.open_batch, self)
        self.daily = DailyUse(upload, page, dialogs, feedback, context, self.engine,
                              self.open_batch, self)  # deal summary, re-quote, search, reuse
        self.comparisons = Comparisons(page, context, self)   # "Compare with…"
        self.choices = Choices(page, feedback, context, self)   # the rule bar, a row's offers
        self._wire()

    def _wire(self) -> None:
        upload, page, jobs_panel = self.upload_page, self.progress_page, self.upload_page.jobs_panel
        for banner in (self.demo_banner, self.warning_banner):
            banner.action_clicked.connect(self.settings.open_settings)
        upload.export_cleaned_requested.connect(self.exports.export_cleaned)
        upload.export_fix_list_requested.connect(self.exports.export_preview_fix_list)
        upload.submit_requested.connect(self.batches.submit)
        jobs_panel.batch_chosen.connect(self.open_batch)
        jobs_panel.rush_requested.connect(self.batches.rush_batch)
        page.pause_requested.connect(self.batches.pause_batch)
        page.resume_requested.connect(self.batches.resume_batch)
        page.cancel_requested.connect(self.batches.cancel_batch)
        page.retry_requested.connect(self.batches.retry_failed)
        page.quote_rest_requested.connect(self.batches.quote_rest)
        page.rush_requested.connect(self.batches.rush_batch)
        page.unblock_requested.connect(self.batches.cancel_blocking_quote)
        page.export_requested.connect(self.exports.export_batch)
        page.fix_list_requested.connect(self.exports.export_batch_fix_list)
        page.proposal_requested.connect(self.exports.create_proposal)
        self.engine.connected.connect(lambda _c: self.events.attach(self.engine.worker))
        self.engine.connected.connect(self._show_connection)
        self.events.batch_opened.connect(self.daily.batch_opened)
        self.events.batch_opened.connect(   # the deal or batch shown names the window too
            lambda _b: self.setWindowTitle(f"{self.progress_page.title.text()} — BulkQuote"))
        self.events.batch_opened.connect(self.choices.batch_opened)
        self.events.batch_finished.connect(self.choices.other_batch_finished)   # a deal's others
        self.choices.summary_stale.connect(self.daily.read_deal)
        self.events.run_over.connect(self.engine.run_over)
        self.events.changed.connect(self._sync_actions)
        for stale in (self.events.jobs_stale, self.batches.jobs_stale, self.daily.jobs_stale,
                      self.settings.rep_renamed):
            stale.connect(self.refresh_jobs)
        for source, names in ((self.events, ("batch_opened", "batch_finished", "quote_shown",
                                             "wait_shown")),
                              (self.batches, ("batch_submitted", "commanded")),
                              (self.exports, ("exported", "cleaned_exported", "fix_list_exported")),
                              (self.feedback, ("task_failed",)), (self.jobs, ("jobs_shown",))):
            for name in names:
                getattr(source, name).connect(getattr(self, name))

    def _about(self) -> None:
        self.dialogs.info("About BulkQuote", "BulkQuote sends a spreadsheet of sites to carriers' "
                          "quote APIs (Momentum, MEF Sonata sellers), as many at a time as each "
                          "allows, and keeps every price in a local database.")

    def _show_connection(self, connection: Any) -> None:
        self.demo_banner.setVisible(connection.demo)
        self.warning_banner.set_text(connection.warning)
        self.warning_banner.setVisible(bool(connection.warning))
        seller = connection.provider_name
        if connection.demo:
            self.connection_label.setText(f"Demo mode ({seller or 'simulator'})")
        else:
            self.connection_label.setText(f"{seller or 'Momentum API'}: {connection.api_url}")

    @property
    def worker(self) -> Any:
        return self.engine.worker

    @property
    def connection(self) -> Any:
        return self.engine.connection

    # ------------------------------------------------------------------ start and the pages
    def start(self, file: str | None = None) -> None:
        """After show(): list recent jobs, resume unfinished batches, load FILE if given."""
        self._warm_up = startup.warm_up(self)
        startup.tell_store_notices(self.context.session_factory, self.dialogs)
        self.refresh_jobs()
        self.resumer.start()
        if file:
            self.upload_page.load_file(file)

    def show_upload(self) -> None:
        self.pages.setCurrentIndex(UPLOAD)
        self.setWindowTitle("BulkQuote")
        self.statusBar().clearMessage()  # "Batch #4: finished…" belongs to the page just left
        self.refresh_jobs()

    def open_file_dialog(self) -> None:
        path = self.dialogs.open_file(folder=str(self.store.last_folder("open") or ""))
        if path:
            self.store.remember_folder("open", Path(path).parent)
            self.load_file(path)

    def present(self, file: str = "") -> None:
        """Another start of the app handed over: to the front, and FILE loaded as if dropped."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        if QGuiApplication.platformName() not in HEADLESS_PLATFORMS:  # nothing to stack there
            self.raise_()
        self.activateWindow()
        if file:
            self.load_file(file)

    def load_file(self, path: str | Path, sheet: str | None = None) -> None:
        self.pages.setCurrentIndex(UPLOAD)
        self.upload_page.load_file(path, sheet)

    def _sync_actions(self) -> None:
        self.menus.sync()

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._shut_down and not may_quit(self.upload_page, self.engine, self.dialogs):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        geometry.save_geometry(self, self.store)
        if self._warm_up is not None:
            self._warm_up.cancel()
        for owner in (self.events, self.batches, self.exports, self.jobs, self.resumer, self.daily,
                      self.comparisons, self.choices):
            operations.cancel_all(owner)  # answers still on their way find nobody to show them
        self.engine.disconnect_engine()
        if self.tray is not None:
            self.tray.hide()


def _store_url(context: AppContext) -> str | None:
    """The window's database URL (its file dialogs refuse that file's folder), if SQLite."""
    engine = getattr(context.session_factory, "kw", {}).get("bind")
    url = getattr(engine, "url", None)
    return url.render_as_string(hide_password=True) if url is not None else None
