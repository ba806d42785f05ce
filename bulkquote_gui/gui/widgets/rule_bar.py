"""The rule bar above a finished deal's results: which rule chooses each site's offer, firm
offers only or not, and a line with what else the rule holds and how many sites need review. It shows and
emits (`rule_changed` with a core/deal/rules.Rule); the window stores the rule and reads the
deal again. "Carriers…" lists the deal's carriers, each preferred, excluded or neither
(`bulkquote choose --prefer C --exclude C`)."""

from __future__ import annotations

from dataclasses import replace

from typing import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QMenu,
                               QToolButton, QWidget)

from bulkquote_gui.core.deal.rules import DEFAULT_RULE, RULE_NAMES, Rule
from bulkquote_gui.gui.qt_compat import emit

# A carrier's three places in the rule, as its submenu offers them.
NEITHER, PREFER, EXCLUDE = "neither", "prefer", "exclude"
PLACE_TITLES = {NEITHER: "No preference", PREFER: "Prefer", EXCLUDE: "Exclude"}

RULE_TITLES = {"lowest-tcv": "Lowest contract value", "lowest-mrc": "Lowest MRC",
               "on-net-first": "On-net first"}


def _same(a: str, b: str) -> bool:
    """Carrier names as the rule compares them: case and spacing aside (core/deal/rules.py)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def with_carrier(rule: Rule, carrier: str, place: str) -> Rule:
    """The rule with `carrier` preferred (after those already preferred), excluded or neither."""
    prefer = tuple(c for c in rule.prefer if not _same(c, carrier))
    exclude = tuple(c for c in rule.exclude if not _same(c, carrier))
    if place == PREFER:
        prefer += (carrier,)
    elif place == EXCLUDE:
        exclude += (carrier,)
    return replace(rule, prefer=prefer, exclude=exclude)


def place_of(rule: Rule, carrier: str) -> str:
    if any(_same(c, carrier) for c in rule.prefer):
        return PREFER
    return EXCLUDE if any(_same(c, carrier) for c in rule.exclude) else NEITHER


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
        self.carriers_button = QToolButton()
        self.carriers_button.setText("C&arriers…")
        self.carriers_button.setObjectName("dropDown")   # drawn as a combo (style.qss)
        self.carriers_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.carriers_button.setToolTip("Prefer carriers (picked first, in the order you prefer "
                                        "them) or exclude them (never picked)")
        self.carriers_menu = QMenu(self.carriers_button)
        self.carriers_button.setMenu(self.carriers_menu)
        self.sentence = QLabel("")
        self.sentence.setObjectName("muted")
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)   # carrier names: never markup
        self.sentence.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.firm_only)
        layout.addWidget(self.carriers_button)
        layout.addWidget(self.sentence, 1)
        self.combo.currentIndexChanged.connect(lambda _i: self._changed())
        self.firm_only.toggled.connect(lambda _on: self._changed())
        self.hide()

    def show_rule(self, rule: Rule, needs_review: int, carriers: Iterable[str] = ()) -> None:
        """The deal's rule as stored, how many of its sites need review, and its carriers."""
        self.rule = rule
        self._fill_carriers(carriers)
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

    def _fill_carriers(self, carriers: Iterable[str]) -> None:
        """A submenu per carrier (the deal's, and any the rule names that it lacks, so they can
        be set back): no preference, prefer or exclude, the rule's checked."""
        self.carriers_menu.clear()
        names: list[str] = []
        for name in (*sorted(carriers, key=str.casefold), *self.rule.prefer, *self.rule.exclude):
            if not any(_same(name, known) for known in names):
                names.append(name)
        for name in names:
            place = place_of(self.rule, name)
            shown = name.replace("&", "&&")   # "AT&T" read as written, not as a shortcut
            state = {NEITHER: "", PREFER: ": preferred", EXCLUDE: ": excluded"}[place]
            submenu = self.carriers_menu.addMenu(shown + state)
            group = QActionGroup(submenu)
            for each, title in PLACE_TITLES.items():
                action = submenu.addAction(title)
                action.setCheckable(True)
                action.setChecked(each == place)
                group.addAction(action)
                action.triggered.connect(lambda _on=False, n=name, p=each: self._place(n, p))
        self.carriers_button.setEnabled(bool(names))

    def _place(self, carrier: str, place: str) -> None:
        rule = with_carrier(self.rule, carrier, place)
        if rule != self.rule:
            emit(self.rule_changed, rule)
