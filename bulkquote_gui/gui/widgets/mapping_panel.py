"""Column mapping above the grid: each field with the column it came from, a combo box per field.

The grid of combos takes a lot of height, and the preview grid is what the rep looks at, so the
panel folds itself into a one-line summary ("Street ← Address · City ← City · …  Edit") when a
freshly loaded file has every field a quote needs. It stays open while anything required is missing.

A file with more than one address per row (mailing, physical, geocoded column families) shows its
address sets on a line of their own, in the order they are tried per row, with a "Try first"
picker: choosing a set maps the address fields to its columns, which the importer reads as
"put this set first" (ImportResult.with_mapping). Mapping an address field by hand to another
column turns the sets off: the rep said where the address is.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QStyle, QStyleOptionComboBox, QVBoxLayout, QWidget)

from bulkquote_gui.core.intake.address_sets import LOCATION_FIELDS, AddressSet, find_address_sets
from bulkquote_gui.core.intake.rows import FIELDS
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.controllers.remembered_mapping import RememberedNote
from bulkquote_gui.gui.widgets.blocks import ElidedLabel

FIELD_LABELS: dict[str, str] = {
    "street": "Street", "unit": "Unit / suite", "city": "City", "state": "State", "postal_code": "ZIP",
    "zip4": "ZIP+4", "company": "Company", "contact_name": "Contact", "email": "E-mail", "phone": "Phone",
    "bandwidth": "Speed", "term": "Term", "product": "Product", "site_id": "Site ID",
    "full_address": "Full address",
}
NOT_MAPPED = "—"
PER_ROW = 4  # label + combo pairs per grid row
NARROW = 940  # below this panel width, one pair fewer per row
ADDRESS_FIELDS = ("street", "city", "state", "postal_code")  # or one full-address column


def missing_address_fields(mapping: dict[str, str]) -> list[str]:
    """The address fields a quote needs that the mapping lacks ([] when it can quote)."""
    if mapping.get("full_address"):
        return []
    return [field for field in ADDRESS_FIELDS if not mapping.get(field)]


def mapping_summary(mapping: dict[str, str]) -> str:
    """'Street ← Address  ·  City ← City  ·  …' in the panel's field order."""
    return "  ·  ".join(f"{FIELD_LABELS.get(field, field)} ← {mapping[field]}"
                        for field in FIELDS if mapping.get(field))


def missing_text(missing: list[str]) -> str:
    names = [FIELD_LABELS[field] for field in missing]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Pick the column for {listed} (or one Full address column) so the rows can be quoted."


class MappingPanel(QFrame):
    mapping_changed = Signal(dict)  # field -> column, the full mapping the rep now wants

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.combos: dict[str, QComboBox] = {}

        head = self._build_head()
        self._build_sets_row()
        self._build_body()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 10, 10)
        layout.setSpacing(6)
        layout.addLayout(head)
        self.remembered_note = RememberedNote()  # shown while a remembered mapping is in use
        layout.addWidget(self.remembered_note)
        layout.addWidget(self.sets_row)
        layout.addWidget(self.body)
        self._updating = False
        self._expanded = True
        self._sync_header()

    def _build_head(self) -> QHBoxLayout:
        """The title, the mapping in one line (folded) and Edit."""
        title = QLabel("Column mapping")
        title.setObjectName("cardTitle")
        self.summary = ElidedLabel("")
        self.summary.setObjectName("mappingSummary")
        self.toggle_button = QPushButton("Edit")
        self.toggle_button.setObjectName("link")
        self.toggle_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.toggle_button.clicked.connect(lambda: self.set_expanded(not self.is_expanded()))
        head = QHBoxLayout()
        head.setSpacing(12)
        head.addWidget(title)
        head.addWidget(self.summary, 1)
        head.addWidget(self.toggle_button)
        return head

    def _build_sets_row(self) -> None:
        """The address sets found, and which one a row tries first (shown when there are several)."""
        self.sets_label = ElidedLabel("")
        self.sets_label.setObjectName("addressSets")
        self.first_set_combo = QComboBox()
        self.first_set_combo.setObjectName("first_set")
        self.first_set_combo.setToolTip("The address set each row is quoted from first; a row "
                                        "whose street there is blank or a PO box uses the next")
        self.first_set_combo.currentIndexChanged.connect(self._first_set_chosen)
        self.sets_row = QWidget()
        sets_layout = QHBoxLayout(self.sets_row)
        sets_layout.setContentsMargins(0, 0, 0, 0)
        sets_layout.setSpacing(8)
        sets_layout.addWidget(self.sets_label, 1)
        try_first = QLabel("Try first")
        try_first.setBuddy(self.first_set_combo)
        sets_layout.addWidget(try_first)
        sets_layout.addWidget(self.first_set_combo)
        self.sets_row.setVisible(False)
        self._sets: list[AddressSet] = []

    def _build_body(self) -> None:
        """A label and a column picker per field, laid out in rows that fit the width."""
        self.body = QWidget()
        self._grid = QGridLayout(self.body)
        self._grid.setContentsMargins(0, 4, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(6)
        self._pairs: list[tuple[QLabel, QComboBox]] = []
        for field in FIELDS:
            label = QLabel(FIELD_LABELS.get(field, field))
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            combo = QComboBox()
            combo.setObjectName(f"map_{field}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.currentIndexChanged.connect(self._emit_change)
            combo.currentIndexChanged.connect(lambda _i: self._fit_pairs())
            label.setBuddy(combo)
            self._pairs.append((label, combo))
            self.combos[field] = combo
        self._per_row = 0
        self._place_pairs(PER_ROW)

    # ------------------------------------------------------------ layout
    def _place_pairs(self, per_row: int) -> None:
        """Label + combo pairs, `per_row` to a grid row (fewer on a narrow window, so the
        combos keep room for column names)."""
        if per_row == self._per_row:
            return
        for label, combo in self._pairs:
            self._grid.removeWidget(label)
            self._grid.removeWidget(combo)
        for column in range(2 * max(per_row, self._per_row)):
            self._grid.setColumnStretch(column, 0)
        for n, (label, combo) in enumerate(self._pairs):
            row, pair = divmod(n, per_row)
            self._grid.addWidget(label, row, pair * 2)
            self._grid.addWidget(combo, row, pair * 2 + 1)
            self._grid.setColumnStretch(pair * 2 + 1, 1)
        self._per_row = per_row

    def pickers_per_row(self) -> int:
        return self._per_row

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_pairs(event.size().width())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """As narrow as two pickers to a row: the grid reflows to the width it is given. The
        minimum of the pairs as they are placed would hold a wide window's four to a row (and
        the page as wide) once the panel had been wide, e.g. laid out first at its size hint."""
        hint = super().minimumSizeHint()
        layout = self.layout()
        margins = layout.contentsMargins().left() + layout.contentsMargins().right()
        others = max((layout.itemAt(i).minimumSize().width() for i in range(layout.count())
                      if layout.itemAt(i).widget() is not self.body), default=0)
        narrow = self._row_width(2) if self.body.isVisibleTo(self) else 0
        return QSize(min(hint.width(), max(others, narrow) + margins), hint.height())

    def _fit_pairs(self, width: int | None = None) -> None:
        """As many pairs to a row as the panel has room for with every chosen column's name
        whole: long headers ("Physical Address (Street)") were cut to "Physical Addr…"."""
        width = self.width() if width is None else width
        room = width - self.layout().contentsMargins().left() - self.layout().contentsMargins().right()
        most = PER_ROW if width >= NARROW else PER_ROW - 1
        for per_row in range(most, 1, -1):
            if self._row_width(per_row) <= room:
                break
        self._place_pairs(per_row)

    def _row_width(self, per_row: int) -> int:
        """What a grid row needs with `per_row` pairs: each label column as wide as its widest
        label; the combo columns share the rest equally (stretch 1 each), so each needs room for
        the widest chosen column name."""
        spacing = self._grid.horizontalSpacing()
        labels = sum(max(label.sizeHint().width() for label, _ in self._pairs[pair::per_row])
                     for pair in range(per_row))
        combo = max(max(_text_width(c), c.minimumSizeHint().width()) for _, c in self._pairs)
        return labels + per_row * combo + spacing * (2 * per_row - 1)

    # ------------------------------------------------------------ folding
    def is_expanded(self) -> bool:
        return self._expanded

    def is_complete(self) -> bool:
        return not missing_address_fields(self.mapping())

    def set_expanded(self, expanded: bool) -> None:
        self._expanded = expanded
        self.body.setVisible(expanded)
        self._sync_header()

    def _sync_header(self) -> None:
        mapping = self.mapping()
        missing = missing_address_fields(mapping)
        warn = "warn" if missing else ""
        if missing:
            self.summary.setText(missing_text(missing))
        elif self._expanded:
            self.summary.setText("Each field takes its value from the column picked here.")
        else:
            self.summary.setText(mapping_summary(mapping))
        if self.summary.property("tone") != warn:
            self.summary.setProperty("tone", warn)
            self.summary.style().unpolish(self.summary)
            self.summary.style().polish(self.summary)
        self.toggle_button.setText("Done" if self._expanded else "Edit")
        self.toggle_button.setToolTip("Hide the column pickers" if self._expanded
                                      else "Change which column each field comes from")
        self.toggle_button.setEnabled(not (missing and self._expanded))  # nothing to hide behind

    # ------------------------------------------------------------ mapping
    def show_mapping(self, columns: list[str], mapping: dict[str, str], *, fresh: bool = False) -> None:
        """Fill every combo with the file's columns and select what the importer chose.

        `fresh` (a newly loaded file): fold to the summary if the file can be quoted as mapped,
        unfold if not. Otherwise (the rep is re-mapping) the panel stays as the rep left it,
        except that it opens when a required field goes missing.
        """
        self._updating = True
        try:
            for field, combo in self.combos.items():
                combo.clear()
                combo.addItem(NOT_MAPPED, None)
                for column in columns:
                    combo.addItem(column, column)
                chosen = mapping.get(field)
                combo.setCurrentIndex(combo.findData(chosen) if chosen in columns else 0)
                combo.setToolTip(f"{FIELD_LABELS.get(field, field)} comes from "
                                 f"{chosen!r}" if chosen else "Not in this file")
            self._show_sets(columns, mapping)
        finally:
            self._updating = False
        self._fit_pairs()
        complete = self.is_complete()
        if fresh:
            self.set_expanded(not complete)
        elif not complete:
            self.set_expanded(True)
        else:
            self._sync_header()

    # ------------------------------------------------------------ address sets
    def address_sets(self) -> list[str]:
        """The set names in the order shown (the one the mapping uses first)."""
        return [s.name for s in self._sets]

    def _show_sets(self, columns: list[str], mapping: dict[str, str]) -> None:
        """The file's address sets by their headers, the one the mapping's address fields use
        first (the importer's choice, or the rep's)."""
        found = find_address_sets(columns, {c: [] for c in columns})
        first = [s for s in found if all(mapping.get(f) == s.columns.get(f) for f in LOCATION_FIELDS)]
        self._sets = first + [s for s in found if s not in first] if first else []
        self.sets_row.setVisible(len(self._sets) > 1)   # one set: nothing to order or pick
        self.first_set_combo.clear()
        if not self._sets:
            return
        for address_set in self._sets:
            self.first_set_combo.addItem(address_set.name, address_set.name)
        self.first_set_combo.setCurrentIndex(0)
        self.sets_label.setText("Address sets, tried in this order per row: " + "  ·  ".join(
            f"{n}. {s.describe()}" for n, s in enumerate(self._sets, 1)))

    def _first_set_chosen(self, position: int) -> None:
        if self._updating or position <= 0 or position >= len(self._sets):
            return
        chosen = self._sets[position]
        self._updating = True
        try:
            for field in LOCATION_FIELDS:
                combo = self.combos[field]
                column = chosen.columns.get(field)
                combo.setCurrentIndex(combo.findData(column) if column else 0)
        finally:
            self._updating = False
        self._emit_change()

    def mapping(self) -> dict[str, str]:
        return {field: combo.currentData() for field, combo in self.combos.items() if combo.currentData()}

    def set_field(self, field: str, column: str | None) -> None:
        """Choose a column for a field as the rep would (emits mapping_changed)."""
        combo = self.combos[field]
        combo.setCurrentIndex(combo.findData(column) if column else 0)

    def _emit_change(self) -> None:
        if not self._updating:
            self._sync_header()
            emit(self.mapping_changed, self.mapping())


def _text_width(combo: QComboBox) -> int:
    """How wide `combo` must be to show its current text whole (as Qt sizes a combo box)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    metrics = combo.fontMetrics()
    text = QSize(metrics.horizontalAdvance(combo.currentText()), metrics.height())
    return combo.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, option, text, combo).width()
