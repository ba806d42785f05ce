"""The map as a picture for the proposal: a PNG of the asked size, the states drawn, each site's
dot in its colour where the site is, and a legend."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PySide6.QtGui import QColor, QImage

from bulkquote_gui.core.geo.albers_usa import project
from bulkquote_gui.core.geo.site_points import MapSite
from bulkquote_gui.gui.widgets.site_map_paint import (BAND_COLOURS, CARRIER_COLOURS, LAND,
                                                      STATUS_COLOURS, legend,
                                                      render_proposal_map, render_site_map_png)

SEATTLE, MIAMI, ANCHORAGE = (-122.33, 47.61), (-80.19, 25.77), (-149.90, 61.22)


def _site(row: int, place: tuple[float, float], group: str, band: int | None = None) -> MapSite:
    x, y = project(*place)
    return MapSite(row, x, y, group, band)


def _image(png: bytes) -> QImage:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage.fromData(png, "PNG")
    assert not image.isNull()
    return image


def _pixels_of(image: QImage, hex_text: str, slack: int = 12) -> list[tuple[int, int]]:
    """Where the picture has this colour (within `slack` per channel)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    pixels = pixels[:, :rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).astype(int)
    want = QColor(hex_text)
    near = (np.abs(pixels - [want.red(), want.green(), want.blue()]) <= slack).all(axis=2)
    ys, xs = np.nonzero(near)
    return list(zip(xs.tolist(), ys.tolist()))


def _map_box(image: QImage) -> tuple[int, int, int, int]:
    land = _pixels_of(image, LAND, slack=4)
    return (min(x for x, _ in land), min(y for _, y in land),
            max(x for x, _ in land), max(y for _, y in land))


def _on_map(image: QImage, hex_text: str) -> tuple[float, float]:
    """The centre of this colour's pixels inside the map (the legend's dot is outside), as
    fractions of the map's width and height."""
    x0, y0, x1, y1 = _map_box(image)
    inside = [(x, y) for x, y in _pixels_of(image, hex_text) if x0 <= x <= x1 and y0 <= y <= y1]
    assert inside, hex_text
    cx = sum(x for x, _ in inside) / len(inside)
    cy = sum(y for _, y in inside) / len(inside)
    return (cx - x0) / (x1 - x0), (cy - y0) / (y1 - y0)


def test_a_png_of_the_asked_size_with_the_states_drawn():
    image = _image(render_site_map_png([], 480, 300))
    assert (image.width(), image.height()) == (480, 300)
    assert len(_pixels_of(image, LAND, slack=4)) > 0.25 * 480 * 300   # the land, not a blank page


def test_each_dot_is_drawn_in_its_colour_where_its_site_is():
    sites = [_site(1, SEATTLE, "Zayo"), _site(2, SEATTLE, "Zayo"), _site(3, MIAMI, "Lumen"),
             _site(4, ANCHORAGE, "Not priced")]
    image = _image(render_site_map_png(sites, 1000, 420))
    zayo_x, zayo_y = _on_map(image, CARRIER_COLOURS[0])
    assert zayo_x < 0.2 and zayo_y < 0.15            # Seattle: top left
    lumen_x, lumen_y = _on_map(image, CARRIER_COLOURS[1])
    assert 0.7 < lumen_x < 0.9 and lumen_y > 0.8     # Miami: bottom right
    alaska_x, alaska_y = _on_map(image, STATUS_COLOURS["Not priced"])
    assert alaska_x < 0.2 and alaska_y > 0.7         # Anchorage: in the inset, bottom left
    # the legend beside the map (a wide picture): a dot of each colour right of the land
    right = _map_box(image)[2]
    for colour in (CARRIER_COLOURS[0], CARRIER_COLOURS[1], STATUS_COLOURS["Not priced"]):
        assert any(x > right for x, _ in _pixels_of(image, colour)), colour


def test_the_proposal_map_colours_each_site_by_its_price_band():
    """Seattle low, Miami high, Anchorage not priced: each dot in its band's colour where the
    site is, the legend's lines the bands low to high with their dollar ranges."""
    sites = [_site(1, SEATTLE, "Low $200–$300/mo", 0), _site(2, MIAMI, "High $1,250/mo", 2),
             _site(3, ANCHORAGE, "Not priced")]
    image = _image(render_proposal_map(sites))
    low_x, low_y = _on_map(image, BAND_COLOURS[0])
    assert low_x < 0.2 and low_y < 0.15              # Seattle
    high_x, high_y = _on_map(image, BAND_COLOURS[2])
    assert 0.7 < high_x < 0.9 and high_y > 0.8       # Miami
    assert _on_map(image, STATUS_COLOURS["Not priced"])[0] < 0.2   # Anchorage
    entries = legend(list(reversed(sites)) + [_site(4, MIAMI, "Mid $700/mo", 1)])
    assert [(e.group, e.colour.name()) for e in entries] == [
        ("Low $200–$300/mo", BAND_COLOURS[0]), ("Mid $700/mo", BAND_COLOURS[1]),
        ("High $1,250/mo", BAND_COLOURS[2]), ("Not priced", STATUS_COLOURS["Not priced"])]


def test_a_tall_picture_puts_the_legend_under_the_map():
    image = _image(render_site_map_png([_site(1, MIAMI, "Zayo")], 400, 600))
    bottom = _map_box(image)[3]
    assert any(y > bottom for _, y in _pixels_of(image, CARRIER_COLOURS[0]))
    assert _on_map(image, CARRIER_COLOURS[0])[0] > 0.7


def test_a_process_without_a_window_gets_its_picture(tmp_path):
    """The CLI's proposal has no QApplication and maybe no display: one is made offscreen."""
    out = tmp_path / "map.png"
    code = ("from bulkquote_gui.core.geo.site_points import MapSite\n"
            "from bulkquote_gui.gui.widgets.site_map_paint import render_site_map_png\n"
            f"open({str(out)!r}, 'wb').write(render_site_map_png([MapSite(1, 480.0, 250.0, 'Zayo')], 320, 200))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert (_image(out.read_bytes()).width(), _image(out.read_bytes()).height()) == (320, 200)
