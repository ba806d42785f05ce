"""The upload page's work off the GUI thread (reading a file, checking its rows again with a new
mapping or defaults) and the row that shows it: a label and the importer's progress.

Each piece of work is an `Operation` started through a `Latest`: the rep may ask for something
newer (another sheet, another mapping) before the last is back, and only the newest answer is
shown. The importer reports how far it got (0..1); the bar shows it as a percentage.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from bulkquote_gui.gui.operations import Latest, Operation, Progress
from bulkquote_gui.gui.qt_compat import emit

# work(fraction_done): runs on a worker thread; calls fraction_done(0..1) as it goes.
Work = Callable[[Callable[[float], None]], Any]


def spreadsheet_reader():
    from bulkquote_gui.core.intake import importer  # heavy (pandas): loaded on first use, not at start-up
    return importer


def _file_trouble(error: BaseException) -> str:
    """A sentence naming the file (the importer's own) or, for a bug, what went wrong."""
    if isinstance(error, spreadsheet_reader().SpreadsheetError):
        return str(error)
    return f"Could not read the file: {type(error).__name__}: {error}"


class LoadingRow(QWidget):
    """Hidden unless work is running; `busy_changed` says when it starts and ends."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._latest = Latest()
        self._busy = False
        self.label = QLabel("")
        self.label.setObjectName("muted")
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setMaximumWidth(320)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addStretch()
        self.setVisible(False)

    def is_busy(self) -> bool:
        return self._busy

    def start(self, label: str, work: Work, done: Callable[[Any], None],
              failed: Callable[[str], None]) -> None:
        """`work` off the GUI thread, then `done(value)` or `failed(sentence)`; what was started
        before is dropped."""
        def run(_sessions: Any, report: Callable[[int, int], None]) -> Any:
            return work(lambda fraction: report(max(0, min(100, int(fraction * 100))), 100))

        def answered(then: Callable[[Any], None], value: Any) -> None:
            self._set_busy(False)
            then(value)

        self._set_busy(True, label)
        operation = Operation(self, run, reports_progress=True,
                              expected=(spreadsheet_reader().SpreadsheetError,), describe=_file_trouble)
        self._latest.run(operation.progress(self._show_progress)
                         .success(lambda value: answered(done, value))
                         .failure(lambda message: answered(failed, message)))

    def cancel(self) -> None:
        """Whatever is running is no longer wanted (the page was cleared)."""
        self._latest.cancel()
        if self._busy:
            self._set_busy(False)

    def _show_progress(self, report: Progress) -> None:
        self.bar.setRange(0, report.total)
        self.bar.setValue(report.done)

    def _set_busy(self, busy: bool, label: str = "") -> None:
        self._busy = busy
        self.label.setText(label)
        self.bar.setRange(0, 0 if busy else 100)  # indeterminate until the work reports
        self.setVisible(busy)
        emit(self.busy_changed, busy)
