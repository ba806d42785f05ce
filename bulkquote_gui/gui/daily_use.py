"""The window's daily-use features (issue 11), wired here so main_window.py stays a controller
of pages: the finished page's deal summary and "Re-quote stale rows…", the search over past
batches, and which rows of the loaded file a submit would fill from still-valid quotes.

Every read and command is an operation (gui/operations/): off the GUI thread, its answer
dropped when it no longer applies (another batch shown, another file loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.gui.operations import batches, jobs
from bulkquote_gui.gui.qt_compat import emit

if TYPE_CHECKING:
    from bulkquote_gui.gui.main_window import MainWindow

FINISHED = ("complete", "cancelled")


class DailyUse(QObject):
    deal_shown = Signal(int)          # the finished page shows this batch's deal summary
    reuse_shown = Signal(int)         # the preview shows how many rows a submit would reuse
    requoted = Signal(int, int)       # old batch, the new batch asking again for its stale rows

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        page = window.progress_page
        page.finished.connect(lambda batch_id, _status: self.read_deal(batch_id))
        window.batch_opened.connect(self._opened)
        page.deal_view.requote_requested.connect(self.requote)
        search = window.upload_page.jobs_panel.search
        search.finder = self._find
        search.row_chosen.connect(self._row_wanted)
        self._wanted_row: tuple[int, int] | None = None   # batch, row: shown once it is open
        window.upload_page.loaded.connect(self.read_reuse)
        # An edited address may no longer match the earlier quote (or match one now): ask again.
        window.upload_page.model.edited.connect(lambda: self.read_reuse(window.upload_page.result))
        self._reuse_asked = 0   # only the newest lookup's answer is shown

    @property
    def _sessions(self) -> Any:
        return self.window.context.session_factory

    def _account_id(self) -> Callable[[], int | None]:
        connection = self.window.connection
        return connection.account_id if connection is not None else (lambda: None)

    # ------------------------------------------------------------ deal summary
    def _opened(self, batch_id: int) -> None:
        wanted, self._wanted_row = self._wanted_row, None
        if wanted is not None and wanted[0] == batch_id:
            self.window.progress_page.show_row(wanted[1])
        if self.window.progress_page.status in FINISHED:
            self.read_deal(batch_id)

    def read_deal(self, batch_id: int) -> None:
        def show(deal: batches.Deal) -> None:
            page = self.window.progress_page
            if page.batch_id == deal.batch_id and page.status in FINISHED:
                page.deal_view.show_deal(deal.batch_id, deal.summary, deal.stale)
                emit(self.deal_shown, deal.batch_id)

        def failed(message: str) -> None:   # the rows are shown; the totals are a bonus
            self.window.statusBar().showMessage(f"Could not read the deal summary: {message}", 10000)

        batches.deal(self.window, self._sessions, batch_id).success(show).failure(failed).run()

    # ------------------------------------------------------------ re-quote stale rows
    def requote(self, batch_id: int) -> None:
        window = self.window
        view = window.progress_page.deal_view
        n = view.stale if view.batch_id == batch_id else 0
        what = f"{n:,} quote{'s' if n != 1 else ''}" if n else "The quotes"
        if not window.dialogs.confirm(
                f"Re-quote the stale rows of batch #{batch_id}?",
                f"{what} of batch #{batch_id} {'are' if n != 1 else 'is'} past the valid-until "
                "date. A new batch asks the API again for them (each is a new quote on the "
                "account); its export shows the old price beside the new one.",
                accept="Re-quote", reject="Cancel"):
            return
        view.requote_button.setEnabled(False)

        def done(new_id: int | None) -> None:
            if new_id is None:
                window.statusBar().showMessage(f"Batch #{batch_id}: no stale quote (every price is "
                                               "still valid)", 8000)
                self.read_deal(batch_id)
                return
            window.statusBar().showMessage(f"Batch #{new_id}: the stale quotes of batch "
                                           f"#{batch_id} asked again", 10000)
            if window.worker is not None:
                window.worker.start_batch(new_id)
            window.refresh_jobs()
            emit(self.requoted, batch_id, new_id)
            window.open_batch(new_id)

        batches.requote(window, self._sessions, batch_id, owner=window.context.settings.rep_name,
                        account_id=self._account_id()) \
            .success(done).failure(window._failed("Re-quoting the stale rows",
                                                  lambda: view.requote_button.setEnabled(True))).run()

    # ------------------------------------------------------------ search over past batches
    def _row_wanted(self, batch_id: int, row: int) -> None:
        """A search result chosen: its batch opens next (the search's batch_chosen), at its row."""
        self._wanted_row = (batch_id, row)

    def _find(self, text: str, done: Callable[[str, Any], None]) -> None:
        def failed(message: str) -> None:
            self.window.statusBar().showMessage(f"The search failed: {message}", 10000)
            done(text, None)

        jobs.find(self.window, self._sessions, text) \
            .success(lambda found: done(found.text, found.rows)).failure(failed).run()

    # ------------------------------------------------------------ reuse in the preview
    def read_reuse(self, result: Any) -> None:
        upload = self.window.upload_page
        self._reuse_asked += 1
        asked = self._reuse_asked

        def show(found: dict[int, Any]) -> None:
            # Else another file, mapping, defaults or edit: asked anew, that answer is shown.
            if upload.result is result and asked == self._reuse_asked:
                upload.show_reuse(found)
                emit(self.reuse_shown, len(found))

        def failed(message: str) -> None:   # the submit still reuses; only the preview lacks it
            self.window.statusBar().showMessage(f"Could not look for earlier quotes: {message}", 10000)

        if result is None or not result.counts().get("quotable"):
            return
        batches.reusable(self.window, self._sessions, result, account_id=self._account_id()) \
            .success(show).failure(failed).run()
