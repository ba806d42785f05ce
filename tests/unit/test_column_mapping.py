"""Headers and column contents to fields."""

from __future__ import annotations

import pytest

from bulkquote_gui.core.intake.column_mapping import (
    auto_mapping, disambiguate_headers, excel_column_letter, looks_like_header)


def mapping_for(columns, rows=None):
    rows = rows or [[""] * len(columns)]
    return auto_mapping(columns, {c: [r[p] for r in rows] for p, c in enumerate(columns)})


@pytest.mark.parametrize("header, field", [
    ("Address", "street"), ("Address1", "street"), ("Street Address", "street"), ("ADDRESS", "street"),
    ("Suite", "unit"), ("Unit", "unit"), ("Apt", "unit"), ("City", "city"), ("State", "state"),
    ("ZIP", "postal_code"), ("ZIP Code", "postal_code"), ("Postal Code", "postal_code"),
    ("Zip5", "postal_code"), ("ZIP4", "zip4"), ("Company", "company"), ("Contact", "contact_name"),
    ("E-mail", "email"), ("Phone Number", "phone"), ("Bandwidth", "bandwidth"), ("Speed", "bandwidth"),
    ("Term", "term"), ("Product", "product"), ("Site ID", "site_id"), ("Full Address", "full_address"),
])
def test_header_names(header, field):
    columns = ([header, "City", "State", "ZIP"] if field == "street"
               else [header, "Notes"] if field == "full_address" else [header, "Address", "City"])
    assert mapping_for(columns)[field] == header


def test_full_cms_header_row():
    columns = ["Provider ID", "Hospital Name", "Address", "City", "State", "ZIP Code", "County Name",
               "Phone Number", "Hospital overall rating", "Timeliness of care national comparison"]
    assert mapping_for(columns) == {
        "street": "Address", "city": "City", "state": "State", "postal_code": "ZIP Code",
        "company": "Hospital Name", "phone": "Phone Number"}


def test_state_and_zip_found_by_content_when_headers_say_nothing():
    columns = ["ADDR", "TOWN", "ST_ABBR_X", "CODE"]
    rows = [["1 Main St", "Austin", "TX", "78701"], ["2 Oak Ave", "Boston", "MA", "02134"]]
    mapping = mapping_for(columns, rows)
    assert mapping["state"] == "ST_ABBR_X" and mapping["postal_code"] == "CODE"


def test_address_column_alone_is_a_one_line_address():
    rows = [["Ann", "1 Main St, Austin, TX 78701"], ["Bo", "2 Oak Ave, Boston, MA 02134"]]
    mapping = mapping_for(["Name", "Address"], rows)
    assert mapping["full_address"] == "Address" and "street" not in mapping


def test_one_line_content_found_in_an_unnamed_column():
    rows = [["1 Main St, Austin, TX 78701"], ["2 Oak Ave, Boston, MA 02134"]]
    assert mapping_for(["Where"], rows) == {"full_address": "Where"}


def test_one_line_column_beside_street_and_city_is_left_unmapped():
    assert "full_address" not in mapping_for(["Full Address", "Street", "City", "State", "ZIP"])


def test_each_column_feeds_one_field_and_first_match_wins():
    mapping = mapping_for(["Address", "Address 2", "City", "State", "Zip", "Zip"])
    assert mapping["street"] == "Address" and mapping["unit"] == "Address 2"
    assert list(mapping.values()).count("Zip") == 1


def test_disambiguate_blank_and_repeated_headers():
    assert disambiguate_headers(["Phone", "", "phone", "Phone", "  "]) == [
        "Phone", "Column B", "phone (2)", "Phone (3)", "Column E"]
    assert excel_column_letter(0) == "A" and excel_column_letter(27) == "AB"


@pytest.mark.parametrize("cells, is_header", [
    (["Address", "City"], True), (["Name", "Notes"], True),
    (["3 Park Avenue, 33rd Floor, NY, NY 10016"], False), (["Acme", "78701"], False),
    (["ann@example.com", "Ann"], False), (["", ""], False),
])
def test_header_row_detection(cells, is_header):
    assert looks_like_header(cells) is is_header


def test_crm_export_headers():
    columns = ["Account Name", "Billing Street", "Billing City", "Billing State/Province",
               "Billing Zip/Postal Code", "Shipping Street", "Primary Contact", "Contact Email",
               "Contract Term (yrs)", "Bandwidth (Mbps)", "Address Line 2"]
    assert mapping_for(columns) == {
        "street": "Billing Street", "unit": "Address Line 2", "city": "Billing City",
        "state": "Billing State/Province", "postal_code": "Billing Zip/Postal Code",
        "company": "Account Name", "contact_name": "Primary Contact", "email": "Contact Email",
        "bandwidth": "Bandwidth (Mbps)", "term": "Contract Term (yrs)"}


@pytest.mark.parametrize("header", ["Capacity", "Determination", "Real Estate Type", "Statement"])
def test_words_that_merely_contain_a_field_name_are_not_mapped(header):
    assert mapping_for([header, "Address", "City", "State", "ZIP"]).get("city") == "City"
    assert header not in mapping_for([header, "Address", "City", "State", "ZIP"]).values()
