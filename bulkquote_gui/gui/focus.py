"""Keyboard focus kept across a moment of being disabled.

Qt moves the focus off a widget it disables: to the next field (Test connection sent it into
"Poll interval") or nowhere (a Speed box changed by keyboard lost the focus while the rows were
checked again). `disable` hands back the call that enables the widgets again and gives the focus
back to where it was, unless the rep has moved it meanwhile.
"""

from __future__ import annotations

from typing import Callable, Sequence

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget


def _inside(widget: QWidget | None, widgets: Sequence[QWidget]) -> bool:
    return widget is not None and any(w is widget or w.isAncestorOf(widget) for w in widgets)


def disable(widgets: Sequence[QWidget]) -> Callable[[], None]:
    """Disable `widgets`; the returned call enables them and gives the focus back."""
    had = QApplication.focusWidget()
    had = had if _inside(had, widgets) else None
    for widget in widgets:
        widget.setEnabled(False)
    moved_to = QApplication.focusWidget()   # where Qt sent it (None: nowhere)

    def enable() -> None:
        for widget in widgets:
            widget.setEnabled(True)
        if had is not None and shiboken6.isValid(had) and had.isVisible() and had.isEnabled() \
                and QApplication.focusWidget() is moved_to:
            had.setFocus(Qt.FocusReason.OtherFocusReason)

    return enable
