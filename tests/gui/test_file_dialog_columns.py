"""The file dialogs' detail view shows Size, Type and Date whole (issue 15, polish: "92....KiB",
"CS…nt")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTreeView

from bulkquote_gui.gui.dialogs.questions import (
    EXPORT_FILTERS,
    SPREADSHEET_FILTER,
    Dialogs,
)

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform, on show()

PADDING = 8   # the cell's margins around its text


@pytest.fixture(autouse=True)
def fresh_qt_settings(tmp_path):
    """A rep's first file dialog: Qt's own column widths, not a header state another run saved
    in ~/.config/QtProject.conf (the dialog restores it from there)."""
    native, user = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(native, user, str(tmp_path / "config"))
    yield
    QSettings.setPath(native, user, os.environ.get("XDG_CONFIG_HOME")
                      or str(Path.home() / ".config"))


@pytest.mark.parametrize("filters, save", [(SPREADSHEET_FILTER, False), (EXPORT_FILTERS, True)])
def test_size_type_and_date_are_not_cut(qtbot, tmp_path, filters, save):
    for name in ("my_sites_25.csv", "museums.csv", "green_book.xlsx", "deals.xlsx", "hospitals.ods"):
        (tmp_path / "sheets").mkdir(exist_ok=True)
        (tmp_path / "sheets" / name).write_bytes(b"x" * 95_000)   # "92.77 KiB"
    dialog = Dialogs(None).file_dialog("Open a spreadsheet", filters, save=save,
                                       suggested=str(tmp_path / "sheets" / "out.xlsx"))
    qtbot.addWidget(dialog)
    dialog.show()
    view = dialog.findChild(QTreeView, "treeView")
    model, root = view.model(), view.rootIndex()

    def cells() -> list[tuple[int, str]]:
        return [(column, str(model.index(row, column, root).data() or ""))
                for row in range(model.rowCount(root)) for column in (1, 2, 3)]

    # The file system model fills its rows off the GUI thread.
    qtbot.waitUntil(lambda: model.rowCount(root) >= 1 and all(text for _c, text in cells()))
    metrics, header = view.fontMetrics(), view.header()
    for column, text in cells():
        assert metrics.horizontalAdvance(text) + PADDING <= header.sectionSize(column), (column, text)
