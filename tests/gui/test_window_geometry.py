"""Issue 15, finding 4: the window opens at a size made for the screen it opens on. A geometry
saved on another screen is clamped to this one and never made smaller than usable."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize

from bulkquote_gui.gui.window_geometry import (DEFAULT_SIZE, FRAME_ESTIMATE, USABLE_SIZE,
                                               opening_geometry)
from bulkquote_gui.services.paths import config_dir

BIG = QRect(0, 0, 1440, 900)        # a 1440x900 screen
SMALL = QRect(0, 0, 1024, 576)      # 1280x720 at 125 %


def frame_of(place: QRect) -> QRect:
    return place.adjusted(0, 0, FRAME_ESTIMATE.width(), FRAME_ESTIMATE.height())


def test_first_start_on_a_small_laptop_takes_its_whole_free_area():
    place = opening_geometry(SMALL)
    assert SMALL.contains(frame_of(place))
    assert place.size() == QSize(1024 - FRAME_ESTIMATE.width(), 576 - FRAME_ESTIMATE.height())


def test_first_start_on_a_big_screen_opens_at_the_default_size_centred():
    place = opening_geometry(BIG)
    assert place.size() == DEFAULT_SIZE and BIG.contains(frame_of(place))


def test_a_size_saved_on_a_small_screen_opens_usable_on_a_big_one():
    place = opening_geometry(BIG, QRect(40, 30, 720, 474))
    assert place.size() == USABLE_SIZE
    assert place.topLeft() == QRect(40, 30, 1, 1).topLeft()  # where the rep left it
    assert BIG.contains(frame_of(place))


def test_a_size_saved_on_a_big_screen_is_clamped_to_a_small_one():
    place = opening_geometry(SMALL, QRect(300, 200, 1360, 860))
    assert SMALL.contains(frame_of(place))
    assert place.size() == QSize(1024 - FRAME_ESTIMATE.width(), 576 - FRAME_ESTIMATE.height())


def test_a_window_saved_off_this_screen_is_moved_onto_it():
    area = QRect(1920, 0, 1440, 900)  # a second screen on the right, the task bar elsewhere
    place = opening_geometry(area, QRect(-900, 2000, 1100, 700))
    assert area.contains(frame_of(place)) and place.size() == QSize(1100, 700)


def test_the_window_reopens_usable_after_a_tiny_saved_size(qtbot, make_window):
    first = make_window()
    first.resize(720, 474)
    first.move(23, 31)
    first.shutdown()  # saves the geometry as the app does when it closes
    saved = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat).value("geometry")
    assert isinstance(saved, QByteArray) and not saved.isEmpty()
    second = make_window()  # the test screen is 1920x1080
    assert second.width() >= USABLE_SIZE.width() and second.height() >= USABLE_SIZE.height()
    assert second.screen().availableGeometry().contains(second.frameGeometry())
