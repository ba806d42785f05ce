"""A column mapping the rep corrected, offered again for files with the same headers.

services/mapping_memory.py keeps it (the CLI's `submit` uses the same memory). The upload page
applies a remembered mapping when it loads a file (`apply_remembered`, on the loading thread)
and the mapping panel says so with `RememberedNote`: "Using the mapping you chose for a file
with these columns on Mar 4, 2026", with a link back to the automatic mapping. After a submit,
`remember_after_submit` keeps a mapping that differs from the automatic one, and forgets the
remembered one when the rep went back to the automatic mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.services.mapping_memory import MappingMemory, Remembered


@dataclass(frozen=True)
class Loaded:
    """A file as loaded: the mapping the importer found, and the remembered one if applied."""

    automatic: dict[str, str]
    remembered: Remembered | None


def apply_remembered(result: Any, memory: MappingMemory | None = None) -> tuple[Any, Loaded]:
    """The result with the mapping remembered for its headers (if any, and if it differs)."""
    automatic = dict(result.mapping or {})
    try:
        entry = (memory or MappingMemory()).recall_entry(result.columns or [])
    except OSError:
        entry = None
    if entry is None or entry.mapping == automatic:
        return result, Loaded(automatic, None)
    return result.with_mapping(dict(entry.mapping)), Loaded(automatic, entry)


def remember_after_submit(result: Any, loaded: Loaded | None, memory: MappingMemory | None = None) -> None:
    """Keep the mapping a batch was submitted with if the rep corrected it; a remembered one the
    rep turned back to automatic is forgotten."""
    if loaded is None:
        return
    memory = memory or MappingMemory()
    mapping = dict(result.mapping or {})
    columns = list(result.columns or [])
    if mapping != loaded.automatic:
        memory.remember(columns, mapping)
    elif loaded.remembered is not None:
        memory.forget(columns)


def note_text(entry: Remembered) -> str:
    day = entry.saved_on
    when = f" on {day:%b} {day.day}, {day.year}" if day else " before"
    return f"Using the mapping you chose for a file with these columns{when}."


class RememberedNote(QWidget):
    """One line in the mapping panel while a remembered mapping is in use."""

    automatic_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rememberedMapping")
        self.label = QLabel("")
        self.label.setObjectName("hint")
        self.label.setWordWrap(True)
        self.automatic_button = QPushButton("Use the automatic mapping")
        self.automatic_button.setObjectName("link")
        self.automatic_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.automatic_button.setToolTip("Map the columns as BulkQuote finds them by their "
                                         "names; submitting then forgets the remembered mapping")
        self.automatic_button.clicked.connect(lambda: emit(self.automatic_requested))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.automatic_button)
        self.hide()

    def show_entry(self, entry: Remembered | None) -> None:
        if entry is None:
            self.hide()
            return
        self.label.setText(note_text(entry))
        self.show()
