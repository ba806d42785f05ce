"""Files the rep writes out: a batch's results (all rows or the priced ones), its rows to fix,
its proposal for the customer, and from the preview the cleaned addresses and the rows to fix. Each asks where, then writes
off the GUI thread with the busy indicator showing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.core.output.file_names import file_name
from bulkquote_gui.gui.controllers.feedback import Feedback
from bulkquote_gui.gui.controllers.window_store import WindowStore
from bulkquote_gui.gui.operations import Operation, batches, proposals
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.busy_status import BusyIndicator


class Exports(QObject):
    exported = Signal(str, int)          # path, rows written
    cleaned_exported = Signal(str)       # the cleaned-addresses CSV was written (its path)
    fix_list_exported = Signal(str, int) # a fix list was written: path, rows to fix
    proposal_written = Signal(str, int)  # a proposal was written: path, sites priced in it

    def __init__(self, progress_page: ProgressPage, dialogs: Any, feedback: Feedback,
                 busy: BusyIndicator, session_factory: Any, store: WindowStore,
                 source_paths: dict[int, Path], parent: QObject | None = None, *,
                 settings: Callable[[], Any] | None = None) -> None:
        super().__init__(parent)
        self._page = progress_page
        self._dialogs = dialogs
        self._feedback = feedback
        self._busy = busy
        self._sessions = session_factory
        self._store = store
        self._source_paths = source_paths  # batch -> the file it came from (this session)
        self._settings = settings          # the rep's current settings (company, logo)

    # ------------------------------------------------------------------ a stored batch
    def _batch_file(self, batch_id: int, what: str) -> str:
        """Beside the file the batch came from, else where the rep last exported or opened."""
        name = self._page.source_name if batch_id == self._page.batch_id else ""
        stem = Path(name).stem if name else f"batch-{batch_id}"
        file = file_name(stem, what)
        folder = self._source_paths.get(batch_id, Path()).parent if batch_id in self._source_paths \
            else self._store.last_folder("export") or self._store.last_folder("open")
        return str(folder / file) if folder else file

    def export_batch(self, batch_id: int, *, priced_only: bool = False) -> None:
        suggested = self._batch_file(batch_id, "priced" if priced_only else "quotes")
        path = self._dialogs.save_file("Export the priced rows" if priced_only else
                                       "Export the whole sheet with prices", suggested)
        if not path:
            return
        self._store.remember_folder("export", Path(path).parent)
        ended = self._busy.start(f"Exporting batch #{batch_id} to {Path(path).name}…")

        def done(rows: int) -> None:
            ended()
            self._feedback.say(f"Exported {rows:,} rows to {path}", 10000)
            emit(self.exported, path, rows)

        batches.export(self, self._sessions, batch_id, Path(path),
                       priced_only=priced_only).success(done) \
            .failure(self._feedback.failed("Exporting", ended)).run()

    def export_batch_fix_list(self, batch_id: int) -> None:
        """A finished batch's rows not priced (invalid, duplicate, failed) to an XLSX to fix."""
        path = self._dialogs.save_file("Export the rows to fix",
                                       self._batch_file(batch_id, "fix list"), "Excel (*.xlsx)")
        if not path:
            return
        self._store.remember_folder("export", Path(path).parent)
        ended = self._busy.start(f"Writing the rows to fix of batch #{batch_id} to {Path(path).name}…")
        batches.fix_list(self, self._sessions, batch_id, Path(path)) \
            .success(lambda n: (ended(), self._fix_list_written(path, n))) \
            .failure(self._feedback.failed("Exporting the fix list", ended)).run()

    def _fix_list_written(self, path: str, rows: int) -> None:
        self._feedback.say(f"{rows:,} row{'s' if rows != 1 else ''} to fix written to "
                           f"{Path(path).name}: fix them in Excel and drop the file back in", 10000)
        emit(self.fix_list_exported, path, rows)

    def create_proposal(self, batch_id: int) -> None:
        """"Create proposal…": the small dialog, then the file written off the GUI thread."""
        from bulkquote_gui.core.output.proposal_pdf import default_page_size
        from bulkquote_gui.gui.dialogs.proposal_dialog import PROPOSAL_FILTERS, ProposalDialog

        suggested = str(Path(self._batch_file(batch_id, "proposal")).with_suffix(".pdf"))
        dialog = ProposalDialog(batch_id, suggested, default_page_size(os.environ),
                                lambda s: self._dialogs.save_file("Save the proposal", s,
                                                                  PROPOSAL_FILTERS),
                                getattr(self._dialogs, "parent", None))
        accepted = self._dialogs.run(dialog)
        request = dialog.request
        dialog.deleteLater()
        if not accepted or request is None:
            return
        path = request.path
        self._store.remember_folder("export", path.parent)
        ended = self._busy.start(f"Writing the proposal of batch #{batch_id} to {path.name}…")
        settings = self._settings() if self._settings else None

        def done(sites: int) -> None:
            ended()
            self._feedback.say(f"Proposal of {sites:,} site{'s' if sites != 1 else ''} written "
                               f"to {path}", 10000)
            emit(self.proposal_written, str(path), sites)

        proposals.create(self, self._sessions, batch_id, path, customer=request.customer,
                         page=request.page, all_offers=request.all_offers,
                         company_name=getattr(settings, "company_name", ""),
                         logo=getattr(settings, "company_logo", "")) \
            .success(done).failure(self._feedback.failed("Creating the proposal", ended)).run()

    # ------------------------------------------------------------------ the preview
    def export_cleaned(self, result: Any) -> None:
        """What would be sent for each row of the sheet in the preview, to a CSV."""
        def written(path: str, rows: int) -> None:
            self._feedback.say(f"{rows:,} rows written to {Path(path).name}", 8000)
            emit(self.cleaned_exported, path)

        self._write_beside(result, "Export cleaned addresses", "cleaned.csv", "CSV (*.csv)",
                           _write_cleaned_rows, "Cannot write the file", written, (OSError,))

    def export_preview_fix_list(self, result: Any) -> None:
        """The preview's invalid rows to an XLSX the rep fixes and drops back in (core/output/fix_list.py)."""
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
        path = self._dialogs.save_file(title, str(source.with_name(f"{source.stem} - {suffix}")),
                                       file_filter)
        if not path:
            return

        ended = self._busy.start(f"Writing {Path(path).name}…")

        def done(rows: int) -> None:
            ended()
            written(path, rows)

        def failed(message: str) -> None:
            ended()
            self._feedback.clear()   # "Writing …" is over
            self._dialogs.error(failed_title, f"{Path(path).name}: {message}")

        # The error's own words (an OSError's errno and path), not a store's sentence.
        Operation(self, lambda _sessions: writer(result, path), expected=expected, describe=str) \
            .success(done).failure(failed).run()


# The writers, imported on the thread that writes (they bring openpyxl, SQLAlchemy, the export).
def _write_cleaned_rows(result: Any, path: str) -> int:
    from bulkquote_gui.core.output.cleaned_rows import write_cleaned_rows
    return write_cleaned_rows(result, path)


def _write_preview_fix_list(result: Any, path: str) -> int:
    from bulkquote_gui.core.output.fix_list import write_preview_fix_list
    return write_preview_fix_list(result, path)
