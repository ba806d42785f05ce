"""The window's menus as a rep meets them by keyboard (issue 15): in every menu, and in the menu
bar, each Alt+letter names one entry (finding 11); Quit asks before fixes made in the preview are
lost (finding 12)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QMenu

from bulkquote_gui.gui.app import attach_extras
from tests.gui.conftest import SAMPLE

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()


def mnemonic(text: str) -> str | None:
    """The letter after a single '&' ("&&" is a literal ampersand)."""
    found = re.search(r"(?<!&)&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def clashes(texts: list[str]) -> dict[str, list[str]]:
    by_letter: dict[str, list[str]] = {}
    for text in texts:
        if (letter := mnemonic(text)) is not None:
            by_letter.setdefault(letter, []).append(text)
    return {letter: texts for letter, texts in by_letter.items() if len(texts) > 1}


def test_mnemonic_reads_qt_ampersands():
    assert mnemonic("E-mail &notifications…") == "n"
    assert mnemonic("Save && &quit") == "q" and mnemonic("R&&D") is None


def test_every_menu_has_one_entry_per_letter(window):
    attach_extras(window)   # the full menus, as the app builds them
    bar = window.menuBar()
    assert not clashes([a.text() for a in bar.actions()])
    menus = window.findChildren(QMenu)
    assert len(menus) >= 3
    for menu in menus:
        texts = [a.text() for a in menu.actions() if not a.isSeparator() and a.isVisible()]
        assert all(mnemonic(t) for t in texts), f"{menu.title()}: an entry without a letter: {texts}"
        assert not clashes(texts), f"{menu.title()}: {clashes(texts)}"


# ---------------------------------------------------------------- Quit (finding 12)
def _loaded(qtbot, window):
    with qtbot.waitSignal(window.upload_page.loaded, timeout=20_000):
        window.load_file(SAMPLE)
    return window.upload_page.model


def test_quit_asks_first_when_cells_were_fixed(qtbot, window, dialogs):
    model = _loaded(qtbot, window)
    cell = model.index(0, model.columnCount() - 1)
    assert model.setData(cell, "fixed by hand")   # as the grid's editor does
    dialogs.confirms.append(False)                # "Go back"
    window.quit_action.trigger()                  # Ctrl+Q
    assert dialogs.asked[-1] == ("confirm", "Quit and lose your fixes?")
    assert window.isVisible() and model.result is not None
    dialogs.confirms.append(True)
    window.quit_action.trigger()
    assert not window.isVisible()


def test_quit_closes_at_once_when_nothing_would_be_lost(qtbot, window, dialogs):
    _loaded(qtbot, window)   # the file is on disk: reopening it gives the same
    window.quit_action.trigger()
    assert not window.isVisible() and not [a for a in dialogs.asked if a[0] == "confirm"]


def _page_texts(window) -> list[str]:
    """The menu bar's titles and the Alt+letter texts of the buttons and labels now showing."""
    from PySide6.QtWidgets import QAbstractButton, QLabel

    texts = [a.text() for a in window.menuBar().actions()]
    for widget in window.centralWidget().findChildren(QAbstractButton):
        if widget.isVisible():
            texts.append(widget.text())
    for label in window.centralWidget().findChildren(QLabel):
        if label.isVisible() and label.buddy() is not None:
            texts.append(label.text())
    return texts


def test_alt_letters_on_each_page_name_one_thing(qtbot, window, context):
    """Alt+letter on a page: one button (or labelled field), never also a menu."""
    from tests.gui.conftest import store_batch

    _loaded(qtbot, window)
    window.upload_page.mapping_panel.set_expanded(True)
    upload = [mnemonic(t) for t in _page_texts(window)]
    assert {"f", "b", "h", "s"} <= set(upload)   # the menus and Submit at least
    assert not clashes(_page_texts(window)), clashes(_page_texts(window))
    with qtbot.waitSignal(window.batch_opened, timeout=20_000):
        window.open_batch(store_batch(context))
    assert not clashes(_page_texts(window)), clashes(_page_texts(window))
