"""Drawing the site map with a QPainter, one way for the window's map and the proposal's
picture: the states, the sites' dots (stamped with numpy, so 20,000 sites are a few array
operations, not 20,000 items or calls), and the legend.

Colours: a site's legend group is a status word while its batch runs ("Priced", "Quoting"…),
its price band or its carrier when the batch is done. Status groups keep fixed colours; price
bands one colour per band, cool (low) to hot (high); carriers take a palette in order of
their number of sites, so the biggest carrier is always the first colour.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
import numpy as np
from PySide6.QtGui import (QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen,
                           QPolygonF)

from bulkquote_gui.core.geo.albers_usa import FRAME_HEIGHT, FRAME_WIDTH
from bulkquote_gui.core.geo.site_points import MapSite
from bulkquote_gui.core.geo.us_states import us_states

# A running batch's groups (gui/models/map_sites.py names them), in the legend's order.
STATUS_COLOURS = {"Priced": "#16a34a", "Quoting": "#2563eb", "Waiting": "#94a3b8",
                  "Failed": "#dc2626", "Not sent": "#475569", "Not priced": "#dc2626",
                  "Other carriers": "#6b7280", "Other currency": "#6b7280"}
# Price bands (core/geo/price_bands), low to high: cool to hot, none of them a status's.
BAND_COLOURS = ("#14b8a6", "#6366f1", "#c026d3")
CARRIER_COLOURS = ("#2563eb", "#ea580c", "#0d9488", "#9333ea", "#ca8a04", "#db2777",
                   "#4d7c0f", "#0369a1")
DOT = 7.0          # px: a dot's diameter on screen, whatever the zoom
HALO = 2.0         # px of the sea's colour around each dot, so a cluster shows its dots apart
LAND, BORDER = "#e3e8ef", "#ffffff"
LAND_DARK, BORDER_DARK = "#2f353e", "#16191e"


@dataclass(frozen=True)
class LegendEntry:
    group: str
    colour: QColor
    count: int


LAST = ("Other carriers", "Other currency", "Not priced")   # the legend's last lines


def legend(sites: Iterable[MapSite]) -> list[LegendEntry]:
    """The groups of these sites with their colours and counts: statuses in their fixed order,
    then price bands low to high, then carriers by number of sites (most first), "Other
    carriers", "Other currency" and "Not priced" last."""
    sites = list(sites)
    counts = Counter(s.group for s in sites)
    bands = {s.group: s.band for s in sites if s.band is not None}
    fixed = [g for g in STATUS_COLOURS if g in counts and g not in LAST]
    carriers = sorted((g for g in counts if g not in STATUS_COLOURS and g not in bands),
                      key=lambda g: (-counts[g], g))
    entries = [LegendEntry(g, QColor(STATUS_COLOURS[g]), counts[g]) for g in fixed]
    entries += [LegendEntry(g, QColor(BAND_COLOURS[bands[g]]), counts[g])
                for g in sorted(bands, key=bands.get)]
    entries += [LegendEntry(g, QColor(CARRIER_COLOURS[i % len(CARRIER_COLOURS)]), counts[g])
                for i, g in enumerate(carriers)]
    entries += [LegendEntry(g, QColor(STATUS_COLOURS[g]), counts[g]) for g in LAST if g in counts]
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
    """The sites' dots, kept as arrays (x, y, legend group) and drawn by stamping one small
    antialiased sprite per group into an image the size of the device with numpy, then
    drawing that image once: QPainter's own round points cost ~20 µs each (0.4 s a frame for
    20,000), a stamp of 20,000 dots a few ms per sprite pixel row."""

    def __init__(self, sites: Sequence[MapSite] = (), *, dark: bool = False) -> None:
        self._buffer: QImage | None = None
        self._halo = QColor(BORDER_DARK if dark else "#ffffff").rgba()   # the sea's colour
        self.set_sites(sites)

    def set_sites(self, sites: Sequence[MapSite]) -> None:
        self.sites = list(sites)
        self.entries = legend(self.sites)
        code = {e.group: i for i, e in enumerate(self.entries)}
        self._x = np.fromiter((s.x for s in self.sites), float, len(self.sites))
        self._y = np.fromiter((s.y for s in self.sites), float, len(self.sites))
        groups = np.fromiter((code[s.group] for s in self.sites), np.int32, len(self.sites))
        # The biggest group first: the rarer colours are drawn on top, where they are seen.
        order = sorted(range(len(self.entries)), key=lambda i: -self.entries[i].count)
        self._layers = [(self.entries[i].colour, np.flatnonzero(groups == i)) for i in order]

    def paint(self, painter: QPainter, highlighted: Sequence[MapSite] = (), scale: float = 1.0) -> None:
        """The dots, each DOT*scale device pixels across; highlighted sites ringed on top."""
        device = painter.device()
        ratio = device.devicePixelRatioF()
        width, height = round(device.width() * ratio), round(device.height() * ratio)
        if width <= 0 or height <= 0:
            return
        sprites = [(_sprite(colour.rgba(), DOT * scale * ratio, self._halo), members)
                   for colour, members in self._layers]
        reach = max((sprite.reach for sprite, _ in sprites), default=0)
        # Stamped into a buffer two reaches larger on every side: a dot whose edge shows needs
        # no bounds check, and only the middle is drawn.
        margin = 2 * reach
        buffer = self._image(width + 2 * margin, height + 2 * margin)
        pixels = _pixels(buffer)
        world = painter.worldTransform()   # map units to device pixels: a scale and a shift
        xs = np.rint((self._x * world.m11() + world.dx()) * ratio).astype(np.int64) + margin
        ys = np.rint((self._y * world.m22() + world.dy()) * ratio).astype(np.int64) + margin
        for sprite, members in sprites:
            x, y = xs[members], ys[members]
            seen = (x >= reach) & (x < width + 2 * margin - reach) \
                & (y >= reach) & (y < height + 2 * margin - reach)
            # One stamp per device pixel: at a country's zoom many sites share one.
            _stamp(pixels, np.unique(y[seen] * pixels.shape[1] + x[seen]), sprite)
        painter.save()
        painter.resetTransform()
        painter.drawImage(QRectF(0, 0, width / ratio, height / ratio), buffer,
                          QRectF(margin, margin, width, height))
        painter.restore()
        if highlighted:
            self._ring(painter, highlighted, scale)

    def _image(self, width: int, height: int) -> QImage:
        if self._buffer is None or (self._buffer.width(), self._buffer.height()) != (width, height):
            self._buffer = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        self._buffer.fill(0)
        return self._buffer

    def _ring(self, painter: QPainter, highlighted: Sequence[MapSite], scale: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        ring = QPolygonF([QPointF(s.x, s.y) for s in highlighted])
        painter.setPen(_round_pen(QColor("#111827"), (DOT * 2 + 2) * scale))
        painter.drawPoints(ring)
        painter.setPen(_round_pen(QColor("#fde047"), (DOT * 2 - 2) * scale))
        painter.drawPoints(ring)
        colour_of = {e.group: e.colour for e in self.entries}
        for site in highlighted:
            painter.setPen(_round_pen(colour_of.get(site.group, QColor("#111827")), DOT * scale))
            painter.drawPoint(QPointF(site.x, site.y))


def _pixels(image: QImage) -> np.ndarray:
    """The image's pixels as a writable (height, row length) array of premultiplied ARGB words."""
    view = np.frombuffer(image.bits(), np.uint32)
    return view.reshape(image.height(), image.bytesPerLine() // 4)


@dataclass(frozen=True)
class _Sprite:
    """One dot with its white halo, antialiased by QPainter once, as offsets from the dot's
    centre pixel (dy * row length + dx): its opaque pixels' words, its edge's channels."""

    reach: int
    solid: tuple[np.ndarray, np.ndarray]   # (dx, dy) pairs as two arrays; premultiplied words
    solid_words: np.ndarray
    edge: tuple[np.ndarray, np.ndarray]
    edge_channels: np.ndarray              # (n, 4) uint16: B, G, R, A as they lie in memory
    edge_keep: np.ndarray                  # (n,) uint16: 256ths of what is under that shows


@lru_cache(maxsize=64)
def _sprite(rgba: int, diameter: float, halo_rgba: int = 0xFFFFFFFF) -> _Sprite:
    size = int(diameter + 2 * HALO * diameter / DOT) + 3
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    centre = QPointF(size / 2, size / 2)
    halo = diameter / 2 + HALO * diameter / DOT
    painter.setBrush(QColor.fromRgba(halo_rgba))
    painter.drawEllipse(centre, halo, halo)
    painter.setBrush(QColor.fromRgba(rgba))
    painter.drawEllipse(centre, diameter / 2, diameter / 2)
    painter.end()
    words = _pixels(image)[:, :size].copy()
    alpha = words >> 24
    dy, dx = np.nonzero(alpha == 0xFF)
    ey, ex = np.nonzero((alpha > 0) & (alpha < 0xFF))
    half = size // 2
    edge = words[ey, ex].view(np.uint8).reshape(-1, 4).astype(np.uint16)
    keep = ((255 - edge[:, 3]) * 256 // 255).astype(np.uint16)
    return _Sprite(half + 1, (dx - half, dy - half), words[dy, dx], (ex - half, ey - half),
                   edge, keep)


def _stamp(pixels: np.ndarray, at: np.ndarray, sprite: _Sprite) -> None:
    """The sprite drawn, source over, centred at each flat index `at` of `pixels`, all dots in
    two array operations (its antialiased edge, then its solid middle); the caller keeps the
    sprite inside the array. Where two dots overlap, one of them is on top."""
    stride = pixels.shape[1]
    flat = pixels.reshape(-1)
    ex, ey = sprite.edge
    where = (at[:, None] + (ey * stride + ex)[None, :]).ravel()
    if where.size:   # source over in integers: under * (1 - alpha) + the sprite's (premultiplied)
        under = flat[where].view(np.uint8).reshape(len(at), len(ex), 4).astype(np.uint16)
        under *= sprite.edge_keep[None, :, None]
        under >>= 8
        under += sprite.edge_channels[None, :, :]
        flat[where] = under.astype(np.uint8).reshape(-1, 4).view(np.uint32).ravel()
    dx, dy = sprite.solid
    where = (at[:, None] + (dy * stride + dx)[None, :]).ravel()
    flat[where] = np.tile(sprite.solid_words, len(at))


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


PROPOSAL_MAP_SIZE = (1600, 990)   # the PDF places it at the text width, 0.62 as high


def render_proposal_map(sites: Sequence[MapSite]) -> bytes:
    """The proposal's map picture: each site coloured by the price band of its chosen offer."""
    return render_site_map_png(sites, *PROPOSAL_MAP_SIZE)
