"""Address rules: states, ZIPs and their repair, PO box / c/o / non-US, one-line parsing."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.intake import addresses as addr


def test_map_distinct_runs_the_rule_once_per_distinct_value():
    calls: list[str] = []
    out = addr.map_distinct(["a", "b", "a", "a"], lambda v: calls.append(v) or v.upper())
    assert out == ["A", "B", "A", "A"] and calls == ["a", "b"]


def test_clean_text_trims_collapses_and_blanks_excel_errors():
    out = addr.clean_text(["  1  Main\tSt ", "#N/A", "#VALUE!", None, "#5 Rear", "1\xa0Main\nSt",
                           '="02134"'])
    assert out == ["1 Main St", "", "", "", "#5 Rear", "1 Main St", "02134"]
    assert addr.clean_text(["02134", '="02134"']) == ["02134", "02134"]
    assert addr.clean_text(["1 Main St", "2 Oak"]) == ["1 Main St", "2 Oak"]


@pytest.mark.parametrize("column", [
    ["1 Main St", "", "2 Oak"], ["1 Main St", "2  Oak"], ["1 Main St", " 2 Oak"], ["1 Main St ", "x"],
    ["a", "#N/A"], ["#REF!", "a"], ["a", '="02134"'], ["a\tb", "c"], ["a\x7fb", "c"], ["a\x00b", "c"],
    ["a", "b\n"], ["", ""], ["# 5", "#"], ['=1', '"x"'], ["Zürich  ", "a"], []])
def test_clean_text_whole_column_check_agrees_with_cleaning_each_cell(column):
    # The fast path checks a whole (ASCII) column at once; it must find every cell clean_one
    # would change, and change nothing else.
    assert addr.clean_text(column) == [addr.clean_one(v) for v in column]


@pytest.mark.parametrize("raw, code", [
    ("TX", "TX"), ("tx", "TX"), ("Alabama", "AL"), ("NEW YORK", "NY"), ("Puerto Rico", "PR"),
    ("GU", "GU"), ("VI", "VI"), ("U.S. Virgin Islands", "VI"), ("D.C.", "DC"),
    ("District of Columbia", "DC"), ("AE", "AE"), ("New  Mexico", "NM"),
])
def test_states_by_code_and_name_including_territories(raw, code):
    assert addr.state_code(raw) == (code, "")


@pytest.mark.parametrize("raw, why", [("XX", "unknown"), ("Ontario", "foreign"), ("BC", "foreign"),
                                      ("", "missing")])
def test_unknown_state_and_canadian_province_are_told_apart(raw, why):
    assert addr.state_code(raw) == ("", why)


@pytest.mark.parametrize("raw, postal", [
    ("78701", "78701"), ("787011234", "78701-1234"), ("78701-1234", "78701-1234"),
    ("78701 1234", "78701-1234"), ("78701.0", "78701"),
])
def test_good_zips_pass_and_nine_digits_get_a_dash(raw, postal):
    assert addr.check_zip(raw, "TX") == addr.ZipResult(postal_code=postal)


@pytest.mark.parametrize("raw, state, postal", [
    ("8540", "NJ", "08540"), ("2134.0", "MA", "02134"), ("913", "PR", "00913"),
    ("6061-1234", "CT", "06061-1234"), ("501", "NY", "00501"), ("9012", "AE", "09012"),
])
def test_lost_leading_zero_is_repaired_where_the_state_starts_with_zero(raw, state, postal):
    result = addr.check_zip(raw, state)
    assert result == addr.ZipResult(postal_code=postal, repaired=True,
                                    note=f"ZIP {raw} repaired to {postal}")


def test_short_zip_outside_zero_states_or_wrong_prefix_is_invalid():
    assert addr.check_zip("6061", "IL").error == "ZIP 6061 is too short for IL (its ZIPs do not start with 0)"
    assert addr.check_zip("8540", "MA").error  # MA is 010-027 (and 055), not 085
    assert addr.check_zip("1234", "NJ").error  # NJ is 070-089
    assert addr.check_zip("1234", "").error == "ZIP 1234 is too short for this state (its ZIPs do not start with 0)"


@pytest.mark.parametrize("raw", ["ABCDE", "123456", "12345-67", "K1A 0B1", "1"])
def test_anything_else_is_an_invalid_zip_with_the_reason(raw):
    assert addr.check_zip(raw, "TX") == addr.ZipResult(
        error=f"ZIP {raw} is not a US ZIP code (12345 or 12345-6789)")


def test_missing_zip_is_reported():
    assert addr.check_zip("", "TX").error == "ZIP is missing"


@pytest.mark.parametrize("raw, state, plus4, postal, repaired", [
    ("99577", "AK", "7743", "99577-7743", False), ("99556", "AK", "M", "99556", False),
    ("02134", "MA", "12", "02134-0012", True), ("78701-1111", "TX", "2222", "78701-1111", False),
    ("78701", "TX", "", "78701", False), ("78701", "TX", "7743.0", "78701-7743", False),
])
def test_zip4_column_is_joined_and_M_is_missing(raw, state, plus4, postal, repaired):
    result = addr.check_zip(raw, state, plus4)
    assert (result.postal_code, result.repaired, result.error) == (postal, repaired, "")


@pytest.mark.parametrize("street, box", [
    ("PO BOX 12", True), ("P.O. Box 5", True), ("P O BOX 1270", True), ("POST OFFICE BOX 9", True),
    ("BOX 380", True), ("POB 299", True), ("1 BOX ELDER RD", False), ("100 POBOY LN", False),
    ("600 Congress Ave", False),
    # Issue 15 #10: forms that got through, and the forms that must stay streets.
    ("STE BOX 238", True), ("SUITE # BOX 12", True), ("RR 2 BOX 15", False),
    ("HC 65 BOX 100", False), ("100 Box Canyon Rd", False),
])
def test_po_box_detection(street, box):
    assert addr.is_po_box(street) is box


@pytest.mark.parametrize("street, rest, box", [
    ("401 VANITY FAIR LANE, PO BOX 618", "401 VANITY FAIR LANE", "PO BOX 618"),
    ("P O BOX 1990, 10 EAST 31ST ST", "10 EAST 31ST ST", "P O BOX 1990"),
    ("1105 EARL FRYE BLVD / PO BOX 459", "1105 EARL FRYE BLVD", "PO BOX 459"),
    ("9421 EAST SIDE DRIVE EXTENSION, POB 299", "9421 EAST SIDE DRIVE EXTENSION", "POB 299"),
    ("PO BOX 774,", "PO BOX 774,", ""), ("12 Oak St", "12 Oak St", ""),
    # Issue 15 #10: a box in brackets, a bare "BOX n" after the street, and what must not split.
    ("1000 GREG KRUSCHEK AVENUE (P O BOX 966)", "1000 GREG KRUSCHEK AVENUE", "P O BOX 966"),
    ("2016 SOUTH ALABAMA AVENUE, BOX 886", "2016 SOUTH ALABAMA AVENUE", "BOX 886"),
    ("5555 GROSSMONT CENTER DRIVE BOX 58", "5555 GROSSMONT CENTER DRIVE", "BOX 58"),
    ("BOX 5, 100 MAIN ST", "100 MAIN ST", "BOX 5"),
    ("P O BOX 130", "P O BOX 130", ""), ("STE BOX 238", "STE BOX 238", ""),
    ("RR 2 BOX 15", "RR 2 BOX 15", ""), ("100 Box Elder Rd", "100 Box Elder Rd", ""),
])
def test_po_box_beside_a_street_is_split_off(street, rest, box):
    assert addr.strip_po_box(street) == (rest, box)


@pytest.mark.parametrize("text, care_of", [
    ("c/o Acme, 1 Main St", True), ("C/O 200 HOLLY DELL DRIVE", True), ("Care of Ann", True),
    ("1 MAIN ST, C/O HOPI EDUCATION DEPT", True), ("LAC/OLIVE VIEW", False), ("1 Main St", False),
])
def test_care_of_detection_ignores_words_that_merely_contain_c_o(text, care_of):
    assert addr.is_care_of(text) is care_of


@pytest.mark.parametrize("text, foreign", [
    ("17 Rue Soyer, Neuilly, France", True), ("1 Main, Dorval, Quebec H9P2S4", True),
    ("1 Main St, Santa Fe, New Mexico 87501", False), ("1 Main St, Austin, TX 78701", False),
])
def test_foreign_country_in_a_one_line_address(text, foreign):
    assert addr.looks_foreign(text) is foreign


@pytest.mark.parametrize("street, rest, unit", [
    ("1251 MULDOON ROAD, SUITE 158", "1251 MULDOON ROAD", "SUITE 158"),
    ("12001 BUSINESS BOULEVARD #176", "12001 BUSINESS BOULEVARD", "#176"),
    ("55 E Monroe - 37th Floor", "55 E Monroe", "37th Floor"),
    ("MILE 186 GLENN HIGHWAY", "MILE 186 GLENN HIGHWAY", ""),
])
def test_trailing_unit_moves_out_of_the_street(street, rest, unit):
    assert addr.split_trailing_unit(street) == (rest, unit)


def test_check_street_combines_the_rules_and_skips_plain_streets():
    assert addr.check_street("600 Congress Ave") == addr.StreetCheck("600 Congress Ave",
                                                                     without_box="600 Congress Ave")
    check = addr.check_street("401 VANITY FAIR LANE STE 2, PO BOX 618")
    assert (check.street, check.unit, check.box, check.po_box) == (
        "401 VANITY FAIR LANE", "STE 2", "PO BOX 618", False)
    assert addr.check_street("PO BOX 43").po_box
    assert set(addr.check_streets(["1 Main St", "PO BOX 1", "PO BOX 1"])) == {"PO BOX 1"}
    found = addr.check_streets(["9 ELM ST, POB 299", "P.O.B. 12", "PO #4", "C\\O ANN, 1 MAIN",
                                "1 MAIN ST, 33RD FLOOR", "STEVENS ST"])
    assert found["9 ELM ST, POB 299"].box == "POB 299"
    assert found["P.O.B. 12"].po_box and found["PO #4"].po_box
    assert found["C\\O ANN, 1 MAIN"].care_of
    assert found["1 MAIN ST, 33RD FLOOR"].unit == "33RD FLOOR"
    assert "STEVENS ST" not in found  # "STE" inside a word is no suite
    by_row = addr.check_street_rows(["1 Main St", "PO BOX 1", "", "STEVENS ST", "PO BOX 1",
                                     "9 Elm St Suite 4"])
    assert sorted(by_row) == [1, 4, 5] and by_row[4].po_box and by_row[5].unit == "Suite 4"


STREETS = ["9 ELM ST, POB 299", "P.O.B. 12", "PO #4", "C\\O ANN, 1 MAIN", "1 MAIN ST, 33RD FLOOR",
           "STEVENS ST", "1 Drake Rd", "2 Carlton Ave Fl 3", "5 Unity Pl Unit 7", "7 SUITE RD",
           "8 Oak St Ste. 4", "Box 12", "10 Fl", "drawer 5", "ap", "#", "x#1", "9 care of ann", ""]


@pytest.mark.parametrize("extra", ["1 Main St", "1 Rue Pâquerette #2"])  # ASCII column, or not
def test_check_street_rows_agrees_with_checking_each_street(extra):
    column = STREETS + [extra]
    expected = {i: addr.check_street(s) for i, s in enumerate(column)}
    expected = {i: c for i, c in expected.items() if c != addr.StreetCheck(column[i], without_box=column[i])}
    assert addr.check_street_rows(column) == expected


def test_duplicate_keys_ignore_case_punctuation_and_abbreviations():
    a = [addr.duplicate_key_part(t) for t in ("2801 Atlantic Avenue", "2801 ATLANTIC AVE.",
                                              "2801 N Atlantic Ave")]
    assert a[0] == a[1] != a[2]
    assert len({addr.unit_key(u) for u in ("Ste. 820", "Suite 820", "#820", "820")}) == 1


def test_one_line_address_is_parsed_into_parts():
    p = addr.parse_one_line("221 N LaSalle St., Ste. 820, Chicago, IL 60601")
    assert (p.street, p.unit, p.city, p.state, p.postal_code) == (
        "221 N LaSalle St.", "Ste. 820", "Chicago", "IL", "60601")
    p = addr.parse_one_line("One Meadowlands Plaza, #902, E. Rutherford, NJ 7073")
    assert (p.street, p.unit, p.city, p.state, p.postal_code) == (
        "One Meadowlands Plaza", "#902", "E. Rutherford", "NJ", "7073")
    assert addr.parse_one_line("c/o John, 100 Main St, Austin, TX 78701").recipient.startswith("c/o")
    assert addr.parse_one_line("   ") == addr.ParsedAddress()


@pytest.mark.parametrize("text, us", [
    ("", True), ("US", True), ("U.S.A.", True), ("United States", True), ("Puerto Rico", True),
    ("PR", True), ("Canada", False), ("CA", False), ("Mexico", False), ("UK", False),
])
def test_country_cells_that_mean_the_us(text, us):
    assert addr.is_us_country(text) is us


@pytest.mark.parametrize("street, rest, unit, po_box", [
    ("12 main st suite 4", "12 main st", "suite 4", False), ("p.o. box 12", "p.o. box 12", "", True),
    ("1 Müllerstraße Ste 4", "1 Müllerstraße", "Ste 4", False), ("Po Box 9 Añasco", "Po Box 9 Añasco", "", True),
    ("1 westend ave", "1 westend ave", "", False), ("1 Wéstend Ave", "1 Wéstend Ave", "", False)])
def test_street_rules_ignore_case_in_ascii_and_other_text(street, rest, unit, po_box):
    check = addr.check_street(street)
    assert (check.street, check.unit, check.po_box) == (rest, unit, po_box)


def test_a_box_written_before_a_trailing_unit_is_taken_out_too():
    check = addr.check_street("500 Main St, Box 3, Suite 2")
    assert (check.street, check.box, check.unit) == ("500 Main St", "Box 3", "Suite 2")
