"""One batch's rows on the progress page: loaded once from the store, then patched per QuoteEvent.

Each event touches one row: its cells change and `dataChanged` covers that row only, so the view
repaints one line instead of reloading the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.gui.roles import KEY_ROLE, STATUS_ROLE, status_label
from bulkquote_gui.gui.qt_compat import emit

COLUMNS = ("Row", "Address", "Status", "Carrier", "MRC", "NRC", "Install", "Error")
STATUS_COLUMN = COLUMNS.index("Status")
TERMINAL = frozenset({"complete", "failed", "cancelled"})
_RIGHT = {COLUMNS.index("Row"), COLUMNS.index("MRC"), COLUMNS.index("NRC"), COLUMNS.index("Install")}

Index = QModelIndex | QPersistentModelIndex


@dataclass
class ResultRow:
    """What the table shows for one batch row (plain values, never an ORM object)."""

    quote_id: int
    row_number: int
    address: str
    status: str
    carrier: str | None = None
    mrc: Decimal | None = None
    nrc: Decimal | None = None
    currency: str | None = None
    install_days: int | None = None
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def from_view(cls, view: Any) -> "ResultRow":
        return cls(view.quote_id, view.row_number, view.address, str(view.status), view.carrier,
                   view.mrc, view.nrc, view.currency, view.install_days, view.error_code,
                   view.error_message)


def _decimal(text: str | None) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def format_money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return ""
    if (currency or "USD") == "USD":
        return f"${amount:,.2f}"
    return f"{amount:,.2f} {currency}"


class ResultsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ResultRow] = []
        self._position: dict[int, int] = {}  # quote_id -> row

    def load(self, views: Iterable[Any]) -> None:
        """Replace the contents with a batch's rows (RowView objects from core.store.batch_rows)."""
        self.beginResetModel()
        self._rows = [ResultRow.from_view(v) for v in views]
        self._position = {r.quote_id: i for i, r in enumerate(self._rows)}
        self.endResetModel()

    def row_at(self, row: int) -> ResultRow:
        return self._rows[row]

    def row_for_quote(self, quote_id: int) -> int | None:
        return self._position.get(quote_id)

    def statuses(self) -> list[str]:
        return [r.status for r in self._rows]

    def apply(self, event: QuoteEvent) -> bool:
        """Patch the row an event is about; returns False if the row is not in this model."""
        row = self._position.get(event.quote_id)
        if row is None:
            return False
        r = self._rows[row]
        r.status = event.status
        if event.status == "complete":
            r.carrier, r.currency, r.install_days = event.carrier, event.currency, event.install_days
            r.mrc, r.nrc = _decimal(event.mrc), _decimal(event.nrc)
            r.error_code = r.error_message = None
        elif event.status in ("failed", "cancelled"):
            r.error_code, r.error_message = event.error_code, event.error_message
        elif event.status in ("pending", "submitting"):
            # A retried row starts afresh: its old error no longer applies.
            r.error_code = r.error_message = None
        emit(self.dataChanged, self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def close_open_rows(self, status: str, message: str) -> int:
        """Every row not yet finished becomes `status` (a cancel ends them all at once, one event)."""
        changed = 0
        for row, r in enumerate(self._rows):
            if r.status not in TERMINAL:
                r.status, r.error_code, r.error_message = status, status, message
                emit(self.dataChanged, self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                changed += 1
        return changed

    def requeue_failed(self) -> int:
        """Failed rows are pending again (retry): their old error and result are gone."""
        changed = 0
        for row, r in enumerate(self._rows):
            if r.status == "failed":
                self._rows[row] = ResultRow(r.quote_id, r.row_number, r.address, "pending")
                emit(self.dataChanged, self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                changed += 1
        return changed

    # ------------------------------------------------------------ Qt model interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in _RIGHT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, column)
        if role == STATUS_ROLE and column == STATUS_COLUMN:
            return r.status
        if role == KEY_ROLE:
            return r.quote_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.error_message or r.error_code:
                return f"{r.error_code or 'error'}: {r.error_message or ''}".strip()
            if column == COLUMNS.index("Address"):
                return r.address
        return None

    @staticmethod
    def _display(r: ResultRow, column: int) -> str:
        if column == 0:
            return str(r.row_number)
        if column == 1:
            return r.address
        if column == STATUS_COLUMN:
            return status_label(r.status)
        if column == 3:
            return r.carrier or ""
        if column == 4:
            return format_money(r.mrc, r.currency)
        if column == 5:
            return format_money(r.nrc, r.currency)
        if column == 6:
            return "" if r.install_days is None else f"{r.install_days} days"
        if column == 7:
            return r.error_message or (r.error_code or "")
        return ""

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
