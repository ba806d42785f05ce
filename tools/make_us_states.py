"""Make resources/us_states.json, the state outlines the site map draws, from the US Census
Bureau's cartographic boundary file of the states (cb_2016_us_state_500k) that the
`plotly-geo` package ships. Run once; the app reads the small file, never the shapefile.

    pip install --target /tmp/geo plotly-geo==1.0.0 pyshp
    PYTHONPATH=/tmp/geo:. python tools/make_us_states.py

Each state is projected with bulkquote_gui/core/geo/albers_usa.py (Alaska, Hawaii and Puerto
Rico into their insets), simplified (Douglas-Peucker, TOLERANCE map pixels on the 960x600
frame) and its islands smaller than MIN_AREA square pixels dropped. Points are kept as integers
in tenths of a pixel. The other territories (Guam, American Samoa, the Northern Mariana
Islands) are not on the map; Hawaii's north-western islands (west of 161° W) neither.

The Census Bureau's boundary files are works of the US federal government: public domain.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapefile  # pyshp
import _plotly_geo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bulkquote_gui.core.geo.albers_usa import (FRAME_HEIGHT, FRAME_WIDTH, INSET_OF_STATE,  # noqa: E402
                                               LOWER_48)

TOLERANCE = 0.25   # px: finer than a screen shows at 3x zoom
MIN_AREA = 2.0     # px²: an island smaller is a speck
SKIPPED = {"GU", "AS", "MP"}
OUT = Path(__file__).resolve().parents[1] / "resources" / "us_states.json"


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative (a coastline has thousands of points)."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = (dx * dx + dy * dy) ** 0.5
        worst, at = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length:
                d = abs(dy * px - dx * py + bx * ay - by * ax) / length
            else:
                d = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            if d > worst:
                worst, at = d, i
        if worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, k in zip(points, keep) if k]


def _area(points: list[tuple[float, float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))) / 2


def _rings(shape, conic, code: str):
    bounds = list(shape.parts) + [len(shape.points)]
    for start, end in zip(bounds, bounds[1:]):
        lonlat = shape.points[start:end]
        if code == "HI" and max(lon for lon, _ in lonlat) < -161.0:
            continue
        ring = _simplify([conic(lon, lat) for lon, lat in lonlat], TOLERANCE)
        if len(ring) >= 4 and _area(ring) >= MIN_AREA:
            yield [round(v * 10) for point in ring[:-1] for v in point]   # closed implicitly


def main() -> None:
    folder = Path(_plotly_geo.__file__).parent / "package_data"
    reader = shapefile.Reader(str(folder / "cb_2016_us_state_500k.shp"))
    states = []
    for record in reader.shapeRecords():
        code, name = record.record["STUSPS"], record.record["NAME"]
        if code in SKIPPED:
            continue
        rings = list(_rings(record.shape, INSET_OF_STATE.get(code, LOWER_48), code))
        states.append({"code": code, "name": name, "rings": rings})
    states.sort(key=lambda s: s["code"])
    document = {
        "source": "US Census Bureau, cartographic boundary file cb_2016_us_state_500k "
                  "(as shipped by plotly-geo 1.0.0)",
        "licence": "public domain (a work of the US federal government)",
        "made_by": "tools/make_us_states.py",
        "projection": "Albers USA (bulkquote_gui/core/geo/albers_usa.py), Alaska, Hawaii and "
                      "Puerto Rico as insets",
        "frame": [FRAME_WIDTH, FRAME_HEIGHT],
        "units": "tenths of a map pixel; each ring x0,y0,x1,y1,... closed implicitly",
        "states": states,
    }
    OUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for s in states for r in s["rings"])
    print(f"{OUT.name}: {len(states)} states, {points:,} points, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
