"""One batch's rows on the progress page: the whole sheet (the rows not quoted too), loaded once
from the store, then patched per QuoteEvent.

Each event touches one row: its cells change and `dataChanged` covers that row only, so the view
repaints one line instead of reloading the batch. Every row has a category (Priced, No coverage,
PO box, Duplicate, Not sent: cancelled…) that the reason filter counts and selects; sorting and
filtering happen in `ResultsFilter`, a proxy, so the model itself keeps the sheet's order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt)

from bulkquote_gui.core.events import QuoteEvent
from bulkquote_gui.core.output.reasons import (ALTERNATE_TEXT, expired_text, is_retryable,
                                               quote_level_word, reason_label, reason_text,
                                               status_word)
from bulkquote_gui.core.intake.rows import RowStatus, written_address
from bulkquote_gui.core.quoting.provider import QuoteOption, ReadsOffer
from bulkquote_gui.core.states import ROW_ACTIVE, ROW_TERMINAL, BatchStatus, RowState
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.roles import KEY_ROLE, STATUS_ROLE

COLUMNS = ("Row", "Address", "Status", "Carrier", "MRC", "NRC", "Install", "Provider", "Reason")
PROVIDER_COLUMN = COLUMNS.index("Provider")
STATUS_COLUMN = COLUMNS.index("Status")
REASON_COLUMN = COLUMNS.index("Reason")
SKIPPED = frozenset({RowStatus.INVALID, RowStatus.DUPLICATE})   # rows of the sheet the batch did not quote
_RIGHT = {COLUMNS.index("Row"), COLUMNS.index("MRC"), COLUMNS.index("NRC"), COLUMNS.index("Install")}
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 10
CATEGORY_ROLE = int(Qt.ItemDataRole.UserRole) + 11
CATEGORIES_ROLE = int(Qt.ItemDataRole.UserRole) + 12   # every category the row is listed under
PRICED, IN_PROGRESS, NOT_SENT = "Priced", "Not sent yet", "Not sent: cancelled"
EXPIRED = "Priced, price expired"   # valid-until passed: "Re-quote stale rows" asks again
# Status order when sorting by status: what needs the rep first.
_STATUS_ORDER = {s: i for i, s in enumerate(
    (RowState.FAILED, RowStatus.INVALID, RowStatus.DUPLICATE, RowState.CANCELLED, RowState.POLLING,
     RowState.SUBMITTING, RowState.PENDING, RowState.COMPLETE))}

Index = QModelIndex | QPersistentModelIndex


@dataclass
class ResultRow(ReadsOffer):
    """What the table shows for one row of the sheet (plain values, never an ORM object);
    reads as its recommended option too (`row.mrc` is `row.offer.mrc`)."""

    quote_id: int            # BatchQuote.id; < 0 for a row the batch did not quote
    row_number: int
    address: str
    status: str
    offer: QuoteOption | None = None   # the recommended option, once the row is priced
    error_code: str | None = None
    error_message: str | None = None
    categories: tuple[str, ...] = field(default=())  # a skipped row's, as `check` counts them
    valid_until: date | None = None   # a priced row's quote is good until then
    provider: str = ""                # who quotes it (store RowView.provider)
    zip_code: str = ""                # as sent; the map places the site by it
    cells: dict[str, str] = field(default_factory=dict)   # the sheet's own (a map reads lat/long)
    # A finished deal's chosen offer for the site (core/deal Offer, issue 18), shown instead of
    # the recommended one, and a word on it ("chosen by Dana", "needs review").
    chosen: Any = None
    chosen_note: str = ""

    @classmethod
    def from_view(cls, view: Any) -> "ResultRow":
        quoted = getattr(view, "quoted", ("", "", "", ""))
        return cls(view.quote_id, view.row_number, view.address, str(view.status), view.offer,
                   view.error_code, view.error_message, valid_until=view.valid_until,
                   provider=getattr(view, "provider", ""),   # (a view made before may lack it)
                   zip_code=quoted[3] or "", cells=getattr(view, "original", None) or {})

    def expired(self, today: date | None = None) -> bool:
        """Priced, but past its valid-until date (as store RowView.stale): ask again first."""
        return self.status == RowState.COMPLETE and self.valid_until is not None \
            and self.valid_until < (today or date.today())

    @classmethod
    def from_skipped(cls, skipped: Any, address: str) -> "ResultRow":
        reason = skipped.reason[:1].upper() + skipped.reason[1:]
        return cls(-int(skipped.row_number), skipped.row_number, address, str(skipped.status),
                   error_message=reason, categories=tuple(skipped.categories))

    @property
    def skipped(self) -> bool:
        return self.status in SKIPPED

    @property
    def retryable(self) -> bool:
        return self.status == RowState.FAILED and is_retryable(self.error_code)

    def reason(self) -> str:
        if self.expired():
            return expired_text(self.valid_until)
        if self.status == RowState.COMPLETE and (self.chosen or self.chosen_note):
            chosen = self.chosen
            level = chosen.level if chosen and chosen.level != "firm" else ""
            return "; ".join(filter(None, (level, ALTERNATE_TEXT if chosen and chosen.alternate
                                           else "", self.chosen_note)))
        if self.status == RowState.COMPLETE:   # how firm the price is, and whether it is the ask
            return "; ".join(filter(None, (quote_level_word(self.quote_level),
                                           ALTERNATE_TEXT if self.alternate else "")))
        if self.skipped:
            return self.error_message or ""
        if self.status == RowState.CANCELLED:
            return NOT_SENT
        if self.status == RowState.FAILED:
            return reason_text(self.error_code, self.error_message)
        return ""

    def category(self) -> str:
        """The row's main category (a skipped row with two faults: its first)."""
        return self.all_categories()[0]

    def all_categories(self) -> tuple[str, ...]:
        """Every category the filter lists the row under: a skipped row's each fault, as
        `check` and the preview count them (70 "ZIP in another state", not 67)."""
        if self.skipped:
            return tuple(c[:1].upper() + c[1:]  # "street missing" -> "Street missing"
                         for c in self.categories or (status_word(self.status),))
        return (self._category(),)

    def _category(self) -> str:
        if self.status == RowState.COMPLETE:
            return EXPIRED if self.expired() else PRICED
        if self.status == RowState.CANCELLED:
            return NOT_SENT
        if self.status == RowState.FAILED:
            return reason_label(self.error_code) or "Failed"
        return IN_PROGRESS


def format_money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return ""
    if (currency or "USD") == "USD":
        return f"${amount:,.2f}"
    return f"{amount:,.2f} {currency}"


def address_of(skipped: Any, mapping: dict[str, str]) -> str:
    """A skipped row's address as its sheet wrote it: kept with the row since address sets
    (from the set it came from, which may not be the mapping's), else from the mapping."""
    return getattr(skipped, "address", "") or written_address(skipped.original, mapping)


class ResultsModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ResultRow] = []
        self._position: dict[int, int] = {}  # quote_id -> row
        self._paused = False  # the batch is paused: a row in flight shows it waits, not "Polling"
        # Kept as rows change (the buttons read them on every event: no pass over 20,000 rows)
        self._quoted = self._failed = self._retryable = 0

    def load(self, views: Iterable[Any], skipped: Iterable[Any] = (),
             mapping: dict[str, str] | None = None) -> None:
        """Replace the contents with a batch's rows (RowView objects from core.store.batch_rows)
        and the sheet's rows it did not quote (SkippedRow), in the sheet's order."""
        self.beginResetModel()
        rows = [ResultRow.from_view(v) for v in views]
        rows += [ResultRow.from_skipped(s, address_of(s, mapping or {})) for s in skipped]
        rows.sort(key=lambda r: r.row_number)
        self._rows = rows
        self._position = {r.quote_id: i for i, r in enumerate(self._rows)}
        self._recount()
        self.endResetModel()

    def _recount(self) -> None:
        self._quoted = sum(1 for r in self._rows if not r.skipped)
        self._failed = sum(1 for r in self._rows if r.status == RowState.FAILED)
        self._retryable = sum(1 for r in self._rows if r.retryable)

    def row_at(self, row: int) -> ResultRow:
        return self._rows[row]

    def row_for_quote(self, quote_id: int) -> int | None:
        return self._position.get(quote_id)

    def row_of_sheet_row(self, row_number: int) -> int | None:
        """The model row showing the sheet's row `row_number` (a search result's)."""
        return next((i for i, r in enumerate(self._rows) if r.row_number == row_number), None)

    def rows(self) -> list[ResultRow]:
        """The rows in the model's order (read, not to be changed)."""
        return self._rows

    def providers(self) -> set[str]:
        """The providers of the offers shown: the batch's own, or, in a deal, the provider of
        each site's chosen offer (one for most batches)."""
        shown = ((r.chosen or r).provider for r in self._rows if not r.skipped)
        return {p for p in shown if p}

    def statuses(self) -> list[str]:
        return [r.status for r in self._rows]

    def quoted_count(self) -> int:
        return self._quoted

    def retryable_count(self) -> int:
        return self._retryable

    def failed_count(self) -> int:
        return self._failed

    def category_counts(self) -> Counter[str]:
        """Rows per category; a row with two faults counts under both (as `check`)."""
        return Counter(c for r in self._rows for c in r.all_categories())

    def set_paused(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self._paused = paused
        self._changed_rows(row for row, r in enumerate(self._rows) if r.status in ROW_ACTIVE)

    def apply(self, event: QuoteEvent) -> bool:
        """Patch the row an event is about; returns False if the row is not in this model."""
        row = self._position.get(event.quote_id)
        if row is None:
            return False
        r = self._rows[row]
        was_failed, was_retryable = r.status == RowState.FAILED, r.retryable
        r.status = event.status
        r.chosen, r.chosen_note = None, ""   # the deal's choice is read again once it finishes
        if event.status == RowState.COMPLETE:
            r.offer = event.offer
            r.error_code = r.error_message = None
        elif event.status in (RowState.FAILED, RowState.CANCELLED):
            r.error_code, r.error_message = event.error_code, event.error_message
        elif event.status in (RowState.PENDING, RowState.SUBMITTING):
            # A retried row starts afresh: its old error no longer applies.
            r.error_code = r.error_message = None
        self._failed += (r.status == RowState.FAILED) - was_failed
        self._retryable += r.retryable - was_retryable
        self._changed(row)
        return True

    def close_open_rows(self, status: str, message: str) -> int:
        """Every row not yet finished becomes `status` (a cancel ends them all at once, one event)."""
        changed = []
        for row, r in enumerate(self._rows):
            if r.status not in ROW_TERMINAL and not r.skipped:
                r.status, r.error_code, r.error_message = status, status, message
                changed.append(row)
        self._recount()
        self._changed_rows(changed)
        return len(changed)

    def requeue_failed(self) -> int:
        """Failed rows a retry can change are pending again: their old error and result gone."""
        return self._requeue(lambda r: r.retryable)

    def requeue_rest(self) -> int:
        """Quote the rest: the cancelled rows and the retryable failures are pending again."""
        return self._requeue(lambda r: r.status == RowState.CANCELLED or r.retryable)

    def _requeue(self, wanted) -> int:
        changed = []
        for row, r in enumerate(self._rows):
            if wanted(r):
                self._rows[row] = ResultRow(r.quote_id, r.row_number, r.address, RowState.PENDING,
                                            zip_code=r.zip_code, cells=r.cells)
                changed.append(row)
        self._recount()
        self._changed_rows(changed)
        return len(changed)

    def show_chosen(self, chosen: dict[int, tuple[Any, str]]) -> None:
        """Each priced site's offer as its deal chose it, by sheet row: (Offer or None, note).
        A row not named, or named with None, shows its recommended option (with the note)."""
        for r in self._rows:
            r.chosen, r.chosen_note = (None, "") if r.skipped else chosen.get(r.row_number, (None, ""))
        self._changed_rows(range(len(self._rows)))

    def _changed(self, row: int) -> None:
        emit(self.dataChanged, self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _changed_rows(self, rows: Iterable[int]) -> None:
        """One dataChanged over the span of `rows` (a cancel of 20,000 rows is one signal)."""
        rows = list(rows)
        if rows:
            emit(self.dataChanged, self.index(min(rows), 0), self.index(max(rows), len(COLUMNS) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:  # noqa: D401
        """Reorder the rows themselves, one key per row (ResultsFilter hands its sort here):
        the proxy's own sort calls back into Python for every comparison, over a second for a
        20,000-row batch, on the GUI thread. Stable, as Qt's is; selections follow their rows."""
        if not 0 <= column < len(COLUMNS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        ranked = sorted(range(len(self._rows)), key=lambda i: self._sort_key(self._rows[i], column),
                        reverse=descending)
        if ranked == list(range(len(self._rows))):
            return   # already in that order (a batch is loaded by row number)
        emit(self.layoutAboutToBeChanged)
        moved_to = {old: new for new, old in enumerate(ranked)}
        persistent = self.persistentIndexList()
        self._rows = [self._rows[i] for i in ranked]
        self._position = {r.quote_id: i for i, r in enumerate(self._rows)}
        self.changePersistentIndexList(
            persistent, [self.index(moved_to[ix.row()], ix.column()) for ix in persistent])
        emit(self.layoutChanged)

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
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Click to sort by this column; click again to reverse"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, column)
        if role == STATUS_ROLE and column == STATUS_COLUMN:
            # an in-flight row of a paused batch is drawn with the batch's badge
            return BatchStatus.PAUSED if self._paused and r.status in ROW_ACTIVE else r.status
        if role == KEY_ROLE:
            return r.quote_id
        if role == SORT_ROLE:
            return self._sort_key(r, column)
        if role == CATEGORY_ROLE:
            return r.category()
        if role == CATEGORIES_ROLE:
            return r.all_categories()
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == PROVIDER_COLUMN and r.provider:
                return r.provider   # a long name is elided in its column
            reason = r.reason()
            if reason:
                return reason
            if column == COLUMNS.index("Address"):
                return r.address
        return None

    def _display(self, r: ResultRow, column: int) -> str:
        if column == 0:
            return str(r.row_number)
        if column == 1:
            return r.address
        if column == STATUS_COLUMN:
            if self._paused and r.status in ROW_ACTIVE:
                return "Paused"
            return status_word(r.status)
        shown = r.chosen or r   # the deal's chosen offer, else the recommended option
        if column == 3:
            return shown.carrier or ""
        if column == 4:
            return format_money(shown.mrc, shown.currency)
        if column == 5:
            return format_money(shown.nrc, shown.currency)
        if column == 6:
            return "" if shown.install_days is None else f"{shown.install_days} days"
        if column == PROVIDER_COLUMN:
            return "" if r.skipped else shown.provider
        if column == REASON_COLUMN:
            return r.reason()
        return ""

    def _sort_key(self, r: ResultRow, column: int) -> Any:
        if column == 0:
            return r.row_number
        if column == STATUS_COLUMN:
            return _STATUS_ORDER.get(r.status, 99) * 1_000_000 + r.row_number
        if column in (4, 5):
            shown = r.chosen or r
            amount = shown.mrc if column == 4 else shown.nrc
            return float(amount) if amount is not None else float("inf")
        if column == 6:
            return r.install_days if r.install_days is not None else 1 << 30
        return self._display(r, column).casefold()

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ResultsFilter(QSortFilterProxyModel):
    """The table's view of the model: sorted by a clicked header, filtered by a category."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._category = ""  # "" = every row
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)  # a row changing status does not jump while watched

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts itself (ResultsModel.sort): this proxy only filters."""
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def set_category(self, category: str) -> None:
        if category == self._category:
            return
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+: invalidateRowsFilter is deprecated
            self.beginFilterChange()
            self._category = category
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._category = category
            self.invalidateRowsFilter()

    @property
    def category(self) -> str:
        return self._category

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if not self._category:
            return True
        model = self.sourceModel()
        return self._category in model.index(source_row, 0, source_parent).data(CATEGORIES_ROLE)
