"""The foot of the upload page: why rows are not quoted, which rows a submit would fill from
earlier quotes, the counts, and the actions (the two exports, "Reuse valid quotes", Submit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton,
                               QToolButton, QVBoxLayout, QWidget)

from bulkquote_gui.gui.models.preview_model import PreviewModel
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.deal_terms import DealTerms


def summary_text(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    parts = [f"{counts.get('rows', 0):,} rows", f"{counts.get('valid', 0):,} valid"]
    for key, word in (("repaired", "repaired"), ("invalid", "invalid"), ("duplicates", "duplicate")):
        if counts.get(key):
            parts.append(f"{counts[key]:,} {word}")
    return "  ·  ".join(parts)


ALSO_ASK_TIP = ("Ask other providers for the same sites too: each gets a batch of its own, "
                "quoted at the same time (bulkquote submit --provider A --provider B).")


class UploadActions(QWidget):
    submit_clicked = Signal()
    export_cleaned_clicked = Signal()
    fix_list_clicked = Signal()
    provider_chosen = Signal(str)   # the rep picked another provider to quote through
    also_changed = Signal()         # another provider ticked or unticked in "Also ask"

    def __init__(self, model: PreviewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._quotes_per_site = 1
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)  # a long file's counts wrap; the buttons beside keep their text
        # Why rows are not quoted, counted as `bulkquote check` prints them.
        self.reasons_label = QLabel("")
        self.reasons_label.setObjectName("hint")
        self.reasons_label.setWordWrap(True)
        self.reuse_label = QLabel("")
        self.reuse_label.setObjectName("hint")
        self.reuse_label.setWordWrap(True)
        self.reuse_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)   # lines of one block: the counts, the cost, the actions
        layout.addWidget(self.reasons_label)
        layout.addWidget(self.reuse_label)
        # The counts, and on their right which seller quotes the batch (shown only when there
        # is a choice): beside Submit it pushed the buttons off a small screen.
        counts_row = QHBoxLayout()
        counts_row.addWidget(self.summary, 1)
        for widget in self._build_provider_choice():
            counts_row.addWidget(widget)
        layout.addLayout(counts_row)
        layout.addLayout(self._build_buttons())
        # Terms beside the default one, and their cost (issue 18): shown above the buttons, made
        # after them so Tab from the grid still reaches Submit first.
        self.deal_terms = DealTerms()
        layout.insertWidget(layout.count() - 1, self.deal_terms)

    def _build_provider_choice(self) -> tuple[QLabel, QComboBox, QToolButton]:
        self.provider_label = QLabel("&Quote through")
        self.provider_combo = QComboBox()
        self.provider_combo.setToolTip("The provider (Settings > Providers) this batch is sent to")
        self.provider_label.setBuddy(self.provider_combo)
        self._filling = False   # set_providers' own changes are not the rep's choice
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        # The other providers a deal also asks (issue 18): a drop-down of ticks beside the combo,
        # so the page stays as compact as with one provider. None ticked: one provider, as always.
        self.also_button = QToolButton()
        self.also_button.setObjectName("dropDown")   # drawn as a combo (style.qss)
        self.also_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.also_menu = QMenu(self.also_button)
        self.also_button.setMenu(self.also_menu)
        self._sync_also_text()
        for widget in (self.provider_label, self.provider_combo, self.also_button):
            widget.hide()
        return self.provider_label, self.provider_combo, self.also_button

    def _build_buttons(self) -> QHBoxLayout:
        """The counts sit on a line of their own (they are long on a big file), then the
        actions: the two exports on the left, what the submit does and Submit on the right."""
        self.submit_button = QPushButton("&Submit 0 quotes")
        self.submit_button.setObjectName("primary")
        self.submit_button.setEnabled(False)
        self.submit_button.setMinimumWidth(180)
        self.submit_button.clicked.connect(self.submit_clicked)
        self.export_cleaned_button = QPushButton("Export &cleaned addresses…")
        self.export_cleaned_button.setToolTip(
            "A CSV with one line per row: its status and reason, and the street, unit, city, "
            "state and ZIP that would be sent (bulkquote check --rows)")
        self.export_cleaned_button.clicked.connect(self.export_cleaned_clicked)
        self.reuse_box = QCheckBox("&Reuse valid quotes")
        self.reuse_box.setChecked(True)
        self.reuse_box.setToolTip("Sites this account quoted before, whose price is still valid, "
                                  "are filled from that quote with no API call; untick to ask "
                                  "the API again for every site")
        self.reuse_box.toggled.connect(self._reuse_toggled)
        self.fix_list_button = QPushButton("Export f&ix list…")
        self.fix_list_button.setToolTip(
            "An Excel file of the invalid rows, their own columns as in the file, the reason first "
            "and the cells at fault in red: fix them in Excel and drop the file back in "
            "(bulkquote check --fix-list)")
        self.fix_list_button.setEnabled(False)
        self.fix_list_button.clicked.connect(self.fix_list_clicked)
        bottom = QHBoxLayout()
        bottom.addWidget(self.fix_list_button)
        bottom.addWidget(self.export_cleaned_button)
        bottom.addStretch(1)
        bottom.addWidget(self.reuse_box)
        bottom.addWidget(self.submit_button)
        return bottom

    def set_providers(self, names: list[str], current: str | None) -> None:
        """The providers to choose from, `current` selected; no combo for one or none."""
        self._filling = True
        try:
            self.provider_combo.clear()
            for name in names:
                self.provider_combo.addItem(name, name)
            at = self.provider_combo.findData(current) if current else 0
            self.provider_combo.setCurrentIndex(max(at, 0))
        finally:
            self._filling = False
        for widget in (self.provider_label, self.provider_combo):
            widget.setVisible(len(names) >= 2)

    def set_also(self, names: list[str]) -> None:
        """The providers a deal may also ask (the engine's others); ticks kept by name."""
        ticked = set(self.also())
        self.also_menu.clear()
        for name in names:
            action = self.also_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name in ticked)
            action.toggled.connect(self._also_toggled)
        self.also_button.setVisible(bool(names))
        self._sync_also_text()

    def also(self) -> list[str]:
        """The other providers ticked, in the menu's order."""
        return [a.text() for a in self.also_menu.actions() if a.isChecked()]

    def _also_toggled(self, _on: bool) -> None:
        self._sync_also_text()
        emit(self.also_changed)

    def _sync_also_text(self) -> None:
        # Short beside "Quote through": the one provider ticked, else how many; all in the tooltip
        ticked = self.also()
        text = "Also ask…" if not ticked else f"+ {ticked[0]}" if len(ticked) == 1 \
            else f"+ {len(ticked)} more"
        self.also_button.setText(text.replace("&", "&&"))
        self.also_button.setToolTip(ALSO_ASK_TIP + (f" Ticked: {', '.join(ticked)}." if ticked else ""))

    def _provider_changed(self, index: int) -> None:
        if not self._filling and index >= 0:
            emit(self.provider_chosen, str(self.provider_combo.itemData(index)))

    # ------------------------------------------------------------ counts and buttons
    def show_counts(self, counts: dict[str, int], result: Any) -> None:
        if counts and result is not None and len(result) == 0:
            self.summary.setText(f"No data rows: {Path(result.path).name} has a header row and "
                                 "nothing under it.")
        else:
            self.summary.setText(summary_text(counts))
        if result is not None:
            self._show_reasons(result)   # an inline fix takes its problem off the line

    def _show_reasons(self, result: Any) -> None:
        if len(result) == 0:
            self.reasons_label.setText("")
            self.reasons_label.setVisible(False)
            return
        counts = result.counts()
        parts = [f"{n:,} {reason}" for reason, n in result.invalid_by_reason().items()]
        if counts.get("duplicates"):
            parts.append(f"{counts['duplicates']:,} duplicate")
        self.reasons_label.setText("Not quoted: " + "  ·  ".join(parts) if parts else "")
        self.reasons_label.setVisible(bool(parts))

    def set_quotes_per_site(self, n: int) -> None:
        """How many quotes a submit asks of each site (a deal: one per Momentum term and one
        per Sonata seller, core/deal/asks.py); Submit counts quotes, not sites."""
        self._quotes_per_site = max(1, n)

    def sync(self, quotable: int, invalid: int, busy: bool) -> None:
        quotes = quotable * self._quotes_per_site
        self.submit_button.setText(f"&Submit {quotes:,} quote" + ("" if quotes == 1 else "s"))
        self.submit_button.setEnabled(quotable > 0 and not busy)
        self.fix_list_button.setEnabled(invalid > 0 and not busy)

    # ------------------------------------------------------------ reusing valid quotes
    def reuse(self) -> bool:
        """Whether the submit fills rows from still-valid earlier quotes (the checkbox)."""
        return self.reuse_box.isChecked()

    def show_reuse(self, reusable: dict[int, Any]) -> None:
        """The rows (row number -> store.Reusable) a submit would fill from earlier quotes."""
        self._model.set_reuse(reusable, self.reuse())
        self._sync_reuse_label()

    def reset(self) -> None:
        """The next file reuses valid quotes and asks the default term of the chosen provider
        alone unless told not to."""
        self.reuse_box.setChecked(True)
        self.deal_terms.reset()
        for action in self.also_menu.actions():   # and the chosen provider alone
            action.setChecked(False)
        self._sync_reuse_label()

    def _reuse_toggled(self, on: bool) -> None:
        self._model.set_reuse(self._model.reusable(), on)
        self._sync_reuse_label()

    def _sync_reuse_label(self) -> None:
        found = self._model.reusable()
        n = len(found)
        if not n:
            self.reuse_label.hide()
            return
        batches = sorted({r.from_batch for r in found.values()})
        listed = ", ".join(f"#{b}" for b in batches[:3]) + (" and more" if len(batches) > 3 else "")
        rows = f"{n:,} row{'s' if n != 1 else ''}"
        if self.reuse():
            text = (f"{rows} {'have' if n != 1 else 'has'} a still-valid price from batch {listed}: "
                    "filled from it at submit, with no API call (\"Reuse\" in Status; its "
                    "tooltip says which quote).")
        else:
            text = (f"{rows} {'have' if n != 1 else 'has'} a still-valid price from batch {listed}, "
                    "but will be asked again: \"Reuse valid quotes\" is off.")
        self.reuse_label.setText(text)
        self.reuse_label.show()
