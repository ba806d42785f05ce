"""The map tab: the states, every site a dot, a legend; a click on a dot says which sheet row
it is, the rows selected elsewhere are ringed; the wheel zooms, a drag pans.

The dots are one QGraphicsItem that paints them all in a few calls (site_map_paint.DotLayer):
20,000 QGraphicsItems would make the scene slow to build and to pan. A grid index
(core/geo/site_index) answers which dot is under the pointer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (QComboBox, QGraphicsItem, QGraphicsPathItem, QGraphicsScene,
                               QGraphicsView, QHBoxLayout, QLabel, QVBoxLayout, QWidget)

from bulkquote_gui.core.geo.albers_usa import FRAME_HEIGHT, FRAME_WIDTH
from bulkquote_gui.core.geo.site_index import SiteIndex
from bulkquote_gui.core.geo.site_points import MapSite
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.style import current_theme
from bulkquote_gui.gui.widgets.site_map_paint import (DOT, BORDER, BORDER_DARK, LAND, LAND_DARK,
                                                      DotLayer, legend_size, paint_legend,
                                                      states_path)

FRAME = QRectF(0, 0, FRAME_WIDTH, FRAME_HEIGHT)
MAX_ZOOM = 60.0      # past the fitted map: a street's few sites apart
PICK = DOT / 2 + 3   # px from a dot's centre that still picks it


class _Dots(QGraphicsItem):
    """Every site's dot, painted in one pass."""

    def __init__(self, dark: bool = False) -> None:
        super().__init__()
        self.layer = DotLayer(dark=dark)
        self.highlighted: list[MapSite] = []

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return FRAME.adjusted(-40, -40, 40, 40)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        self.layer.paint(painter, self.highlighted)


class SiteMapView(QGraphicsView):
    site_clicked = Signal(int)   # the sheet row of the dot clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("siteMap")
        self.setScene(QGraphicsScene(self))
        self.scene().setSceneRect(FRAME.adjusted(-20, -20, 20, 20))
        dark = current_theme().dark
        self._land = QGraphicsPathItem(states_path())
        self._land.setBrush(QColor(LAND_DARK if dark else LAND))
        pen = self._land.pen()
        pen.setColor(QColor(BORDER_DARK if dark else BORDER))
        pen.setCosmetic(True)
        self._land.setPen(pen)
        self.scene().addItem(self._land)
        self._dots = _Dots(dark)
        self.scene().addItem(self._dots)
        self._index: SiteIndex | None = None
        self._by_row: dict[int, MapSite] = {}
        self._zoom = 1.0   # over the fitted map
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(self.palette().color(QPalette.ColorRole.Base))
        self.setMinimumSize(240, 120)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # Qt's is the scene's size (up to 2/3 of the screen): the page, which is as tall as its
        # parts ask, would scroll to make room for it. The map takes what the table would.
        return QSize(480, 160)

    # ------------------------------------------------------------ what is shown
    @property
    def sites(self) -> list[MapSite]:
        return self._dots.layer.sites

    @property
    def entries(self):
        return self._dots.layer.entries

    def set_sites(self, sites: Sequence[MapSite]) -> None:
        self._dots.layer.set_sites(sites)
        self._index = None   # made on the first click: a refresh while the batch runs needs none
        self._by_row = {s.row_number: s for s in self._dots.layer.sites}
        self._dots.highlighted = [self._by_row[s.row_number] for s in self._dots.highlighted
                                  if s.row_number in self._by_row]
        self._dots.update()

    def set_highlighted(self, row_numbers: Iterable[int]) -> None:
        self._dots.highlighted = [self._by_row[r] for r in row_numbers if r in self._by_row]
        self._dots.update()

    @property
    def highlighted_rows(self) -> list[int]:
        return [s.row_number for s in self._dots.highlighted]

    def site_at(self, pos: QPointF) -> MapSite | None:
        """The dot under a point of the viewport, if any."""
        if self._index is None:
            self._index = SiteIndex(self.sites)
        scene = self.mapToScene(pos.toPoint())
        return self._index.nearest(scene.x(), scene.y(), PICK / self.transform().m11())

    def viewport_point_of(self, row_number: int) -> QPointF | None:
        site = self._by_row.get(row_number)
        return None if site is None else QPointF(self.mapFromScene(QPointF(site.x, site.y)))

    # ------------------------------------------------------------ zoom and pan
    def fit(self) -> None:
        self._zoom = 1.0
        self.resetTransform()
        self.fitInView(FRAME, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._zoom == 1.0:
            self.fit()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._zoom == 1.0:
            self.fit()

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        notches = event.angleDelta().y() / 120
        if not notches:
            return
        factor = 1.25 ** notches
        zoom = min(MAX_ZOOM, max(1.0, self._zoom * factor))
        if zoom == 1.0:
            self.fit()   # all the way out: the whole country again, centred
        else:
            # About the pointer: the place under it stays under it (Qt's AnchorUnderMouse reads
            # the cursor, not the event, and a touchpad's event may come from elsewhere).
            at = event.position().toPoint()
            before = self.mapToScene(at)
            self.scale(zoom / self._zoom, zoom / self._zoom)
            self._zoom = zoom
            centre = self.mapToScene(self.viewport().rect().center())
            self.centerOn(centre + before - self.mapToScene(at))
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            site = self.site_at(event.position())
            if site is not None:
                emit(self.site_clicked, site.row_number)
                event.accept()
                return
        super().mousePressEvent(event)   # a drag from the land or the sea pans

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.fit()   # back to the whole country


class MapLegend(QWidget):
    """The legend beside the map: a dot and "Group (count)" per line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries = []

    def set_entries(self, entries) -> None:
        self.entries = list(entries)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        width, height = legend_size(self.entries, self.font())
        return QSize(int(width) + 4, int(height) + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # Never the reason the page scrolls: a short map shows the legend's first lines.
        return QSize(self.sizeHint().width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        paint_legend(painter, self.entries, QPointF(0, 0), self.font(),
                     self.palette().color(QPalette.ColorRole.WindowText))


class SiteMapPanel(QWidget):
    """The tab's content: the map, and on its right what a done batch's dots are coloured by
    (price or carrier), the legend and how many sites have no place on it (how to move around
    is the map's tooltip)."""

    site_clicked = Signal(int)
    colour_by_changed = Signal(str)   # "Price" or "Carrier" (gui/models/map_sites.py)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = SiteMapView()
        self.view.setToolTip("Click a dot to select its row; wheel to zoom, drag to pan, "
                             "double-click for the whole map")
        self.view.site_clicked.connect(self.site_clicked)
        self.legend = MapLegend()
        self.note = QLabel("")
        self.note.setObjectName("hint")
        self.colour_by = QComboBox()
        self.colour_by.setObjectName("mapColourBy")
        self.colour_by.addItems(["Price", "Carrier"])
        self.colour_by.setToolTip("Colour the sites by the price band of the offer shown "
                                  "(quartiles of the MRCs) or by its carrier")
        self.colour_by.currentTextChanged.connect(self.colour_by_changed)
        colour_label = QLabel("&Colour by")
        colour_label.setBuddy(self.colour_by)
        self.colour_row = QWidget()
        colour_row = QHBoxLayout(self.colour_row)
        colour_row.setContentsMargins(0, 0, 0, 0)
        colour_row.addWidget(colour_label)
        colour_row.addWidget(self.colour_by, 1)
        self.colour_row.hide()   # shown once the batch is done: a running one shows statuses
        side = QVBoxLayout()
        side.addWidget(self.colour_row)
        side.addWidget(self.legend)
        side.addWidget(self.note)
        side.addStretch()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(side)

    def set_sites(self, sites: Sequence[MapSite], unplaced: int = 0) -> None:
        self.view.set_sites(sites)
        self.legend.set_entries(self.view.entries)
        self.note.setText(f"{unplaced:,} not on the map" if unplaced else "")
        self.note.setToolTip("No ZIP centre or coordinates known for "
                             f"{'this site' if unplaced == 1 else 'these sites'}" if unplaced else "")
        self.note.setVisible(bool(unplaced))
