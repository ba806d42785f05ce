"""Every modal question the window asks, behind one small object that tests replace.

The main window and its pages never call QMessageBox or QFileDialog directly: they call
`self.dialogs.confirm(...)` etc., so a test can hand in an object that answers scripted values.

File dialogs and the database's locks. SQLite's locks are POSIX locks, which the kernel drops
for the whole process as soon as *any* descriptor of the file is closed in it. Qt's file dialog
listed the database's folder through QFileSystemModel, whose QFileInfoGatherer asks the icon
provider for each file's type: QAbstractFileIconProvider::type() -> QMimeDatabase::mimeTypeForFile
opened `bulkquote.sqlite`, `-wal` and `-shm` to sniff their content and closed them, and every
lock the window held was gone (found with strace; tests/gui/test_database_locks.py). So file
dialogs here are Qt's own (never the platform's, which sniffs as well: GTK's via GIO), with an
icon provider that decides by name alone and never opens a file, they never start in the
database's folder, and a path in it is refused before anything opens it.
"""

from __future__ import annotations

import re
import weakref
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QDir, QFileInfo, QLocale, QMimeDatabase, QTime
from PySide6.QtGui import QAbstractFileIconProvider
from PySide6.QtWidgets import (QDialog, QFileDialog, QFileIconProvider, QMessageBox, QStyle,
                               QTreeView, QWidget)

from bulkquote_gui.services.paths import is_database_path

SPREADSHEET_FILTER = "Spreadsheets (*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods);;All files (*)"
EXPORT_FILTERS = "Excel workbook (*.xlsx);;CSV (*.csv)"


DATABASE_REFUSED = ("That is BulkQuote's own database folder. Choose a spreadsheet (or a place "
                    "for the export) somewhere else.")


class NameOnlyIconProvider(QFileIconProvider):
    """Icons and types from a file's name only: never opens a file (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setOptions(QAbstractFileIconProvider.Option.DontUseCustomDirectoryIcons)
        self._mimes = QMimeDatabase()
        self._folder = super().icon(QAbstractFileIconProvider.IconType.Folder)
        self._file = super().icon(QAbstractFileIconProvider.IconType.File)
        self._drive = super().icon(QAbstractFileIconProvider.IconType.Drive)

    def icon(self, what: Any) -> Any:  # noqa: D401 - Qt's overloads: IconType or QFileInfo
        if isinstance(what, QFileInfo):
            if what.isRoot():
                return self._drive
            return self._folder if what.isDir() else self._file
        return super().icon(what)

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        mime = self._mimes.mimeTypeForFile(info, QMimeDatabase.MatchMode.MatchExtension)
        return mime.comment() if mime.isValid() and not mime.isDefault() else "File"


# The widest texts the detail view's Size and Date columns show (QFileSystemModel's own formats).
_LONGEST_SIZE = 1023.99 * 1024 ** 3
_LATEST_DATE = QDateTime(QDate(2026, 12, 28), QTime(23, 59, 59))


def column_texts(filters: str) -> dict[int, list[str]]:
    """What the Size, Type and Date columns may show, for the types the filters list."""
    locale, mimes = QLocale.system(), QMimeDatabase()
    suffixes = re.findall(r"\*\.(\w+)", filters)
    types = [mimes.mimeTypeForFile(f"a.{s}", QMimeDatabase.MatchMode.MatchExtension).comment()
             for s in suffixes]
    return {1: ["Size", locale.formattedDataSize(int(_LONGEST_SIZE))],
            2: ["Type", "Folder", *types],
            3: ["Date Modified", locale.toString(_LATEST_DATE, QLocale.FormatType.ShortFormat)]}


def fit_columns(dialog: QFileDialog, filters: str) -> None:
    """Size, Type and Date wide enough for their texts ("92....KiB", "CS…nt" otherwise), the
    name taking the rest; the dialog as wide as that needs, within the screen."""
    view = dialog.findChild(QTreeView, "treeView")
    if view is None:
        return
    header = view.header()
    metrics = view.fontMetrics()
    # The sort arrow and the cell's margins around the text.
    air = 2 * view.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin) + 24
    widths = {column: max(metrics.horizontalAdvance(t) for t in texts) + air
              for column, texts in column_texts(filters).items()}
    for column, width in widths.items():
        header.resizeSection(column, width)
    name = metrics.horizontalAdvance("x" * 32) + air   # a name as long as most sheets'
    sidebar = dialog.findChild(QWidget, "sidebar")
    wanted = sum(widths.values()) + name + (sidebar.width() if sidebar is not None else 0) + 80
    screen = dialog.screen()
    room = screen.availableGeometry().width() - 40 if screen is not None else wanted
    dialog.resize(max(dialog.width(), min(wanted, room)), dialog.height())


class Dialogs:
    """Real dialogs parented to a window (Qt's own file dialogs, see the module docstring)."""

    def __init__(self, parent: QWidget | None = None, *, db_url: str | None = None) -> None:
        # A weak link: the window owns this object, and a cycle would leave the window's fate
        # to the garbage collector.
        self._parent = weakref.ref(parent) if parent is not None else None
        self.db_url = db_url          # a --db SQLite file elsewhere is refused as well
        self._icons = NameOnlyIconProvider()
        self._last_dir = ""

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

    def file_dialog(self, title: str, filters: str, *, save: bool,
                    suggested: str = "") -> QFileDialog:
        """A file dialog that never opens a file to show it and never starts in the database's
        folder (made here, so tests can drive the very dialog the window shows)."""
        dialog = QFileDialog(self.parent, title)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setOption(QFileDialog.Option.DontResolveSymlinks, True)
        dialog.setIconProvider(self._icons)
        dialog.setNameFilters(filters.split(";;"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save
                             else QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile if save
                           else QFileDialog.FileMode.ExistingFile)
        dialog.setDirectory(self._start_dir(suggested))
        if suggested:
            dialog.selectFile(Path(suggested).name)
        fit_columns(dialog, filters)
        return dialog

    def _start_dir(self, suggested: str) -> str:
        for folder in (str(Path(suggested).parent) if suggested and Path(suggested).is_absolute()
                       else "", self._last_dir, QDir.currentPath()):
            if folder and Path(folder).is_dir() and not self._refused(folder):
                return folder
        return QDir.homePath() if not self._refused(QDir.homePath()) else QDir.rootPath()

    def _refused(self, path: str) -> bool:
        return is_database_path(path, self.db_url)

    def _chosen(self, dialog: QFileDialog) -> tuple[str, str] | None:
        try:
            return self._ask(dialog)
        finally:
            dialog.deleteLater()

    def _ask(self, dialog: QFileDialog) -> tuple[str, str] | None:
        while dialog.exec() == QDialog.DialogCode.Accepted:
            files = dialog.selectedFiles()
            path = files[0] if files else ""
            if not path:
                return None
            self._last_dir = str(Path(path).parent)
            if not self._refused(path):
                return path, dialog.selectedNameFilter()
            self.error("Not that folder", DATABASE_REFUSED)
            dialog.setDirectory(self._start_dir(""))
        return None

    def open_file(self, title: str = "Open a spreadsheet", filters: str = SPREADSHEET_FILTER, *,
                  folder: str = "") -> str | None:
        """`folder`: where the dialog starts (the last one the rep opened a file from)."""
        dialog = self.file_dialog(title, filters, save=False)
        if folder and Path(folder).is_dir() and not self._refused(folder):
            dialog.setDirectory(folder)
        chosen = self._chosen(dialog)
        return chosen[0] if chosen else None

    def save_file(self, title: str, suggested: str, filters: str = EXPORT_FILTERS) -> str | None:
        """A path to write, with the suffix the chosen filter implies when the rep typed none.
        `suggested` may be a full path: the dialog starts in its folder."""
        chosen = self._chosen(self.file_dialog(title, filters, save=True, suggested=suggested))
        if chosen is None:
            return None
        path, name_filter = chosen
        if "." not in path.rsplit("/", 1)[-1]:
            path += ".csv" if "csv" in name_filter.lower() else ".xlsx"
        return path

    def run(self, dialog: QDialog) -> bool:
        """Show a dialog of our own (settings) modally; True if the rep accepted it."""
        return dialog.exec() == QDialog.DialogCode.Accepted
