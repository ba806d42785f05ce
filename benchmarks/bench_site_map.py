"""The site map with 20,000 sites: placing them, building the map, painting it, picking a dot.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_site_map.py

20,000 rows of a batch (ZIPs drawn from the offline table, a fixed seed), the progress page's
map tab (`ResultsMap`) over a ResultsModel as the window builds it. Measured on the GUI thread:
- placing: the ZIP centres read (first use in the process) and every row's point found (the
  window does this off its thread: gui/operations/geography.py);
- build: the rows grouped and handed to the view (dot layer and grid index), as a refresh does
  on each status change while the batch runs (at most 4 a second);
- paint: the whole map (states and 20,000 dots) rendered into the 1280x800 viewport, fitted and
  zoomed in 8x (median of 20), the cost of one frame while panning;
- hit-test: one click's look-up of the dot under the pointer (median over 10,000 points);
- the PNG for the proposal at 1600x1000.
Writes benchmarks/site_map_results.md.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "site_map_results.md"
SITES = 20_000
CARRIERS = ["Lumen", "Zayo", "Spectrum", "Comcast", "Cogent", "Crown Castle", "AT&T", "Verizon",
            "Windstream", "Frontier"]


HISTORY = """History (same machine, same load, so compare within it): the dots first drawn as
antialiased round-capped points (`QPainter.drawPoints`, a cosmetic pen per colour, a white halo
pass under each) took 871 ms a frame fitted and 323 ms zoomed in, a refresh 1,046 ms (a
QPolygonF of 20,000 QPointF built per colour, a Python grid index rebuilt each time). Stamping
one antialiased sprite per colour with numpy (solid pixels assigned, the edge blended in
integers, one stamp per device pixel) and building the grid index with numpy only on the first
click brought a frame to the figures above. While a batch of over 2,000 rows runs, the map
redraws at most once a second (4 times below that), and only while its tab is shown."""


def _rows(rng: random.Random):
    import zipcodes  # its own copy of the table: the map's centres are read apart, timed

    zips = [z["zip_code"] for z in zipcodes.list_all() if z["zip_code_type"] == "STANDARD"]
    rows = []
    for n in range(SITES):
        status = rng.choice(["complete"] * 6 + ["failed", "pending", "polling"])
        offer = SimpleNamespace(carrier=rng.choice(CARRIERS)) if status == "complete" else None
        rows.append(SimpleNamespace(
            quote_id=n + 1, row_number=n + 2, address=f"{n} Main St", status=status, offer=offer,
            error_code=None, error_message=None, valid_until=None,
            quoted=("", "", "", rng.choice(zips)), original={}))
    return rows


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication, QTableView

    from bulkquote_gui.core.geo.site_points import _zip_centres
    from bulkquote_gui.gui.models.map_sites import MapSites
    from bulkquote_gui.gui.models.results_model import ResultsFilter, ResultsModel
    from bulkquote_gui.gui.pages.results_map import ResultsMap
    from bulkquote_gui.gui.widgets.site_map_paint import render_site_map_png

    app = QApplication.instance() or QApplication([])
    rng = random.Random(18)
    views = _rows(rng)
    start = time.perf_counter()
    _zip_centres()
    table_read = time.perf_counter() - start
    model = ResultsModel()
    model.load(views)
    proxy = ResultsFilter()
    proxy.setSourceModel(model)
    table = QTableView()
    table.setModel(proxy)
    panel = ResultsMap(model, proxy, table)
    figures: list[tuple[str, str]] = []

    places = MapSites()
    start = time.perf_counter()
    places.place_all(model.rows())
    sites = places.sites(model.rows(), finished=False)
    placing = time.perf_counter() - start
    figures += [("ZIP centres read (once per process)", _ms(table_read)),
                (f"{SITES:,} rows placed (first time: a dict look-up and a projection each)",
                 _ms(placing)),
                ("sites on the map / not", f"{len(sites):,} / {places.unplaced:,}")]
    panel._places = places   # (the window places them off its thread: no event loop here)
    panel.resize(1280 + 200, 800 + 30)
    panel.show()
    app.processEvents()

    builds = []
    for finished in (False, True) * 5:
        panel._done = finished
        start = time.perf_counter()
        panel.refresh()
        builds.append(time.perf_counter() - start)
    figures.append(("refresh: rows grouped, dot arrays rebuilt, legend (median of 10; "
                    "points cached; the index waits for a click)", _ms(statistics.median(builds))))

    view = panel.view
    viewport = view.viewport()
    image = QImage(viewport.size(), QImage.Format.Format_ARGB32_Premultiplied)

    def frame() -> float:
        image.fill(0)
        painter = QPainter(image)
        start = time.perf_counter()
        view.render(painter)
        painter.end()
        return time.perf_counter() - start

    view.fit()
    fitted = [frame() for _ in range(20)]
    view.scale(8, 8)
    view._zoom = 8.0
    view.centerOn(QPointF(800, 170))   # the north-east, where the dots are densest
    zoomed = [frame() for _ in range(20)]
    figures += [(f"paint, whole map fitted in {viewport.width()}x{viewport.height()} "
                 "(median / worst of 20)", f"{_ms(statistics.median(fitted))} / {_ms(max(fitted))}"),
                ("paint, zoomed in 8x on the north-east (median / worst of 20)",
                 f"{_ms(statistics.median(zoomed))} / {_ms(max(zoomed))}")]

    view.fit()
    points = [QPointF(rng.uniform(0, viewport.width()), rng.uniform(0, viewport.height()))
              for _ in range(10_000)]
    hits, times = 0, []
    for point in points:
        start = time.perf_counter()
        hits += view.site_at(point) is not None
        times.append(time.perf_counter() - start)
    figures.append(("hit-test, one click's look-up (median / worst of 10,000; "
                    f"{hits:,} on a dot)", f"{statistics.median(times) * 1e6:,.0f} µs / "
                                          f"{max(times) * 1e6:,.0f} µs"))

    start = time.perf_counter()
    png = render_site_map_png(view.sites, 1600, 1000)
    figures.append(("render_site_map_png, 1600x1000", f"{_ms(time.perf_counter() - start)} "
                                                      f"({len(png) / 1024:,.0f} KB)"))

    lines = ["# Site map benchmark", "",
             "Command: `QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_site_map.py`  ",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}, {platform.system()} {platform.release()}; Qt offscreen "
             f"(software raster); a shared machine (load average {os.getloadavg()[0]:.1f} when "
             "it ended), so the figures are upper bounds.", "",
             "| measure | result |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in figures]
    lines += ["", HISTORY]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
