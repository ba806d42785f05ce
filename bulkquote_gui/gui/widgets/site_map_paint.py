"""Drawing the site map with a QPainter, one way for the window's map and the proposal's
picture: the states, the sites' dots (one `drawPoints` per colour, so 20,000 sites are a few
calls, not 20,000 items), and the legend.

Colours: a site's legend group is a status word while its batch runs ("Priced", "Quoting"…),
its carrier when the batch is done. Status groups keep fixed colours; carriers take a palette
in order of their number of sites, so the biggest carrier is always the first colour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF

from bulkquote_gui.core.geo.albers_usa import FRAME_HEIGHT, FRAME_WIDTH
from bulkquote_gui.core.geo.site_points import MapSite
from bulkquote_gui.core.geo.us_states import us_states

# A running batch's groups (gui/models/map_sites.py names them), in the legend's order.
STATUS_COLOURS = {"Priced": "#16a34a", "Quoting": "#2563eb", "Waiting": "#94a3b8",
                  "Failed": "#dc2626", "Not sent": "#475569", "Not priced": "#dc2626",
                  "Other carriers": "#6b7280"}
CARRIER_COLOURS = ("#2563eb", "#ea580c", "#0d9488", "#9333ea", "#ca8a04", "#db2777",
                   "#4d7c0f", "#0369a1")
DOT = 7.0          # px: a dot's diameter on screen, whatever the zoom
HALO = 2.0         # px of white around each dot, so a cluster shows its dots apart
LAND, BORDER = "#e3e8ef", "#ffffff"
LAND_DARK, BORDER_DARK = "#2f353e", "#16191e"


@dataclass(frozen=True)
class LegendEntry:
    group: str
    colour: QColor
    count: int


def legend(sites: Iterable[MapSite]) -> list[LegendEntry]:
    """The groups of these sites with their colours and counts: statuses in their fixed order,
    then carriers by number of sites (most first), "Not priced" and "Other carriers" last."""
    counts = Counter(s.group for s in sites)
    fixed = [g for g in STATUS_COLOURS if g in counts and g not in ("Not priced", "Other carriers")]
    carriers = sorted((g for g in counts if g not in STATUS_COLOURS), key=lambda g: (-counts[g], g))
    entries = [LegendEntry(g, QColor(STATUS_COLOURS[g]), counts[g]) for g in fixed]
    entries += [LegendEntry(g, QColor(CARRIER_COLOURS[i % len(CARRIER_COLOURS)]), counts[g])
                for i, g in enumerate(carriers)]
    entries += [LegendEntry(g, QColor(STATUS_COLOURS[g]), counts[g])
                for g in ("Other carriers", "Not priced") if g in counts]
    return entries


@lru_cache(maxsize=1)
def states_path() -> QPainterPath:
    """Every state's outline as one path, in map pixels (the 960x600 frame)."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for state in us_states():
        for ring in state.rings:
            path.addPolygon(QPolygonF([QPointF(x, y) for x, y in ring]))
            path.closeSubpath()
    return path


def map_bounds() -> QRectF:
    """The part of the frame the states cover (the insets included), with a little sea."""
    return states_path().boundingRect().adjusted(-6, -6, 6, 6)


def paint_states(painter: QPainter, dark: bool = False) -> None:
    pen = QPen(QColor(BORDER_DARK if dark else BORDER), 1.0)
    pen.setCosmetic(True)   # one device pixel at any zoom
    painter.setPen(pen)
    painter.setBrush(QColor(LAND_DARK if dark else LAND))
    painter.drawPath(states_path())


class DotLayer:
    """The sites' dots grouped by colour, built once per change of the sites or their groups."""

    def __init__(self, sites: Sequence[MapSite] = ()) -> None:
        self.set_sites(sites)

    def set_sites(self, sites: Sequence[MapSite]) -> None:
        self.sites = list(sites)
        self.entries = legend(self.sites)
        colour_of = {e.group: e.colour for e in self.entries}
        points: dict[str, QPolygonF] = {e.group: QPolygonF() for e in self.entries}
        for site in self.sites:
            points[site.group].append(QPointF(site.x, site.y))
        # The biggest group first: the rarer colours are drawn on top, where they are seen.
        self._layers = [(colour_of[e.group], points[e.group])
                        for e in sorted(self.entries, key=lambda e: -e.count)]

    def paint(self, painter: QPainter, highlighted: Sequence[MapSite] = (), scale: float = 1.0) -> None:
        """The dots, each DOT*scale device pixels across; highlighted sites ringed on top."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        halo = _round_pen(QColor("#ffffff"), (DOT + HALO) * scale)
        for colour, polygon in self._layers:
            painter.setPen(halo)
            painter.drawPoints(polygon)
            painter.setPen(_round_pen(colour, DOT * scale))
            painter.drawPoints(polygon)
        if highlighted:
            ring = QPolygonF([QPointF(s.x, s.y) for s in highlighted])
            painter.setPen(_round_pen(QColor("#111827"), (DOT * 2 + 2) * scale))
            painter.drawPoints(ring)
            painter.setPen(_round_pen(QColor("#fde047"), (DOT * 2 - 2) * scale))
            painter.drawPoints(ring)
            colour_of = {e.group: e.colour for e in self.entries}
            for site in highlighted:
                painter.setPen(_round_pen(colour_of.get(site.group, QColor("#111827")), DOT * scale))
                painter.drawPoint(QPointF(site.x, site.y))


def _round_pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    pen.setCosmetic(True)   # device pixels: a dot keeps its size when the map is zoomed
    return pen


def legend_size(entries: Sequence[LegendEntry], font: QFont) -> tuple[float, float]:
    metrics = QFontMetricsF(font)
    line = metrics.height() + 6
    width = max((metrics.horizontalAdvance(_legend_text(e)) for e in entries), default=0.0)
    return width + DOT * 2 + 24, line * max(1, len(entries)) + 12


def paint_legend(painter: QPainter, entries: Sequence[LegendEntry], at: QPointF, font: QFont,
                 text_colour: QColor) -> None:
    """A dot and "Group (count)" per line, from `at` (the top left) down."""
    metrics = QFontMetricsF(font)
    line = metrics.height() + 6
    painter.setFont(font)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for i, entry in enumerate(entries):
        centre = QPointF(at.x() + 6 + DOT, at.y() + 6 + line * i + line / 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(entry.colour)
        painter.drawEllipse(centre, DOT * 0.8, DOT * 0.8)
        painter.setPen(text_colour)
        text_box = QRectF(centre.x() + DOT + 6, centre.y() - line / 2, 1e4, line)
        painter.drawText(text_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         _legend_text(entry))


def _legend_text(entry: LegendEntry) -> str:
    return f"{entry.group} ({entry.count:,})"


def render_site_map_png(sites: Sequence[MapSite], width: int, height: int) -> bytes:
    """A PNG of the map of `sites` (their colours and the legend) of `width` x `height` pixels,
    drawn offscreen: for the proposal. The legend goes on the right when the picture is wide
    enough, else under the map. Works without a window: a CLI process gets an offscreen
    QGuiApplication for it (fonts need one)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage

    _ensure_gui_application()
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#ffffff"))
    layer = DotLayer(sites)
    content = map_bounds()
    font = QFont()
    font.setPixelSize(max(11, round(13 * max(1.0, min(width / FRAME_WIDTH, height / FRAME_HEIGHT)))))
    legend_w, legend_h = legend_size(layer.entries, font) if layer.entries else (0.0, 0.0)
    margin = max(8.0, 0.015 * min(width, height))
    area = QRectF(margin, margin, width - 2 * margin, height - 2 * margin)

    def fitted(box: QRectF) -> float:
        return max(0.01, min(box.width() / content.width(), box.height() / content.height()))
    beside_area = area.adjusted(0, 0, -(legend_w + margin) if legend_w else 0, 0)
    under_area = area.adjusted(0, 0, 0, -(legend_h + margin) if legend_h else 0)
    beside = fitted(beside_area) >= fitted(under_area)   # whichever leaves the map bigger
    map_area = beside_area if beside else under_area
    scale = fitted(map_area)
    left = map_area.left() + (map_area.width() - content.width() * scale) / 2
    top = map_area.top() + (map_area.height() - content.height() * scale) / 2

    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.save()
    painter.translate(left, top)
    painter.scale(scale, scale)
    painter.translate(-content.left(), -content.top())
    paint_states(painter)
    layer.paint(painter, scale=min(2.5, max(0.8, scale)))   # dots grow and shrink with the map
    painter.restore()
    at = QPointF(left + content.width() * scale + margin, top) if beside else \
        QPointF(left, top + content.height() * scale + margin)
    paint_legend(painter, layer.entries, at, font, QColor("#1f2933"))
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


_app = None   # the offscreen application made for a process that had none


def _ensure_gui_application() -> None:
    global _app
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        _app = QGuiApplication(["bulkquote", "-platform", "offscreen"])
