"""Batch defaults: speed, term, product and customer company for rows whose own columns are blank."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QGridLayout, QLabel, QLineEdit, QSizePolicy, QWidget

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.gui.dialogs.settings_dialog import fill_defaults_combos, select_data
from bulkquote_gui.gui.qt_compat import emit


COMBO_CHROME = 50  # style.qss: 8 px padding each side, the 24 px arrow, borders, a little air


class DefaultsPanel(QFrame):
    """A card: "Defaults  Speed [..] Term [..] Product [..] Company [..]" on one row, or on two
    rows of two when the window is narrow."""

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
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(16, 8, 10, 8)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(6)
        self._title = QLabel("Defaults")
        self._title.setObjectName("cardTitle")
        self._pairs: list[tuple[QLabel, QWidget]] = []
        for caption, widget in (("Speed", self.speed), ("Term", self.term), ("Product", self.product),
                                ("Company", self.company)):
            label = QLabel(caption)
            label.setBuddy(widget)
            label.setContentsMargins(10, 0, 0, 0)  # a gap before each label: pairs read as pairs
            if widget is not self.company:
                widget.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            self._pairs.append((label, widget))
        self._per_row = 0
        self._place(len(self._pairs))
        for combo in (self.speed, self.term, self.product):
            combo.currentIndexChanged.connect(self._emit)
        self.company.editingFinished.connect(self._emit)
        self._last = self.defaults()

    # ------------------------------------------------------------ layout
    def _place(self, per_row: int) -> None:
        """All four on one row, or two rows of two on a narrow window (nothing squeezed)."""
        if per_row == self._per_row:
            return
        grid = self._grid
        for widget in [self._title] + [w for pair in self._pairs for w in pair]:
            grid.removeWidget(widget)
        for column in range(12):
            grid.setColumnStretch(column, 0)
        grid.addWidget(self._title, 0, 0)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for n, (label, widget) in enumerate(self._pairs):
            row, pair = divmod(n, per_row)
            grid.addWidget(label, row, 1 + pair * 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if widget is self.company:
                grid.addWidget(widget, row, 2 + pair * 2)
                grid.setColumnStretch(2 + pair * 2, 1)  # the company takes what the combos leave
            else:
                grid.addWidget(widget, row, 2 + pair * 2, left)
        self._per_row = per_row

    def _row_width(self, pairs: list[tuple[QLabel, QWidget]]) -> int:
        margins = self._grid.contentsMargins()
        widths = [self._title.sizeHint().width()]
        for label, widget in pairs:
            widths += [label.sizeHint().width(), max(widget.minimumWidth(), widget.minimumSizeHint().width())]
        return sum(widths) + self._grid.horizontalSpacing() * len(widths) + margins.left() + margins.right()

    def _one_row_width(self) -> int:
        return self._row_width(self._pairs)

    def minimumSizeHint(self) -> QSize:
        # As narrow as the two-row form allows, whichever form is shown now: the page may then
        # hand us less than one row needs, and resizeEvent switches to two rows.
        two_rows = max(self._row_width(self._pairs[:2]), self._row_width(self._pairs[2:]))
        return QSize(two_rows, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place(len(self._pairs) if event.size().width() >= self._one_row_width() else 2)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # Never narrower than the longest choice ("Broadband", "10 Gbps"). A styled combo's
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
