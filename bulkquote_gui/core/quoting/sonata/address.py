"""The row's site as a Sonata FieldedAddress (role INSTALL_LOCATION).

The store keeps the street as one line ("221 N LaSalle St"); usaddress splits it into the number,
name, type and directional Sonata has fields for. What it cannot label stays in streetName, so
nothing the rep wrote is lost.
"""

from __future__ import annotations

import re
from typing import Any

_UNIT = re.compile(r"^\s*(#|[A-Za-z]+\.?)\s*#?\s*(\S.*?)\s*$")
_ZIP = re.compile(r"^\s*(\d{5})(?:-?(\d{4}))?\s*$")


def install_location(location: dict[str, Any]) -> dict[str, Any]:
    place: dict[str, Any] = {"@type": "FieldedAddress", "role": "INSTALL_LOCATION"}
    place.update(street_fields(str(location.get("street") or "")))
    place["city"] = location.get("city") or ""
    place["stateOrProvince"] = location.get("state") or ""
    match = _ZIP.match(str(location.get("postal_code") or ""))
    if match:
        place["postcode"] = match[1]
        if match[2]:
            place["postcodeExtension"] = match[2]
    elif location.get("postal_code"):
        place["postcode"] = str(location["postal_code"])
    place["country"] = "US"
    unit = str(location.get("unit") or "").strip()
    if unit:
        kind, number = unit_parts(unit)
        place["geographicSubAddress"] = {"subUnit": [{"subUnitType": kind, "subUnitNumber": number}]}
    return place


def street_fields(street: str) -> dict[str, str]:
    """streetNr, streetNrSuffix, streetName, streetType, streetSuffix (the directional: the one
    after the name, else the one before it) from one street line."""
    import usaddress  # imported here: only a Sonata request pays for it

    try:
        tokens = usaddress.parse(street)
    except Exception:  # noqa: BLE001 - usaddress raises odd errors on odd strings
        tokens = []
    labels: dict[str, list[str]] = {}
    for token, label in tokens:
        labels.setdefault(label, []).append(token.strip(" ,"))

    def joined(*names: str) -> str:
        return " ".join(w for n in names for w in labels.get(n, []) if w)

    name = joined("StreetNamePreModifier", "StreetNamePreType", "StreetName")
    if not joined("AddressNumber") or not name:
        return {"streetName": street.strip()}
    fields = {"streetNr": joined("AddressNumber"), "streetNrSuffix": joined("AddressNumberSuffix"),
              "streetName": name, "streetType": joined("StreetNamePostType"),
              "streetSuffix": joined("StreetNamePostDirectional")
              or joined("StreetNamePreDirectional")}
    return {k: v for k, v in fields.items() if v}


def unit_parts(unit: str) -> tuple[str, str]:
    """("SUITE 820" | "Ste. 820" | "#4") -> (subUnitType, subUnitNumber); "UNIT" when untyped."""
    match = _UNIT.match(unit)
    if match and match[1] != "#" and not match[1].isdigit():
        return match[1].rstrip(".").upper(), match[2]
    return "UNIT", unit.lstrip("# ").strip() or unit
