"""The rep's commands on batches: submit the previewed file, then pause, resume, cancel, retry
the failures, quote the rest, rush, and cancel another client's quote that blocks the account.
Each is an operation on the store; the engine hears of it through the worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.core.events import BatchEvent
from bulkquote_gui.core.states import RowState
from bulkquote_gui.gui.controllers.deal_cost import DealCost
from bulkquote_gui.gui.controllers.engine_link import EngineLink
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.operations import account, batches
from bulkquote_gui.gui.operations import deals as deal_ops
from bulkquote_gui.gui.operations.account import Unblock
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.pages.upload_page import UploadPage
from bulkquote_gui.gui.qt_compat import emit


class BatchCommands(QObject):
    batch_submitted = Signal(int)        # a batch was stored from the preview
    commanded = Signal(str, int)         # a command on a batch was carried out: name, batch id
    jobs_stale = Signal()                # a command changed what the recent jobs show

    def __init__(self, upload_page: UploadPage, progress_page: ProgressPage, dialogs: Any,
                 feedback: Feedback, context: Any, engine: EngineLink,
                 open_batch: Callable[..., None], source_paths: dict[int, Path],
                 unblock: Unblock | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._upload = upload_page
        self._page = progress_page
        self._dialogs = dialogs
        self._feedback = feedback
        self._context = context
        self._engine = engine
        self._open_batch = open_batch
        self._source_paths = source_paths  # batch -> the file it came from (this session)
        self._unblock = unblock  # the engine's cancel_blocking_quote unless given (tests)
        self.cost = DealCost(upload_page, context, engine, self)   # what a submit will cost

    @property
    def _sessions(self) -> Any:
        return self._context.session_factory

    def _start(self, batch_id: int) -> None:
        self._engine.run_line()   # the account's line takes the batch in its turn

    # ------------------------------------------------------------------ submit
    def submit(self, result: Any, defaults: Any) -> None:
        """Store the batch; first, a file submitted before asks whether to quote it again. A
        Sonata seller without the rep's contact is refused first: nothing is stored or sent."""
        connection = self._engine.connection
        problem = connection.contact_problem(self._context.settings) if connection else ""
        if problem:
            self._dialogs.error("Your name and e-mail are needed", problem)
            return
        source_name = Path(result.path).name
        self._upload.submit_button.setEnabled(False)

        def checked(earlier: list[Any]) -> None:
            if earlier and not self._dialogs.confirm(
                    "Submit this file again?",
                    f"{source_name} was already submitted as batch #{earlier[0].id} "
                    f"({earlier[0].status}, {earlier[0].counts.get(RowState.COMPLETE, 0):,} of "
                    f"{earlier[0].counts.get('total', 0):,} priced). Submitting it again quotes "
                    "every site once more.", accept="Submit again", reject="Cancel"):
                self._upload.refresh_submit()
                return
            self._store_batch(result, defaults, source_name)

        batches.same_name(self, self._sessions, source_name).success(checked) \
            .failure(lambda _m: self._store_batch(result, defaults, source_name)).run()

    def _store_batch(self, result: Any, defaults: Any, source_name: str) -> None:
        quotable = int(result.counts().get("quotable", 0))
        self._feedback.say(f"Storing {quotable:,} quotes…")

        def done(batch_id: int) -> None:
            self._source_paths[batch_id] = Path(result.path)
            self._feedback.say(f"Batch #{batch_id} stored: {quotable:,} quotes queued", 8000)
            self._upload.remember_mapping(result)  # a corrected mapping, for the same headers
            self._start(batch_id)
            emit(self.batch_submitted, batch_id)
            # Cleared once the batch page shows: cleared now, the empty start page flashed
            # while the batch was read.
            self._open_batch(batch_id, then=self._upload.clear)

        terms, providers = self.cost.terms(), self.cost.providers()
        if len(terms) > 1 or len(providers) > 1:   # a deal (issue 18): each batch queued, the
            # first one opened; every provider's engine takes its own in its lanes
            def stored(ids: list[int]) -> None:
                for later in ids[1:]:
                    self._start(later)
                done(ids[0])

            deal_ops.submit(self, self._sessions, result, defaults=defaults,
                            source_name=source_name, terms=terms,
                            owner=self._context.settings.rep_name,
                            account_id=self._engine.account_id(), reuse=self._upload.reuse(),
                            provider_name=self._engine.provider_name(), providers=providers) \
                .success(stored).failure(self._feedback.failed("Storing the batches",
                                                               self._upload.refresh_submit)).run()
            return
        batches.submit(self, self._sessions, result, defaults=defaults,
                       source_name=source_name, owner=self._context.settings.rep_name,
                       account_id=self._engine.account_id(), reuse=self._upload.reuse(),
                       provider_name=self._engine.provider_name()) \
            .success(done).failure(self._feedback.failed("Storing the batch",
                                                         self._upload.refresh_submit)).run()

    # ------------------------------------------------------------------ commands on a batch
    def pause_batch(self, batch_id: int) -> None:
        worker = self._engine.worker
        if worker is not None and worker.current_batch() == batch_id:
            worker.pause(batch_id)  # the engine stops within a second and sends a "paused" BatchEvent
            return
        batches.pause(self, self._sessions, batch_id) \
            .success(lambda outcome: self._show_outcome("pause", outcome)) \
            .failure(self._feedback.failed("Pausing the batch")).run()

    def resume_batch(self, batch_id: int) -> None:
        def resumed(outcome: batches.Outcome) -> None:
            self._show_outcome("resume", outcome)
            self._start(batch_id)  # after the store says pending, never before

        batches.resume(self, self._sessions, batch_id).success(resumed) \
            .failure(self._feedback.failed("Resuming the batch")).run()

    def cancel_batch(self, batch_id: int) -> None:
        # No count of its own: the rows in flight finish while the question is open, and a
        # second number would disagree with the Remaining card behind it.
        what = ("Every quote not yet priced (the Remaining card) is stopped: those waiting are "
                "not sent, those being priced are withdrawn.")
        if not self._dialogs.confirm(f"Cancel batch #{batch_id}?",
                                     f"{what} Prices already received are kept.",
                                     accept="Cancel batch", reject="Keep going", destructive=True):
            return
        # The engine reports the cancel with a BatchEvent; nothing to show from here.
        batches.cancel(self, self._sessions, self._engine.worker, batch_id) \
            .failure(self._feedback.failed("Cancelling the batch")).run()

    def retry_failed(self, batch_id: int) -> None:
        """Send again the failures a retry can change; the others stay, and the rep is told."""
        page = self._page
        failed = page.counts.get(RowState.FAILED, 0) if batch_id == page.batch_id else 0

        def retried(outcome: batches.Outcome) -> None:
            n = outcome.changed
            kept = max(0, failed - n)
            why = (f"; {kept:,} kept (no coverage, manual pricing or an address not found would "
                   "come back the same)") if kept else ""
            if n == 0:
                self._feedback.say("No failed quote a retry can change" + why, 8000)
                emit(self.commanded, "retry", batch_id)
                return
            if batch_id == page.batch_id:
                page.rows_requeued("retry")
            self._show_outcome("retry", outcome)
            self._feedback.say(f"Retrying {n:,} failed quote" + ("" if n == 1 else "s") + why, 10000)
            self._start(batch_id)

        batches.retry(self, self._sessions, batch_id).success(retried) \
            .failure(self._feedback.failed("Retrying the failed quotes")).run()

    def quote_rest(self, batch_id: int) -> None:
        """A cancelled batch goes on: its unsent quotes are sent, in the account's turn."""
        def queued(outcome: batches.Outcome) -> None:
            n = outcome.changed
            if n == 0:
                self._feedback.say("Nothing left to quote in this batch", 5000)
                emit(self.commanded, "rest", batch_id)
                return
            if batch_id == self._page.batch_id:
                self._page.rows_requeued("rest")
            self._show_outcome("rest", outcome)
            self._feedback.say(f"Quoting the other {n:,} site" + ("" if n == 1 else "s"), 8000)
            self._start(batch_id)

        batches.quote_rest(self, self._sessions, batch_id).success(queued) \
            .failure(self._feedback.failed("Quoting the rest")).run()

    def rush_batch(self, batch_id: int) -> None:
        def rushed(outcome: batches.Outcome) -> None:
            self._show_outcome("rush", outcome)
            self._feedback.say(f"Batch #{batch_id} rushed: it goes before the account's "
                               "other batches", 8000)

        batches.rush(self, self._sessions, batch_id).success(rushed) \
            .failure(self._feedback.failed("Rushing the batch")).run()

    def _show_outcome(self, command: str, outcome: batches.Outcome) -> None:
        """The batch as the store has it after a command the window carried out."""
        summary = outcome.summary
        if summary is not None and outcome.batch_id == self._page.batch_id:
            self._page.set_priority(summary.priority)
            self._page.apply_batch_event(
                BatchEvent(batch_id=outcome.batch_id, status=summary.status, counts=summary.counts))
        emit(self.jobs_stale)
        emit(self.commanded, command, outcome.batch_id)

    # ------------------------------------------------------------------ the account's blocker
    def cancel_blocking_quote(self, quote_id: str) -> None:
        """Cancel another client's quote that blocks the account: asked first, it is their work."""
        if not self._dialogs.confirm(
                "Cancel another client's quote?",
                f"Quote {quote_id} was sent by another client on this Momentum account. It is "
                "someone else's paid work: cancelling it throws that work away and they will have "
                "to quote again. Cancel it only if you know it is stuck or no longer wanted.",
                accept="Cancel their quote", reject="No, keep waiting", destructive=True):
            return
        connection = self._engine.connection
        make_client = connection.make_client if connection is not None else None
        if make_client is None:
            self._dialogs.error("Cancel the blocking quote", "There is no connection to the API.")
            return
        banner = self._page.wait_banner
        banner.set_unblocking(True)

        def done(cancelled: str) -> None:
            self._feedback.say(f"Quote {cancelled} cancelled; the batch goes on once the "
                               "account is free", 10000)
            emit(self.commanded, "unblock", self._page.batch_id or 0)

        account.cancel_blocking_quote(self, self._sessions, make_client, quote_id,
                                      unblock=self._unblock) \
            .success(done).failure(self._feedback.failed("Cancelling the blocking quote",
                                                         lambda: banner.set_unblocking(False))).run()
