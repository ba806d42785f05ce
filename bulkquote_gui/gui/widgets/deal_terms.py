"""The upload page's terms beside the default one (issue 18), and what asking them will cost.

Unticked (the default), a submit asks the default term alone, exactly as before; each term
ticked is asked too: a Sonata seller prices them in one quote per site, Momentum in one batch
per term."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bulkquote_gui.core.offer import TERMS_MONTHS
from bulkquote_gui.gui.qt_compat import emit


class DealTerms(QWidget):
    changed = Signal()   # a term ticked or unticked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel("Also ask for")
        label.setToolTip("Every site is quoted for the default term and each term ticked here "
                         "(bulkquote submit --terms)")
        self.boxes = {term: QCheckBox(f"{term} months") for term in TERMS_MONTHS}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        for box in self.boxes.values():
            box.toggled.connect(lambda _on: emit(self.changed))
            row.addWidget(box)
        row.addStretch(1)
        self.estimate_label = QLabel("")
        self.estimate_label.setObjectName("hint")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.estimate_label)

    def set_default_term(self, term: int) -> None:
        """The term the defaults ask is asked anyway: its box is not offered ("Also ask for
        36 months" beside a default of 36 months did nothing)."""
        for months, box in self.boxes.items():
            if months == term:
                box.setChecked(False)
            box.setVisible(months != term)

    def terms(self, default_term: int) -> tuple[int, ...]:
        """The terms a submit asks: the default first, then each one ticked."""
        return (default_term, *(t for t, box in self.boxes.items()
                                if box.isChecked() and t != default_term))

    def show_estimate(self, lines: list[str], details: list[str] = ()) -> None:
        """What the deal would cost (core/deal/estimate.estimate_lines): the brief `lines` on
        the page (one line on a 1440 px window, where Submit must stay in sight), the
        `details` (sites and terms per provider, where each time comes from) in its tooltip;
        [] hides it."""
        self.estimate_label.setText("What it will cost: " + "; ".join(lines) if lines else "")
        self.estimate_label.setToolTip("What it will cost:\n" + "\n".join(details) if details else "")
        self.estimate_label.setVisible(bool(lines))

    def reset(self) -> None:
        """The next file asks the default term alone unless told otherwise."""
        for box in self.boxes.values():
            box.setChecked(False)
        self.show_estimate([])
