"""Small building blocks: stat cards, message banners, filter pills, an eliding label, the
settings dialogs' Save / Cancel, pages of a stack and a row of two button groups."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter
from PySide6.QtWidgets import (QBoxLayout, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel,
                               QLayout, QPushButton, QSizePolicy, QStackedWidget, QWidget)


class FilterPill(QPushButton):
    """A checkable rounded button whose size fits its widest state.

    The style sheet draws the checked pill in bold; Qt sizes a button from its normal font, so the
    bold text would be clipped at both ends. The hint is therefore taken from the bold text.
    """

    # Horizontal padding and border of QPushButton#filter in resources/style.qss, plus slack.
    _CHROME_PX = 2 * 14 + 2 * 1 + 4

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("filter")
        self.setCheckable(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def _bold_width(self) -> int:
        bold = QFont(self.font())
        bold.setBold(True)  # bold is at least as wide as the sheet's semi-bold checked text
        return QFontMetrics(bold).horizontalAdvance(self.text().replace("&&", "&")) + self._CHROME_PX

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._bold_width()), hint.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class ElidedLabel(QLabel):
    """One line of text that ends in '…' when the label is narrower than the text; the whole text
    is then in the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        super().setText(text)
        self.setToolTip("")

    def full_text(self) -> str:
        return self._full

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        metrics = self.fontMetrics()
        rect = self.contentsRect()
        shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, rect.width())
        self.setToolTip(self._full if shown != self._full else "")
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


class StatCard(QFrame):
    """A labelled number: TOTAL 25."""

    def __init__(self, label: str, tone: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.value_label = QLabel("0")
        self.value_label.setObjectName("statValue")
        self._tone = tone  # "ok" / "bad": the number is coloured (by the style sheet) once it is not 0
        self.value_label.setProperty("tone", "")
        self.caption = QLabel(label)
        self.caption.setObjectName("statLabel")
        self._layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self._layout.setContentsMargins(18, 12, 18, 12)
        self._layout.setSpacing(2)
        self._layout.addWidget(self.caption)
        self._layout.addWidget(self.value_label)

    def set_compact(self, compact: bool) -> None:
        """The caption beside the number, on one line: a short window (1280x720 at 125 %) keeps
        the room for the results table."""
        direction = QBoxLayout.Direction.LeftToRight if compact else QBoxLayout.Direction.TopToBottom
        if direction != self._layout.direction():
            self._layout.setDirection(direction)
            self._layout.setSpacing(12 if compact else 2)
            self._layout.setContentsMargins(18, 4 if compact else 12, 18, 4 if compact else 12)

    def is_compact(self) -> bool:
        return self._layout.direction() == QBoxLayout.Direction.LeftToRight

    def set_value(self, value: int | str) -> None:
        self.value_label.setText(f"{value:,}" if isinstance(value, int) else str(value))
        tone = self._tone if value not in (0, "0", "") else ""
        if self.value_label.property("tone") != tone:
            self.value_label.setProperty("tone", tone)
            self.value_label.style().unpolish(self.value_label)
            self.value_label.style().polish(self.value_label)

    def value(self) -> str:
        return self.value_label.text()


class Banner(QFrame):
    """A one-line coloured strip with an optional action button; kind picks the colour."""

    action_clicked = Signal()

    def __init__(self, kind: str = "infoBanner", text: str = "", action: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(kind)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.addWidget(self.label, 1)
        self.action_button: QPushButton | None = None
        if action:
            self.action_button = QPushButton(action)
            self.action_button.setObjectName("link")
            self.action_button.clicked.connect(self.action_clicked)
            layout.addWidget(self.action_button)

    def set_text(self, text: str) -> None:
        self.label.setText(text)

    def text(self) -> str:
        return self.label.text()


class StackPage(QWidget):
    """A page of a CurrentPageStack. Qt's stacked layout answers a height-for-width with its
    tallest page's, and never less than its largest page's minimum: a hidden page needs nothing,
    so the start page is not made as tall as the loaded one's ten grid rows (a scroll area sized
    it so: the start page scrolled, its drop zone cut at the bottom; issue 15)."""

    def _hidden_page(self) -> bool:
        stack = self.parentWidget()
        return isinstance(stack, QStackedWidget) and stack.currentWidget() is not self

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return not self._hidden_page() and super().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return -1 if self._hidden_page() else super().heightForWidth(width)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(0, 0) if self._hidden_page() else super().minimumSizeHint()


class CurrentPageStack(QStackedWidget):
    """Sized by the page shown, not the largest one: on a small screen one page does not scroll
    (or scroll sideways) because another, hidden, would need more room."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The stacked layout would set the widget's minimum to its largest page's.
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()


def save_cancel_buttons() -> QDialogButtonBox:
    """Save (the blue primary button) and Cancel, as text only: some platform themes put stock
    icons on a button box's buttons, and every settings dialog should look the same."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    for button in box.buttons():
        button.setIcon(QIcon())
    box.button(QDialogButtonBox.StandardButton.Save).setObjectName("primary")
    return box


TIGHT_SAVES = 16  # px a button saves with QPushButton[tight] (style.qss): 8 px a side, not 16


class TwoGroupRow(QWidget):
    """Buttons on one line, one group at the left and one at the right; on a window too narrow
    for both (853 px, 1280x720 at 150 %) the right group goes under the left one, still at the
    right, instead of the page scrolling sideways."""

    def __init__(self, left: list[QWidget], right: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._groups: list[QWidget] = []
        for widgets in (left, right):
            group = QWidget()
            row = QHBoxLayout(group)
            row.setContentsMargins(0, 0, 0, 0)
            for widget in widgets:
                row.addWidget(widget)
            self._groups.append(group)
        self._row = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addWidget(self._groups[0], 0, Qt.AlignmentFlag.AlignLeft)
        self._row.addStretch(1)
        self._row.addWidget(self._groups[1], 0, Qt.AlignmentFlag.AlignRight)

    def is_one_line(self) -> bool:
        return self._row.direction() == QBoxLayout.Direction.LeftToRight

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        left, right = (g.minimumSizeHint() for g in self._groups)
        return QSize(max(left.width(), right.width()), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        width = event.size().width()
        # Too wide at the buttons' usual paddings (a small laptop): narrower ones before a
        # second line, which the table below would lose.
        self._set_tight(self._width(tight=False) > width)
        direction = QBoxLayout.Direction.LeftToRight if width >= self._width(self._tight) \
            else QBoxLayout.Direction.TopToBottom
        if direction != self._row.direction():
            self._row.setDirection(direction)

    _tight = False

    def _buttons(self) -> list[QPushButton]:
        return [b for g in self._groups for b in g.findChildren(QPushButton)]

    def _width(self, tight: bool) -> int:
        """Both groups side by side, with the usual or the tight paddings."""
        both = sum(g.sizeHint().width() for g in self._groups) + self._row.spacing()
        if tight != self._tight:   # the difference is the style sheet's (QPushButton[tight])
            both += (TIGHT_SAVES if self._tight else -TIGHT_SAVES) * len(self._buttons())
        return both

    def _set_tight(self, tight: bool) -> None:
        if tight == self._tight:
            return
        self._tight = tight
        for button in self._buttons():
            button.setProperty("tight", tight)
            button.style().unpolish(button)
            button.style().polish(button)
            button.updateGeometry()
        for group in self._groups:
            group.layout().invalidate()


def level_labels(form: QFormLayout) -> None:
    """Each label of `form` as tall as its one-line field, so its text stands level with the
    field's. QFormLayout gives a label at most 7/4 of its own height, from the row's top: beside
    a 32 px box its text sat 2-4 px high."""
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is None or label.widget() is None or field is None:
            continue
        inner = field.layout()
        widgets = [inner.itemAt(i).widget() for i in range(inner.count())] if inner else [field.widget()]
        heights = []
        for widget in filter(None, widgets):
            widget.ensurePolished()   # the style sheet's padding counts in its height
            heights.append(widget.sizeHint().height())
        label.widget().setMinimumHeight(min(max(heights, default=0), 44))
