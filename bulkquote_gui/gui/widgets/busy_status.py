"""A moving bar in the status bar while the window writes a file (an export of 8,000 rows takes
seconds): the rep sees it is working, and the message says what. Several at once share it."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QProgressBar, QStatusBar


class BusyIndicator(QProgressBar):
    def __init__(self, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self._status_bar = status_bar
        self._running = 0
        self.setRange(0, 0)           # no known end: the bar moves
        self.setMaximumWidth(140)
        self.setTextVisible(False)
        self.hide()
        status_bar.addPermanentWidget(self)

    def start(self, text: str) -> Callable[[], None]:
        """Show the bar and `text`; call what it returns once the work is done (once)."""
        self._running += 1
        self.show()
        self._status_bar.showMessage(text)
        ended = [False]

        def done() -> None:
            if ended[0]:
                return
            ended[0] = True
            self._running -= 1
            if self._running == 0:
                self.hide()

        return done
