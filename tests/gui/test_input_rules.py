"""gui/input_rules.py, as create_application installs it (issue 15):
- the mouse wheel over a combo or spin box the rep is not editing scrolls the page and leaves the
  value alone (finding 2); with keyboard focus the wheel still changes the value. Real wheel
  events: QTest.wheelEvent goes through the window system, so Qt delivers it as it delivers a
  mouse's (focus by wheel, passed on to the parent when ignored);
- Return or Enter on a focused button clicks it, as Space does (finding 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from bulkquote_gui.gui.app import create_application
from bulkquote_gui.gui.dialogs.email_settings import EmailSettingsDialog
from bulkquote_gui.gui.dialogs.settings_dialog import SettingsDialog
from bulkquote_gui.gui.style import apply_theme
from bulkquote_gui.services.secrets import SmtpPasswordStore
from bulkquote_gui.services.settings import Settings
from tests.gui.conftest import SAMPLE

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()

DOWN = QPoint(0, -120)  # one notch towards the rep


@pytest.fixture(autouse=True)
def app(qapp):
    """The application as `bulkquote` makes it (create_application installs the rules)."""
    create_application()
    yield qapp
    apply_theme(qapp, dark=False)  # the tests' light theme, as conftest sets it


def value(field: QWidget) -> object:
    return field.currentIndex() if isinstance(field, QComboBox) else field.value()


def wheel(field: QWidget, notches: int = 1) -> None:
    """Turn the wheel over the middle of `field`, as a mouse would."""
    top = field.window()
    at = field.mapTo(top, field.rect().center())
    for _ in range(notches):
        QTest.wheelEvent(top.windowHandle(), at.toPointF(), DOWN * 1)
        QApplication.processEvents()


def scroll_area_of(field: QWidget) -> QAbstractScrollArea:
    parent = field.parentWidget()
    while not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def in_sight(field: QWidget) -> None:
    """Scroll the field's area so the field is under the pointer, with room to scroll further."""
    QApplication.processEvents()   # the page laid out as shown
    area = scroll_area_of(field)
    area.verticalScrollBar().setValue(0)
    area.ensureWidgetVisible(field, 0, 2 * field.height())
    QApplication.processEvents()
    assert area.verticalScrollBar().value() < area.verticalScrollBar().maximum(), "nothing to scroll"
    top = field.window()
    under = top.childAt(field.mapTo(top, field.rect().center()))
    assert under is field or field.isAncestorOf(under), "not under the pointer"


def assert_wheel_scrolls_past(field: QWidget, *, scrolls: bool = True) -> None:
    assert not field.hasFocus()
    before = value(field)
    bar = scroll_area_of(field).verticalScrollBar() if scrolls else None
    start = bar.value() if bar is not None else 0
    wheel(field, 2)   # the second notch too: the first must not have given it focus
    assert value(field) == before, f"the wheel changed {field.objectName() or type(field).__name__}"
    assert not field.hasFocus()
    if bar is not None:
        assert bar.value() > start, "the page did not scroll"


def assert_wheel_changes_with_focus(field: QWidget) -> None:
    field.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    assert field.hasFocus(), QApplication.focusWidget()
    before = value(field)
    wheel(field)
    assert value(field) != before


@pytest.fixture
def small_window(qtbot, window):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    window.resize(900, 460)   # a small screen: what is above Submit scrolls
    qtbot.waitUntil(lambda: window.upload_page.above_scroll.verticalScrollBar().maximum() > 0)
    return window


def test_the_wheel_over_a_default_or_a_mapping_box_scrolls_the_upload_page(qtbot, small_window):
    defaults, panel = small_window.upload_page.defaults_panel, small_window.upload_page.mapping_panel
    panel.set_expanded(True)
    qtbot.waitUntil(lambda: small_window.upload_page.above_scroll.verticalScrollBar().maximum() > 0)
    mapping = panel.mapping()
    street = panel.combos["street"]
    for field in (defaults.speed, defaults.term, defaults.product, street):
        small_window.upload_page.setFocus()
        in_sight(field)
        assert_wheel_scrolls_past(field)
    assert panel.mapping() == mapping
    assert small_window.upload_page.defaults() == defaults.defaults()
    for field in (defaults.speed, street):
        qtbot.waitUntil(lambda: not small_window.upload_page.is_busy())  # re-checked the rows
        in_sight(field)
        assert_wheel_changes_with_focus(field)


def _settings_dialog(qtbot) -> SettingsDialog:
    dialog = SettingsDialog(Settings(default_term_months=36))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.scroll.setMinimumHeight(100)   # as on a small screen
    dialog.layout().activate()
    dialog.resize(dialog.width(), 240)   # shorter than its boxes: it scrolls
    qtbot.waitUntil(lambda: dialog.scroll.verticalScrollBar().maximum() > 0)
    return dialog


def test_the_wheel_over_a_setting_scrolls_the_settings(qtbot):
    dialog = _settings_dialog(qtbot)
    before = dialog.edited_settings()
    for field in (dialog.term_combo, dialog.poll_spin):
        dialog.providers_button.setFocus()   # the dialog's first field, as when it opens
        in_sight(field)
        assert_wheel_scrolls_past(field)
    assert dialog.edited_settings() == before and before.default_term_months == 36
    for field in (dialog.term_combo, dialog.poll_spin):
        in_sight(field)
        assert_wheel_changes_with_focus(field)


def test_the_wheel_leaves_the_email_settings_alone(qtbot):
    dialog = EmailSettingsDialog(Settings(smtp_port=587), SmtpPasswordStore())
    qtbot.addWidget(dialog)
    dialog.show()
    for field in (dialog.security_combo, dialog.port_spin):
        dialog.host_edit.setFocus()
        QApplication.processEvents()
        assert_wheel_scrolls_past(field, scrolls=False)   # no scroll area: nothing moves at all
    for field in (dialog.security_combo, dialog.port_spin):
        assert_wheel_changes_with_focus(field)


def test_every_field_built_later_is_guarded_too(qtbot):
    """A field no page knows of yet: the guard is the application's, not a page's."""
    for field in (QComboBox(), QAbstractSpinBox()):
        qtbot.addWidget(field)
        field.show()
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_return_on_a_focused_button_clicks_it(qtbot, window, dialogs, key):
    browse = window.upload_page.drop_zone.browse_button
    browse.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    assert browse.hasFocus()
    QTest.keyClick(browse, key)
    assert ("open", "") in dialogs.asked   # Browse… asked for a file


def test_return_clicks_a_button_built_later(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    button = QPushButton("Later", holder)
    QVBoxLayout(holder).addWidget(button)
    holder.show()
    with qtbot.waitSignal(button.clicked, timeout=1000):
        QTest.keyClick(button, Qt.Key.Key_Return)


def _tab_stops(top: QWidget) -> list[QWidget]:
    """Every widget Tab reaches in `top`, once round."""
    stops: list[QWidget] = []
    for _ in range(200):
        top.focusNextChild()
        now = QApplication.focusWidget()
        if now is None or now in stops:
            return stops
        stops.append(now)
    return stops


def test_no_scroll_area_is_a_tab_stop(qtbot, small_window):
    """A page's scroll area took a Tab stop and showed no focus (issue 15, polish)."""
    stops = _tab_stops(small_window)
    assert small_window.upload_page.submit_button in stops
    assert not [s for s in stops if isinstance(s, QScrollArea)]


def test_the_settings_scroll_area_is_no_tab_stop(qtbot):
    dialog = _settings_dialog(qtbot)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.providers_button.setFocus()
    stops = _tab_stops(dialog)
    assert dialog.poll_spin in stops and not [s for s in stops if isinstance(s, QScrollArea)]


def test_the_wheel_over_the_batch_page_s_filter_scrolls_the_page(qtbot, window, context):
    from tests.gui.conftest import store_batch

    batch_id = store_batch(context)   # paused: its page shows, nothing runs
    with qtbot.waitSignal(window.batch_opened, timeout=20_000):
        window.open_batch(batch_id)
    window.resize(900, 420)
    qtbot.waitUntil(lambda: window.page_scroll.verticalScrollBar().maximum() > 0)
    field = window.progress_page.filter_combo
    assert field.count() > 1
    window.progress_page.setFocus()
    in_sight(field)
    assert_wheel_scrolls_past(field)
    in_sight(field)
    assert_wheel_changes_with_focus(field)
