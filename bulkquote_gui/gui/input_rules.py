"""What the mouse wheel, Return and Tab do, for every widget of the app at once.

- The wheel scrolls the page, never a field the rep is not editing: a combo or spin box under
  the pointer would take it as a change of value (scrolling the upload page over the Defaults'
  Speed box set every row to 10 Gbps). Such a field takes the wheel only while it has keyboard
  focus; otherwise the wheel goes on to its parent, and the enclosing scroll area scrolls.
- Return or Enter on a focused push button clicks it, as Space does (Qt does so only for a
  dialog's buttons).
- A scroll area that holds a page is no Tab stop (it would show no focus).

One filter on the QApplication, so a field or button built later is covered too. Installed by
app.create_application.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QDialog, QPushButton,
                               QScrollArea)

FIELDS = (QComboBox, QAbstractSpinBox)
_POLISH, _WHEEL = QEvent.Type.Polish, QEvent.Type.Wheel


class InputRules(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == _WHEEL:
            if isinstance(watched, FIELDS) and not watched.hasFocus():
                # Ignored and filtered: Qt offers a spontaneous wheel event to the parent next.
                event.ignore()
                return True
        elif kind == _POLISH:   # once per widget, before it first shows
            if isinstance(watched, FIELDS):
                # Qt's default WheelFocus would hand the field focus on the first notch, and the
                # notches after it would change the value after all.
                if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                    watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            elif isinstance(watched, QScrollArea):
                # A page's scroll area would be a Tab stop that shows no focus; the focused
                # field inside is kept in sight anyway.
                watched.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            elif isinstance(watched, QPushButton) and not isinstance(watched.window(), QDialog):
                # An auto-default button clicks on Return/Enter (QPushButton::keyPressEvent).
                # A dialog's buttons are left to Qt: they are auto-default there already, and
                # one made otherwise on purpose stays so.
                watched.setAutoDefault(True)
        return False


def install(app: QApplication) -> InputRules:
    """Filter `app`'s events once (idempotent); returns the filter."""
    rules = app.findChild(InputRules)
    if rules is None:
        rules = InputRules(app)   # owned by the app: lives as long as it
        app.installEventFilter(rules)
    return rules
