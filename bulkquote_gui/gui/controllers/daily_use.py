"""The window's daily-use features (issue 11): the finished page's deal summary and "Re-quote
stale rows…", the search over past batches, and which rows of the loaded file a submit would fill
from still-valid quotes. A controller (gui/controllers/): given its pages and operations, it
talks back through signals.

Every read and command is an operation (gui/operations/): off the GUI thread, its answer
dropped when it no longer applies (another batch shown, another file loaded).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.core.states import BATCH_FINISHED
from bulkquote_gui.gui.controllers.engine_link import EngineLink
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.operations import Latest, Operation, batches, jobs
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.pages.upload_page import UploadPage
from bulkquote_gui.gui.qt_compat import emit


class DailyUse(QObject):
    deal_shown = Signal(int)          # the finished page shows this batch's deal summary
    reuse_shown = Signal(int)         # the preview shows how many rows a submit would reuse
    requoted = Signal(int, int)       # old batch, the new batch asking again for its stale rows
    jobs_stale = Signal()             # a new batch was stored: the recent jobs list it

    def __init__(self, upload_page: UploadPage, progress_page: ProgressPage, dialogs: Any,
                 feedback: Feedback, context: Any, engine: EngineLink,
                 open_batch: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._upload = upload_page
        self._page = progress_page
        self._dialogs = dialogs
        self._feedback = feedback
        self._context = context
        self._engine = engine
        self._open_batch = open_batch
        page = progress_page
        page.finished.connect(lambda batch_id, _status: self.read_deal(batch_id))
        page.deal_view.requote_requested.connect(self.requote)
        search = upload_page.jobs_panel.search
        search.finder = self._find
        search.failed.connect(lambda message: self._feedback.say(f"The search failed: {message}", 10000))
        search.row_chosen.connect(self._row_wanted)
        self._wanted_row: tuple[int, int] | None = None   # batch, row: shown once it is open
        upload_page.loaded.connect(self.read_reuse)
        # An edited address may no longer match the earlier quote (or match one now): ask again.
        upload_page.model.edited.connect(lambda: self.read_reuse(upload_page.result))
        self._reuse = Latest()   # only the newest lookup's answer is shown

    @property
    def _sessions(self) -> Any:
        return self._context.session_factory

    # ------------------------------------------------------------ deal summary
    def batch_opened(self, batch_id: int) -> None:
        wanted, self._wanted_row = self._wanted_row, None
        if wanted is not None and wanted[0] == batch_id:
            self._page.show_row(wanted[1])
        if self._page.status in BATCH_FINISHED:
            self.read_deal(batch_id)

    def read_deal(self, batch_id: int) -> None:
        def show(deal: batches.Deal) -> None:
            page = self._page
            if page.batch_id == deal.batch_id and page.status in BATCH_FINISHED:
                page.deal_view.show_deal(deal.batch_id, deal.summary, deal.stale)
                emit(self.deal_shown, deal.batch_id)

        def failed(message: str) -> None:   # the rows are shown; the totals are a bonus
            self._feedback.say(f"Could not read the deal summary: {message}", 10000)

        batches.deal(self, self._sessions, batch_id).success(show).failure(failed).run()

    # ------------------------------------------------------------ re-quote stale rows
    def requote(self, batch_id: int) -> None:
        view = self._page.deal_view
        n = view.stale if view.batch_id == batch_id else 0
        what = f"{n:,} quote{'s' if n != 1 else ''}" if n else "The quotes"
        verb = "are" if n != 1 else "is"
        shape = self._page.deal   # the deal of the batch shown, read when it opened
        deal = shape.batch_ids if shape is not None and batch_id in shape.batch_ids else ()
        if deal:   # the re-quote asks every batch of the deal (core/deal/requote.py)
            listed = ", ".join(f"#{b}" for b in deal)
            title = f"Re-quote the stale quotes of deal #{deal[0]}?"
            text = (f"{what} of deal #{deal[0]} (batches {listed}) {verb} past the valid-until "
                    "date. New batches ask each provider again, for every term it was asked "
                    "(each a new quote on its account); their export shows the old price beside "
                    "the new one.")
        else:
            title = f"Re-quote the stale rows of batch #{batch_id}?"
            text = (f"{what} of batch #{batch_id} {verb} past the valid-until date. A new batch "
                    "asks the API again for them (each is a new quote on the account); its "
                    "export shows the old price beside the new one.")
        if not self._dialogs.confirm(title, text, accept="Re-quote", reject="Cancel"):
            return
        view.requote_button.setEnabled(False)

        def done(new_id: int | None) -> None:
            if new_id is None:
                self._feedback.say(f"Batch #{batch_id}: no stale quote (every price is still "
                                   "valid)", 8000)
                self.read_deal(batch_id)
                return
            self._feedback.say(f"Batch #{new_id}: the stale quotes of batch #{batch_id} asked "
                               "again", 10000)
            self._engine.run_line()
            emit(self.jobs_stale)
            emit(self.requoted, batch_id, new_id)
            self._open_batch(new_id)

        batches.requote(self, self._sessions, batch_id, owner=self._context.settings.rep_name,
                        account_id=self._engine.account_id()) \
            .success(done).failure(self._feedback.failed("Re-quoting the stale rows",
                                                         lambda: view.requote_button.setEnabled(True))).run()

    # ------------------------------------------------------------ search over past batches
    def _row_wanted(self, batch_id: int, row: int) -> None:
        """A search result chosen: its batch opens next (the search's batch_chosen), at its row."""
        self._wanted_row = (batch_id, row)

    def _find(self, text: str) -> Operation[jobs.Found]:
        return jobs.find(self, self._sessions, text)

    # ------------------------------------------------------------ reuse in the preview
    def read_reuse(self, result: Any) -> None:
        upload = self._upload

        def show(found: dict[int, Any]) -> None:
            if upload.result is result:   # else the page was cleared meanwhile
                upload.show_reuse(found)
                emit(self.reuse_shown, len(found))

        def failed(message: str) -> None:   # the submit still reuses; only the preview lacks it
            self._feedback.say(f"Could not look for earlier quotes: {message}", 10000)

        if result is None or not result.counts().get("quotable"):
            self._reuse.cancel()   # nothing to look up for this one; an older answer is not its
            return
        # Another file, mapping, defaults or edit asks anew: only that answer is shown.
        self._reuse.run(batches.reusable(self, self._sessions, result,
                                         account_id=self._engine.account_id())
                        .success(show).failure(failed))
