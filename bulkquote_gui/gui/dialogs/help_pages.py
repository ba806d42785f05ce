"""Help → Quick guide and Help → Keyboard shortcuts: two short pages in a dialog.

The shortcuts are read from the window's own actions each time the page opens, so the list
cannot drift from the keys that work.
"""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QMainWindow, QTextBrowser, QVBoxLayout,
                               QWidget)

GUIDE = """
<h3>Quote a spreadsheet of sites</h3>
<ol>
<li><b>Open the sheet</b>: drop a CSV, XLSX, XLS or ODS file on the window, or File → Open
spreadsheet… (Ctrl+O).</li>
<li><b>Check the preview</b>: every row is marked ready, invalid (with the reason) or duplicate.
Double-click a cell to fix it; the row is checked again at once. If a column was read as the
wrong field, Edit column mapping (Ctrl+M).</li>
<li><b>Pick the defaults</b> (speed, term, product, company) for rows whose own columns are
blank.</li>
<li><b>Submit</b> (Ctrl+Return): the batch is stored and quoted one site at a time; its page
shows each price as it comes.</li>
<li><b>Pause, cancel, retry</b> from the batch page or the Batch menu. Closing BulkQuote is safe:
an unfinished batch carries on the next time it opens.</li>
<li><b>Export</b> (Ctrl+E): the whole sheet back with status, reason and prices; Export fix
list… gives the rows not priced, to fix and drop back in.</li>
</ol>
<p>Without an API URL in Settings, BulkQuote runs in demo mode: prices come from a built-in
simulator. Help → Open log folder shows where the logs are, for IT.</p>
"""

# Keys that are not menu entries, in the words of the guide.
GENERAL_KEYS = (
    ("Tab / Shift+Tab", "Next / previous field; the grid is one stop, the arrows move inside it"),
    ("Return, Enter or Space", "Click the focused button"),
    ("Alt + underlined letter", "A menu, a menu entry or a button"),
    ("Mouse wheel", "Scrolls the page; changes a box only once it has the focus"),
)


def plain(text: str) -> str:
    """A menu entry's text as read: no mnemonic '&', no trailing '…'."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                     for k in action.shortcuts() if not k.isEmpty())


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, entry, keys) for every action of the window that has a key: the menus' in the
    order the menus show them, then any other."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def add(menu: str, action: QAction) -> None:
        if id(action) not in seen and not action.isSeparator() and _keys(action):
            seen.add(id(action))
            rows.append((menu, plain(action.text()), _keys(action)))

    for entry in window.menuBar().actions():
        if entry.menu() is not None:
            for action in entry.menu().actions():
                add(plain(entry.text()), action)
    for action in window.findChildren(QAction):
        add("", action)
    return rows


def shortcuts_html(window: QMainWindow) -> str:
    cells = "".join(f"<tr><td>{escape(entry)}</td><td><b>{escape(keys)}</b></td>"
                    f"<td>{escape(menu)}</td></tr>" for menu, entry, keys in shortcut_rows(window))
    general = "".join(f"<tr><td>{escape(what)}</td><td><b>{escape(keys)}</b></td><td></td></tr>"
                      for keys, what in GENERAL_KEYS)
    head = "<tr><th align=left>Action</th><th align=left>Key</th><th align=left>Menu</th></tr>"
    return (f"<h3>Keyboard shortcuts</h3><table cellpadding=4>{head}{cells}</table>"
            f"<h3>Everywhere</h3><table cellpadding=4>{general}</table>")


class HelpPage(QDialog):
    """A page of help text that scrolls on a small screen; Close below it."""

    def __init__(self, title: str, html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        # Within a small screen (a title bar's room left); the text scrolls.
        self.resize(min(620, room.width() - 40) if room else 620,
                    min(520, room.height() - 60) if room else 520)


def show_page(window: QWidget, title: str, html: str) -> HelpPage:
    """The page, modeless (read beside the window while working in it); one of each: pressed
    again, F1 brings the open guide forward instead of another."""
    page = next((p for p in window.findChildren(HelpPage) if p.windowTitle() == title), None)
    if page is None:
        page = HelpPage(title, html, window)
    else:
        page.text.setHtml(html)   # the shortcuts as they are now
    page.show()
    page.activateWindow()
    return page
