"""Address rules, one Series at a time: states, ZIPs and their repair, PO box / c/o / non-US."""

from __future__ import annotations

import pandas as pd
import pytest

from bulkquote_gui.core import addresses as addr


def s(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def test_clean_text_trims_collapses_and_blanks_excel_errors():
    out = addr.clean_text(pd.Series(["  1  Main\tSt ", "#N/A", "#VALUE!", None, "#5 Rear"]))
    assert out.tolist() == ["1 Main St", "", "", "", "#5 Rear"]


@pytest.mark.parametrize("raw, code", [
    ("TX", "TX"), ("tx", "TX"), ("Alabama", "AL"), ("NEW YORK", "NY"), ("Puerto Rico", "PR"),
    ("GU", "GU"), ("VI", "VI"), ("U.S. Virgin Islands", "VI"), ("D.C.", "DC"),
    ("District of Columbia", "DC"), ("AE", "AE"),
])
def test_states_by_code_and_name_including_territories(raw, code):
    check = addr.normalise_states(s(raw))
    assert check.code.tolist() == [code]
    assert not check.unknown.any()


def test_unknown_state_and_canadian_province_are_told_apart():
    check = addr.normalise_states(s("XX", "Ontario", "BC", ""))
    assert check.unknown.tolist() == [True, True, True, False]
    assert check.foreign.tolist() == [False, True, True, False]


def zips(values, states, zip4=None):
    z4 = None if zip4 is None else s(*zip4)
    return addr.normalise_zips(s(*values), z4, s(*states))


def test_good_zips_pass_and_nine_digits_get_a_dash():
    out = zips(["78701", "787011234", "78701-1234", "78701 1234"], ["TX"] * 4)
    assert out.postal_code.tolist() == ["78701", "78701-1234", "78701-1234", "78701-1234"]
    assert not out.repaired.any() and (out.error == "").all()


def test_lost_leading_zero_is_repaired_where_the_state_starts_with_zero():
    out = zips(["8540", "2134.0", "913", "6061-1234"], ["NJ", "MA", "PR", "CT"])
    assert out.postal_code.tolist() == ["08540", "02134", "00913", "06061-1234"]
    assert out.repaired.all()
    assert out.note.tolist()[0] == "ZIP 8540 repaired to 08540"
    assert out.note.tolist()[1] == "ZIP 2134.0 repaired to 02134"


def test_short_zip_outside_zero_states_or_wrong_prefix_is_invalid():
    out = zips(["6061", "8540", "1234"], ["IL", "MA", "NJ"])  # MA is 010-027, NJ 070-089
    assert out.postal_code.tolist() == ["", "", ""]
    assert not out.repaired.any()
    assert out.error.tolist()[0] == "ZIP 6061 is too short for IL (its ZIPs do not start with 0)"
    assert (out.error != "").all()


@pytest.mark.parametrize("raw", ["ABCDE", "123456", "12345-67", "K1A 0B1", "1"])
def test_anything_else_is_an_invalid_zip_with_the_reason(raw):
    out = zips([raw], ["TX"])
    assert out.error.tolist() == [f"ZIP {raw} is not a US ZIP code (12345 or 12345-6789)"]


def test_missing_zip_is_reported():
    assert zips([""], ["TX"]).error.tolist() == ["ZIP is missing"]


def test_zip4_column_is_joined_and_M_is_missing():
    out = zips(["99577", "99556", "02134", "78701-1111", "78701"], ["AK", "AK", "MA", "TX", "TX"],
               zip4=["7743", "M", "12", "2222", ""])
    assert out.postal_code.tolist() == ["99577-7743", "99556", "02134-0012", "78701-1111", "78701"]
    assert out.repaired.tolist() == [False, False, True, False, False]


@pytest.mark.parametrize("street, box", [
    ("PO BOX 12", True), ("P.O. Box 5", True), ("P O BOX 1270", True), ("POST OFFICE BOX 9", True),
    ("BOX 380", True), ("POB 299", True), ("1 BOX ELDER RD", False), ("100 POBOY LN", False),
    ("600 Congress Ave", False),
])
def test_po_box_detection(street, box):
    assert addr.is_po_box(s(street)).tolist() == [box]


def test_po_box_beside_a_street_is_split_off():
    rest, box = addr.strip_po_box(s("401 VANITY FAIR LANE, PO BOX 618", "P O BOX 1990, 10 EAST 31ST ST",
                                    "1105 EARL FRYE BLVD / PO BOX 459", "PO BOX 774,", "12 Oak St"))
    assert rest.tolist() == ["401 VANITY FAIR LANE", "10 EAST 31ST ST", "1105 EARL FRYE BLVD",
                             "PO BOX 774,", "12 Oak St"]
    assert box.tolist() == ["PO BOX 618", "P O BOX 1990", "PO BOX 459", "", ""]


def test_care_of_detection_ignores_words_that_merely_contain_c_o():
    assert addr.is_care_of(s("c/o Acme, 1 Main St", "C/O 200 HOLLY DELL DRIVE", "Care of Ann",
                             "LAC/OLIVE VIEW", "1 Main St")).tolist() == [True, True, True, False, False]


def test_foreign_country_in_a_one_line_address():
    assert addr.looks_foreign(s("17 Rue Soyer, Neuilly, France", "1 Main, Dorval, Quebec H9P2S4",
                                "1 Main St, Santa Fe, New Mexico 87501")).tolist() == [
        True, True, False]


def test_trailing_unit_moves_out_of_the_street():
    street, unit = addr.split_trailing_unit(s("1251 MULDOON ROAD, SUITE 158",
                                              "12001 BUSINESS BOULEVARD #176",
                                              "MILE 186 GLENN HIGHWAY"))
    assert street.tolist() == ["1251 MULDOON ROAD", "12001 BUSINESS BOULEVARD", "MILE 186 GLENN HIGHWAY"]
    assert unit.tolist() == ["SUITE 158", "#176", ""]


def test_duplicate_keys_ignore_case_punctuation_and_abbreviations():
    a = addr.duplicate_key_part(s("2801 Atlantic Avenue", "2801 ATLANTIC AVE.", "2801 N Atlantic Ave"))
    assert a[0] == a[1] != a[2]
    u = addr.unit_key(s("Ste. 820", "Suite 820", "#820", "820"))
    assert len(set(u)) == 1


def test_one_line_address_is_parsed_into_parts():
    p = addr.parse_one_line("221 N LaSalle St., Ste. 820, Chicago, IL 60601")
    assert (p.street, p.unit, p.city, p.state, p.postal_code) == (
        "221 N LaSalle St.", "Ste. 820", "Chicago", "IL", "60601")
    p = addr.parse_one_line("One Meadowlands Plaza, #902, E. Rutherford, NJ 7073")
    assert (p.street, p.unit, p.city, p.state, p.postal_code) == (
        "One Meadowlands Plaza", "#902", "E. Rutherford", "NJ", "7073")
    assert addr.parse_one_line("c/o John, 100 Main St, Austin, TX 78701").recipient.startswith("c/o")
    assert addr.parse_one_line("   ") == addr.ParsedAddress()
