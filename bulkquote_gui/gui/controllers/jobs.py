"""The recent jobs: the list on the start page (the rep's or the team's, read again as batches
move, one read in flight at a time), and at start the unfinished batches resumed and named."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from bulkquote_gui.gui import operations
from bulkquote_gui.gui.controllers.engine_link import EngineLink
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.controllers.window_store import WindowStore
from bulkquote_gui.gui.operations import jobs
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.blocks import Banner
from bulkquote_gui.gui.widgets.jobs_panel import MINE, TEAM, JobsPanel


class Jobs(QObject):
    jobs_shown = Signal()                # the recent jobs list was read and shown

    def __init__(self, panel: JobsPanel, feedback: Feedback, context: Any, store: WindowStore,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._panel = panel
        self._feedback = feedback
        self._context = context
        self._store = store
        self._refresh = operations.Coalescing(self._read)
        panel.set_scope(str(store.value("jobs/scope", MINE)))
        panel.scope_changed.connect(self._scope_changed)

    def refresh(self) -> None:
        """Read the recent jobs again (coalesced: one read in flight at a time)."""
        self._refresh.request()

    def _owner(self) -> str | None:
        """Whose batches the list shows: the rep's (Mine, by their name in Settings) or all (Team)."""
        return None if self._panel.scope == TEAM else self._context.settings.rep_name.strip()

    def _read(self) -> operations.Operation[jobs.Recent]:
        def show(recent: jobs.Recent) -> None:
            if recent.owner == self._owner():  # else the scope changed: the next read shows it
                self._panel.show_batches(recent.batches)
                emit(self.jobs_shown)

        def failed(message: str) -> None:  # the status bar only: this runs after every batch event
            self._feedback.say(f"Could not read the recent jobs: {message}", 10000)

        return jobs.recent(self, self._context.session_factory, owner=self._owner()) \
            .success(show).failure(failed)

    def _scope_changed(self, scope: str) -> None:
        self._store.put("jobs/scope", scope)
        self.refresh()


class Resumer(QObject):
    """At start, the batches left unfinished last time: resumed, named on a banner whose Show
    opens the first."""

    def __init__(self, banner: Banner, holder: QWidget, feedback: Feedback, context: Any,
                 engine: EngineLink, open_batch: Callable[[int], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._banner = banner
        self._holder = holder
        self._feedback = feedback
        self._context = context
        self._engine = engine
        self._open_batch = open_batch
        self._resumed_ids: list[int] = []
        banner.action_clicked.connect(self._show_resumed)

    def start(self) -> None:
        jobs.unfinished(self, self._context.session_factory).success(self._resume) \
            .failure(self._feedback.failed("Reading the unfinished batches")).run()

    def _resume(self, found: jobs.Unfinished) -> None:
        unfinished, names = found.ids, found.names
        if not unfinished:
            return
        self._resumed_ids = unfinished
        listed = ", ".join(f"#{i} {names.get(i, '')}".strip() for i in unfinished[:3])
        more = f" and {len(unfinished) - 3} more" if len(unfinished) > 3 else ""
        noun = "batch" if len(unfinished) == 1 else "batches"
        self._banner.set_text(f"Resuming {len(unfinished)} unfinished {noun} from last time: "
                              f"{listed}{more}.")
        self._holder.show()
        self._banner.show()
        self._feedback.say(f"Resuming {len(unfinished)} unfinished {noun}", 8000)
        self._engine.run_line()   # now, or once the engine is connected

    def _show_resumed(self) -> None:
        if self._resumed_ids:
            self._open_batch(self._resumed_ids[0])
        self._holder.hide()
