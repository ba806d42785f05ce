"""The progress page's map tab: the results table's rows as dots, kept in step with it.

The dots follow the rows' statuses while the batch runs (redrawn at most 4 times a second,
once for a big batch, and only while the tab is shown) and their price bands or carriers once
it is done. Only the rows the table's "Show" filter lets through are drawn. A dot clicked asks
for its row (`row_clicked`: the page selects it in the table); the rows selected in the table
are ringed on the map.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, QTimer, Signal
from PySide6.QtWidgets import QTableView, QWidget

from bulkquote_gui.gui.models.map_sites import BY_PRICE, MapSites
from bulkquote_gui.gui.models.results_model import ResultsModel
from bulkquote_gui.gui.operations import Latest
from bulkquote_gui.gui.operations import geography
from bulkquote_gui.gui.widgets.site_map_view import SiteMapPanel


BIG = 2_000   # rows: above, the map is redrawn at most once a second while the batch runs


class ResultsMap(SiteMapPanel):
    row_clicked = Signal(int)   # the sheet row of a dot clicked

    def __init__(self, model: ResultsModel, proxy: QSortFilterProxyModel, table: QTableView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model, self._proxy, self._table = model, proxy, table
        self._places = MapSites()
        self._lookups = Latest()   # the places of the rows shown; another batch's answer is dropped
        self._placing = False
        self._done = False
        self._colour_by = BY_PRICE
        self._stale = True
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.timeout.connect(self.refresh)
        model.modelReset.connect(self._reloaded)
        model.dataChanged.connect(self._changed)
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        # The "Show" filter changes what the proxy holds: the map shows the same rows.
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset,
                       proxy.layoutChanged):
            signal.connect(self._changed)
        self.site_clicked.connect(self.row_clicked)
        self.colour_by_changed.connect(self._colour_by_chosen)

    def set_done(self, done: bool) -> None:
        """Colour by price band or carrier (the batch is done) or by status (it runs)."""
        if done != self._done:
            self._done = done
            self.colour_row.setVisible(done)
            self._changed()

    def _colour_by_chosen(self, colour_by: str) -> None:
        self._colour_by = colour_by
        self._changed()

    def refresh(self) -> None:
        """Draw the model's rows as they are now (at once, whether the tab is shown or not);
        rows not placed yet are placed off the GUI thread, and drawn when they are."""
        self._stale = False
        missing = self._places.unplaced_rows(self._model.rows())
        if missing and not self._placing:
            self._placing = True
            self._lookups.run(geography.places(self, missing).success(self._placed)
                              .failure(self._not_placed))
        self.set_sites(self._places.sites(self._model.rows(), self._done, self._colour_by,
                                          self._shown_rows()), self._places.unplaced)
        self._selection_changed()

    def _shown_rows(self):
        """Whether the table's filter shows a row (None: it shows every row)."""
        if self._proxy.rowCount() == self._model.rowCount():
            return None
        shown = {self._proxy.mapToSource(self._proxy.index(i, 0)).row()
                 for i in range(self._proxy.rowCount())}
        numbers = {self._model.row_at(i).row_number for i in shown}
        return lambda row: row.row_number in numbers

    def _placed(self, points) -> None:
        self._placing = False
        self._places.add(points)
        self.refresh()

    def _not_placed(self, message: str) -> None:
        self._placing = False   # (logged by the operation) the map stays as it is
        self.note.setText("Sites could not be placed")
        self.note.setToolTip(message)
        self.note.show()

    def _reloaded(self) -> None:
        self._lookups.cancel()
        self._placing = False
        self._places.clear()   # another batch: its rows are other places
        self._changed()

    def _changed(self, *_args) -> None:
        self._stale = True
        if self.isVisible() and not self._redraw.isActive():
            # A redraw of 20,000 sites takes ~0.1 s: a big batch's map follows once a second.
            self._redraw.start(250 if self._model.rowCount() <= BIG else 1000)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _selection_changed(self, *_args) -> None:
        rows = self._table.selectionModel().selectedRows()
        self.view.set_highlighted(
            self._model.row_at(self._proxy.mapToSource(ix).row()).row_number for ix in rows)
