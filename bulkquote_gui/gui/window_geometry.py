"""Where the main window opens, and how big: made for the screen it opens on.

A geometry saved on another screen (or a window the rep once squeezed) is clamped to this
screen's free area, frame and title bar included, and never made smaller than a usable window:
a 720x474 window saved on a small laptop opened on a 1440x900 screen showed one grid row.
Plain arithmetic on rectangles, so it is tested without a window manager.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

DEFAULT_SIZE = QSize(1360, 860)
# The smallest window a page is comfortable in: 1280x720 at 125 % (1024x576 logical, the smallest
# screen BulkQuote is made for) gets all of its free area; a bigger screen at least this much.
USABLE_SIZE = QSize(1024, 640)
# The window manager's frame and title bar, unknown before the window is first shown.
FRAME_ESTIMATE = QSize(16, 40)


def _clamp(value: int, low: int, high: int) -> int:
    return max(min(value, high), min(low, high))


def opening_geometry(area: QRect, saved: QRect | None = None,
                     frame: QSize = FRAME_ESTIMATE) -> QRect:
    """The window's size and its frame's top-left corner on a screen whose free area (less the
    task bar) is `area`: the saved geometry when it fits, else the default, clamped between
    the usable size and the room the screen has."""
    room = QSize(max(1, area.width() - frame.width()), max(1, area.height() - frame.height()))
    wanted = saved.size() if saved is not None else DEFAULT_SIZE
    size = QSize(_clamp(wanted.width(), USABLE_SIZE.width(), room.width()),
                 _clamp(wanted.height(), USABLE_SIZE.height(), room.height()))
    if saved is None:  # centred
        x = area.x() + (area.width() - size.width() - frame.width()) // 2
        y = area.y() + (area.height() - size.height() - frame.height()) // 2
    else:  # where the rep left it, moved in so that all of it is on this screen
        x = _clamp(saved.x(), area.x(), area.x() + room.width() - size.width())
        y = _clamp(saved.y(), area.y(), area.y() + room.height() - size.height())
    return QRect(max(area.x(), x), max(area.y(), y), size.width(), size.height())
