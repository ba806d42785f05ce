"""Batch defaults: speed, term, product and customer company for rows whose own columns are blank."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.gui.settings_dialog import fill_defaults_combos, select_data
from bulkquote_gui.gui.qt_compat import emit


COMBO_CHROME = 50  # style.qss: 8 px padding each side, the 24 px arrow, borders, a little air


class DefaultsPanel(QFrame):
    """One row in a card: "Defaults  Speed [..] Term [..] Product [..] Company [..]"."""

    defaults_changed = Signal(object)  # BatchDefaults

    def __init__(self, defaults: BatchDefaults, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setToolTip("Used for rows whose own columns are blank; a row's own columns win.")
        self.speed, self.term, self.product = QComboBox(), QComboBox(), QComboBox()
        fill_defaults_combos(self.speed, self.term, self.product)
        self.company = QLineEdit()
        self.company.setPlaceholderText("If the file has none")
        self.company.setMinimumWidth(110)
        self.set_defaults(defaults)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 10, 8)
        layout.setSpacing(8)
        title = QLabel("Defaults")
        title.setObjectName("cardTitle")
        layout.addWidget(title)
        layout.addSpacing(8)
        for caption, widget in (("Speed", self.speed), ("Term", self.term), ("Product", self.product),
                                ("Company", self.company)):
            label = QLabel(caption)
            label.setBuddy(widget)
            if caption != "Speed":
                layout.addSpacing(6)
            layout.addWidget(label)
            if widget is self.company:
                layout.addWidget(widget, 1)  # the company takes what the combos leave
            else:
                widget.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
                layout.addWidget(widget)
        for combo in (self.speed, self.term, self.product):
            combo.currentIndexChanged.connect(self._emit)
        self.company.editingFinished.connect(self._emit)
        self._last = self.defaults()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # Never narrower than the longest choice ("DIA"). A styled combo's
        # own size hint leaves out the sheet's padding and arrow, so measure once it is polished.
        for combo in (self.speed, self.term, self.product):
            metrics = combo.fontMetrics()
            widest = max((metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())),
                         default=0)
            combo.setMinimumWidth(widest + COMBO_CHROME)
        super().showEvent(event)

    def set_defaults(self, defaults: BatchDefaults) -> None:
        for widget in (self.speed, self.term, self.product, self.company):
            widget.blockSignals(True)
        select_data(self.speed, defaults.bandwidth_mbps)
        select_data(self.term, defaults.term_months)
        select_data(self.product, defaults.product)
        self.company.setText(defaults.company)
        for widget in (self.speed, self.term, self.product, self.company):
            widget.blockSignals(False)
        self._last = defaults

    def defaults(self) -> BatchDefaults:
        return BatchDefaults(int(self.speed.currentData()), int(self.term.currentData()),
                             str(self.product.currentData()), self.company.text().strip())

    def _emit(self) -> None:
        current = self.defaults()
        if current != self._last:
            self._last = current
            emit(self.defaults_changed, current)
