""""Create proposal…": who it is for, the paper, whether to add every offer, and where to save.

Only asks; the controller (gui/controllers/exports.py) writes the file off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bulkquote_gui.gui.widgets.blocks import level_labels, save_cancel_buttons

PROPOSAL_FILTERS = "PDF (*.pdf);;Excel (*.xlsx)"


@dataclass(frozen=True)
class ProposalRequest:
    customer: str
    page: str          # "letter" | "a4"
    all_offers: bool
    path: Path         # .pdf or .xlsx


class ProposalDialog(QDialog):
    def __init__(self, batch_id: int, suggested: str, page: str,
                 choose_path: Callable[[str], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Create a proposal of batch #{batch_id}")
        self.setMinimumWidth(520)
        self._choose_path = choose_path   # the window's save dialog, from the suggested path
        self.request: ProposalRequest | None = None
        self.customer_edit = QLineEdit()
        self.customer_edit.setPlaceholderText("The customer's company, on the cover")
        self.page_combo = QComboBox()
        self.page_combo.addItem("US Letter", "letter")
        self.page_combo.addItem("A4", "a4")
        self.page_combo.setCurrentIndex(self.page_combo.findData(page))
        self.all_offers_check = QCheckBox("Include all offers (an appendix with the providers' "
                                          "quote ids: for your own use)")
        self.path_edit = QLineEdit(suggested)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Customer", self.customer_edit)
        form.addRow("Paper", self.page_combo)
        form.addRow("", self.all_offers_check)
        form.addRow("Save as", path_row)
        level_labels(form)
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        buttons = save_cancel_buttons()
        self.create_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.create_button.setText("Create")
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path = self._choose_path(self.path_edit.text())
        if path:
            self.path_edit.setText(path)

    def create(self) -> None:
        path = Path(self.path_edit.text().strip())
        if not self.path_edit.text().strip() or path.suffix.lower() not in (".pdf", ".xlsx"):
            self.error_label.setText("Save the proposal as a .pdf or an .xlsx file")
            return
        self.request = ProposalRequest(self.customer_edit.text().strip(),
                                       str(self.page_combo.currentData()),
                                       self.all_offers_check.isChecked(), path)
        self.accept()
