"""Address sets: families of address columns found, ordered, and chosen per row."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bulkquote_gui import cli
from bulkquote_gui.core.intake import usps
from bulkquote_gui.core.intake.address_sets import (
    GEOCODED, MAILING, PLAIN, SERVICE, find_address_sets, ordered)
from bulkquote_gui.core.intake.importer import SpreadsheetError, import_file
from bulkquote_gui.core.intake.rows import RowStatus


def csv_file(tmp_path, text: str, name: str = "sites.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sets_of(headers: list[str], rows: list[list[str]] | None = None):
    rows = rows or [[""] * len(headers)]
    data = {h: np.array([r[k] for r in rows], dtype=object) for k, h in enumerate(headers)}
    return find_address_sets(headers, data)


THREE = ("Name,ADSTREET,ADCITY,ADSTATE,ADZIP,PHSTREET,PHCITY,PHSTATE,PHZIP,"
         "GSTREET,GCITY,GSTATE,GZIP\n")


def test_prefix_families_are_sets_ordered_physical_mailing_geocoded():
    found = sets_of(THREE.strip().split(","))
    assert [(s.name, s.kind) for s in found] == [
        ("Physical (PH)", SERVICE), ("Mailing (AD)", MAILING), ("Geocoded (G)", GEOCODED)]
    assert found[0].columns == {"street": "PHSTREET", "city": "PHCITY", "state": "PHSTATE",
                                "postal_code": "PHZIP"}


@pytest.mark.parametrize("headers, expected", [
    (["Mailing Address", "Mailing City", "Mailing State", "Mailing Zip", "Physical Address",
      "Physical City", "Physical State", "Physical Zip"],
     [("Physical", SERVICE, "Physical Address"), ("Mailing", MAILING, "Mailing Address")]),
    (["Billing Street", "Billing City", "Billing ZIP", "Service Address", "Service Suite",
      "Service City", "Service State", "Service ZIP Code", "Service ZIP4"],
     [("Service", SERVICE, "Service Address"), ("Billing", MAILING, "Billing Street")]),
    (["Address", "City", "State", "ZIP", "Site Address", "Site City", "Site State", "Site Zip"],
     [("Site", SERVICE, "Site Address"), ("Address", PLAIN, "Address")]),
    (["Street", "City", "Zip", "Street (2)", "City (2)", "Zip (2)"],
     [("Address", PLAIN, "Street"), ("2", PLAIN, "Street (2)")]),
    (["Address (Location)", "City (Location)", "Zip (Location)", "Address", "City", "Zip"],
     [("Location", SERVICE, "Address (Location)"), ("Address", PLAIN, "Address")]),
])
def test_word_families_are_sets(headers, expected):
    assert [(s.name, s.kind, s.columns["street"]) for s in sets_of(headers)] == expected


def test_service_set_keeps_its_unit_and_zip4():
    found = sets_of(["Billing Street", "Billing City", "Billing ZIP", "Service Address",
                     "Service Suite", "Service City", "Service State", "Service ZIP Code",
                     "Service ZIP4"])
    assert found[0].columns == {"street": "Service Address", "unit": "Service Suite",
                                "city": "Service City", "state": "Service State",
                                "postal_code": "Service ZIP Code", "zip4": "Service ZIP4"}


@pytest.mark.parametrize("headers", [
    ["Address", "Address 2", "City", "State", "ZIP", "ZIP4"],    # one set, with its unit
    ["Address", "City", "State", "ZIP", "Email Address", "STATADDR"],  # no city beside them
    ["STABR", "ADDRESS", "CITY", "ZIP", "ZIP4", "STATSTRU", "STATNAME", "STATADDR"],  # IMLS
])
def test_one_family_is_no_choice(headers):
    assert len(sets_of(headers)) <= 1


def test_a_wordless_family_of_po_boxes_is_a_mailing_one():
    headers = ["Street", "City", "Zip", "Street (2)", "City (2)", "Zip (2)"]
    rows = [[f"PO Box {k}", "Austin", "78701", f"{k} Main St", "Austin", "78701"] for k in range(5)]
    assert [(s.name, s.kind) for s in sets_of(headers, rows)] == [("2", PLAIN), ("Mailing", MAILING)]


def test_rep_order_by_name_prefix_or_kind():
    found = sets_of(THREE.strip().split(","))
    assert [s.name for s in ordered(found, ["geocoded", "ad"])] == [
        "Geocoded (G)", "Mailing (AD)", "Physical (PH)"]
    with pytest.raises(KeyError):
        ordered(found, ["billing address"])


# --- the choice per row, on whole files ---------------------------------------------------------

TWO = ("Name,Mailing Address,Mailing City,Mailing State,Mailing Zip,"
       "Physical Address,Physical City,Physical State,Physical Zip\n")


def test_physical_street_is_quoted_and_mailing_is_the_fallback(tmp_path):
    text = TWO + (
        "Both,PO Box 9,Austin,TX,78701,600 Congress Ave,Austin,TX,78701\n"   # physical
        "Office elsewhere,100 Main St,Dallas,TX,75201,5 Oak St,Austin,TX,78702\n"  # physical
        "No physical,12 Elm St,Austin,TX,78703,,,,\n"                       # mailing
        "Physical box,14 Pine St,Austin,TX,78704,PO Box 4,Austin,TX,78704\n"  # mailing
        "Boxes only,PO Box 5,Austin,TX,78705,PO Box 6,Austin,TX,78705\n"    # invalid
        "Nothing,,,,,,,,\n")
    result = import_file(csv_file(tmp_path, text))
    streets = [result.row(i).location["street"] for i in range(6)]
    used = [result.address_set_at(i) for i in range(6)]
    assert streets == ["600 Congress Ave", "5 Oak St", "12 Elm St", "14 Pine St", "PO Box 6", ""]
    assert used == ["Physical", "Physical", "Mailing", "Mailing", "Physical", "Physical"]
    assert [result.status_at(i) for i in range(6)] == [RowStatus.VALID] * 4 + [RowStatus.INVALID] * 2
    # Never parts of two sets: the office's city (Dallas) stays with the office.
    office = result.row(1)
    assert office.location == {"street": "5 Oak St", "unit": "", "city": "Austin", "state": "TX",
                               "postal_code": "78702"} and office.address_set == "Physical"
    assert result.counts_by_set() == {"Physical": 4, "Mailing": 2}
    assert result.mapping["street"] == "Physical Address"
    assert result.invalid_columns_at(4) == {"Physical Address"}
    assert result.row(0).customer == {"company": "Both"}


def test_three_sets_geocoded_fills_a_missing_zip_only_for_the_same_street(tmp_path):
    text = THREE + (
        "A,PO Box 1,Austin,TX,78701,111 East Wacker Drive,Chicago,IL,,111 E. WACKER DR.,CHICAGO,IL,60601\n"
        "B,PO Box 2,Austin,TX,78701,1 Main St,Chicago,IL,,9 OTHER ST,CHICAGO,IL,60602\n"
        "C,PO Box 3,Austin,TX,78701,,,,,77 W WACKER DR,CHICAGO,IL,60601\n")
    result = import_file(csv_file(tmp_path, text))
    first, second, third = (result.row(i) for i in range(3))
    assert first.status is RowStatus.REPAIRED and first.location["postal_code"] == "60601"
    assert first.location["street"] == "111 East Wacker Drive"  # sent as the rep wrote it
    assert first.address_set == "Physical (PH)"
    assert "ZIP 60601 taken from the Geocoded (G) address (GZIP)" in first.problems[0].message
    assert second.status is RowStatus.INVALID and second.location["postal_code"] == ""
    assert second.problems[0].message.startswith("ZIP is missing (Chicago, IL has")
    # Physical blank, mailing a PO box: the geocoded copy as a last resort.
    assert third.address_set == "Geocoded (G)" and third.location["street"] == "77 W WACKER DR"
    assert third.status is RowStatus.VALID


def test_pinned_and_reordered_sets(tmp_path):
    text = TWO + "Both,12 Elm St,Austin,TX,78703,600 Congress Ave,Austin,TX,78701\n"
    path = csv_file(tmp_path, text)
    pinned = import_file(path, pin_set="mailing")
    assert pinned.row(0).location["street"] == "12 Elm St" and pinned.pinned_set == "Mailing"
    assert pinned.mapping["street"] == "Mailing Address"
    reordered = import_file(path).with_set_order(["Mailing"])
    assert reordered.row(0).address_set == "Mailing"
    assert [s.name for s in reordered.address_sets] == ["Mailing", "Physical"]
    back = reordered.with_set_order(None, pinned="physical")
    assert back.row(0).location["street"] == "600 Congress Ave"
    with pytest.raises(SpreadsheetError, match=r"has no address set 'Shipping' \(address sets: "
                       r"Physical, Mailing\)"):
        import_file(path, set_order=["Shipping"])


def test_editing_a_cell_chooses_the_set_again(tmp_path):
    text = TWO + "A,12 Elm St,Austin,TX,78703,600 Congress Ave,Austin,TX,78701\n"
    result = import_file(csv_file(tmp_path, text))
    assert result.address_set_at(0) == "Physical"
    result.set_cell(0, "Physical Address", "PO Box 7")
    assert result.address_set_at(0) == "Mailing" and result.row(0).location["street"] == "12 Elm St"
    assert result.with_mapping(dict(result.mapping)).address_sets  # the same mapping keeps sets


def test_one_set_files_are_as_before(tmp_path):
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP\n1 Main St,Austin,TX,78701\n"))
    assert result.address_sets == [] and result.address_set_at(0) == ""
    assert result.counts_by_set() == {} and "address_sets" not in result.summary_json()


def test_check_rows_writes_what_would_be_sent(tmp_path, capsys):
    text = TWO + (
        "Both,PO Box 9,Austin,TX,78701,600 Congress Ave,Austin,TX,78701\n"
        "No physical,12 Elm St,Austin,TX,78703,,,,\n"
        "Wrong state,1 Elm St,Hoboken,NJ,10001,,,,\n"
        'Formula,"=cmd|calc",Austin,TX,78701,,,,\n')
    out = tmp_path / "rows.csv"
    assert cli.main(["check", str(csv_file(tmp_path, text)), "--rows", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "address sets, in the order tried" in printed and "rows written to" in printed
    assert "     1  Physical (Physical Address, Physical City, Physical State, Physical Zip)" in printed
    lines = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert lines[0] == ["Row", "Status", "Reason", "Street", "Unit", "City", "State", "ZIP",
                        "Address set"]
    assert lines[1] == ["2", "valid", "", "600 Congress Ave", "", "Austin", "TX", "78701", "Physical"]
    assert lines[2] == ["3", "valid", "", "12 Elm St", "", "Austin", "TX", "78703", "Mailing"]
    assert lines[3] == ["4", "invalid", "ZIP 10001 is in NY, the row says NJ", "1 Elm St", "",
                        "Hoboken", "NJ", "10001", "Mailing"]
    assert lines[4][1] == "invalid" and lines[4][3] == "'=cmd|calc"  # never evaluated
    assert len(lines) == 5


def test_a_sheet_with_one_set_names_it_as_the_window_does(tmp_path):
    # Issue 15, words: the cleaned file said "Street Address" (the rep's column) where the
    # window says "Address".
    from bulkquote_gui.core.output.cleaned_rows import cleaned_records
    from bulkquote_gui.core.intake.importer import import_file

    sheet = tmp_path / "one.csv"
    sheet.write_text("Site,Street Address,City,State,ZIP\nA,600 Congress Ave,Austin,TX,78701\n",
                     encoding="utf-8")
    header, first = list(cleaned_records(import_file(sheet)))
    assert header[-1] == "Address set" and first[-1] == "Address"


def test_check_json_lists_the_sets(tmp_path, capsys):
    import json

    text = TWO + "Both,PO Box 9,Austin,TX,78701,600 Congress Ave,Austin,TX,78701\n"
    assert cli.main(["check", str(csv_file(tmp_path, text)), "--json", "--pin-set", "physical"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["rows"], s["pinned"]) for s in summary["address_sets"]] == [
        ("Physical", 1, True), ("Mailing", 0, False)]


def test_choosing_a_set_by_its_columns_puts_it_first(tmp_path):
    """How the mapping panel's "Try first" reorders: the address fields mapped to one set's
    columns put that set first; mapped to other columns, the sets are off."""
    text = TWO + "A,12 Elm St,Austin,TX,78703,600 Congress Ave,Austin,TX,78701\n"
    result = import_file(csv_file(tmp_path, text))
    mailing = {"street": "Mailing Address", "city": "Mailing City", "state": "Mailing State",
               "postal_code": "Mailing Zip", "company": "Name"}
    first = result.with_mapping(mailing)
    assert [s.name for s in first.address_sets] == ["Mailing", "Physical"]
    assert first.row(0).location["street"] == "12 Elm St"
    by_hand = result.with_mapping({**mailing, "city": "Physical City"})
    assert by_hand.address_sets == [] and by_hand.row(0).location["city"] == "Austin"


GREEN_BOOK = ("Name,Address,City,State,Type,cen_address,cen_zip,cen_lat,cen_lon\n"
              "Hotel Theresa,2090 Seventh Ave,New York,NY,hotel,2090 7TH AVE,10027,40.8,-73.9\n"
              "Dunbar,4225 S Central Ave,Los Angeles,CA,hotel,4225 S CENTRAL AVE,90011,34.0,-118.2\n"
              "Elsewhere,15 Main St,Boston,MA,hotel,99 OTHER ST,02108,42.3,-71.0\n")


def test_a_census_geocoders_zip_fills_a_sheet_that_has_no_zip(tmp_path):
    """Issue 15 #9: the Green Book carries the geocoder's ZIP in cen_zip and no ZIP of its own;
    a row takes it, said so, where the geocoder's street is the row's (7TH is Seventh)."""
    result = import_file(csv_file(tmp_path, GREEN_BOOK))
    theresa, dunbar, elsewhere = (result.row(i) for i in range(3))
    assert theresa.status is RowStatus.REPAIRED and theresa.location["postal_code"] == "10027"
    assert theresa.location["street"] == "2090 Seventh Ave"  # sent as the rep wrote it
    assert "ZIP 10027 taken from the Geocoded (CEN) address (cen_zip)" in \
        theresa.problems[0].message
    assert dunbar.location["postal_code"] == "90011"
    # Another building's ZIP is never borrowed.
    assert elsewhere.status is RowStatus.INVALID and elsewhere.location["postal_code"] == ""


@pytest.mark.parametrize("street, says", [
    ("none_given", "street 'none_given' has no house number"),
    ("Jackson St.", "street 'Jackson St.' has no house number"),
    ("Caanen Section", "street 'Caanen Section' has no house number"),
    ("FIRST AND A STREETS", "street 'FIRST AND A STREETS' names a corner, not a building"),
])
def test_a_street_without_a_house_number_is_refused_with_that_reason(tmp_path, street, says):
    """Issue 15 #9: such rows were counted quotable and sent."""
    text = ("Name,Address,City,State,ZIP\n"
            f"A,{street},Chicago,IL,60601\n"
            "B,One Meadowlands Plaza,East Rutherford,NJ,07073\n"
            "C,Highway 9,Freehold,NJ,07728\n")
    result = import_file(csv_file(tmp_path, text))
    refused, in_words, road = (result.row(i) for i in range(3))
    assert refused.status is RowStatus.INVALID
    assert [p.message for p in refused.problems if p.field == "street"][0].startswith(says)
    assert result.invalid_by_reason() == {"no house number": 1}
    assert in_words.status is RowStatus.VALID and road.status is RowStatus.VALID


def test_ordinal_words_and_numbers_are_one_street():
    assert usps.street_key("2090 Seventh Ave") == usps.street_key("2090 7TH AVE")


def test_a_lone_geocoder_zip_column_fills_the_rows_without_a_zip(tmp_path):
    """Issue 15 #9: a sheet's own ZIP column is blank on some rows and a geocoder's ZIP column
    (cen_zip, no street of its own, so no address set) has them: used there, said so."""
    text = ("Name,Address,City,State,Zip,cen_zip,cen_lat,cen_lon\n"
            "Theresa,2090 Seventh Ave,New York,NY,,10027,40.8,-73.9\n"
            "Dunbar,4225 S Central Ave,Los Angeles,CA,90011,90099,34.0,-118.2\n"
            "Nowhere,15 Main St,Boston,MA,,,42.3,-71.0\n")
    result = import_file(csv_file(tmp_path, text))
    assert result.mapping["postal_code"] == "Zip" and result.address_sets == []
    theresa, dunbar, nowhere = (result.row(i) for i in range(3))
    assert theresa.status is RowStatus.REPAIRED and theresa.location["postal_code"] == "10027"
    assert "ZIP 10027 taken from cen_zip" in theresa.problems[0].message
    assert dunbar.status is RowStatus.VALID and dunbar.location["postal_code"] == "90011"  # its own
    assert nowhere.status is RowStatus.INVALID
    assert result.invalid_columns_at(2) == {"Zip"}   # the rep's own column is the one to fix
