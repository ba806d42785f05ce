""""Compare with…": a finished batch (or deal) against an earlier one, site by site.

The rep picks the earlier batch (those of the same file first); the dialog shows the totals of
the change, how many sites of each kind, and a table of the sites with something to tell
("Show unchanged sites" adds the rest). A view: the controller (controllers/comparisons) reads
the batches and the changes and hands them in.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bulkquote_gui.core.deal.changes import Changes, Kind, SiteChange
from bulkquote_gui.gui.models.results_model import format_money
from bulkquote_gui.gui.qt_compat import emit

HEADERS = ("Row", "Address", "Change", "MRC was", "MRC now", "MRC ±", "NRC ±")


def _signed(amount: Decimal | None, zero: str = "", currency: str = "USD") -> str:
    """+$1.50, -$1.50; a change of nothing is `zero` (blank in the table: nothing to read)."""
    if amount is None:
        return ""
    if not amount:
        return zero
    return ("+" if amount > 0 else "-" if amount < 0 else "") + format_money(abs(amount), currency)


def _mrc(offer: Any) -> str:
    return format_money(offer.mrc, offer.currency) if offer else "—"


def _change_text(site: SiteChange) -> str:
    """The site's kinds in words; a carrier change names both carriers (the price columns are
    narrow: they hold only amounts)."""
    words = []
    for kind in site.kinds:
        if kind == Kind.CARRIER and site.old_offer and site.new_offer:
            words.append(f"carrier {site.old_offer.carrier} → {site.new_offer.carrier}")
        else:
            words.append(str(kind))
    return ", ".join(words)[:1].upper() + ", ".join(words)[1:]


def _currency(offer: Any) -> str:
    return offer.currency if offer else "USD"


def _totals_text(changes: Changes) -> str:
    """The totals before and now and their difference; prices in two currencies are never
    subtracted (nor added up, on a side priced in both)."""
    currency = changes.currency
    if currency is None:
        return f"Totals not compared: {changes.currency_words()}."

    def money(amount: Decimal) -> str:
        return format_money(amount, currency)
    zero = money(Decimal("0.00"))
    return (f"Monthly {money(changes.old_monthly)} → {money(changes.new_monthly)} "
            f"({_signed(changes.monthly_change, zero, currency)} on the sites priced both "
            f"times); one-time {money(changes.old_one_time)} → {money(changes.new_one_time)} "
            f"({_signed(changes.one_time_change, zero, currency)}).")


class _Item(QTableWidgetItem):
    """A cell that sorts by a value of its own (amounts and rows as numbers, not text)."""

    def __init__(self, text: str, key: Any = None) -> None:
        super().__init__(text)
        self.key = text if key is None else key

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.key, getattr(other, "key", other.text())
        if type(mine) is not type(theirs):
            return str(mine) < str(theirs)
        return mine < theirs


class CompareDialog(QDialog):
    batch_chosen = Signal(int)   # the earlier batch the rep picked

    def __init__(self, batch_id: int, source_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batch_id = batch_id
        self.changes: Changes | None = None
        self.setWindowTitle(f"Compare batch #{batch_id}")
        self.setObjectName("compareDialog")
        self.picker = QComboBox()
        self.picker.setMinimumContentsLength(30)
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.activated.connect(self._picked)
        self._source_name = source_name
        self.head_label = QLabel(f"Batch #{batch_id} ({source_name}) compared with")
        head = QHBoxLayout()
        head.addWidget(self.head_label)
        head.addWidget(self.picker, 1)
        self.summary = QLabel("Looking for earlier batches…")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_all = QCheckBox("Show unchanged sites")
        self.show_all.toggled.connect(lambda _on: self._fill())
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)   # sized in _fit
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)   # sheet order until the rep sorts
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.show_all)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._fit()

    def _fit(self) -> None:
        """As wide as the table wants, within the screen (a small laptop at 125 %)."""
        screen = (self.parent().screen() if self.parent() else self.screen()).availableGeometry()
        self.resize(min(1180, int(screen.width() * 0.92)), min(560, int(screen.height() * 0.85)))
        self.table.horizontalHeader().resizeSection(1, int(self.width() * 0.3))

    def set_candidates(self, candidates: list[Any]) -> None:
        """The earlier batches (operations.comparisons.Candidate); the first is compared at once."""
        self.picker.clear()
        for c in candidates:
            same = "  (same file)" if c.same_file else ""
            self.picker.addItem(f"{'Deal ' if c.deal else ''}#{c.batch_id}  {c.source_name}  "
                                f"{c.created_at:%b %d %Y}{same}", c.batch_id)
        if not candidates:
            self.summary.setText("No earlier batch to compare with: quote the file again later, "
                                 "and compare the two.")
            return
        self._picked(0)

    def _picked(self, index: int) -> None:
        self.summary.setText("Comparing…")
        emit(self.batch_chosen, int(self.picker.itemData(index)))

    def show_failure(self, message: str) -> None:
        self.summary.setText(f"Could not compare: {message}")

    def show_changes(self, old_batch: int, changes: Changes) -> None:
        self.changes = changes
        if changes.new_side is not None:   # a deal is named as the deal, not one of its batches
            name = changes.new_side.name("#")
            self.setWindowTitle(f"Compare {name}")
            self.head_label.setText(f"{name[:1].upper()}{name[1:]} ({self._source_name}) "
                                    "compared with")
        old_name = changes.old_side.name("#") if changes.old_side else f"batch #{old_batch}"
        kinds = ", ".join(f"{n} {k}" for k, n in changes.counts.items() if n and k != Kind.UNCHANGED)
        changed = len(changes.changed())
        self.summary.setText(
            f"{changed} of {len(changes.sites)} sites changed since {old_name}"
            + (f": {kinds}." if kinds else ".") + "\n" + _totals_text(changes))
        self._fill()

    def _fill(self) -> None:
        changes = self.changes
        sites = [] if changes is None else (
            list(changes.sites) if self.show_all.isChecked() else changes.changed())
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(sites))
        for r, site in enumerate(sites):
            for c, item in enumerate(self._cells(site)):
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeRowsToContents()   # a long change wraps onto a second line

    @staticmethod
    def _cells(site: SiteChange) -> list[QTableWidgetItem]:
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        old, new = site.old_offer, site.new_offer
        cells = [_Item(str(site.row_number), site.row_number), _Item(site.site.address),
                 _Item(_change_text(site)),
                 _Item(_mrc(old), old.mrc if old else Decimal(-1)),
                 _Item(_mrc(new), new.mrc if new else Decimal(-1)),
                 _Item(_signed(site.mrc_change, currency=_currency(new)),
                       site.mrc_change or Decimal(0)),
                 _Item(_signed(site.nrc_change, currency=_currency(new)),
                       site.nrc_change or Decimal(0))]
        cells[1].setToolTip(site.site.address)
        cells[2].setToolTip(cells[2].text())
        for item, offer in ((cells[3], old), (cells[4], new)):
            item.setToolTip(f"{offer.carrier}, {offer.term_months} months, NRC "
                            f"{format_money(offer.nrc, offer.currency)}" if offer else "Not priced")
        for item in (cells[0], *cells[3:]):
            item.setTextAlignment(right)
        return cells

    def rows(self) -> list[list[str]]:
        """The table as the rep reads it (tests, screenshots)."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]
