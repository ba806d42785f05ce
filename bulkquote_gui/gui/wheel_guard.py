"""The mouse wheel scrolls the page, never a field the rep is not editing.

A combo or spin box under the pointer would take the wheel as a change of value: scrolling the
upload page over the Defaults' Speed box set every row to 10 Gbps. One filter on the QApplication
covers every combo and spin box, those built later included: such a field takes the wheel only
while it has keyboard focus; otherwise the wheel goes on to its parent, and the enclosing scroll
area scrolls. Installed by app.create_application.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox

FIELDS = (QComboBox, QAbstractSpinBox)
_POLISH, _WHEEL = QEvent.Type.Polish, QEvent.Type.Wheel


class WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == _WHEEL:
            if isinstance(watched, FIELDS) and not watched.hasFocus():
                # Ignored and filtered: Qt offers a spontaneous wheel event to the parent next.
                event.ignore()
                return True
        elif kind == _POLISH and isinstance(watched, FIELDS):
            # Qt's default WheelFocus would hand the field focus on the first tick, and the
            # ticks after it would change the value after all.
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return False


def install(app: QApplication) -> WheelGuard:
    """Filter `app`'s events once (idempotent); returns the guard."""
    guard = app.findChild(WheelGuard)
    if guard is None:
        guard = WheelGuard(app)   # owned by the app: lives as long as it
        app.installEventFilter(guard)
    return guard
