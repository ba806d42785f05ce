"""The offline ZIP table: the state and the city names of each ZIP, and the ZIPs of a city.

The data comes from the `zipcodes` package, whose table (USPS ZIP Locale Detail with city
aliases, refreshed monthly upstream) is compiled into its wheel: no network and no data file at
run time, nothing for PyInstaller to bundle. It is read once per process, on first use, into two
plain dicts; every lookup after that is a dict lookup, and the importer asks once per distinct
value. Invariants:

- `state_of(zip5)` is the USPS state code of a ZIP the table knows, else "" (an unknown ZIP is
  not proof of a wrong one: the table can lag a new ZIP).
- `cities_of(zip5)` holds every name USPS accepts for the ZIP (primary and acceptable), as
  `city_key` makes them, so "St. Louis" and "SAINT LOUIS" are one name.
- `zips_of(city, state)` lists the active ZIPs that deliver to streets (type STANDARD): a
  PO-box-only ZIP is never where a circuit goes, and a UNIQUE one (an IRS centre, a
  university) belongs to one organisation, so neither is a candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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

    def __init__(self, records) -> None:
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


@lru_cache(maxsize=1)
def zip_table() -> ZipTable:
    """The table, read from the `zipcodes` package the first time it is asked for."""
    import zipcodes  # imported here: a refused file never pays for decompressing the table

    return ZipTable(zipcodes.list_all())
