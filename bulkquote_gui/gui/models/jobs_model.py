"""Recent jobs: the last batches (BatchSummary from core.store.list_batches), newest first.

Who submitted each batch (OWNER_ROLE) is given only in the team's view (`set_show_owner`): in
the rep's own list it would be their name on every row.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from bulkquote_gui.core.states import RowState
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.roles import KEY_ROLE, OWNER_ROLE, RUSH_ROLE, STATUS_ROLE, status_label

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
    done = counts.get(RowState.COMPLETE, 0)
    failed = counts.get(RowState.FAILED, 0)
    cancelled = counts.get(RowState.CANCELLED, 0)
    text = f"{done:,}/{total:,} priced"
    text += f", {failed:,} failed" if failed else ""
    return text + (f", {cancelled:,} not sent" if cancelled else "")


def owner_of(batch: Any) -> str:
    return str(getattr(batch, "owner", "") or "")


def is_rushed(batch: Any) -> bool:
    return int(getattr(batch, "priority", 0) or 0) > 0


class JobsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._batches: list[Any] = []
        self._show_owner = False

    def load(self, batches: Iterable[Any]) -> None:
        self.beginResetModel()
        self._batches = list(batches)
        self.endResetModel()

    def set_show_owner(self, show: bool) -> None:
        if show != self._show_owner:
            self._show_owner = show
            if self._batches:
                emit(self.dataChanged, self.index(0, 0), self.index(len(self._batches) - 1, 0), [OWNER_ROLE])

    def batch_id(self, row: int) -> int:
        return int(self._batches[row].id)

    def batch_at(self, row: int) -> Any:
        return self._batches[row]

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
        if role == OWNER_ROLE and column == 0:
            return (owner_of(b) or "no name") if self._show_owner else ""
        if role == RUSH_ROLE and column == 0:
            return is_rushed(b)
        if role == Qt.ItemDataRole.ToolTipRole:
            finished = f", finished {format_when(b.finished_at)}" if b.finished_at else ""
            by = f" by {owner_of(b)}" if owner_of(b) else ""
            rushed = "\nRushed: goes before the account's other batches" if is_rushed(b) else ""
            return (f"Batch #{b.id} from {b.source_name}{by}\n{status_label(b.status)}: "
                    f"{counts_text(dict(b.counts))}, created {format_when(b.created_at)}{finished}{rushed}")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
