"""The offline ZIP table and the checks it makes: ZIP against state and city, missing ZIPs."""

from __future__ import annotations

import socket

import pytest

from bulkquote_gui.core.intake import zip_table as zt
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.intake.rows import Problem, RowStatus


def csv_file(tmp_path, text: str):
    path = tmp_path / "sites.csv"
    path.write_text("Address,City,State,ZIP\n" + text, encoding="utf-8")
    return path


def test_the_table_loads_with_no_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    zt.zip_table.cache_clear()
    try:
        table = zt.zip_table()
    finally:
        zt.zip_table.cache_clear()
    assert len(table) > 40_000
    assert table.state_of("10001") == "NY" and table.state_of("00901") == "PR"
    assert table.state_of("99999") == ""


def test_city_names_and_a_citys_zips():
    table = zt.zip_table()
    assert table.city_matches("63101", "St. Louis") and table.city_matches("63101", "SAINT LOUIS")
    assert table.city_matches("10016", "NY")  # the shorthand reps write
    assert not table.city_matches("60601", "Dallas")
    assert table.city_matches("99999", "Anywhere")  # unknown ZIP: nothing to say
    assert table.zips_of("Absarokee", "MT") == ["59001"]
    assert len(table.zips_of("Austin", "TX")) > 40
    assert zt.city_key("  Ft. Worth ") == zt.city_key("FORT WORTH") == "FT WORTH"


def test_a_zip_of_another_state_is_invalid_and_names_both(tmp_path):
    result = import_file(csv_file(tmp_path, "1 Elm St,Hoboken,NJ,10001\n1 Elm St,Hoboken,NJ,07030\n"))
    assert result.status_at(0) is RowStatus.INVALID
    assert result.problems_at(0) == [Problem(2, "postal_code", "ZIP 10001 is in NY, the row says NJ")]
    assert result.invalid_columns_at(0) == {"ZIP"}
    assert result.invalid_by_reason() == {"ZIP in another state": 1}
    assert result.status_at(1) is RowStatus.VALID


def test_a_city_usps_does_not_name_is_a_note_not_an_error(tmp_path):
    result = import_file(csv_file(tmp_path, "233 S Wacker Dr,Chicgo,IL,60606\n"))
    assert result.status_at(0) is RowStatus.VALID  # a note does not change the verdict
    assert result.problems_at(0) == [Problem(2, "city", "city 'Chicgo' is not a name USPS uses "
                                                         "for ZIP 60606 (CHICAGO)")]


def test_a_missing_zip_is_repaired_where_the_town_has_one(tmp_path):
    result = import_file(csv_file(tmp_path, "1 Main St,Absarokee,MT,\n1 Main St,Austin,TX,\n"))
    town, city = result.row(0), result.row(1)
    assert town.status is RowStatus.REPAIRED and town.location["postal_code"] == "59001"
    assert town.problems == [Problem(2, "postal_code",
                                     "ZIP was missing: 59001 is the only ZIP of Absarokee, MT")]
    assert city.status is RowStatus.INVALID and city.location["postal_code"] == ""
    assert city.problems[0].message.startswith("ZIP is missing (Austin, TX has ")
    assert city.problems[0].message.endswith(", ...)")


def test_a_missing_zip_with_no_known_city_stays_missing(tmp_path):
    result = import_file(csv_file(tmp_path, "1 Main St,Nowheresville,TX,\n"))
    assert result.problems_at(0) == [Problem(2, "postal_code", "ZIP is missing")]


@pytest.mark.parametrize("zip_text", ["07030-1234", "07030.0"])
def test_plus4_and_number_cell_zips_are_checked_against_the_state_too(tmp_path, zip_text):
    result = import_file(csv_file(tmp_path, f"1 Elm St,Hoboken,NY,{zip_text}\n"))
    assert result.status_at(0) is RowStatus.INVALID
    assert "ZIP 07030 is in NJ, the row says NY" in [p.message for p in result.problems_at(0)]
