"""Which of the rep's columns holds which field: by header name first, then by content.

Headers are compared normalised (case, spaces and punctuation ignored), so "ZIP Code",
"zip_code" and "ZIPCODE" are one name. A column no field claims is kept untouched for the export.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bulkquote_gui.core.intake.addresses import STATE_LOOKUP
from bulkquote_gui.core.intake.rows import FIELDS

# Exact (normalised) header names, per field.
ALIASES: dict[str, tuple[str, ...]] = {
    "street": ("address", "address1", "addressline1", "addr", "addr1", "street", "streetaddress",
               "streetaddress1", "street1", "streetline1", "serviceaddress", "siteaddress",
               "locationaddress", "physicaladdress", "addressstreet", "streetname", "line1",
               "address1street", "installaddress", "installationaddress"),
    "unit": ("unit", "suite", "apt", "apartment", "address2", "addressline2", "addr2", "street2",
             "streetaddress2", "suiteunit", "unitsuite", "ste", "aptsuite", "suiteapt", "line2",
             "floor", "room", "unitnumber", "suitenumber"),
    "city": ("city", "town", "cityname", "locality", "municipality", "sitecity", "servicecity",
             "citytown"),
    "state": ("state", "st", "stateprovince", "stabr", "stateabbr", "statecode", "stateabbrev",
              "stateabbreviation", "province", "region", "sitestate", "servicestate", "statename"),
    "postal_code": ("zip", "zipcode", "postalcode", "zip5", "postcode", "zippostalcode",
                    "postalzipcode", "zipcode5", "sitezip", "servicezip", "zippostal", "postal"),
    "zip4": ("zip4", "plus4", "zipplus4", "zip4code", "zipext", "zipextension", "zip4ext",
             "zipcodeplus4", "zipcode4"),
    "company": ("company", "companyname", "customer", "customername", "business",
                "businessname", "account", "accountname", "organization", "organisation",
                "organizationname", "org", "client", "clientname", "sitename", "locationname",
                "legalname", "dba"),
    "contact_name": ("contact", "contactname", "contactperson", "attn", "attention",
                     "primarycontact", "fullname", "contactfullname"),
    "email": ("email", "emailaddress", "mail", "contactemail", "emailid"),
    "phone": ("phone", "phonenumber", "telephone", "tel", "phoneno", "contactphone",
              "telephonenumber", "mobile", "cell", "phone1", "businessphone"),
    "bandwidth": ("bandwidth", "speed", "bw", "circuitspeed", "mbps", "bandwidthmbps",
                  "speedmbps", "portspeed", "circuitbandwidth", "requestedbandwidth",
                  "requestedspeed"),
    "term": ("term", "termmonths", "contractterm", "months", "termlength", "contractlength",
             "termmo", "terminmonths", "contractmonths"),
    "product": ("product", "service", "servicetype", "producttype", "circuittype"),
    "site_id": ("siteid", "site", "sitenumber", "siteno", "locationid", "locationnumber",
                "storeid", "storenumber", "storeno", "siteref", "sitereference", "yourref",
                "reference", "ref", "repsiteid", "id"),
    "full_address": ("fulladdress", "completeaddress", "singlelineaddress", "addressfull",
                     "fullstreetaddress", "onelineaddress", "addressline", "wholeaddress",
                     "formattedaddress"),
}
_ALIAS_FIELD: dict[str, str] = {alias: field for field, names in ALIASES.items() for alias in names}

# Looser rules for headers no alias names exactly: (field, pattern on the normalised header).
_FUZZY: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (field, re.compile(pattern)) for field, pattern in (
        ("zip4", r"zip.*4|plus4"),
        ("postal_code", r"zip|postal"),
        ("email", r"email"),
        ("phone", r"phone"),
        ("unit", r"suite|apartment|address2|addressline2"),
        ("city", r"^city|city$"),
        ("state", r"^state|state$|stateprovince|stateorprovince"),
        ("street", r"street|address1|addressline1|address$"),
        ("company", r"company|business|organi[sz]ation|customer"),
        ("contact_name", r"^contact|contactname$"),
        ("bandwidth", r"bandwidth|speed"),
        ("term", r"^term|term$|termmonths|contractterm"),
        ("product", r"^product|product$"),
    ))
# "Hospital Name", "LIBNAME": a name column is the customer when nothing better is there.
_NOT_COMPANY_NAMES = re.compile(r"county|state|city|first|last|contact|street|file|sheet|user|"
                                r"place|country|stat|cnty|owner|rep")

_ONE_LINE = re.compile(r"\d.*,.*\b[A-Za-z]{2}\.?,?\s+\d{3,5}(?:-\d{4})?\s*$|"
                       r"\d.*,.*,\s*[A-Za-z]{2}\.?\s*$")
_ZIP_VALUE = re.compile(r"\d{5}(?:-\d{4})?")
_EMAIL_VALUE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_DATA_LIKE = re.compile(r"^\s*[-+$]?\d[\d,.\s/-]*$|@|\d{5}\s*$")
_SAMPLE = 200


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(header).lower())


def excel_column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def disambiguate_headers(headers: Sequence[str]) -> list[str]:
    """Blank headers become "Column C"; repeated ones get " (2)", " (3)"."""
    out: list[str] = []
    seen: set[str] = set()
    for position, header in enumerate(headers):
        name = " ".join(str(header).split()) or f"Column {excel_column_letter(position)}"
        candidate, n = name, 2
        while candidate.casefold() in seen:
            candidate, n = f"{name} ({n})", n + 1
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


_REPEAT_SUFFIX = re.compile(r"^(?P<name>.+) \((?P<n>\d+)\)$")


def repeats_of(columns: Sequence[str]) -> set[str]:
    """Columns disambiguate_headers named "X (2)", "X (3)" because X came before: a second
    `Street` is another street, so it must not be read by its new name ("street2" is a unit
    alias). They keep no field of their own and stay in the export as they are."""
    folded = {c.casefold() for c in columns}
    repeats = set()
    for column in columns:
        match = _REPEAT_SUFFIX.match(column)
        if match and match["name"].casefold() in folded:
            repeats.add(column)
    return repeats


_COUNTRY_HEADERS = frozenset({"country", "countrycode", "countryname", "countryregion", "nation",
                              "sitecountry", "billingcountry", "mailingcountry"})


def country_column(columns: Sequence[str]) -> str | None:
    """A "Country" column: not a field the API takes (it is always US), but a row whose
    country is elsewhere cannot be quoted."""
    return next((c for c in columns if normalise_header(c) in _COUNTRY_HEADERS), None)


# The column a fix list (core/output/fix_list.py) adds beside each row: the importer drops it, so a
# fixed row dropped back in is quoted from the rep's own columns only. Matched exactly (case,
# spaces and punctuation aside): a customer's own "Reason" or "Notes" column is kept as ever.
FIX_LIST_REASON = "BulkQuote reason"


def is_fix_list_reason(header: str) -> bool:
    return normalise_header(header) == normalise_header(FIX_LIST_REASON)


def field_for_header(header: str) -> str | None:
    key = normalise_header(header)
    if key in _ALIAS_FIELD:
        return _ALIAS_FIELD[key]
    return None


def _fuzzy_field(header: str) -> str | None:
    key = normalise_header(header)
    for field, pattern in _FUZZY:
        if pattern.search(key):
            return field
    return None


def header_score(cells: Sequence[str]) -> int:
    """How many cells of a row are known header names."""
    return sum(1 for c in cells if field_for_header(c) or _fuzzy_field(c))


def looks_like_header(cells: Sequence[str]) -> bool:
    """Is this first row a header? Yes if it names a known field; no if it holds data
    (numbers, a ZIP, an e-mail, a one-line address); otherwise yes, as most sheets have one."""
    filled = [str(c).strip() for c in cells if str(c).strip()]
    if not filled:
        return False
    if any(field_for_header(c) for c in filled):
        return True
    if any(_DATA_LIKE.search(c) or _ONE_LINE.search(c) for c in filled):
        return False
    return True


def _sample(values: Sequence[str]) -> list[str]:
    """Up to _SAMPLE non-blank cells from the top of a column (no need to scan it all)."""
    sample: list[str] = []
    for value in values[: _SAMPLE * 5]:
        value = str(value).strip()
        if value:
            sample.append(value)
            if len(sample) == _SAMPLE:
                break
    return sample


def _share(sample: list[str], test) -> float:
    if not sample:
        return 0.0
    return sum(1 for v in sample if test(v)) / len(sample)


def _content_field(values: Sequence[str]) -> str | None:
    sample = _sample(values)
    if not sample:
        return None
    if _share(sample, lambda v: len(v) == 2 and v.upper() in STATE_LOOKUP) >= 0.9:
        return "state"
    if _share(sample, _EMAIL_VALUE.fullmatch) >= 0.8:
        return "email"
    if _share(sample, _ONE_LINE.search) >= 0.6:
        return "full_address"
    if _share(sample, _ZIP_VALUE.fullmatch) >= 0.9:
        return "postal_code"
    return None


def auto_mapping(columns: Sequence[str], values: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """field -> column, from the headers, then from what the unclaimed columns hold.

    `values` gives each column's data cells (top to bottom; only the first few are looked at).
    """
    mapping: dict[str, str] = {}
    claimed: set[str] = set(repeats_of(columns))

    def claim(field: str, column: str) -> None:
        if field not in mapping and column not in claimed:
            mapping[field] = column
            claimed.add(column)

    for column in columns:
        field = field_for_header(column)
        if field:
            claim(field, column)
    for column in columns:
        field = _fuzzy_field(column)
        if field:
            claim(field, column)
    for column in columns:
        if column in claimed:
            continue
        field = _content_field(values[column])
        if field == "full_address" and "street" in mapping:
            continue
        if field:
            claim(field, column)
    if "company" not in mapping:
        for column in columns:
            key = normalise_header(column)
            if column not in claimed and key.endswith("name") and not _NOT_COMPANY_NAMES.search(key):
                claim("company", column)
                break
    # An "Address" column with no city/state/ZIP beside it carries the whole address.
    if "street" in mapping and not {"city", "state", "postal_code"} & mapping.keys():
        if "full_address" not in mapping:
            mapping["full_address"] = mapping.pop("street")
    if "full_address" in mapping and {"street", "city"} <= mapping.keys():
        # Parts are there: a one-line column beside them is just extra text.
        claimed.discard(mapping.pop("full_address"))
    return {field: mapping[field] for field in FIELDS if field in mapping}
