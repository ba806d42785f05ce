"""The offline ZIP table: the state and the city names of each ZIP, and the ZIPs of a city.

The data comes from the `zipcodes` package, whose table (USPS ZIP Locale Detail with city
aliases, refreshed monthly upstream) is compiled into its wheel: no network and no data file at
run time, nothing for PyInstaller to bundle. It is read once per process, on first use, into two
plain dicts; every lookup after that is a dict lookup, and the importer asks once per distinct
value. Unpacking the package's table costs 0.5-2 s of CPU (bz2), so the two dicts are also kept
as JSON in the user cache folder, keyed by the package's version: later processes read that in
a few tens of milliseconds. A cache that is missing, stale or unreadable is rebuilt; one that
cannot be written is done without. Invariants:

- `state_of(zip5)` is the USPS state code of a ZIP the table knows, else "" (an unknown ZIP is
  not proof of a wrong one: the table can lag a new ZIP).
- `cities_of(zip5)` holds every name USPS accepts for the ZIP (primary and acceptable), as
  `city_key` makes them, so "St. Louis" and "SAINT LOUIS" are one name.
- `zips_of(city, state)` lists the active ZIPs that deliver to streets (type STANDARD): a
  PO-box-only ZIP is never where a circuit goes, and a UNIQUE one (an IRS centre, a
  university) belongs to one organisation, so neither is a candidate.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_PUNCT = re.compile(r"[^A-Z0-9 ]+")
# Spellings of one city word that USPS and reps use interchangeably.
_CITY_WORDS = {"SAINT": "ST", "STE": "ST", "SAINTE": "ST", "MOUNT": "MT", "FORT": "FT",
               "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W"}
# Whole-city shorthands seen in real sheets ("3 Park Avenue, 33rd Floor, NY, NY 10016").
_CITY_SHORTHANDS = {"NY": "NEW YORK", "NYC": "NEW YORK", "LA": "LOS ANGELES", "SF": "SAN FRANCISCO",
                    "DC": "WASHINGTON", "PHILLY": "PHILADELPHIA"}
_DELIVERY_TYPES = frozenset({"STANDARD"})


def city_key(city: str) -> str:
    """A city name reduced to what tells two cities apart: case, punctuation and the
    Saint/St, Mount/Mt, Fort/Ft spellings do not count."""
    words = _PUNCT.sub(" ", city.upper().replace(".", "")).split()
    key = " ".join(_CITY_WORDS.get(w, w) for w in words)
    return _CITY_SHORTHANDS.get(key, key)


@dataclass(frozen=True)
class ZipInfo:
    state: str                    # USPS code
    city: str                     # the primary USPS name, as the table writes it
    cities: frozenset[str]        # city_key of every name USPS accepts for this ZIP


class ZipTable:
    """The table's two indexes; build with `zip_table()` (once per process)."""

    def __init__(self, records=()) -> None:
        self._by_zip: dict[str, ZipInfo] = {}
        self._by_city: dict[tuple[str, str], list[str]] = {}
        for record in records:
            zip5, state = record["zip_code"], record["state"]
            names = [record["city"], *(record.get("acceptable_cities") or ())]
            keys = frozenset(city_key(n) for n in names if n)
            self._by_zip[zip5] = ZipInfo(state, record["city"], keys)
            if record.get("active", True) and record.get("zip_code_type") in _DELIVERY_TYPES:
                for key in keys:
                    self._by_city.setdefault((key, state), []).append(zip5)
        for zips in self._by_city.values():
            zips.sort()

    def to_json(self, version: str) -> str:
        return json.dumps({"version": version,
                           "zips": {z: [i.state, i.city, sorted(i.cities)] for z, i in self._by_zip.items()},
                           "cities": [[c, s, zips] for (c, s), zips in self._by_city.items()]},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, version: str) -> ZipTable | None:
        """The table a cache file holds, or None when it is of another version or malformed."""
        try:
            saved = json.loads(text)
            if saved.get("version") != version:
                return None
            table = cls()
            table._by_zip = {z: ZipInfo(state, city, frozenset(keys))
                             for z, (state, city, keys) in saved["zips"].items()}
            table._by_city = {(c, s): list(zips) for c, s, zips in saved["cities"]}
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return table if table._by_zip else None

    def __len__(self) -> int:
        return len(self._by_zip)

    def info(self, zip5: str) -> ZipInfo | None:
        return self._by_zip.get(zip5[:5])

    def state_of(self, zip5: str) -> str:
        info = self._by_zip.get(zip5[:5])
        return info.state if info is not None else ""

    def city_matches(self, zip5: str, city: str) -> bool:
        """True when USPS accepts `city` for the ZIP, or the ZIP is unknown (nothing to say)."""
        info = self._by_zip.get(zip5[:5])
        return info is None or city_key(city) in info.cities

    def zips_of(self, city: str, state: str) -> list[str]:
        return self._by_city.get((city_key(city), state), [])


def _cache_file() -> Path | None:
    override = os.environ.get("BULKQUOTE_CACHE_DIR")
    try:
        if override:
            return Path(override) / "zip_table.json"
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("bulkquote", appauthor=False)) / "zip_table.json"
    except Exception:  # noqa: BLE001 - no cache folder on this system: build every time
        return None


def _save(path: Path, text: str) -> None:
    """Written to a temporary file and renamed: a reader never sees half a cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".zip_table-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home folder: the next process builds the table again


@lru_cache(maxsize=1)
def zip_table() -> ZipTable:
    """The table, read the first time it is asked for: from the cache when it is of the
    installed package's version, else from the `zipcodes` package (and then cached)."""
    import zipcodes  # imported here: a refused file never pays for it (importing is cheap)

    version = str(getattr(zipcodes, "__version__", ""))
    path = _cache_file()
    if path is not None:
        try:
            cached = ZipTable.from_json(path.read_text(encoding="utf-8"), version)
        except (OSError, UnicodeDecodeError):
            cached = None
        if cached is not None:
            return cached
    table = ZipTable(zipcodes.list_all())
    if path is not None:
        _save(path, table.to_json(version))
    return table
