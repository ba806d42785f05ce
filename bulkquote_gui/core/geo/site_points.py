"""Where a site is on the map: the sheet's own latitude and longitude when the row has them,
else its ZIP's centre from the offline `zipcodes` table.

The ZIP centres are read once per process into a dict (the package's table unpacks in about
0.6 s; `zipcodes.matching` costs ~2 ms a call, 20 s for 10,000 ZIPs). A sheet's coordinates are
read from its columns by their headers ("Latitude", "Lat", "Longitude", "Long", "Lng", "Lon",
with a word before: "Site Latitude"), as the rep's own cells kept with each row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from bulkquote_gui.core.geo.albers_usa import project

_LAT = re.compile(r"(?:^|[\s_.-])(latitude|lat)$", re.IGNORECASE)
_LON = re.compile(r"(?:^|[\s_.-])(longitude|long|lng|lon)$", re.IGNORECASE)


class MapSite(NamedTuple):
    """One site as the map draws it: its sheet row, its map point and its legend group (a
    status word while the batch runs, the carrier or a price band when it is done). A tuple:
    a map of 20,000 sites makes them on every refresh. `band` is the price band's rank
    (core/geo/price_bands: 0 low, 1 mid, 2 high) when the group is one, which sets its colour."""

    row_number: int
    x: float
    y: float
    group: str
    band: int | None = None


@lru_cache(maxsize=1)
def _zip_centres() -> dict[str, tuple[float, float]]:
    import zipcodes  # imported on first use: only the map needs the centres

    centres = {}
    for record in zipcodes.list_all():
        try:
            centres[record["zip_code"]] = (float(record["long"]), float(record["lat"]))
        except (KeyError, TypeError, ValueError):
            continue   # a ZIP the table has no centre for is not on the map
    return centres


def zip_centre(zip_code: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a ZIP's centre, or None when the table does not know it."""
    return _zip_centres().get(zip_code.strip()[:5])


def sheet_coordinates(cells: Mapping[str, object]) -> tuple[float, float] | None:
    """(longitude, latitude) from the row's own columns, or None when it has no usable pair."""
    lat = lon = None
    for header, value in cells.items():
        if lat is None and _LAT.search(header.strip()):
            lat = _number(value)
        elif lon is None and _LON.search(header.strip()):
            lon = _number(value)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def _number(value: object) -> float | None:
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def site_point(cells: Mapping[str, object], zip_code: str) -> tuple[float, float] | None:
    """The map point of a site: its own coordinates, else its ZIP's centre; None when neither
    is known or the place is off this map (outside the US and Puerto Rico)."""
    place = sheet_coordinates(cells) or (zip_centre(zip_code) if zip_code else None)
    return None if place is None else project(*place)
