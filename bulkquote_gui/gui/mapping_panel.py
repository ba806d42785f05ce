"""Column mapping above the grid: each field with the column it came from, a combo box per field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QWidget

from bulkquote_gui.core.rows import FIELDS
from bulkquote_gui.gui.qt_compat import emit

FIELD_LABELS: dict[str, str] = {
    "street": "Street", "unit": "Unit / suite", "city": "City", "state": "State", "postal_code": "ZIP",
    "zip4": "ZIP+4", "company": "Company", "contact_name": "Contact", "email": "E-mail", "phone": "Phone",
    "bandwidth": "Speed", "term": "Term", "product": "Product", "site_id": "Site ID",
    "full_address": "Full address",
}
NOT_MAPPED = "—"
PER_ROW = 4  # label + combo pairs per grid row


class MappingPanel(QGroupBox):
    mapping_changed = Signal(dict)  # field -> column, the full mapping the rep now wants

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Column mapping", parent)
        self.combos: dict[str, QComboBox] = {}
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        for n, field in enumerate(FIELDS):
            row, pair = divmod(n, PER_ROW)
            label = QLabel(FIELD_LABELS.get(field, field))
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label.setMinimumWidth(label.sizeHint().width())
            combo = QComboBox()
            combo.setObjectName(f"map_{field}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.currentIndexChanged.connect(self._emit_change)
            label.setBuddy(combo)
            grid.addWidget(label, row, pair * 2)
            grid.addWidget(combo, row, pair * 2 + 1)
            grid.setColumnStretch(pair * 2 + 1, 1)
            self.combos[field] = combo
        self._updating = False

    def show_mapping(self, columns: list[str], mapping: dict[str, str]) -> None:
        """Fill every combo with the file's columns and select what the importer chose."""
        self._updating = True
        try:
            for field, combo in self.combos.items():
                combo.clear()
                combo.addItem(NOT_MAPPED, None)
                for column in columns:
                    combo.addItem(column, column)
                chosen = mapping.get(field)
                combo.setCurrentIndex(combo.findData(chosen) if chosen in columns else 0)
                combo.setToolTip(f"{FIELD_LABELS.get(field, field)} comes from "
                                 f"{chosen!r}" if chosen else "Not in this file")
        finally:
            self._updating = False

    def mapping(self) -> dict[str, str]:
        return {field: combo.currentData() for field, combo in self.combos.items() if combo.currentData()}

    def set_field(self, field: str, column: str | None) -> None:
        """Choose a column for a field as the rep would (emits mapping_changed)."""
        combo = self.combos[field]
        combo.setCurrentIndex(combo.findData(column) if column else 0)

    def _emit_change(self) -> None:
        if not self._updating:
            emit(self.mapping_changed, self.mapping())
