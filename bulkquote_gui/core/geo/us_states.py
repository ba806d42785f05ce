"""The state outlines the map draws, read once from resources/us_states.json (projected and
simplified by tools/make_us_states.py from the US Census Bureau's state shapes: public domain).
Nothing else is read at run time: no shapefile reader, no network."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class StateShape:
    code: str                 # USPS code ("PR" included)
    name: str
    rings: tuple[Ring, ...]   # map pixels; islands and a state's parts each a ring

    def contains(self, x: float, y: float) -> bool:
        """Whether a map point is inside the state (even-odd over its rings: a lake is a hole)."""
        inside = False
        for ring in self.rings:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
                if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
        return inside


def _data_file() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller build keeps resources/ beside it
    root = Path(bundle) if bundle else Path(__file__).resolve().parents[3]
    return root / "resources" / "us_states.json"


@lru_cache(maxsize=1)
def us_states() -> tuple[StateShape, ...]:
    """Every state, DC and Puerto Rico, in the order of their codes."""
    document = json.loads(_data_file().read_text(encoding="utf-8"))
    return tuple(
        StateShape(s["code"], s["name"],
                   tuple(tuple((r[i] / 10, r[i + 1] / 10) for i in range(0, len(r), 2))
                         for r in s["rings"]))
        for s in document["states"])


def state_at(x: float, y: float) -> StateShape | None:
    """The state a map point falls in, if any."""
    return next((s for s in us_states() if s.contains(x, y)), None)
