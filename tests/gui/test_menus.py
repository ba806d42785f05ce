"""The window's menus as a rep meets them by keyboard (issue 15, finding 11): in every menu, and
in the menu bar, each Alt+letter names one entry."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QMenu

from bulkquote_gui.gui.app import attach_extras

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
