"""Help → About: version, database, API URL and log folder, each one line the rep can copy.

The database URL is shown with its password masked (SQLAlchemy's own rendering), and the API key
never appears.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from bulkquote_gui import APP_NAME, __version__
from bulkquote_gui.gui.dialogs.crash_dialog import open_log_folder
from bulkquote_gui.gui.style import app_icon
from bulkquote_gui.services import logs


@dataclass(frozen=True)
class AboutFacts:
    version: str
    database: str
    api_url: str
    log_folder: str

    def as_text(self) -> str:
        return (f"{APP_NAME} {self.version}\nDatabase: {self.database}\nAPI: {self.api_url}\n"
                f"Log folder: {self.log_folder}\n")


def masked_db_url(url: object) -> str:
    """sqlite:///…/bulkquote.sqlite, postgresql+psycopg://rep:***@db/bulkquote."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(str(url) if not hasattr(url, "render_as_string") else url) \
            .render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


def about_facts(db_url: object, api_url: str, demo: bool) -> AboutFacts:
    qt = ""
    try:
        from PySide6 import __version__ as pyside
        qt = f", PySide6 {pyside}"
    except ImportError:  # pragma: no cover
        pass
    return AboutFacts(
        version=f"{__version__} (Python {platform.python_version()}{qt})",
        database=masked_db_url(db_url) if db_url else "(not open)",
        api_url=f"demo mode: the built-in simulator at {api_url}" if demo else (api_url or "(none)"),
        log_folder=str(logs.log_dir()))


class AboutDialog(QDialog):
    def __init__(self, facts: AboutFacts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setMinimumWidth(520)
        self.facts = facts
        title = QLabel(f"<h2>{APP_NAME}</h2>Bulk connectivity quotes: a spreadsheet of sites in, "
                       "Momentum prices out, one quote at a time, every price kept in the database.")
        title.setWordWrap(True)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(48, 48))
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in (("Version", facts.version), ("Database", facts.database),
                             ("API", facts.api_url), ("Log folder", facts.log_folder)):
            field = QLabel(value)
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[label] = field
            form.addRow(label + ":", field)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        folder = QPushButton("Open log folder")
        # Where no file manager opens it, the button says so: the path is on the line above.
        folder.clicked.connect(lambda: open_log_folder() or folder.setText("No file manager: "
                                                                           "the path is above"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.facts.as_text())
        self.copy_button.setText("Copied")
