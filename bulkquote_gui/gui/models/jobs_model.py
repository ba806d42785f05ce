"""Recent jobs: the last batches (BatchSummary from core.store.list_batches), newest first."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from bulkquote_gui.gui.roles import KEY_ROLE, STATUS_ROLE, status_label

COLUMNS = ("File", "Created", "Quotes", "Status")
STATUS_COLUMN = COLUMNS.index("Status")

Index = QModelIndex | QPersistentModelIndex


def format_when(moment: datetime | None, now: datetime | None = None) -> str:
    """'14:05' today, 'Nov 28, 09:12' otherwise, in local time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # the store keeps UTC
    local = moment.astimezone()
    now = (now or datetime.now(timezone.utc)).astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    return local.strftime("%b %d, %H:%M")


def counts_text(counts: dict[str, int]) -> str:
    total = counts.get("total", 0)
    done = counts.get("complete", 0)
    failed = counts.get("failed", 0)
    text = f"{done:,}/{total:,} priced"
    return text + (f", {failed:,} failed" if failed else "")


class JobsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._batches: list[Any] = []

    def load(self, batches: Iterable[Any]) -> None:
        self.beginResetModel()
        self._batches = list(batches)
        self.endResetModel()

    def batch_id(self, row: int) -> int:
        return int(self._batches[row].id)

    def batch_ids(self) -> list[int]:
        return [int(b.id) for b in self._batches]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._batches)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        b = self._batches[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"#{b.id}  {b.source_name}"
            if column == 1:
                return format_when(b.created_at)
            if column == 2:
                return counts_text(dict(b.counts))
            if column == STATUS_COLUMN:
                return status_label(b.status)
        if role == STATUS_ROLE and column == STATUS_COLUMN:
            return str(b.status)
        if role == KEY_ROLE:
            return int(b.id)
        if role == Qt.ItemDataRole.ToolTipRole:
            finished = f", finished {format_when(b.finished_at)}" if b.finished_at else ""
            return (f"Batch #{b.id} from {b.source_name}\n{status_label(b.status)}: "
                    f"{counts_text(dict(b.counts))}, created {format_when(b.created_at)}{finished}")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
