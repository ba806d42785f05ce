"""The finished page's "Compare with…": a dialog of the changes since an earlier batch, read
through operations (gui/operations/comparisons)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.gui.dialogs.compare_dialog import CompareDialog
from bulkquote_gui.gui.operations import Latest, comparisons
from bulkquote_gui.gui.pages.progress_page import ProgressPage
from bulkquote_gui.gui.qt_compat import emit


class Comparisons(QObject):
    compared = Signal(int, int)   # old batch, new batch: the dialog shows their changes

    def __init__(self, page: ProgressPage, context: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._page = page
        self._context = context
        self.dialog: CompareDialog | None = None
        self._latest = Latest()   # the rep may pick another batch before an answer is back
        page.compare_requested.connect(self.open)

    def open(self, batch_id: int) -> None:
        if self.dialog is not None:
            self.dialog.close()
        dialog = self.dialog = CompareDialog(batch_id, self._page.source_name, self._page.window())
        dialog.batch_chosen.connect(lambda old: self._compare(dialog, old))
        comparisons.candidates(self, self._context.session_factory, batch_id) \
            .success(dialog.set_candidates).failure(dialog.show_failure).run()
        dialog.show()

    def _compare(self, dialog: CompareDialog, old_batch: int) -> None:
        def show(done: comparisons.Compared) -> None:
            if self.dialog is dialog:
                dialog.show_changes(done.old_batch, done.changes)
                emit(self.compared, done.old_batch, done.new_batch)

        self._latest.run(comparisons.compare(self, self._context.session_factory, old_batch,
                                             dialog.batch_id)
                         .success(show).failure(dialog.show_failure))
