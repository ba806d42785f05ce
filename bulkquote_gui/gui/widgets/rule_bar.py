"""The rule bar above a finished deal's results: which rule chooses each site's offer, firm
offers only or not, and a line with what else the rule holds and how many sites need review. It shows and
emits (`rule_changed` with a core/deal/rules.Rule); the window stores the rule and reads the
deal again. Preferred and excluded carriers set with `bulkquote choose` are kept as they are."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QWidget

from bulkquote_gui.core.deal.rules import DEFAULT_RULE, RULE_NAMES, Rule
from bulkquote_gui.gui.qt_compat import emit

RULE_TITLES = {"lowest-tcv": "Lowest contract value", "lowest-mrc": "Lowest MRC",
               "on-net-first": "On-net first"}


def bar_sentence(rule: Rule, needs_review: int) -> str:
    """What the combo and the checkbox do not say: preferred and excluded carriers (set with
    `bulkquote choose`), the sites to review, and where a site's offers are."""
    parts = []
    if rule.prefer:
        parts.append(f"{', '.join(rule.prefer)} preferred")
    if rule.exclude:
        parts.append(f"{', '.join(rule.exclude)} excluded")
    if needs_review:
        parts.append(f"{needs_review:,} site{'s' if needs_review != 1 else ''} "
                     f"need{'s' if needs_review == 1 else ''} review")
    parts.append("right-click a priced row to pick its offer yourself")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


class RuleBar(QFrame):
    rule_changed = Signal(object)   # the Rule the rep picked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ruleBar")
        self.rule = DEFAULT_RULE
        label = QLabel("Choose each site's offer by")
        self.combo = QComboBox()
        self.combo.setObjectName("ruleCombo")
        for name in RULE_NAMES:
            self.combo.addItem(RULE_TITLES[name], name)
        self.combo.setToolTip("The rule that picks each site's offer among every provider and "
                              "term; your own picks (right-click a row) stay (bulkquote choose)")
        label.setBuddy(self.combo)
        self.firm_only = QCheckBox("Firm offers only")
        self.firm_only.setToolTip("Never pick a budgetary, estimate or alternate price: a site "
                                  "with only those is left for you to review")
        self.sentence = QLabel("")
        self.sentence.setObjectName("muted")
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)   # carrier names: never markup
        self.sentence.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.firm_only)
        layout.addWidget(self.sentence, 1)
        self.combo.currentIndexChanged.connect(lambda _i: self._changed())
        self.firm_only.toggled.connect(lambda _on: self._changed())
        self.hide()

    def show_rule(self, rule: Rule, needs_review: int) -> None:
        """The deal's rule as stored, and how many of its sites need review."""
        self.rule = rule
        for widget in (self.combo, self.firm_only):
            widget.blockSignals(True)
        self.combo.setCurrentIndex(RULE_NAMES.index(rule.name))
        self.firm_only.setChecked(rule.firm_only)
        for widget in (self.combo, self.firm_only):
            widget.blockSignals(False)
        self.sentence.setText(bar_sentence(rule, needs_review))
        self.show()

    def _changed(self) -> None:
        rule = replace(self.rule, name=self.combo.currentData(),
                       firm_only=self.firm_only.isChecked())
        if rule != self.rule:
            emit(self.rule_changed, rule)
