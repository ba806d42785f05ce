"""Longitude and latitude to a point on the map, as an "Albers USA" map draws the country.

The lower 48 states are an Albers equal-area conic (standard parallels 29.5° and 45.5°, centred
on 96° W); Alaska, Hawaii and Puerto Rico (with the Virgin Islands) are each projected by a
conic of their own and moved, Alaska scaled down, into insets under the lower 48, where
d3-geo's `geoAlbersUsa` puts them. Units are the map's pixels on a FRAME_WIDTH x FRAME_HEIGHT
frame, y down. A place outside those four regions (Guam, a typo'd 0,0) is not on the map: None.
The state outlines in resources/ were projected by this module (tools/make_us_states.py), so a
change here means regenerating them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FRAME_WIDTH, FRAME_HEIGHT = 960, 600
_SCALE = 1070.0                       # d3's default for this frame
_CX, _CY = 480.0, 250.0               # where the lower 48's centre lands


@dataclass(frozen=True)
class _Conic:
    """An Albers equal-area conic on the unit sphere, scaled and moved onto the frame."""

    meridian: float                  # the central meridian (the cone's axis)
    centre: tuple[float, float]      # the place (lon, lat) that lands on `at`
    parallels: tuple[float, float]
    scale: float
    at: tuple[float, float]

    def __post_init__(self) -> None:
        s1, s2 = (math.sin(math.radians(p)) for p in self.parallels)
        n = (s1 + s2) / 2
        object.__setattr__(self, "_n", n)
        object.__setattr__(self, "_c", math.cos(math.radians(self.parallels[0])) ** 2 + 2 * n * s1)
        object.__setattr__(self, "_origin", self._raw(*self.centre))

    def _raw(self, lon: float, lat: float) -> tuple[float, float]:
        n, c = self._n, self._c
        dlon = (lon - self.meridian + 180.0) % 360.0 - 180.0   # the Aleutians east of 180° stay west
        rho = math.sqrt(max(0.0, c - 2 * n * math.sin(math.radians(lat)))) / n
        theta = n * math.radians(dlon)
        return rho * math.sin(theta), -rho * math.cos(theta)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self._raw(lon, lat)
        ox, oy = self._origin
        return self.at[0] + self.scale * (x - ox), self.at[1] - self.scale * (y - oy)


# d3's centres are offsets from the rotation ([-0.6, 38.7] with rotate 96: 96.6° W, 38.7° N).
LOWER_48 = _Conic(-96.0, (-96.6, 38.7), (29.5, 45.5), _SCALE, (_CX, _CY))
ALASKA = _Conic(-154.0, (-156.0, 58.5), (55.0, 65.0), 0.35 * _SCALE,
                (_CX - 0.307 * _SCALE, _CY + 0.201 * _SCALE))
HAWAII = _Conic(-157.0, (-160.0, 19.9), (8.0, 18.0), _SCALE,
                (_CX - 0.205 * _SCALE, _CY + 0.212 * _SCALE))
PUERTO_RICO = _Conic(-66.0, (-66.0, 18.0), (8.0, 18.0), _SCALE,
                     (_CX + 0.350 * _SCALE, _CY + 0.224 * _SCALE))

# The conic each state's outline is drawn with (every other state: LOWER_48).
INSET_OF_STATE = {"AK": ALASKA, "HI": HAWAII, "PR": PUERTO_RICO, "VI": PUERTO_RICO}


def region_of(lon: float, lat: float) -> _Conic | None:
    """The conic whose part of the map holds this place, or None when no part does."""
    if lat >= 50.0 and (lon <= -129.0 or lon >= 170.0) and lat <= 72.0:
        return ALASKA
    if 18.5 <= lat <= 22.5 and -161.0 <= lon <= -154.5:
        return HAWAII
    if 17.5 <= lat <= 18.8 and -68.0 <= lon <= -64.3:
        return PUERTO_RICO
    if 24.0 <= lat <= 50.0 and -125.5 <= lon <= -66.5:
        return LOWER_48
    return None


def project(lon: float, lat: float) -> tuple[float, float] | None:
    """The map point of a longitude and latitude, or None when it is not on this map."""
    conic = region_of(lon, lat)
    return None if conic is None else conic(lon, lat)
