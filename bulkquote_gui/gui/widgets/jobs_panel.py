"""Recent jobs: the last ten batches with file, date, counts and a status badge; a click opens one.

"Mine" lists the rep's own batches, "Team" everyone's on the shared database, each with who
submitted it. A right-click offers Open and Rush. The panel is a view: the window reads the
batches (an operation) when the scope changes and carries out a rush.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QHBoxLayout, QHeaderView, QLabel,
                               QMenu, QTableView, QVBoxLayout, QWidget)

from bulkquote_gui.core.states import BATCH_OPEN
from bulkquote_gui.gui.widgets.delegates import JobRowDelegate
from bulkquote_gui.gui.widgets.job_search import JobSearch
from bulkquote_gui.gui.models.jobs_model import COLUMNS, STATUS_COLUMN, JobsModel, is_rushed
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.blocks import FilterPill

MINE, TEAM = "mine", "team"
SCOPES = (MINE, TEAM)
EMPTY_TEXT = {MINE: "No batches of yours yet. Submitted spreadsheets show up here; Team lists "
                    "everyone's.",
              TEAM: "No batches yet. Submitted spreadsheets show up here."}


class JobsPanel(QWidget):
    batch_chosen = Signal(int)
    rush_requested = Signal(int)
    scope_changed = Signal(str)  # MINE or TEAM, chosen by the rep

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scope = MINE
        self.model = JobsModel(self)
        self._build_view()
        head = self._build_head()
        self.empty_label = QLabel(EMPTY_TEXT[MINE])
        self.empty_label.setObjectName("hint")
        self.empty_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        # A search over every batch's rows; while it has text, its results stand in for the list.
        self.search = JobSearch()
        self.search.batch_chosen.connect(self.batch_chosen)
        self.search.active_changed.connect(lambda _a: self._sync_empty())
        layout.addWidget(self.search)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.view, 1)
        self._spacer = QWidget()
        layout.addWidget(self._spacer, 1)  # keeps title and hint at the top while the list is empty
        self._sync_empty()

    def _build_view(self) -> None:
        """One row per batch: its name and badge over its counts and date, drawn in column 0."""
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
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)

    def _build_head(self) -> QHBoxLayout:
        """The title and the Mine / Team pills (like the preview's filters, one always checked)."""
        title = QLabel("Recent jobs")
        title.setObjectName("sectionTitle")
        # Mine / Team: two pills like the preview's filters, one always checked.
        self.scope_buttons: dict[str, FilterPill] = {}
        self.scope_group = QButtonGroup(self)
        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(title)
        head.addStretch()
        tips = {MINE: "The batches you submitted (your name in Settings; on your own database "
                      "also those from before you entered it)",
                TEAM: "Everyone's batches on this database, with who submitted each"}
        for scope, caption in ((MINE, "Mine"), (TEAM, "Team")):
            button = FilterPill(caption)
            button.setToolTip(tips[scope])
            button.clicked.connect(lambda _=False, s=scope: self._choose(s))
            self.scope_group.addButton(button)
            self.scope_buttons[scope] = button
            head.addWidget(button)
        self.scope_buttons[MINE].setChecked(True)
        return head

    def show_batches(self, batches) -> None:
        self.model.load(batches)
        self._sync_empty()

    def set_scope(self, scope: str) -> None:
        """Show MINE or TEAM (the rows come from the window's next read)."""
        self.scope = scope if scope in SCOPES else MINE
        self.scope_buttons[self.scope].setChecked(True)
        self.model.set_show_owner(self.scope == TEAM)
        self.empty_label.setText(EMPTY_TEXT[self.scope])

    def context_menu(self, row: int) -> QMenu:
        """Open / Rush for one row (Rush only for an unfinished batch not rushed yet)."""
        batch = self.model.batch_at(row)
        batch_id = int(batch.id)
        menu = QMenu(self)
        menu.addAction("Open").triggered.connect(lambda: emit(self.batch_chosen, batch_id))
        rush = menu.addAction("Rush")
        rush.triggered.connect(lambda: emit(self.rush_requested, batch_id))
        rush.setEnabled(batch.status in BATCH_OPEN and not is_rushed(batch))
        rush.setToolTip("Send this batch's quotes before the account's other batches")
        return menu

    def _choose(self, scope: str) -> None:
        if scope != self.scope:
            self.set_scope(scope)
            emit(self.scope_changed, scope)

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            menu = self.context_menu(index.row())
            menu.exec(self.view.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def _sync_empty(self) -> None:
        empty = self.model.rowCount() == 0
        searching = self.search.is_active()
        self.empty_label.setVisible(empty and not searching)
        self.view.setVisible(not empty and not searching)
        self._spacer.setVisible(empty and not searching)
        self.layout().setStretchFactor(self.search, 1 if searching else 0)

    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            emit(self.batch_chosen, self.model.batch_id(index.row()))
