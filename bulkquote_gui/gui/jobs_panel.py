"""Recent jobs: the last ten batches with file, date, counts and a status badge; a click opens one."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from bulkquote_gui.gui.delegates import JobRowDelegate
from bulkquote_gui.gui.models.jobs_model import COLUMNS, STATUS_COLUMN, JobsModel
from bulkquote_gui.gui.qt_compat import emit


class JobsPanel(QWidget):
    batch_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = JobsModel(self)
        self.view = QTableView()
        self.view.setObjectName("jobsView")
        self.view.setModel(self.model)
        # A compact list: file name and status badge over counts and date. The other columns stay
        # in the model (tooltips, tests) but the whole row is drawn inside the first column, so
        # the counts line gets the panel's full width.
        self.view.setItemDelegateForColumn(0, JobRowDelegate(STATUS_COLUMN, COLUMNS.index("Quotes"),
                                                             COLUMNS.index("Created"), self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(56)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.view.horizontalHeader()
        header.hide()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            self.view.setColumnHidden(column, True)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._clicked)

        title = QLabel("Recent jobs")
        title.setObjectName("sectionTitle")
        self.empty_label = QLabel("No batches yet. Submitted spreadsheets show up here.")
        self.empty_label.setObjectName("hint")
        self.empty_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.view, 1)
        self._spacer = QWidget()
        layout.addWidget(self._spacer, 1)  # keeps title and hint at the top while the list is empty
        self._sync_empty()

    def show_batches(self, batches) -> None:
        self.model.load(batches)
        self._sync_empty()

    def _sync_empty(self) -> None:
        empty = self.model.rowCount() == 0
        self.empty_label.setVisible(empty)
        self.view.setVisible(not empty)
        self._spacer.setVisible(empty)

    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            emit(self.batch_chosen, self.model.batch_id(index.row()))
