"""Publication 28 forms: one site however its street is spelled; units at the end of a street."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.intake import usps
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.intake.rows import RowStatus


@pytest.mark.parametrize("a, b", [
    ("111 E. Wacker Dr.", "111 East Wacker Drive"),
    ("600 Congress Avenue", "600 CONGRESS AVE"),
    ("1 Northwest Pkwy", "1 NW PARKWAY"),
    ("12 Main Street", "12 main st."),
    ("5 Ross Clark Circle", "5 Ross Clark Cir"),
])
def test_spellings_of_one_street_share_a_key(a, b):
    assert usps.street_key(a) == usps.street_key(b)


def test_different_streets_keep_different_keys():
    assert usps.street_key("111 E Wacker Dr") != usps.street_key("111 W Wacker Dr")
    assert usps.street_key("12 Main St") != usps.street_key("12 Main Ave")


@pytest.mark.parametrize("a, b", [("Suite 820", "STE. 820"), ("#820", "Ste 820"),
                                  ("APARTMENT 5", "Apt 5"), ("33rd Floor", "FL 33"),
                                  ("Floor 3", "3RD FL")])
def test_spellings_of_one_unit_share_a_key(a, b):
    assert usps.unit_key(a) == usps.unit_key(b)


def test_floor_and_building_are_not_the_same_unit():
    assert usps.unit_key("FL 3") != usps.unit_key("BLDG 3")


@pytest.mark.parametrize("street, expected", [
    ("12 Oak St APARTMENT 5", ("12 Oak St", "APARTMENT 5")),
    ("3 Park Avenue, 33rd Floor", ("3 Park Avenue", "33rd Floor")),
    ("233 S Wacker Dr Floor 33", ("233 S Wacker Dr", "Floor 33")),
    ("9 Elm St, Room 4", ("9 Elm St", "Room 4")),
    ("1 Harbor Way BLDG C", ("1 Harbor Way", "BLDG C")),
    ("40 Mill Rd, REAR", ("40 Mill Rd", "REAR")),
    ("12001 BUSINESS BOULEVARD #176", ("12001 BUSINESS BOULEVARD", "#176")),
    ("8 Front St", ("8 Front St", "")),           # a street named Front
    ("100 Rear Admiral Rd", ("100 Rear Admiral Rd", "")),
    ("# 12", ("# 12", "")),                      # no street left
])
def test_trailing_units_leave_the_street(street, expected):
    assert usps.split_trailing_unit(street) == expected


def test_a_moved_unit_is_noted_and_duplicates_see_one_site(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Address,City,State,ZIP\n"
                    "111 E. Wacker Dr. APARTMENT 5,Chicago,IL,60601\n"
                    "111 East Wacker Drive Apt 5,Chicago,IL,60601\n"
                    "111 East Wacker Drive,Chicago,IL,60601\n", encoding="utf-8")
    result = import_file(path)
    first = result.row(0)
    assert first.location["street"] == "111 E. Wacker Dr." and first.location["unit"] == "APARTMENT 5"
    assert first.status is RowStatus.VALID
    assert [p.message for p in first.problems] == ["unit 'APARTMENT 5' moved out of the street"]
    assert result.status_at(1) is RowStatus.DUPLICATE
    assert result.status_at(2) is RowStatus.VALID  # no unit: another site in the building


def test_one_line_company_names_are_not_addresses(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text('"Riordan Fulkerson Hupert & Coleman, Chicago, IL 60602"\n'
                    '"221 N LaSalle St., Ste. 820, Chicago, IL 60601"\n"TBD"\n'
                    '"5th Floor , Atlanta, GA 30339"\n', encoding="utf-8")
    result = import_file(path)
    reasons = [[p.message for p in result.problems_at(i)] for i in range(4)]
    assert reasons[0] == ["'Riordan Fulkerson Hupert & Coleman, Chicago, IL 60602' is not an "
                          "address (a name or a note: no house number or street)"]
    assert result.status_at(1) is RowStatus.VALID
    assert reasons[2][0].startswith("'TBD' is not an address")
    assert "could not be read as a US street address" in reasons[3][0]
    reasons = result.invalid_by_reason()
    assert reasons["not an address"] == 2 and reasons["address unreadable"] == 1
