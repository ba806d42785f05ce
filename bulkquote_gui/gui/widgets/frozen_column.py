"""A table's first column kept in place while the rest scrolls sideways (Qt's "frozen column").

A second view over the same model and selection, showing only column 0, lies over the left edge
of the table's viewport and scrolls vertically with it. The preview's Status stays in sight on
a 60-column sheet, so the rep always sees which row is invalid.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView

from bulkquote_gui.gui.widgets.delegates import StatusBadgeDelegate


class FrozenColumn(QTableView):
    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view
        self.setObjectName("frozenColumn")
        self.setModel(view.model())
        self.setSelectionModel(view.selectionModel())
        self.setItemDelegateForColumn(0, StatusBadgeDelegate(self))
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table is the one tab stop
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAlternatingRowColors(view.alternatingRowColors())
        self.setWordWrap(False)
        self.setSelectionBehavior(view.selectionBehavior())
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(view.verticalHeader().defaultSectionSize())
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setStretchLastSection(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(view.verticalScrollMode())
        view.viewport().stackUnder(self)
        self.verticalScrollBar().valueChanged.connect(view.verticalScrollBar().setValue)
        view.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        view.horizontalHeader().sectionResized.connect(self._section_resized)
        model = view.model()
        for signal in (model.modelReset, model.columnsInserted, model.columnsRemoved,
                       model.layoutChanged):
            signal.connect(self.sync)
        self._watcher = _Resized(self)
        view.installEventFilter(self._watcher)
        self.sync()

    def sync(self, *_args: object) -> None:
        """Only column 0 shows, as wide as the table's own."""
        model = self.model()
        for column in range(model.columnCount()):
            self.setColumnHidden(column, column != 0)
        self.setColumnWidth(0, self._view.columnWidth(0))
        self.place()
        self.setVisible(model.columnCount() > 0)

    def place(self) -> None:
        view = self._view
        self.setGeometry(view.verticalHeader().width() + view.frameWidth(), view.frameWidth(),
                         view.columnWidth(0),
                         view.viewport().height() + view.horizontalHeader().height())
        self.verticalScrollBar().setValue(view.verticalScrollBar().value())

    def _section_resized(self, logical: int, _old: int, new: int) -> None:
        if logical == 0:
            self.setColumnWidth(0, new)
            self.place()


class _Resized(QObject):
    def __init__(self, frozen: FrozenColumn) -> None:
        super().__init__(frozen)
        self._frozen = frozen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.LayoutRequest):
            self._frozen.place()
        return False
