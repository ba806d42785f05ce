"""Where the window opens: as it was left when that still fits the screen, else sized for the
screen it opens on (gui/window_geometry.py), and saved again when it closes."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

from bulkquote_gui.gui.controllers.window_store import WindowStore
from bulkquote_gui.gui.window_geometry import FRAME_ESTIMATE, opening_geometry

MINIMUM_SIZE = (720, 420)  # 1280x720 at 150 % is 853x480 logical, less the task bar


def restore_geometry(window: QMainWindow, store: WindowStore) -> None:
    geometry = store.value("geometry")
    saved = None
    if isinstance(geometry, QByteArray) and not geometry.isEmpty() \
            and window.restoreGeometry(geometry):
        if window.isMaximized() or window.isFullScreen():
            return  # the window manager fits it to the screen
        saved = QRect(window.pos(), window.size())
    fit_to_screen(window, saved)


def fit_to_screen(window: QMainWindow, saved: QRect | None = None) -> None:
    """Sized for the screen it opens on (gui/window_geometry.py): 1360x860 does not fit a
    1280x720 laptop at 125 %, and a size saved there is too small for a 1440x900 screen."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area: QRect = screen.availableGeometry()
    frame = window.frameGeometry().size() - window.geometry().size()  # 0 before the first show
    frame = frame.expandedTo(FRAME_ESTIMATE)
    place = opening_geometry(area, saved, frame)
    if place == saved:
        return  # it fits: as Qt restored it (moving it again would shift it by the frame)
    window.setMinimumSize(min(MINIMUM_SIZE[0], place.width()), min(MINIMUM_SIZE[1], place.height()))
    window.resize(place.size())
    window.move(place.topLeft())


def save_geometry(window: QMainWindow, store: WindowStore) -> None:
    store.put("geometry", window.saveGeometry())
