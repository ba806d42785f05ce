"""The preview grid's model: the rep's own columns plus a status column, read from ImportResult on demand.

Nothing is copied per row: `data()` asks the ImportResult for the one cell the view paints, so a
100,000-row file costs no more than the rows on screen. Filters keep a list of visible indexes
(`range` for "all", so even that costs nothing) instead of rebuilding anything.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from bulkquote_gui.core.intake.rows import RowStatus
from bulkquote_gui.gui.roles import KEY_ROLE, STATUS_ROLE, status_label
from bulkquote_gui.gui.style import current_theme
from bulkquote_gui.gui.qt_compat import emit

STATUS_COLUMN = 0
# Shown only when the file has two address sets or more: the set a row is quoted from and the
# address it gives (a mailing-set row's address is in columns far from the mapped ones).
SET_COLUMN, USED_COLUMN = 1, 2
SET_HEADER, USED_HEADER = "Address set", "Address used"
FILTERS = ("all", "valid", "problems")
_QUOTABLE = (RowStatus.VALID, RowStatus.REPAIRED)

Index = QModelIndex | QPersistentModelIndex


def reuse_text(reuse: Any, on: bool = True) -> str:
    """'Quoted in batch #3, $1,204.00/mo, valid until Jan 30 2026: ...' for a reusable row."""
    from bulkquote_gui.gui.models.results_model import format_money

    price = f", {reuse.carrier}" if reuse.carrier else ""
    if reuse.mrc is not None:
        price += f" {format_money(reuse.mrc, reuse.currency)}/mo"
    text = (f"Quoted in batch #{reuse.from_batch} (row {reuse.from_row}){price}, valid until "
            f"{reuse.valid_until:%b %d %Y}")
    if on:
        return text + ": that price is used, with no new API call."
    return text + ": asked again, because \"Reuse valid quotes\" is off."


class PreviewModel(QAbstractTableModel):
    counts_changed = Signal(dict)  # ImportResult.counts() after an edit
    edited = Signal()              # the rep changed a cell (what is sent may have changed)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._result = None
        self._columns: list[str] = []
        self._first = 1
        self._visible: Sequence[int] = range(0)
        self._filter = "all"
        # Rows a still-valid quote of the account would fill (row number -> store.Reusable),
        # as the window read them for this result; shown while `reuse_on` (the Submit checkbox).
        self._reuse: dict[int, Any] = {}
        self.reuse_on = True

    # ------------------------------------------------------------ the data behind it
    @property
    def result(self):
        return self._result

    def set_result(self, result) -> None:
        """Show another ImportResult (a new file, a new mapping or new defaults)."""
        self.beginResetModel()
        self._result = result
        self._reuse = {}
        self._columns = list(result.columns) if result is not None else []
        # The rep's columns start after Status (and after the set's two, when there are sets).
        self._first = 3 if result is not None and getattr(result, "address_sets", None) else 1
        self._visible = self._indexes_for(self._filter)
        self.endResetModel()
        emit(self.counts_changed, self.counts())

    def counts(self) -> dict[str, int]:
        return dict(self._result.counts()) if self._result is not None else {}

    def set_reuse(self, reusable: dict[int, Any], on: bool | None = None) -> None:
        """The rows a submit would fill from earlier quotes (and whether it will: the checkbox)."""
        self._reuse = dict(reusable)
        if on is not None:
            self.reuse_on = on
        if self.rowCount():
            emit(self.dataChanged, self.index(0, STATUS_COLUMN),
                 self.index(self.rowCount() - 1, STATUS_COLUMN))

    def reusable(self) -> dict[int, Any]:
        return dict(self._reuse)

    def reuse_at(self, i: int) -> Any:
        """The earlier quote row i (an ImportResult index) would be filled from, if any."""
        if not self._reuse or self._result.status_at(i) not in _QUOTABLE:
            return None
        return self._reuse.get(int(self._result.row_number_at(i)))

    def set_filter(self, kind: str) -> None:
        """all / valid (quotable: valid + repaired) / problems (invalid + duplicate)."""
        if kind not in FILTERS:
            raise ValueError(f"unknown filter {kind!r}; expected one of {FILTERS}")
        self.beginResetModel()
        self._filter = kind
        self._visible = self._indexes_for(kind)
        self.endResetModel()

    @property
    def filter(self) -> str:
        return self._filter

    def _indexes_for(self, kind: str) -> Sequence[int]:
        result = self._result
        if result is None:
            return range(0)
        if kind == "all":
            return range(len(result))
        want_quotable = kind == "valid"
        status_at = result.status_at
        return [i for i in range(len(result)) if (status_at(i) in _QUOTABLE) == want_quotable]

    def source_index(self, row: int) -> int:
        """The ImportResult index shown on view row `row`."""
        return self._visible[row]

    def view_row(self, source: int) -> int | None:
        if isinstance(self._visible, range):
            return source if 0 <= source < len(self._visible) else None
        try:
            return self._visible.index(source)  # filtered lists are short-lived and scanned only on edits
        except ValueError:
            return None

    def column_name(self, column: int) -> str | None:
        """The rep's column shown at `column` (None for Status and the address set's two)."""
        return None if column < self._first else self._columns[column - self._first]

    def column_of(self, name: str) -> int:
        """The model column that shows the rep's column `name`."""
        return self._columns.index(name) + self._first

    @property
    def first_sheet_column(self) -> int:
        """Where the rep's own columns start (after Status and the address set's columns)."""
        return self._first

    # ------------------------------------------------------------ Qt model interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() or self._result is None else len(self._columns) + self._first

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < self.columnCount():
                if section == STATUS_COLUMN:
                    return "Status"
                if section < self._first:
                    return SET_HEADER if section == SET_COLUMN else USED_HEADER
                return self._columns[section - self._first]
            return None
        if 0 <= section < len(self._visible):
            return str(self._result.row_number_at(self._visible[section]))
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._result is None:
            return None
        i = self._visible[index.row()]
        column = index.column()
        if column == STATUS_COLUMN:
            status = self._result.status_at(i)
            reuse = self.reuse_at(i) if role in (Qt.ItemDataRole.DisplayRole, STATUS_ROLE,
                                                 Qt.ItemDataRole.ToolTipRole) else None
            if role == Qt.ItemDataRole.DisplayRole:
                return "Reuse" if reuse is not None and self.reuse_on else status_label(status.value)
            if role == STATUS_ROLE:
                return "reuse" if reuse is not None and self.reuse_on else status.value
            if role == Qt.ItemDataRole.ToolTipRole:
                if reuse is not None:
                    return reuse_text(reuse, self.reuse_on)
                return self._tooltip(i, status)
            if role == KEY_ROLE:
                return i
            return None
        if column == SET_COLUMN and self._first > SET_COLUMN:  # the set this row is quoted from
            if role == Qt.ItemDataRole.DisplayRole:
                return self._result.address_set_at(i)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Quoted from the {self._result.address_set_at(i)} address columns"
            return None
        if column < self._first:  # the address that set gives, as it is sent
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return self._result.address_used_at(i)
            return None
        name = self._columns[column - self._first]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._result.cell(i, name)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole):
            if self._result.status_at(i) == RowStatus.INVALID and name in self._result.invalid_columns_at(i):
                if role == Qt.ItemDataRole.BackgroundRole:
                    return current_theme().invalid_cell
                return self._tooltip(i, RowStatus.INVALID)
        return None

    def _tooltip(self, i: int, status: RowStatus) -> str:
        problems = self._result.problems_at(i)
        if not problems:
            return "Ready to quote" if status in _QUOTABLE else status_label(status.value)
        return "\n".join(p.message for p in problems)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() >= self._first:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Editing a cell re-validates its row at once; rows whose status changed repaint."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() < self._first:
            return False
        i = self._visible[index.row()]
        name = self._columns[index.column() - self._first]
        text = "" if value is None else str(value)
        if text == self._result.cell(i, name):
            return False
        changed = set(self._result.set_cell(i, name, text))
        changed.add(i)
        last = self.columnCount() - 1
        for source in sorted(changed):
            row = self.view_row(source)
            if row is not None:
                emit(self.dataChanged, self.index(row, 0), self.index(row, last))
        emit(self.counts_changed, self.counts())
        emit(self.edited)
        return True
