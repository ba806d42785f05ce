"""import_file and ImportResult: the public API the engine and the GUI code against."""

from __future__ import annotations

import openpyxl
import pytest

from bulkquote_gui.core.intake.importer import (
    ImportResult,
    SpreadsheetError,
    import_file,
)
from bulkquote_gui.core.intake.rows import CheckedRow, Problem, RowStatus
from bulkquote_gui.core.offer import BatchDefaults


def csv_file(tmp_path, text: str, name: str = "sites.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "Site ID,Company,Address,Suite,City,State,ZIP,Speed,Term\n"


def test_valid_row_becomes_a_checked_row_with_api_shaped_values(tmp_path):
    path = csv_file(tmp_path, HEADER + "S-1,Acme Dental,600 Congress Ave,Ste 200,Austin,Texas,78701,500M,3 years\n")
    result = import_file(path)
    assert isinstance(result, ImportResult) and len(result) == 1 and result.has_header
    row = result.row(0)
    assert isinstance(row, CheckedRow)
    assert row.status is RowStatus.VALID and row.quotable and row.problems == []
    assert row.row_number == 2 and row.index == 0
    assert row.location == {"street": "600 Congress Ave", "unit": "Ste 200", "city": "Austin",
                            "state": "TX", "postal_code": "78701"}
    assert row.customer == {"company": "Acme Dental"}
    assert row.service == {"product": "DIA", "bandwidth_mbps": 500, "term_months": 36}
    assert row.site_id == "S-1"
    assert row.original["Address"] == "600 Congress Ave" and row.original["Speed"] == "500M"
    assert result.mapping == {"street": "Address", "unit": "Suite", "city": "City", "state": "State",
                              "postal_code": "ZIP", "company": "Company", "bandwidth": "Speed",
                              "term": "Term", "site_id": "Site ID"}


def test_blank_service_uses_batch_defaults_and_company_falls_back(tmp_path):
    path = csv_file(tmp_path, "Address,City,State,ZIP,Bandwidth\n1 Main St,Austin,TX,78701,\n")
    defaults = BatchDefaults(bandwidth_mbps=200, term_months=12, product="ETHERNET", company="Rep's Co")
    row = import_file(path, defaults=defaults).row(0)
    assert row.service == {"product": "ETHERNET", "bandwidth_mbps": 200, "term_months": 12}
    assert row.customer == {"company": "Rep's Co"}
    assert import_file(path).row(0).customer == {}  # no company is not an error
    assert import_file(path).status_at(0) is RowStatus.VALID


def test_each_rule_gives_invalid_with_row_field_and_reason(tmp_path):
    body = (
        "1 Main St,Austin,TX,78701,1G,36\n"          # row 2 valid
        ",Austin,TX,78701,,\n"                       # row 3 street missing
        "PO Box 12,Austin,TX,78701,,\n"              # row 4 PO box
        "c/o Ann Lee,Austin,TX,78701,,\n"            # row 5 c/o
        "1 Main St,,TX,78701,,\n"                    # row 6 city missing
        "1 Main St,Austin,ZZ,78701,,\n"              # row 7 unknown state
        "1 Main St,Toronto,ON,78701,,\n"             # row 8 Canadian province
        "1 Main St,Austin,TX,7870,,\n"               # row 9 short ZIP in a non-zero state
        "1 Main St,Austin,TX,ABCDE,,\n"              # row 10 bad ZIP
        "1 Main St,Austin,TX,78701,300M,\n"          # row 11 bandwidth not offered
        "1 Main St,Austin,TX,78701,,48\n"            # row 12 term not offered
    )
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP,Speed,Term\n" + body))
    assert [result.status_at(i) for i in range(len(result))] == [RowStatus.VALID] + [RowStatus.INVALID] * 10
    fields = {result.row_number_at(i): [p.field for p in result.problems_at(i)] for i in range(1, 11)}
    assert fields == {3: ["street"], 4: ["street"], 5: ["street"], 6: ["city"], 7: ["state"],
                      8: ["state"], 9: ["postal_code"], 10: ["postal_code"], 11: ["bandwidth"],
                      12: ["term"]}
    assert result.problems_at(2)[0] == Problem(4, "street", "street 'PO Box 12' is a PO box, not a service location")
    assert "Canadian province" in result.problems_at(6)[0].message
    assert result.invalid_by_reason() == {
        "PO box": 1, "ZIP invalid": 2, "bandwidth not offered": 1, "c/o address": 1, "city missing": 1,
        "non-US address": 1, "street missing": 1, "term not offered": 1, "unknown state": 1}
    assert result.invalid_columns_at(8) == {"ZIP"} and result.invalid_columns_at(0) == set()


def test_repaired_zip_is_marked_and_noted_not_silently_changed(tmp_path):
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP\n1 Nassau St,Princeton,NJ,8540\n"))
    assert result.status_at(0) is RowStatus.REPAIRED
    assert result.row(0).location["postal_code"] == "08540"
    assert result.problems_at(0) == [Problem(2, "postal_code", "ZIP 8540 repaired to 08540")]
    assert result.counts() == {"rows": 1, "valid": 0, "repaired": 1, "invalid": 0, "duplicates": 0,
                               "quotable": 1}


def test_duplicates_flag_later_rows_and_invalid_beats_duplicate(tmp_path):
    body = ("1 Main Street,Austin,TX,78701,1G\n"
            "1 MAIN ST.,austin,TX,78701-0001,1000 Mbps\n"    # same place, same service
            "1 Main St,Austin,TX,78701,500M\n"               # other service: not a duplicate
            "PO Box 1,Austin,TX,78701,1G\n"
            "PO Box 1,Austin,TX,78701,1G\n")                 # invalid, never duplicate
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP,Speed\n" + body))
    assert [result.status_at(i).value for i in range(5)] == [
        "valid", "duplicate", "valid", "invalid", "invalid"]
    assert result.problems_at(1) == [Problem(3, "row", "duplicate of row 2 (same address and service)")]
    assert result.counts()["duplicates"] == 1 and result.counts()["quotable"] == 2
    assert [r.row_number for r in result.quotable_rows()] == [2, 4]


@pytest.mark.parametrize("street", ["12345678901234 Main St", "1 Calle Peñuelas"])
def test_duplicates_are_found_for_long_house_numbers_and_non_ascii_streets(tmp_path, street):
    # The cheap duplicate pre-check reads ASCII text a byte a character, other text four.
    body = (f"{street},Austin,TX,78701\n" "9 Oak Ave,Austin,TX,78701\n"
            f"{street.upper()},Austin,TX,78701\n" f"{street},Austin,TX,78702\n")
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP\n" + body))
    assert [result.status_at(i).value for i in range(4)] == ["valid", "valid", "duplicate", "valid"]


def test_row_numbers_count_title_rows_blank_rows_and_multiline_records(tmp_path):
    text = ('Customer sites for Q3\n\n'
            'Address,City,State,ZIP\n'
            '"1 Main St\nBuilding 2",Austin,TX,78701\n'
            ',,,\n'
            '9 Oak Ave,Waco,TX,76701\n')
    result = import_file(csv_file(tmp_path, text))
    assert result.columns == ["Address", "City", "State", "ZIP"]
    assert [result.row_number_at(i) for i in range(len(result))] == [4, 6]
    assert result.counts()["rows"] == 2


def test_rows_of_spaces_are_empty_but_a_blank_first_cell_is_not(tmp_path):
    text = ("Site,Address,City,State,ZIP\n"
            "S-1,1 Main St,Austin,TX,78701\n"
            "  ,   , ,\t,\n"                       # only spaces: an empty row, skipped
            " ,9 Oak Ave,Waco,TX,76701\n")        # no site id, still a row
    result = import_file(csv_file(tmp_path, text))
    assert [result.row_number_at(i) for i in range(len(result))] == [2, 4]


def test_headerless_one_line_file_numbers_from_one(tmp_path):
    text = ('"221 N LaSalle St., Ste. 820, Chicago, IL 60601"\n'
            '"211 Carnegie Center, Princeton, NJ 8540"\n'
            '"P.O. Box 250, Quincy, IL 62306"\n')
    result = import_file(csv_file(tmp_path, text))
    assert not result.has_header and result.columns == ["Address"]
    assert result.mapping == {"full_address": "Address"}
    assert result.row(0).location == {"street": "221 N LaSalle St.", "unit": "Ste. 820",
                                      "city": "Chicago", "state": "IL", "postal_code": "60601"}
    assert result.row_number_at(0) == 1
    assert result.status_at(1) is RowStatus.REPAIRED
    assert result.status_at(2) is RowStatus.INVALID
    assert result.invalid_columns_at(2) == {"Address"}


def test_duplicate_and_blank_headers_are_disambiguated_and_unmapped_columns_kept(tmp_path):
    text = "Address,City,State,ZIP,Notes,Notes,\n1 Main St,Austin,TX,78701,a,b,c\n"
    result = import_file(csv_file(tmp_path, text))
    assert result.columns == ["Address", "City", "State", "ZIP", "Notes", "Notes (2)", "Column G"]
    assert result.row(0).original == {"Address": "1 Main St", "City": "Austin", "State": "TX",
                                      "ZIP": "78701", "Notes": "a", "Notes (2)": "b", "Column G": "c"}
    assert result.cell(0, "Notes (2)") == "b"


def test_mapping_override_picks_the_second_address_set(tmp_path):
    text = ("Name,Address,City,State,ZIP,PHSTREET,PHCITY,PHSTATE,PHZIP\n"
            "Acme,PO Box 9,Austin,TX,78701,600 Congress Ave,Austin,TX,78701\n")
    path = csv_file(tmp_path, text)
    # Two address sets: the physical one (PH...) is quoted first, so the mailing PO box no
    # longer refuses the row (it did before address sets).
    by_sets = import_file(path)
    assert by_sets.status_at(0) is RowStatus.VALID and by_sets.address_set_at(0) == "Physical (PH)"
    assert by_sets.mapping["street"] == "PHSTREET"
    # Mapped by hand: the rep's columns rule, the sets are off.
    assert import_file(path, mapping={"street": "Address"}).status_at(0) is RowStatus.INVALID
    result = import_file(path, mapping={"street": "PHSTREET", "city": "phcity", "state": "PHSTATE",
                                        "postal_code": "PHZIP"})
    assert result.mapping["street"] == "PHSTREET" and result.mapping["city"] == "PHCITY"
    assert result.status_at(0) is RowStatus.VALID
    assert result.row(0).location["street"] == "600 Congress Ave"


@pytest.mark.parametrize("mapping, message", [
    ({"street": "Nope"}, "sites.csv has no column 'Nope' to map to street"),
    ({"colour": "Address"}, "sites.csv: 'colour' is not a field to map"),
])
def test_bad_mapping_is_a_spreadsheet_error(tmp_path, mapping, message):
    path = csv_file(tmp_path, "Address,City,State,ZIP\n1 Main St,Austin,TX,78701\n")
    with pytest.raises(SpreadsheetError, match=message):
        import_file(path, mapping=mapping)


def test_set_cell_revalidates_the_row_and_reflags_duplicates(tmp_path):
    text = "Address,City,State,ZIP\n1 Main St,Austin,TX,7870\n1 Main St,Austin,TX,78701\n"
    result = import_file(csv_file(tmp_path, text))
    assert [result.status_at(i).value for i in range(2)] == ["invalid", "valid"]
    changed = result.set_cell(0, "ZIP", "78701")
    assert changed == [0, 1]  # row 0 is now valid, so row 1 became its duplicate
    assert [result.status_at(i).value for i in range(2)] == ["valid", "duplicate"]
    assert result.cell(0, "ZIP") == "78701" and result.problems_at(0) == []
    assert result.invalid_columns_at(0) == set()
    assert result.set_cell(0, "City", "") == [0, 1]
    assert [result.status_at(i).value for i in range(2)] == ["invalid", "valid"]
    assert result.invalid_columns_at(0) == {"City"}


def test_with_mapping_and_with_defaults_return_revalidated_copies(tmp_path):
    text = "Street,Town,State,ZIP,Other town\n1 Main St,Austin,TX,78701,\n"
    result = import_file(csv_file(tmp_path, text))
    remapped = result.with_mapping({"street": "Street", "city": "Other town", "state": "State",
                                    "postal_code": "ZIP"})
    assert remapped.status_at(0) is RowStatus.INVALID and result.status_at(0) is RowStatus.VALID
    with pytest.raises(SpreadsheetError):
        result.with_mapping({"street": "Missing"})
    cheaper = result.with_defaults(BatchDefaults(bandwidth_mbps=100))
    assert cheaper.row(0).service["bandwidth_mbps"] == 100 and result.row(0).service["bandwidth_mbps"] == 1000


def test_summary_json_is_the_check_object(tmp_path):
    text = "Address,City,State,ZIP\n1 Main St,Austin,TX,78701\nPO Box 1,Austin,TX,78701\n"
    path = csv_file(tmp_path, text)
    summary = import_file(path).summary_json()
    assert summary == {
        "file": str(path), "rows": 2, "valid": 1, "repaired": 0, "invalid": 1, "duplicates": 0,
        "mapping": {"street": "Address", "city": "City", "state": "State", "postal_code": "ZIP"},
        "problems": [{"row": 3, "field": "street",
                      "message": "street 'PO Box 1' is a PO box, not a service location"}]}


def test_progress_is_reported_from_zero_to_one(tmp_path):
    seen: list[float] = []
    import_file(csv_file(tmp_path, "Address,City,State,ZIP\n1 Main St,Austin,TX,78701\n"),
                progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_file_with_only_a_header_has_no_rows(tmp_path):
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP\n"))
    assert len(result) == 0 and result.counts()["rows"] == 0 and list(result.rows()) == []


# --- messy files the importer was not written against --------------------------------------------

def test_semicolon_latin1_european_export(tmp_path):
    text = ("Société;Adresse;Ville;État;Code postal;Débit\r\n"
            "Café Ñandú;12 Rue St;New Orleans;Louisiana;70112;100 Mbps\r\n"
            "Crème;5 Elm St;Hartford;CT;6103;1 Gbps\r\n")
    result = import_file(csv_file(tmp_path, text, "export.csv", "latin-1"),
                         mapping={"street": "Adresse", "city": "Ville", "state": "État",
                                  "postal_code": "Code postal", "bandwidth": "Débit"})
    assert result.cell(0, "Société") == "Café Ñandú"
    assert [result.status_at(i).value for i in range(2)] == ["valid", "repaired"]
    assert result.row(1).location["postal_code"] == "06103"


def test_workbook_with_two_sheets_and_error_cells(tmp_path):
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Summary"
    summary.append(["Total", 3])
    sites = wb.create_sheet("Sites")
    sites.append(["Site", "Street Address", "City", "ST", "Zip Code", "Bandwidth"])
    sites.append(["A1", "1 Main St", "Boston", "MA", 2134, "1G"])
    sites.append(["A2", "2 Oak St", "Austin", "TX", "#N/A", "500M"])
    sites.append(["A3", "3 Elm St", "Austin", "TX", 78701, "#VALUE!"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    result = import_file(path, sheet="Sites")
    assert result.sheet == "Sites"
    assert [result.status_at(i).value for i in range(3)] == ["repaired", "invalid", "valid"]
    assert result.row(0).location["postal_code"] == "02134"
    # Austin has many ZIPs: none is guessed, a few are named (the offline ZIP table).
    assert result.problems_at(1) == [Problem(3, "postal_code", "ZIP is missing (Austin, TX has "
                                             "47 ZIPs: 78681, 78701, 78702, 78703, 78704, ...)")]
    assert result.row(2).service["bandwidth_mbps"] == 1000  # error cell = blank = default


def test_address_book_with_full_address_column(tmp_path):
    text = ("Name,Email,Full Address\n"
            "Ann Lee,ann@example.com,\"600 Congress Ave Ste 200, Austin, TX 78701\"\n"
            "Bo Chan,bo@example.com,\"17 Rue Soyer, Neuilly, France\"\n"
            "Cy Dee,cy@example.com,\"1 Main St, Boston, MA 2134\"\n")
    result = import_file(csv_file(tmp_path, text, "contacts.csv"))
    assert result.mapping["full_address"] == "Full Address" and result.mapping["email"] == "Email"
    assert [result.status_at(i).value for i in range(3)] == ["valid", "invalid", "repaired"]
    assert result.row(0).location == {"street": "600 Congress Ave", "unit": "Ste 200", "city": "Austin",
                                      "state": "TX", "postal_code": "78701"}
    assert result.row(0).customer["email"] == "ann@example.com"
    assert "not a US address" in result.problems_at(1)[0].message


def test_not_a_spreadsheet_is_refused(tmp_path):
    path = tmp_path / "orders.pdf"
    path.write_bytes(b"%PDF-1.4 binary")
    with pytest.raises(SpreadsheetError, match=r"^orders.pdf is not a spreadsheet \(CSV, TSV, XLSX, XLS or ODS\)$"):
        import_file(path)


def test_legacy_xls_workbook(tmp_path):
    xlwt = pytest.importorskip("xlwt")  # writes .xls; only the reading is the project's
    wb = xlwt.Workbook()
    sheet = wb.add_sheet("Sites")
    for r, row in enumerate([["Address", "City", "State", "ZIP"], ["1 Main St", "Boston", "MA", 2134],
                             ["2 Oak Ave", "Austin", "TX", "78701"]]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "old.xls"
    wb.save(str(path))
    result = import_file(path)
    assert result.sheet == "Sites"
    assert [result.status_at(i).value for i in range(2)] == ["repaired", "valid"]
    assert result.row(0).location["postal_code"] == "02134"


def test_tsv_with_headerless_columns_mapped_by_content(tmp_path):
    text = ("600 Congress Ave\tAustin\tTX\t78701\tann@example.com\n"
            "1 Nassau St\tPrinceton\tNJ\t08540\tbo@example.com\n")
    result = import_file(csv_file(tmp_path, text, "sites.tsv"))
    assert not result.has_header
    assert result.columns == ["Column A", "Column B", "Column C", "Column D", "Column E"]
    assert result.mapping["state"] == "Column C" and result.mapping["postal_code"] == "Column D"
    assert result.mapping["email"] == "Column E"
    # street and city have no header to go by: the rep maps them.
    fixed = result.with_mapping({**result.mapping, "street": "Column A", "city": "Column B"})
    assert [fixed.status_at(i).value for i in range(2)] == ["valid", "valid"]
    assert fixed.row_number_at(0) == 1


def test_workbook_with_title_rows_and_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Q3 sites - confidential"])
    ws.append([])
    ws.append(["Store #", "Street", "Suite", "City", "State", "Zip", "Zip4", "Speed (Mbps)", "Term"])
    ws.append([101, "600 Congress Ave", None, "Austin", "TX", 78701, 1234, 500, 36])
    ws.append([102, "1 Nassau St", "Ste 2", "Princeton", "NJ", 8540, None, 1000, 60])
    path = tmp_path / "sites.xlsx"
    wb.save(path)
    result = import_file(path)
    assert result.columns[:3] == ["Store #", "Street", "Suite"]
    assert [result.row_number_at(i) for i in range(2)] == [4, 5]
    assert result.mapping["zip4"] == "Zip4" and result.mapping["bandwidth"] == "Speed (Mbps)"
    first, second = result.row(0), result.row(1)
    assert first.location["postal_code"] == "78701-1234"
    assert first.service == {"product": "DIA", "bandwidth_mbps": 500, "term_months": 36}
    assert first.original["Store #"] == "101" and first.original["Zip"] == "78701"
    assert second.status is RowStatus.REPAIRED and second.location["unit"] == "Ste 2"
    assert second.service["term_months"] == 60


def test_editing_a_one_line_address_revalidates_its_parts(tmp_path):
    text = '"1 Main St, Austin, TX"\n"2 Oak Ave, Boston, MA 02134"\n'
    result = import_file(csv_file(tmp_path, text))
    assert result.status_at(0) is RowStatus.INVALID
    assert [p.message[:15] for p in result.problems_at(0)] == ["ZIP is missing "]
    assert result.invalid_columns_at(0) == {"Address"}
    assert result.set_cell(0, "Address", "1 Main St, Austin, TX 78701") == [0]
    assert result.status_at(0) is RowStatus.VALID and result.row(0).location["postal_code"] == "78701"


def test_a_street_column_can_be_declared_a_one_line_address(tmp_path):
    text = "Where,City\n\"600 Congress Ave, Austin, TX 78701\",Austin\n"
    path = csv_file(tmp_path, text)
    result = import_file(path, mapping={"full_address": "Where"})
    assert result.mapping["full_address"] == "Where"
    assert result.status_at(0) is RowStatus.VALID
    assert result.row(0).location["state"] == "TX"


def test_rows_and_quotable_rows_are_built_on_demand_and_agree_with_counts(tmp_path):
    body = "".join(f"{n} Main St,Austin,TX,78701\n" for n in range(1, 51)) + "PO Box 1,Austin,TX,78701\n"
    result = import_file(csv_file(tmp_path, "Address,City,State,ZIP\n" + body))
    rows = list(result.rows())
    assert len(rows) == 51 and [r.index for r in rows] == list(range(51))
    assert len(list(result.quotable_rows())) == result.counts()["quotable"] == 50
    with pytest.raises(IndexError):
        result.row(51)


def test_empty_first_sheet_names_the_others(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.create_sheet("Sites").append(["Address"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(SpreadsheetError, match=r"^book.xlsx: sheet 'Cover' is empty \(other sheets: Sites; "
                       r"choose one with --sheet\)$"):
        import_file(path)


def test_country_column_marks_rows_abroad(tmp_path):
    text = ("Address,City,State,ZIP,Country\n"
            "600 Congress Ave,Austin,TX,78701,USA\n"
            "1 Front St W,Toronto,ON,M5J 2X5,Canada\n"
            "1 Calle Fortaleza,San Juan,PR,00901,Puerto Rico\n"
            "2 Oak Ave,Boston,MA,02134,\n")
    result = import_file(csv_file(tmp_path, text))
    assert [result.status_at(i).value for i in range(4)] == ["valid", "invalid", "valid", "valid"]
    assert Problem(3, "row", "country 'Canada': only US sites can be quoted") in result.problems_at(1)
    assert "Country" in result.invalid_columns_at(1)
    assert "Country" not in result.mapping.values()  # kept for the export, not sent


# --- text normalised at the edge, formulas, repeated headers ------------------------------------

SITES_HEADER = "Street,City,State,ZIP\n"


@pytest.mark.parametrize("zip_text", ["０２１３４", "٠٢١٣٤", "۰۲۱۳۴"])
def test_full_width_and_other_script_digits_become_an_ascii_zip_marked_repaired(tmp_path, zip_text):
    result = import_file(csv_file(tmp_path, SITES_HEADER + f"1 Main St,Boston,MA,{zip_text}\n"))
    row = result.row(0)
    assert row.status == RowStatus.REPAIRED
    assert row.location["postal_code"] == "02134"
    assert any("read as '02134'" in p.message for p in row.problems)


def test_full_width_letters_zero_width_and_control_characters_are_made_plain(tmp_path):
    text = SITES_HEADER + "１２ Ｍａｉｎ\u200b St,Aus\u200dtin\x07,TX,78701\n"
    row = import_file(csv_file(tmp_path, text)).row(0)
    assert row.status == RowStatus.REPAIRED
    assert (row.location["street"], row.location["city"]) == ("12 Main St", "Austin")
    assert row.original["Street"] == "１２ Ｍａｉｎ\u200b St"  # the rep's cell is kept as written


def test_nbsp_and_accents_are_not_repairs(tmp_path):
    row = import_file(csv_file(tmp_path, SITES_HEADER + "1\u00a0César St,San Jose\u0301,CA,95112\n")).row(0)
    assert row.status == RowStatus.VALID
    assert row.location["street"] == "1 César St"


@pytest.mark.parametrize("street", ["=cmd|' /C calc'!A0", "@SUM(1,1)", "+1 Main", "-1 Main",
                                    "\t=1+1", "\r=1+1", "＝1+1", "＠SUM(1)", "＋1", "－1"])
def test_a_street_that_starts_like_a_formula_is_invalid(tmp_path, street):
    quoted = '"' + street.replace('"', '""') + '"'
    result = import_file(csv_file(tmp_path, SITES_HEADER + f"{quoted},Austin,TX,78701\n"))
    assert result.status_at(0) == RowStatus.INVALID
    assert any(p.field == "street" and p.message.endswith("looks like a formula, not an address")
               for p in result.problems_at(0))
    assert result.invalid_by_reason() == {"looks like a formula": 1}


def test_a_city_that_starts_like_a_formula_is_invalid(tmp_path):
    result = import_file(csv_file(tmp_path, SITES_HEADER + '1 Main St,"=HYPERLINK(""x"")",TX,78701\n'))
    assert [p.field for p in result.problems_at(0)] == ["city"]


def test_a_second_street_column_is_not_the_unit(tmp_path):
    result = import_file(csv_file(tmp_path, "Street,Street,City,State,ZIP\n1 Main St,Rear,Austin,TX,78701\n"))
    assert result.columns[:2] == ["Street", "Street (2)"]
    assert result.mapping["street"] == "Street" and "unit" not in result.mapping
    assert result.row(0).location["unit"] == ""
    assert result.row(0).original["Street (2)"] == "Rear"


def test_an_empty_path_is_refused_as_such():
    with pytest.raises(SpreadsheetError, match="no file given: the path is empty"):
        import_file("")


def test_a_row_of_error_cells_is_reported_not_dropped(tmp_path):
    from tests.corpus.hostile import SITES, sheet_rows, xlsx

    path = tmp_path / "err.xlsx"
    xlsx(path, [("Data", sheet_rows(SITES[:2]) + '<row r="3"><c r="A3" t="e"><v>#REF!</v></c>'
                         '<c r="B3" t="e"><v>#N/A</v></c></row>', "visible")])
    result = import_file(path)
    assert len(result) == 2 and result.status_at(1) == RowStatus.INVALID
    assert "street is #REF!, a spreadsheet error, not an address" in \
        [p.message for p in result.problems_at(1)]


def test_a_cover_sheet_is_passed_over_for_the_sheet_with_addresses(tmp_path):
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover.append(["Prepared for ACME Corp"])
    cover.append(["Quote request, Q3 - 2 sites"])
    notes = wb.create_sheet("Notes")
    notes.append(["Call Ann before any site visit"])
    sites = wb.create_sheet("Site list")
    sites.append(["Sites for Q3"])                       # a title row above the header
    sites.append([])
    sites.append(["Street", "City", "State", "Zip"])
    sites.append(["600 Congress Ave", "Austin", "TX", "78701"])
    sites.append([])                                     # a blank gap: rows after it are read
    sites.append([])
    sites.append(["1 Nassau St", "Princeton", "NJ", "08542"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    result = import_file(path)
    assert result.sheet == "Site list"
    assert result.sheet_note == "sheet 'Cover' has no address columns: read sheet 'Site list' instead"
    assert [result.row_number_at(i) for i in range(len(result))] == [4, 7]
    assert [result.status_at(i) for i in range(2)] == [RowStatus.VALID, RowStatus.VALID]
    assert result.summary_json()["sheet_note"] == result.sheet_note
    assert import_file(path, sheet="Cover").sheet == "Cover"  # named: read as asked


def test_a_hidden_sheet_is_not_picked_over_a_cover(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.active.append(["Prepared for ACME Corp"])
    hidden = wb.create_sheet("Old sites")
    hidden.append(["Street", "City", "State", "Zip"])
    hidden.append(["600 Congress Ave", "Austin", "TX", "78701"])
    hidden.sheet_state = "hidden"
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert import_file(path).sheet == "Cover"
