"""USPS Publication 28 forms of street words: suffixes (C1), directionals (B), secondary unit
designators (C2).

Used for two things only: the key that tells whether two streets are one site
(`111 E. Wacker Dr.` and `111 East Wacker Drive`), and recognising a unit written at the end of
a street (`APARTMENT 5`, `33rd Floor`). What is sent to the API is never rewritten here: a
street keeps the rep's spelling, and a rule that moves text (a trailing unit) marks the row.
"""

from __future__ import annotations

import re

# Publication 28 appendix C1: the common spellings of each suffix -> its standard abbreviation.
# (The full table has some 500 variants; these are the ones found in business addresses.)
SUFFIXES: dict[str, str] = {
    "ALLEY": "ALY", "ALLY": "ALY", "ANNEX": "ANX", "ARCADE": "ARC", "AVENUE": "AVE", "AV": "AVE",
    "AVEN": "AVE", "AVENU": "AVE", "AVN": "AVE", "AVNUE": "AVE", "BAYOU": "BYU", "BEACH": "BCH",
    "BEND": "BND", "BLUFF": "BLF", "BOTTOM": "BTM", "BOULEVARD": "BLVD", "BOUL": "BLVD",
    "BOULV": "BLVD", "BRANCH": "BR", "BRIDGE": "BRG", "BROOK": "BRK", "BYPASS": "BYP",
    "CAMP": "CP", "CANYON": "CYN", "CAPE": "CPE", "CAUSEWAY": "CSWY", "CENTER": "CTR",
    "CENTRE": "CTR", "CENTR": "CTR", "CENT": "CTR", "CIRCLE": "CIR", "CIRC": "CIR", "CIRCL": "CIR",
    "CLIFF": "CLF", "CLUB": "CLB", "COMMON": "CMN", "CORNER": "COR", "COURSE": "CRSE",
    "COURT": "CT", "COVE": "CV", "CREEK": "CRK", "CRESCENT": "CRES", "CREST": "CRST",
    "CROSSING": "XING", "CROSSROAD": "XRD", "CURVE": "CURV", "DALE": "DL", "DAM": "DM",
    "DIVIDE": "DV", "DRIVE": "DR", "DRIV": "DR", "DRV": "DR", "ESTATE": "EST", "ESTATES": "ESTS",
    "EXPRESSWAY": "EXPY", "EXPRESS": "EXPY", "EXPW": "EXPY", "EXTENSION": "EXT", "FALLS": "FLS",
    "FERRY": "FRY", "FIELD": "FLD", "FIELDS": "FLDS", "FLAT": "FLT", "FORD": "FRD",
    "FOREST": "FRST", "FORGE": "FRG", "FORK": "FRK", "FREEWAY": "FWY", "FRWY": "FWY",
    "GARDEN": "GDN", "GARDENS": "GDNS", "GATEWAY": "GTWY", "GLEN": "GLN", "GREEN": "GRN",
    "GROVE": "GRV", "HARBOR": "HBR", "HAVEN": "HVN", "HEIGHTS": "HTS", "HIGHWAY": "HWY",
    "HIGHWY": "HWY", "HIWAY": "HWY", "HIWY": "HWY", "HILL": "HL", "HILLS": "HLS", "HOLLOW": "HOLW",
    "ISLAND": "IS", "JUNCTION": "JCT", "KEY": "KY", "KNOLL": "KNL", "LAKE": "LK", "LAKES": "LKS",
    "LANDING": "LNDG", "LANE": "LN", "LIGHT": "LGT", "LOOP": "LOOP", "MANOR": "MNR",
    "MEADOW": "MDW", "MEADOWS": "MDWS", "MILL": "ML", "MILLS": "MLS", "MOTORWAY": "MTWY",
    "MOUNTAIN": "MTN", "ORCHARD": "ORCH", "OVERPASS": "OPAS", "PARKWAY": "PKWY", "PARKWY": "PKWY",
    "PKY": "PKWY", "PASSAGE": "PSGE", "PIKE": "PIKE", "PINES": "PNES", "PLACE": "PL",
    "PLAIN": "PLN", "PLAINS": "PLNS", "PLAZA": "PLZ", "PLZA": "PLZ", "POINT": "PT",
    "POINTS": "PTS", "PORT": "PRT", "PRAIRIE": "PR", "RANCH": "RNCH", "RAPIDS": "RPDS",
    "RIDGE": "RDG", "RIVER": "RIV", "ROAD": "RD", "ROADS": "RDS", "ROUTE": "RTE", "SHORE": "SHR",
    "SHORES": "SHRS", "SKYWAY": "SKWY", "SPRING": "SPG", "SPRINGS": "SPGS", "SQUARE": "SQ",
    "SQR": "SQ", "STATION": "STA", "STREAM": "STRM", "STREET": "ST", "STR": "ST", "STRT": "ST",
    "SUMMIT": "SMT", "TERRACE": "TER", "TERR": "TER", "TRACE": "TRCE", "TRACK": "TRAK",
    "TRAFFICWAY": "TRFY", "TRAIL": "TRL", "TRAILS": "TRL", "TUNNEL": "TUNL", "TURNPIKE": "TPKE",
    "TURNPK": "TPKE", "UNDERPASS": "UPAS", "UNION": "UN", "VALLEY": "VLY", "VIADUCT": "VIA",
    "VIEW": "VW", "VILLAGE": "VLG", "VILLE": "VL", "VISTA": "VIS", "WALK": "WALK", "WAY": "WAY",
    "WELL": "WL", "WELLS": "WLS",
}

# Publication 28 section 233: directionals.
DIRECTIONALS: dict[str, str] = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
    "SOUTHEAST": "SE", "SOUTHWEST": "SW", "NORTH EAST": "NE", "NORTH WEST": "NW",
    "SOUTH EAST": "SE", "SOUTH WEST": "SW",
}

# Publication 28 appendix C2: secondary unit designators that take a number after them
# (`SUITE 200`), and their standard abbreviations. "#" stands for any of them.
UNIT_DESIGNATORS: dict[str, str] = {
    "APARTMENT": "APT", "APT": "APT", "BUILDING": "BLDG", "BLDG": "BLDG", "DEPARTMENT": "DEPT",
    "DEPT": "DEPT", "FLOOR": "FL", "FL": "FL", "FLR": "FL", "HANGAR": "HNGR", "HNGR": "HNGR",
    "LOT": "LOT", "OFFICE": "OFC", "OFC": "OFC", "PENTHOUSE": "PH", "ROOM": "RM",
    "RM": "RM", "SPACE": "SPC", "SPC": "SPC", "SUITE": "STE", "STE": "STE", "SUIT": "STE",
    "TRAILER": "TRLR", "TRLR": "TRLR", "UNIT": "UNIT",
}
# Designators that stand alone (`REAR`), recognised only after a comma: `FRONT ST` is a street.
LONE_DESIGNATORS: dict[str, str] = {
    "BASEMENT": "BSMT", "BSMT": "BSMT", "FRONT": "FRNT", "FRNT": "FRNT", "LOBBY": "LBBY",
    "LBBY": "LBBY", "LOWER": "LOWR", "LOWR": "LOWR", "REAR": "REAR", "UPPER": "UPPR", "UPPR": "UPPR",
}

# "Seventh Ave" and "7th Ave" are one street (a geocoder writes the second).
ORDINAL_WORDS = {word: f"{n}{'ST' if n % 10 == 1 and n != 11 else 'ND' if n % 10 == 2 and n != 12 else 'RD' if n % 10 == 3 and n != 13 else 'TH'}"
                 for n, word in enumerate((
                     "FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH",
                     "NINTH", "TENTH", "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH",
                     "FIFTEENTH", "SIXTEENTH", "SEVENTEENTH", "EIGHTEENTH", "NINETEENTH",
                     "TWENTIETH"), start=1)}
_WORDS = {**SUFFIXES, **{k: v for k, v in DIRECTIONALS.items() if " " not in k}, **ORDINAL_WORDS}
_PUNCT = str.maketrans({c: " " for c in ".,#'-/()"})

_DESIGNATOR = "|".join(sorted(UNIT_DESIGNATORS, key=len, reverse=True))
_LONE = "|".join(sorted(LONE_DESIGNATORS, key=len, reverse=True))
# A unit at the end of a street: `..., APARTMENT 5`, `... STE. 200`, `... # 4B`, `... 33rd Floor`,
# `..., REAR`. Searched, not matched from the start (a lazy prefix would backtrack).
TRAILING_UNIT = re.compile(
    r"(?<=\S)[\s,-]*[\s,]\s*(?P<unit>(?:(?:" + _DESIGNATOR + r")\b\.?\s*(?:#|NO\.?)?\s*[\w-]+"
    r"|#\s*[\w-]+|\d+(?:ST|ND|RD|TH)\s+(?:FL|FLR|FLOOR)\b\.?))$"
    r"|\s*,\s*(?P<lone>(?:" + _LONE + r")\b\.?)$",
    re.IGNORECASE)
# The words whose presence makes a street worth the TRAILING_UNIT search (upper case).
UNIT_WORDS: tuple[str, ...] = tuple(sorted({*UNIT_DESIGNATORS, *LONE_DESIGNATORS, "#"}))


_TAIL_WORDS = frozenset({*UNIT_DESIGNATORS, *LONE_DESIGNATORS})


def street_key(street: str) -> str:
    """The street as Publication 28 writes it, for telling whether two rows are one site: upper
    case, punctuation dropped, suffixes and directionals abbreviated. Never sent anywhere."""
    words = street.upper().translate(_PUNCT).split()
    return " ".join(_WORDS.get(w, w) for w in words)


def unit_key(unit: str) -> str:
    """ "Suite 820", "STE. 820" and "#820" are one unit; "APARTMENT 5" and "Apt 5" too. A
    designator that names the kind of unit (FLOOR, BLDG) is kept in its short form, as
    "FL 3" is not "BLDG 3"; STE/APT/UNIT/# all mean "this number", so they are dropped."""
    words = unit.upper().translate(_PUNCT).split()
    out = []
    for w in words:
        code = UNIT_DESIGNATORS.get(w) or LONE_DESIGNATORS.get(w)
        if code in ("STE", "APT", "UNIT") or w in ("NO", "NUMBER"):
            continue
        out.append(code or w)
    ordinal = re.fullmatch(r"(\d+)(?:ST|ND|RD|TH) FL", " ".join(out))
    return f"FL {ordinal[1]}" if ordinal else " ".join(out)


def split_trailing_unit(street: str) -> tuple[str, str]:
    """`12 Oak St APARTMENT 5` -> (`12 Oak St`, `APARTMENT 5`): the unit as written."""
    # A cheap look at the last words first: the regex's long alternation costs more.
    tail = street.upper().replace(",", " ").replace(".", " ").split()[-3:]
    if not any("#" in w or w in _TAIL_WORDS for w in tail):
        return street, ""
    match = TRAILING_UNIT.search(street)
    if not match:
        return street, ""
    rest = street[: match.start()].rstrip(" ,-")
    if not any(c.isalpha() for c in rest):  # "# 12" alone or "5 # 3": not a street and a unit
        return street, ""
    return rest, match["unit"] or match["lone"]
