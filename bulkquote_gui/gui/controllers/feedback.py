"""What the window tells the rep about work it did: the status bar, and a failed operation's
dialog. One place, so every controller words a failure the same way."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from bulkquote_gui.gui.qt_compat import emit


class Feedback(QObject):
    task_failed = Signal(str)   # a background task's message, as shown to the rep

    def __init__(self, status_bar: Any, dialogs: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bar = status_bar
        self._dialogs = dialogs

    def say(self, text: str, ms: int = 0) -> None:
        self._bar.showMessage(text, ms)

    def clear(self) -> None:
        self._bar.clearMessage()

    def report(self, text: str, ms: int) -> None:
        """A failure that needs no dialog (the batch's own page shows it): said, and signalled."""
        self.say(text, ms)
        emit(self.task_failed, text)

    def failed(self, label: str, cleanup: Callable[[], None] | None = None) -> Callable[[str], None]:
        """An operation's failure handler: `cleanup`, then the message in the status bar and a dialog."""
        def failed(message: str) -> None:
            if cleanup is not None:
                cleanup()
            text = f"{label} failed: {message}"
            self.say(text, 10000)
            emit(self.task_failed, text)
            self._dialogs.error(label, text)
        return failed
