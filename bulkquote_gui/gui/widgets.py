"""Small building blocks: stat cards and message banners."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 12)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value_label)

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
