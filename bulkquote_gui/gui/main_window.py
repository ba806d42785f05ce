"""The main window: menu, demo banner, the upload page and one batch's progress page.

It is the controller between the pages (views), the worker thread (the engine) and the store:
slots stay thin. The window never waits on the store: every read for the views and every command
is an operation (gui/operations/) that runs off the GUI thread and hands its answer back, so a
shared database across a slow network never freezes the window.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QFrame, QLabel, QMainWindow, QScrollArea,
                               QSystemTrayIcon, QVBoxLayout, QWidget)

from bulkquote_gui.core.events import BatchEvent, QuoteEvent, WaitEvent
from bulkquote_gui.core.file_names import file_name
from bulkquote_gui.gui import operations
from bulkquote_gui.gui.background import run_blocking
from bulkquote_gui.gui.busy_status import BusyIndicator
from bulkquote_gui.gui.context import AppContext, Connection
from bulkquote_gui.gui.daily_use import DailyUse
from bulkquote_gui.gui.dialogs import Dialogs
from bulkquote_gui.gui.jobs_panel import MINE, TEAM
from bulkquote_gui.gui.operations import account, batches, jobs
from bulkquote_gui.gui.operations.account import Unblock
from bulkquote_gui.gui.progress_page import SHORTCUTS, ProgressPage, finished_summary
from bulkquote_gui.gui.settings_dialog import SettingsDialog
from bulkquote_gui.gui.style import app_icon
from bulkquote_gui.gui.upload_page import UploadPage
from bulkquote_gui.gui.widgets import Banner, CurrentPageStack
from bulkquote_gui.gui.window_geometry import FRAME_ESTIMATE, opening_geometry
from bulkquote_gui.gui.worker import WorkerThread
from bulkquote_gui.services.paths import config_dir
from bulkquote_gui.gui.qt_compat import emit

log = logging.getLogger(__name__)
UPLOAD, PROGRESS = 0, 1
MINIMUM_SIZE = (720, 420)  # 1280x720 at 150 % is 853x480 logical, less the task bar
HEADLESS_PLATFORMS = ("offscreen", "minimal")  # no window manager: raise() only warns
DEMO_TEXT = ("<b>Demo mode</b> — quotes come from BulkQuote's built-in simulator, not from Momentum; "
             "prices are made up. Set the API URL and key in Settings to quote for real.")


class MainWindow(QMainWindow):
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
        self._unblock = unblock  # the engine's cancel_blocking_quote unless given (tests)
        self._waits: dict[int, WaitEvent] = {}  # account id -> its current wait
        self._jobs_refresh = operations.Coalescing(self._read_jobs)
        self.connection: Connection | None = None
        self.worker_thread: WorkerThread | None = None
        self._reconnect_pending = False
        self._tasks: set[asyncio.Task] = set()
        # Events for a batch whose rows are being read to open it: replayed once it is shown,
        # so nothing the engine says between the read and the display is lost.
        self._opening: dict[int, list[QuoteEvent | BatchEvent]] = {}
        self._shut_down = False
        self.last_alert = ""
        self.setWindowTitle("BulkQuote")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(*MINIMUM_SIZE)
        self._source_paths: dict[int, Path] = {}  # batch -> the file it came from (this session)

        # ---- banners above the pages
        self.demo_banner = Banner("demoBanner", DEMO_TEXT, action="Open Settings…")
        self.demo_banner.action_clicked.connect(self.open_settings)
        self.warning_banner = Banner("demoBanner", "", action="Open Settings…")
        self.warning_banner.action_clicked.connect(self.open_settings)
        self.warning_banner.hide()
        self.resume_banner = Banner("infoBanner", "", action="Show")
        self.resume_banner.action_clicked.connect(self._show_resumed)
        self.resume_banner.hide()
        self._resumed_ids: list[int] = []

        # ---- pages
        self.upload_page = UploadPage(context.settings.batch_defaults())
        self.upload_page.database_url = _store_url(context)   # never read as a sheet
        self.upload_page.browse_requested.connect(self.open_file_dialog)
        self.upload_page.export_cleaned_requested.connect(self.export_cleaned)
        self.upload_page.export_fix_list_requested.connect(self.export_preview_fix_list)
        self.upload_page.submit_requested.connect(self.submit)
        self.upload_page.load_failed.connect(self._load_failed)
        self.upload_page.loaded.connect(lambda _r: self._sync_actions())
        self.upload_page.busy_changed.connect(lambda _b: self._sync_actions())
        jobs_panel = self.upload_page.jobs_panel
        jobs_panel.batch_chosen.connect(self.open_batch)
        jobs_panel.rush_requested.connect(self.rush_batch)
        jobs_panel.set_scope(str(self._settings_store().value("jobs/scope", MINE)))
        jobs_panel.scope_changed.connect(self._scope_changed)
        self.progress_page = ProgressPage(context.clock.monotonic)
        self.progress_page.back_requested.connect(self.show_upload)
        self.progress_page.pause_requested.connect(self.pause_batch)
        self.progress_page.resume_requested.connect(self.resume_batch)
        self.progress_page.cancel_requested.connect(self.cancel_batch)
        self.progress_page.retry_requested.connect(self.retry_failed)
        self.progress_page.quote_rest_requested.connect(self.quote_rest)
        self.progress_page.state_changed.connect(self._sync_actions)
        self.progress_page.export_requested.connect(self.export_batch)
        self.progress_page.fix_list_requested.connect(self.export_batch_fix_list)
        self.progress_page.rush_requested.connect(self.rush_batch)
        self.progress_page.unblock_requested.connect(self.cancel_blocking_quote)
        self.progress_page.finished.connect(self._batch_finished)
        self.pages = CurrentPageStack()
        self.pages.addWidget(self.upload_page)
        self.pages.addWidget(self.progress_page)
        self.pages.currentChanged.connect(lambda _i: self._sync_actions())

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.demo_banner)
        column.addWidget(self.warning_banner)
        resume_holder = QWidget()
        holder_layout = QVBoxLayout(resume_holder)
        holder_layout.setContentsMargins(20, 12, 20, 0)
        holder_layout.addWidget(self.resume_banner)
        self._resume_holder = resume_holder
        resume_holder.hide()
        column.addWidget(resume_holder)
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
        self._build_menu()
        self.daily = DailyUse(self)  # deal summary, re-quote, search, reuse in the preview
        self.tray = self._make_tray()
        self._restore_geometry()
        self._connect_engine()
        self._sync_actions()

    # ------------------------------------------------------------------ construction helpers
    def _build_menu(self) -> None:
        # Explicit "Ctrl+…" (Qt shows and maps it to Cmd on macOS); some platforms define no
        # standard Quit key at all.
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open spreadsheet…", self, shortcut=QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(self.open_file_dialog)
        self.new_action = QAction("&New batch", self, shortcut=QKeySequence("Ctrl+N"))
        self.new_action.triggered.connect(self.show_upload)
        self.export_action = QAction("&Export results…", self, shortcut=QKeySequence(SHORTCUTS["export"]))
        self.export_action.setToolTip("Every row of the sheet with its status, reason and prices")
        self.export_action.triggered.connect(
            lambda: self.export_batch(self.progress_page.batch_id) if self.progress_page.batch_id else None)
        self.export_priced_action = QAction("Export &priced rows only…", self,
                                            shortcut=QKeySequence("Ctrl+Shift+E"))
        self.export_priced_action.triggered.connect(
            lambda: self.export_batch(self.progress_page.batch_id, priced_only=True)
            if self.progress_page.batch_id else None)
        upload = self.upload_page
        self.submit_action = QAction("&Submit the batch", self, shortcut=QKeySequence("Ctrl+Return"))
        self.submit_action.triggered.connect(lambda: self._click(UPLOAD, upload.submit_button))
        self.mapping_action = QAction("Edit column &mapping", self, shortcut=QKeySequence("Ctrl+M"))
        self.mapping_action.triggered.connect(self._toggle_mapping)
        self.settings_action = QAction("Se&ttings…", self, shortcut=QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.quit_action = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        for action in (self.open_action, self.new_action, self.mapping_action, self.submit_action,
                       None, self.export_action, self.export_priced_action, None,
                       self.settings_action, None, self.quit_action):
            if action is None:
                file_menu.addSeparator()
            else:
                file_menu.addAction(action)
        # The batch's commands: their keys work from anywhere in the window, and the menu
        # shows them (the buttons' tooltips too).
        page = self.progress_page
        batch_menu = self.menuBar().addMenu("&Batch")
        self.batch_actions: dict[str, tuple[QAction, Any]] = {}
        for key, caption, button in (
                ("pause", "&Pause / Resume", page.pause_button), ("rush", "R&ush", page.rush_button),
                ("cancel", "&Cancel batch…", page.cancel_button),
                ("retry", "Re&try failed", page.retry_button),
                ("rest", "&Quote the rest", page.rest_button)):
            action = QAction(caption, self, shortcut=QKeySequence(SHORTCUTS[key]))
            action.triggered.connect(lambda _=False, b=button: self._click(PROGRESS, b))
            batch_menu.addAction(action)
            self.batch_actions[key] = (action, button)
        batch_menu.addSeparator()
        self.filter_action = QAction("&Filter by reason", self, shortcut=QKeySequence(SHORTCUTS["filter"]))
        self.filter_action.triggered.connect(
            lambda: page.focus_filter() if self.pages.currentIndex() == PROGRESS else None)
        batch_menu.addAction(self.filter_action)
        upload.submit_button.setToolTip("Store the batch and start quoting (Ctrl+Return)")
        upload.mapping_panel.toggle_button.setToolTip("Edit the column mapping (Ctrl+M)")
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About BulkQuote", self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(lambda: self.dialogs.info(
            "About BulkQuote", "BulkQuote sends a spreadsheet of sites to the Momentum quote API, "
            "one quote at a time, and keeps every price in a local database."))
        help_menu.addAction(about)

    def _click(self, page: int, button: Any) -> None:
        """A menu action or its key: the button's click, when its page shows and it applies."""
        if self.pages.currentIndex() == page and button.isEnabled() and button.isVisible():
            button.click()

    def _toggle_mapping(self) -> None:
        panel = self.upload_page.mapping_panel
        if self.pages.currentIndex() == UPLOAD and self.upload_page.result is not None:
            panel.set_expanded(not panel.is_expanded())
            if panel.is_expanded():
                panel.setFocus(Qt.FocusReason.ShortcutFocusReason)
                panel.focusNextChild()

    def _make_tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        tray.setToolTip("BulkQuote")
        tray.show()
        return tray

    def _settings_store(self) -> QSettings:
        return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        geometry = self._settings_store().value("geometry")
        saved = None
        if isinstance(geometry, QByteArray) and not geometry.isEmpty() \
                and self.restoreGeometry(geometry):
            if self.isMaximized() or self.isFullScreen():
                return  # the window manager fits it to the screen
            saved = QRect(self.pos(), self.size())
        self.fit_to_screen(saved)

    def fit_to_screen(self, saved: QRect | None = None) -> None:
        """Sized for the screen it opens on (gui/window_geometry.py): 1360x860 does not fit a
        1280x720 laptop at 125 %, and a size saved there is too small for a 1440x900 screen."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        area: QRect = screen.availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # 0 before the first show
        frame = frame.expandedTo(FRAME_ESTIMATE)
        place = opening_geometry(area, saved, frame)
        if place == saved:
            return  # it fits: as Qt restored it (moving it again would shift it by the frame)
        self.setMinimumSize(min(MINIMUM_SIZE[0], place.width()), min(MINIMUM_SIZE[1], place.height()))
        self.resize(place.size())
        self.move(place.topLeft())

    def _save_geometry(self) -> None:
        qs = self._settings_store()
        qs.setValue("geometry", self.saveGeometry())
        qs.sync()

    # ------------------------------------------------------------------ the engine side
    def _connect_engine(self) -> None:
        self.connection = self.context.connect(self.context.settings)
        self.worker_thread = WorkerThread(self.connection.make_processor)
        worker = self.worker_thread.worker
        worker.quote_event.connect(self._on_quote_event)
        worker.batch_event.connect(self._on_batch_event)
        worker.wait_event.connect(self._on_wait_event)
        worker.run_finished.connect(self._on_run_finished)
        worker.run_failed.connect(self._on_run_failed)
        self.demo_banner.setVisible(self.connection.demo)
        self.warning_banner.set_text(self.connection.warning)
        self.warning_banner.setVisible(bool(self.connection.warning))
        self.connection_label.setText("Demo mode (simulator)" if self.connection.demo
                                      else f"Momentum API: {self.connection.api_url}")

    def _disconnect_engine(self) -> None:
        if self.worker_thread is not None:
            self.worker_thread.shutdown()
            self.worker_thread = None
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    @property
    def worker(self):
        return self.worker_thread.worker if self.worker_thread else None

    def start(self, file: str | None = None) -> None:
        """After show(): list recent jobs, resume unfinished batches, load FILE if given."""
        self._warm_up()
        self._tell_store_notices()
        self.refresh_jobs()
        jobs.unfinished(self, self.context.session_factory).success(self._resume_unfinished) \
            .failure(self._failed("Reading the unfinished batches")).run()
        if file:
            self.upload_page.load_file(file)

    def _tell_store_notices(self) -> None:
        """Once, at start: a damaged database was set aside (the sentence names the copy)."""
        from bulkquote_gui.gui.operations.database import store_notices

        for notice in store_notices(self.context.session_factory):
            QTimer.singleShot(0, lambda n=notice: self.dialogs.error("The database was damaged", n))

    def _resume_unfinished(self, found: jobs.Unfinished) -> None:
        unfinished, names = found.ids, found.names
        if not unfinished or self.worker is None:
            return
        self._resumed_ids = unfinished
        listed = ", ".join(f"#{i} {names.get(i, '')}".strip() for i in unfinished[:3])
        more = f" and {len(unfinished) - 3} more" if len(unfinished) > 3 else ""
        noun = "batch" if len(unfinished) == 1 else "batches"
        self.resume_banner.set_text(f"Resuming {len(unfinished)} unfinished {noun} from last time: "
                                    f"{listed}{more}.")
        self._resume_holder.show()
        self.resume_banner.show()
        self.statusBar().showMessage(f"Resuming {len(unfinished)} unfinished {noun}", 8000)
        self.worker.resume_unfinished()

    def _warm_up(self) -> None:
        """Import the spreadsheet reader (pandas) now, off the GUI thread, while the rep looks at
        the window: imported on the first drop instead, it would hold the interpreter lock for a
        few hundred milliseconds in the middle of the load."""
        def load_importer() -> None:
            import bulkquote_gui.core.importer  # noqa: F401

        async def warm_up() -> None:
            await run_blocking(load_importer)
            # Everything loaded so far (Qt, pandas, SQLAlchemy: hundreds of thousands of objects)
            # lives as long as the app: keep it out of the cyclic collector's full passes, which
            # otherwise hold the interpreter lock ~80 ms, on whichever thread, stalling the window.
            gc.freeze()

        task = asyncio.ensure_future(warm_up())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _show_resumed(self) -> None:
        if self._resumed_ids:
            self.open_batch(self._resumed_ids[0])
        self._resume_holder.hide()

    # ------------------------------------------------------------------ pages
    def show_upload(self) -> None:
        self.pages.setCurrentIndex(UPLOAD)
        self.statusBar().clearMessage()  # "Batch #4: finished…" belongs to the page just left
        self.refresh_jobs()

    def open_file_dialog(self) -> None:
        path = self.dialogs.open_file(folder=str(self._last_folder("open") or ""))
        if path:
            self._remember_folder("open", Path(path).parent)
            self.pages.setCurrentIndex(UPLOAD)
            self.upload_page.load_file(path)

    def export_cleaned(self, result: Any) -> None:
        """What would be sent for each row of the sheet in the preview, to a CSV."""
        def written(path: str, rows: int) -> None:
            self.statusBar().showMessage(f"{rows:,} rows written to {Path(path).name}", 8000)
            emit(self.cleaned_exported, path)

        self._write_beside(result, "Export cleaned addresses", "cleaned.csv", "CSV (*.csv)",
                           _write_cleaned_rows, "Cannot write the file", written, (OSError,))

    def export_preview_fix_list(self, result: Any) -> None:
        """The preview's invalid rows to an XLSX the rep fixes and drops back in (core/fix_list.py)."""
        self._write_beside(result, "Export the rows to fix", "fix list.xlsx", "Excel (*.xlsx)",
                           _write_preview_fix_list, "Cannot write the fix list",
                           self._fix_list_written, (OSError, ValueError))

    def _write_beside(self, result: Any, title: str, suffix: str, file_filter: str,
                      writer: Callable[[Any, str], int], failed_title: str,
                      written: Callable[[str, int], None],
                      expected: tuple[type[Exception], ...]) -> None:
        """Ask where (beside the previewed file, "<its name> - <suffix>"), then write the file
        off the GUI thread (a big sheet takes a moment): `written(path, rows)`, or the error."""
        source = Path(str(getattr(result, "path", "") or "sheet"))
        path = self.dialogs.save_file(title, str(source.with_name(f"{source.stem} - {suffix}")),
                                      file_filter)
        if not path:
            return

        ended = self.busy.start(f"Writing {Path(path).name}…")

        async def write() -> None:
            rows, error = await run_blocking(writer, result, path, expected=expected)
            ended()
            if error is not None:
                self.statusBar().clearMessage()   # "Writing …" is over
                self.dialogs.error(failed_title, f"{Path(path).name}: {error}")
            else:
                written(path, rows)

        task = asyncio.ensure_future(write())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def export_batch_fix_list(self, batch_id: int) -> None:
        """A finished batch's rows not priced (invalid, duplicate, failed) to an XLSX to fix."""
        page = self.progress_page
        name = page.source_name if batch_id == page.batch_id else ""
        stem = Path(name).stem if name else f"batch-{batch_id}"
        folder = self._source_paths.get(batch_id, Path()).parent if batch_id in self._source_paths \
            else self._last_folder("export") or self._last_folder("open")
        suggested = file_name(stem, "fix list")
        path = self.dialogs.save_file("Export the rows to fix",
                                      str(folder / suggested) if folder else suggested,
                                      "Excel (*.xlsx)")
        if not path:
            return
        self._remember_folder("export", Path(path).parent)
        ended = self.busy.start(f"Writing the rows to fix of batch #{batch_id} to {Path(path).name}…")
        batches.fix_list(self, self.context.session_factory, batch_id, Path(path)) \
            .success(lambda n: (ended(), self._fix_list_written(path, n))) \
            .failure(self._failed("Exporting the fix list", ended)).run()

    def _fix_list_written(self, path: str, rows: int) -> None:
        self.statusBar().showMessage(f"{rows:,} row{'s' if rows != 1 else ''} to fix written to "
                                     f"{Path(path).name}: fix them "
                                     "in Excel and drop the file back in", 10000)
        emit(self.fix_list_exported, path, rows)

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

    def _load_failed(self, message: str) -> None:
        self.dialogs.error("Cannot open the spreadsheet", message)

    def refresh_jobs(self) -> None:
        """Read the recent jobs again (coalesced: one read in flight at a time)."""
        self._jobs_refresh.request()

    def _jobs_owner(self) -> str | None:
        """Whose batches the list shows: the rep's (Mine, by their name in Settings) or all (Team)."""
        return None if self.upload_page.jobs_panel.scope == TEAM else self.context.settings.rep_name.strip()

    def _read_jobs(self, over: Callable[[], None]) -> None:
        def show(recent: jobs.Recent) -> None:
            if recent.owner == self._jobs_owner():  # else the scope changed: the next read shows it
                self.upload_page.jobs_panel.show_batches(recent.batches)
                emit(self.jobs_shown)
            over()

        def failed(message: str) -> None:  # the status bar only: this runs after every batch event
            self.statusBar().showMessage(f"Could not read the recent jobs: {message}", 10000)
            over()

        jobs.recent(self, self.context.session_factory, owner=self._jobs_owner()) \
            .success(show).failure(failed).run()

    def _scope_changed(self, scope: str) -> None:
        qs = self._settings_store()
        qs.setValue("jobs/scope", scope)
        qs.sync()
        self.refresh_jobs()

    def _sync_actions(self) -> None:
        on_batch = self.pages.currentIndex() == PROGRESS and self.progress_page.batch_id is not None
        self.export_action.setEnabled(on_batch and self.progress_page.export_button.isEnabled())
        self.export_priced_action.setEnabled(self.export_action.isEnabled()
                                             and self.progress_page.counts.get("complete", 0) > 0)
        for action, button in self.batch_actions.values():
            action.setEnabled(on_batch and button.isEnabled())
        self.filter_action.setEnabled(on_batch)
        on_upload = self.pages.currentIndex() == UPLOAD
        self.submit_action.setEnabled(on_upload and self.upload_page.submit_button.isEnabled())
        self.mapping_action.setEnabled(on_upload and self.upload_page.result is not None)

    # ------------------------------------------------------------------ operations
    def _failed(self, label: str, cleanup: Callable[[], None] | None = None) -> Callable[[str], None]:
        """An operation's failure handler: `cleanup`, then the message in the status bar and a dialog."""
        def failed(message: str) -> None:
            if cleanup is not None:
                cleanup()
            text = f"{label} failed: {message}"
            self.statusBar().showMessage(text, 10000)
            emit(self.task_failed, text)
            self.dialogs.error(label, text)
        return failed

    # ------------------------------------------------------------------ submit and open
    def submit(self, result: Any, defaults: Any) -> None:
        """Store the batch; first, a file submitted before asks whether to quote it again."""
        source_name = Path(result.path).name
        self.upload_page.submit_button.setEnabled(False)

        def checked(earlier: list[Any]) -> None:
            if earlier and not self.dialogs.confirm(
                    "Submit this file again?",
                    f"{source_name} was already submitted as batch #{earlier[0].id} "
                    f"({earlier[0].status}, {earlier[0].counts.get('complete', 0):,} of "
                    f"{earlier[0].counts.get('total', 0):,} priced). Submitting it again quotes "
                    "every site once more.", accept="Submit again", reject="Cancel"):
                self.upload_page.refresh_submit()
                return
            self._store_batch(result, defaults, source_name)

        batches.same_name(self, self.context.session_factory, source_name).success(checked) \
            .failure(lambda _m: self._store_batch(result, defaults, source_name)).run()

    def _store_batch(self, result: Any, defaults: Any, source_name: str) -> None:
        quotable = int(result.counts().get("quotable", 0))
        self.statusBar().showMessage(f"Storing {quotable:,} quotes…")

        def done(batch_id: int) -> None:
            self._source_paths[batch_id] = Path(result.path)
            self.statusBar().showMessage(f"Batch #{batch_id} stored: {quotable:,} quotes queued", 8000)
            self.upload_page.remember_mapping(result)  # a corrected mapping, for the same headers
            if self.worker is not None:
                self.worker.start_batch(batch_id)
            emit(self.batch_submitted, batch_id)
            # Cleared once the batch page shows: cleared now, the empty start page flashed
            # while the batch was read.
            self.open_batch(batch_id, then=self.upload_page.clear)

        connection = self.connection
        batches.submit(self, self.context.session_factory, result, defaults=defaults,
                       source_name=source_name, owner=self.context.settings.rep_name,
                       account_id=connection.account_id if connection else (lambda: None),
                       reuse=self.upload_page.reuse()) \
            .success(done).failure(self._failed("Storing the batch", self.upload_page.refresh_submit)).run()

    def open_batch(self, batch_id: int, then: Callable[[], None] | None = None) -> None:
        """Show one batch: its rows are read once, off the GUI thread; events keep it current.
        `then` runs once it shows (or could not be read)."""
        self._opening.setdefault(batch_id, [])
        then = then or (lambda: None)

        def done(opened: batches.Opened) -> None:
            summary, rows = opened.summary, opened.rows
            missed = self._opening.pop(batch_id, [])
            if summary is None:
                then()
                self.dialogs.error("Batch not found", f"Batch #{batch_id} is not in the database.")
                return
            self.progress_page.show_batch(summary.id, summary.source_name, summary.status,
                                          summary.counts, rows, priority=summary.priority,
                                          skipped=opened.skipped, mapping=opened.mapping)
            self.progress_page.show_wait(self._wait_for(summary.id))
            if summary.status_message and summary.status in ("paused",):
                self.progress_page.show_message(summary.status_message)
            # Every change since the read started, in order: the last word per row is the latest.
            for event in missed:
                if isinstance(event, QuoteEvent):
                    self.progress_page.apply_quote_event(event)
                else:
                    self._show_batch_event(event)
            self.pages.setCurrentIndex(PROGRESS)
            then()
            self._sync_actions()
            emit(self.batch_opened, batch_id)

        def failed() -> None:
            self._opening.pop(batch_id, None)
            then()

        batches.load(self, self.context.session_factory, batch_id).success(done) \
            .failure(self._failed(f"Opening batch #{batch_id}", failed)).run()

    # ------------------------------------------------------------------ engine events
    def _on_quote_event(self, event: QuoteEvent) -> None:
        if event.batch_id in self._opening:
            self._opening[event.batch_id].append(event)
        self.progress_page.apply_quote_event(event)
        self._sync_actions()
        if event.status in ("complete", "failed", "cancelled"):
            self.refresh_jobs()  # the recent jobs' counts move with the batch (coalesced reads)
        emit(self.quote_shown, event)

    def _on_batch_event(self, event: BatchEvent) -> None:
        if event.batch_id in self._opening:
            self._opening[event.batch_id].append(event)
        self._show_batch_event(event)
        if event.status == "complete" and event.batch_id != self.progress_page.batch_id \
                and event.batch_id not in self._opening:
            self._alert(event.batch_id, event.status, event.counts)
        if event.status == "paused" and event.message and event.batch_id != self.progress_page.batch_id:
            self.statusBar().showMessage(f"Batch #{event.batch_id} paused: {event.message}", 15000)
        self.refresh_jobs()
        self._sync_actions()

    def _show_batch_event(self, event: BatchEvent) -> None:
        if event.status == "cancelled" and event.batch_id == self.progress_page.batch_id:
            self.progress_page.model.close_open_rows("cancelled", event.message or "cancelled by the user")
        self.progress_page.apply_batch_event(event)

    def _batch_finished(self, batch_id: int, status: str) -> None:
        self._alert(batch_id, status, self.progress_page.counts)

    def _alert(self, batch_id: int, status: str, counts: dict[str, int]) -> None:
        text = finished_summary(status, counts)
        self.last_alert = f"Batch #{batch_id}: {text}"
        self.statusBar().showMessage(self.last_alert, 15000)
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(f"BulkQuote — batch #{batch_id} {status}", text,
                                  QSystemTrayIcon.MessageIcon.Information, 10000)
        else:
            QApplication.alert(self)
        emit(self.batch_finished, batch_id, status)

    def _on_run_finished(self, batch_id: int, status: str) -> None:
        if self._reconnect_pending and self.worker is not None and not self.worker.is_busy():
            self._reconnect_pending = False
            self._reconnect()
        self._sync_actions()

    def _on_run_failed(self, batch_id: int, message: str) -> None:
        text = f"The batch stopped because of an unexpected error: {message}"
        if batch_id == self.progress_page.batch_id:
            self.progress_page.show_message(text)
        self.statusBar().showMessage(text, 15000)
        emit(self.task_failed, text)

    # ------------------------------------------------------------------ the account's waits
    def _on_wait_event(self, event: WaitEvent) -> None:
        if event.reason:
            self._waits[event.account_id] = event
        else:
            self._waits.pop(event.account_id, None)
        self.progress_page.show_wait(self._wait_for(self.progress_page.batch_id))
        emit(self.wait_shown, event)

    def _wait_for(self, batch_id: int | None) -> WaitEvent | None:
        """The wait that holds up this batch, if any."""
        return next((w for w in self._waits.values() if batch_id in w.batch_ids), None)

    def cancel_blocking_quote(self, quote_id: str) -> None:
        """Cancel another client's quote that blocks the account: asked first, it is their work."""
        if not self.dialogs.confirm(
                "Cancel another client's quote?",
                f"Quote {quote_id} was sent by another client on this Momentum account. It is "
                "someone else's paid work: cancelling it throws that work away and they will have "
                "to quote again. Cancel it only if you know it is stuck or no longer wanted.",
                accept="Cancel their quote", reject="No, keep waiting", destructive=True):
            return
        make_client = self.connection.make_client if self.connection is not None else None
        if make_client is None:
            self.dialogs.error("Cancel the blocking quote", "There is no connection to the API.")
            return
        banner = self.progress_page.wait_banner
        banner.set_unblocking(True)

        def done(cancelled: str) -> None:
            self.statusBar().showMessage(f"Quote {cancelled} cancelled; the batch goes on once the "
                                         "account is free", 10000)
            emit(self.commanded, "unblock", self.progress_page.batch_id or 0)

        account.cancel_blocking_quote(self, self.context.session_factory, make_client, quote_id,
                                      unblock=self._unblock) \
            .success(done).failure(self._failed("Cancelling the blocking quote",
                                                lambda: banner.set_unblocking(False))).run()

    # ------------------------------------------------------------------ batch commands
    def pause_batch(self, batch_id: int) -> None:
        worker = self.worker
        if worker.current_batch() == batch_id:
            worker.pause(batch_id)  # the engine stops within a second and sends a "paused" BatchEvent
            return
        worker.unschedule(batch_id)
        batches.pause(self, self.context.session_factory, batch_id) \
            .success(lambda outcome: self._show_outcome("pause", outcome)) \
            .failure(self._failed("Pausing the batch")).run()

    def resume_batch(self, batch_id: int) -> None:
        def resumed(outcome: batches.Outcome) -> None:
            self._show_outcome("resume", outcome)
            if self.worker is not None:
                self.worker.start_batch(batch_id)  # after the store says pending, never before

        batches.resume(self, self.context.session_factory, batch_id).success(resumed) \
            .failure(self._failed("Resuming the batch")).run()

    def cancel_batch(self, batch_id: int) -> None:
        # No count of its own: the rows in flight finish while the question is open, and a
        # second number would disagree with the Remaining card behind it.
        what = ("Every quote not yet priced (the Remaining card) is stopped: those waiting are "
                "not sent, those being priced are withdrawn.")
        if not self.dialogs.confirm(f"Cancel batch #{batch_id}?",
                                    f"{what} Prices already received are kept.",
                                    accept="Cancel batch", reject="Keep going", destructive=True):
            return
        # The engine reports the cancel with a BatchEvent; nothing to show from here.
        batches.cancel(self, self.context.session_factory, self.worker, batch_id) \
            .failure(self._failed("Cancelling the batch")).run()

    def retry_failed(self, batch_id: int) -> None:
        """Send again the failures a retry can change; the others stay, and the rep is told."""
        page = self.progress_page
        failed = page.counts.get("failed", 0) if batch_id == page.batch_id else 0

        def retried(outcome: batches.Outcome) -> None:
            n = outcome.changed
            kept = max(0, failed - n)
            why = (f"; {kept:,} kept (no coverage, manual pricing or an address not found would "
                   "come back the same)") if kept else ""
            if n == 0:
                self.statusBar().showMessage("No failed quote a retry can change" + why, 8000)
                emit(self.commanded, "retry", batch_id)
                return
            if batch_id == page.batch_id:
                page.rows_requeued("retry")
            self._show_outcome("retry", outcome)
            self.statusBar().showMessage(f"Retrying {n:,} failed quote" + ("" if n == 1 else "s") + why,
                                         10000)
            if self.worker is not None:
                self.worker.start_batch(batch_id)

        batches.retry(self, self.context.session_factory, batch_id).success(retried) \
            .failure(self._failed("Retrying the failed quotes")).run()

    def quote_rest(self, batch_id: int) -> None:
        """A cancelled batch goes on: its unsent quotes are sent, in the account's turn."""
        def queued(outcome: batches.Outcome) -> None:
            n = outcome.changed
            if n == 0:
                self.statusBar().showMessage("Nothing left to quote in this batch", 5000)
                emit(self.commanded, "rest", batch_id)
                return
            if batch_id == self.progress_page.batch_id:
                self.progress_page.rows_requeued("rest")
            self._show_outcome("rest", outcome)
            self.statusBar().showMessage(f"Quoting the other {n:,} site" + ("" if n == 1 else "s"),
                                         8000)
            if self.worker is not None:
                self.worker.start_batch(batch_id)

        batches.quote_rest(self, self.context.session_factory, batch_id).success(queued) \
            .failure(self._failed("Quoting the rest")).run()

    def rush_batch(self, batch_id: int) -> None:
        def rushed(outcome: batches.Outcome) -> None:
            self._show_outcome("rush", outcome)
            self.statusBar().showMessage(f"Batch #{batch_id} rushed: it goes before the account's "
                                         "other batches", 8000)

        batches.rush(self, self.context.session_factory, batch_id).success(rushed) \
            .failure(self._failed("Rushing the batch")).run()

    def _show_outcome(self, command: str, outcome: batches.Outcome) -> None:
        """The batch as the store has it after a command the window carried out."""
        summary = outcome.summary
        if summary is not None and outcome.batch_id == self.progress_page.batch_id:
            self.progress_page.set_priority(summary.priority)
            self.progress_page.apply_batch_event(
                BatchEvent(batch_id=outcome.batch_id, status=summary.status, counts=summary.counts))
        self.refresh_jobs()
        emit(self.commanded, command, outcome.batch_id)

    def export_batch(self, batch_id: int, *, priced_only: bool = False) -> None:
        page = self.progress_page
        name = page.source_name if batch_id == page.batch_id else ""
        stem = Path(name).stem if name else f"batch-{batch_id}"
        file = file_name(stem, "priced" if priced_only else "quotes")
        # Beside the file the batch came from, else where the rep last exported or opened.
        folder = self._source_paths.get(batch_id, Path()).parent if batch_id in self._source_paths \
            else self._last_folder("export") or self._last_folder("open")
        suggested = str(folder / file) if folder else file
        path = self.dialogs.save_file("Export the priced rows" if priced_only else
                                      "Export the whole sheet with prices", suggested)
        if not path:
            return
        self._remember_folder("export", Path(path).parent)
        ended = self.busy.start(f"Exporting batch #{batch_id} to {Path(path).name}…")

        def done(rows: int) -> None:
            ended()
            self.statusBar().showMessage(f"Exported {rows:,} rows to {path}", 10000)
            emit(self.exported, path, rows)

        batches.export(self, self.context.session_factory, batch_id, Path(path),
                       priced_only=priced_only).success(done) \
            .failure(self._failed("Exporting", ended)).run()

    def _last_folder(self, kind: str) -> Path | None:
        text = str(self._settings_store().value(f"folders/{kind}", "") or "")
        return Path(text) if text and Path(text).is_dir() else None

    def _remember_folder(self, kind: str, folder: Path) -> None:
        qs = self._settings_store()
        qs.setValue(f"folders/{kind}", str(folder))
        qs.sync()

    # ------------------------------------------------------------------ settings
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.context.settings, self.context.keystore,
                                demo_url=self.connection.api_url if self.connection and self.connection.demo
                                else None, confirm=self.dialogs.confirm, parent=self)
        accepted = self.dialogs.run(dialog)
        dialog.deleteLater()
        if not accepted or dialog.result_settings is None:
            return
        old, new = self.context.settings, dialog.result_settings
        self.context.settings = new
        self.context.save_settings(new)
        if old.rep_name != new.rep_name:
            self.refresh_jobs()  # "Mine" is the batches under the rep's name
        if dialog.key_saved_in_keyring is False and dialog.key_edit.text().strip():
            self.dialogs.info("API key kept for this session",
                              "No system keyring is available, so the API key is kept only until "
                              "BulkQuote closes. You will be asked for it again next time.")
        if (old.default_bandwidth_mbps, old.default_term_months, old.default_product, old.default_company) != \
                (new.default_bandwidth_mbps, new.default_term_months, new.default_product, new.default_company):
            self.upload_page.defaults_panel.set_defaults(new.batch_defaults())
            self.upload_page.apply_defaults(new.batch_defaults())
        if (old.api_base_url, old.poll_interval_s, old.quote_timeout_s) != \
                (new.api_base_url, new.poll_interval_s, new.quote_timeout_s) or dialog.key_changed:
            if self.worker is not None and self.worker.is_busy():
                self._reconnect_pending = True
                self.statusBar().showMessage("New connection settings apply when the running batch "
                                             "stops", 10000)
            else:
                self._reconnect()

    def _reconnect(self) -> None:
        self._disconnect_engine()
        self._connect_engine()
        self.statusBar().showMessage("Connection settings applied", 5000)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._shut_down and not self._may_quit():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def _may_quit(self) -> bool:
        """Ctrl+Q, the window's close button: asked first when something would be lost or stop."""
        worker = self.worker
        running = worker is not None and worker.is_busy()
        if self.upload_page.has_fixes and self.upload_page.result is not None:
            name = Path(self.upload_page.result.path).name
            return self.dialogs.confirm(
                "Quit and lose your fixes?",
                f"The cells you fixed in {name} are kept only in this window: they are lost when "
                "BulkQuote closes. Submit the batch to keep them."
                + (" The running batch stops where it is and carries on the next time you open "
                   "BulkQuote." if running else ""),
                accept="Quit and lose them", reject="Go back", destructive=True)
        if running:
            return self.dialogs.confirm(
                "A batch is running",
                "Quit now? The batch stops where it is and carries on by itself the next time "
                "you open BulkQuote. No quote is lost or sent twice.",
                accept="Quit and resume later", reject="Keep running")
        return True

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        self._save_geometry()
        for task in list(self._tasks):
            task.cancel()
        operations.cancel_all(self)  # answers still on their way find nobody to show them
        self._disconnect_engine()
        if self.tray is not None:
            self.tray.hide()


def _store_url(context: AppContext) -> str | None:
    """The window's database URL (its file dialogs refuse that file's folder), if SQLite."""
    engine = getattr(context.session_factory, "kw", {}).get("bind")
    url = getattr(engine, "url", None)
    return url.render_as_string(hide_password=True) if url is not None else None


# The writers, imported on the thread that writes (they bring openpyxl, SQLAlchemy, the export).
def _write_cleaned_rows(result: Any, path: str) -> int:
    from bulkquote_gui.core.cleaned_rows import write_cleaned_rows
    return write_cleaned_rows(result, path)


def _write_preview_fix_list(result: Any, path: str) -> int:
    from bulkquote_gui.core.fix_list import write_preview_fix_list
    return write_preview_fix_list(result, path)
