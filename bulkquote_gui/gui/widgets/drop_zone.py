"""The "Drop a spreadsheet here, or Browse…" target."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout
from bulkquote_gui.gui.qt_compat import emit

SPREADSHEET_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"})


def spreadsheet_in(urls) -> str | None:
    """The first local file among dropped URLs whose suffix we can read."""
    for url in urls:
        if url.isLocalFile():
            path = url.toLocalFile()
            if Path(path).suffix.lower() in SPREADSHEET_SUFFIXES:
                return path
    return None


class DropZone(QFrame):
    file_dropped = Signal(str)
    browse_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setProperty("dragActive", False)
        self.setMinimumHeight(120)

        self.title = QLabel("Drop a spreadsheet here")
        self.title.setObjectName("dropTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setObjectName("primary")
        self.browse_button.clicked.connect(self.browse_requested)
        hint = QLabel("CSV, TSV, Excel (XLSX, XLS) or OpenDocument (ODS) — one row per site")
        hint.setObjectName("hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)  # two lines beside the recent jobs at 1280x720 and 150 %

        row = QHBoxLayout()
        row.addStretch()
        or_label = QLabel("or")
        or_label.setObjectName("muted")
        row.addWidget(or_label)
        row.addWidget(self.browse_button)
        row.addStretch()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addStretch()
        layout.addWidget(self.title)
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addStretch()

    def _set_active(self, active: bool) -> None:
        self.setProperty("dragActive", active)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and spreadsheet_in(event.mimeData().urls()):
            event.acceptProposedAction()
            self._set_active(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_active(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_active(False)
        path = spreadsheet_in(event.mimeData().urls()) if event.mimeData().hasUrls() else None
        if path:
            event.acceptProposedAction()
            emit(self.file_dropped, path)
        else:
            event.ignore()
