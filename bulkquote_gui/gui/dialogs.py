"""Every modal question the window asks, behind one small object that tests replace.

The main window and its pages never call QMessageBox or QFileDialog directly: they call
`self.dialogs.confirm(...)` etc., so a test can hand in an object that answers scripted values.
"""

from __future__ import annotations

import weakref

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

SPREADSHEET_FILTER = "Spreadsheets (*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods);;All files (*)"
EXPORT_FILTERS = "Excel workbook (*.xlsx);;CSV (*.csv)"


class Dialogs:
    """Real, native dialogs parented to a window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # A weak link: the window owns this object, and a cycle would leave the window's fate
        # to the garbage collector.
        self._parent = weakref.ref(parent) if parent is not None else None

    @property
    def parent(self) -> QWidget | None:
        return self._parent() if self._parent is not None else None

    def confirm(self, title: str, text: str, *, accept: str = "OK", reject: str = "Cancel",
                destructive: bool = False) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
                          title, text, parent=self.parent)
        yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(reject, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no if destructive else yes)
        box.exec()
        return box.clickedButton() is yes

    def info(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)

    def error(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)

    def open_file(self, title: str = "Open a spreadsheet", filters: str = SPREADSHEET_FILTER, *,
                  folder: str = "") -> str | None:
        """`folder`: where the dialog starts (the last one the rep opened a file from)."""
        path, _ = QFileDialog.getOpenFileName(self.parent, title, folder, filters)
        return path or None

    def save_file(self, title: str, suggested: str, filters: str = EXPORT_FILTERS) -> str | None:
        """A path to write, with the suffix the chosen filter implies when the rep typed none.
        `suggested` may be a full path: the dialog starts in its folder."""
        path, chosen = QFileDialog.getSaveFileName(self.parent, title, suggested, filters)
        if not path:
            return None
        if "." not in path.rsplit("/", 1)[-1]:
            path += ".csv" if "csv" in chosen.lower() else ".xlsx"
        return path

    def run(self, dialog: QDialog) -> bool:
        """Show a dialog of our own (settings) modally; True if the rep accepted it."""
        return dialog.exec() == QDialog.DialogCode.Accepted
