"""The three real spreadsheets in ../shared/corpus/, read as a rep would drop them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulkquote_gui.core.intake.addresses import is_po_box

from bulkquote_gui.core.intake.importer import ImportResult, import_file
from bulkquote_gui.core.intake.rows import RowStatus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():  # the repo may be checked out elsewhere than beside shared/
    CORPUS = Path("/work/shared/corpus")
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


@pytest.fixture(scope="module")
def cms() -> ImportResult:
    return import_file(CORPUS / "cms_hospital_general_information.csv")


@pytest.fixture(scope="module")
def imls() -> ImportResult:
    return import_file(CORPUS / "imls_pls_fy18_outlet_pud18i.csv")


@pytest.fixture(scope="module")
def lobbyists() -> ImportResult:
    return import_file(CORPUS / "usaddress_lobbyists_addresses.csv")


def test_cms_every_row_with_a_street_address_is_quotable(cms):
    assert cms.mapping == {"street": "Address", "city": "City", "state": "State",
                           "postal_code": "ZIP Code", "company": "Hospital Name", "phone": "Phone Number"}
    counts = cms.counts()
    assert counts["rows"] == 4807
    assert counts["valid"] + counts["repaired"] + counts["invalid"] + counts["duplicates"] == 4807
    # The only invalid rows are those whose address is nothing but a PO box, or a street with
    # no house number ("MEDICAL CENTER BOULEVARD", "FOURTH AND WALNUT STREETS": issue 15 #9).
    assert cms.invalid_by_reason() == {"PO box": 26, "no house number": 39}
    for i in range(len(cms)):
        if cms.status_at(i) is RowStatus.INVALID:
            message = " ".join(p.message for p in cms.problems_at(i))
            assert "PO box" in message or "house number" in message
            assert cms.invalid_columns_at(i) == {"Address"}
    # A street with a PO box beside it is kept, the box dropped and said so.
    repaired = [cms.row(i) for i in range(len(cms)) if cms.status_at(i) is RowStatus.REPAIRED]
    assert repaired and all("PO box" in r.problems[0].message for r in repaired)
    streets = [r.location["street"] for r in repaired]
    assert not any(is_po_box(street) for street in streets)
    assert "2101 BOX BUTTE AVE" in streets  # "BOX" in a street name is not a PO box


def test_cms_no_po_box_address_slips_through_as_valid(cms):
    for i in range(len(cms)):
        if is_po_box(cms.cell(i, "Address")):
            assert cms.status_at(i) in (RowStatus.REPAIRED, RowStatus.INVALID), cms.cell(i, "Address")
            if cms.status_at(i) is RowStatus.REPAIRED:
                assert not is_po_box(cms.row(i).location["street"])


def test_cms_keeps_leading_zeros_territories_and_cp1252_text(cms):
    by_state = {}
    for i in range(len(cms)):
        row = cms.row(i) if cms.cell(i, "State") in ("PR", "GU", "VI", "MA") else None
        if row is not None and row.quotable:
            by_state.setdefault(row.location["state"], row)
    assert set(by_state) == {"PR", "GU", "VI", "MA"}
    assert by_state["MA"].location["postal_code"].startswith("0")
    assert by_state["PR"].location["postal_code"].startswith("00")


def test_imls_joins_zip4_and_reads_M_as_missing(imls):
    assert imls.mapping["state"] == "STABR" and imls.mapping["zip4"] == "ZIP4"
    assert imls.counts()["rows"] == 17478
    first = imls.row(0)  # ZIP 99556, ZIP4 "M"
    assert imls.cell(0, "ZIP4") == "M" and first.location["postal_code"] == "99556"
    second = imls.row(1)
    assert second.location["postal_code"] == "99577-7743"
    assert second.location["unit"] == "#176" and second.location["street"] == "12001 BUSINESS BOULEVARD"
    assert imls.counts()["invalid"] == 105
    # The offline ZIP table finds three ZIPs of another state (towns on a state line, a typo).
    wrong_state = sorted(p.message for p in imls.problems() if "the row says" in p.message)
    assert wrong_state == ["ZIP 37620 is in TN, the row says VA", "ZIP 45636 is in OH, the row says IN",
                           "ZIP 75501 is in TX, the row says AR"]
    # 99 outlets name a building or a corner, not a house number ("COURT HOUSE ANNEX",
    # "MAIN & ALLEN STS."): no carrier can price them (issue 15 #9).
    assert imls.invalid_by_reason() == {"no house number": 99, "ZIP in another state": 3,
                                        "c/o address": 2, "PO box": 1}
    assert imls.address_sets == []  # STATADDR is a status code, not a second address
    accented = [imls.cell(i, "ADDRESS") for i in range(len(imls)) if "CÉSAR" in imls.cell(i, "ADDRESS")]
    assert accented  # cp1252 decoded, not mangled


def test_corpus_counts(cms, imls, lobbyists):
    """The verdicts on the three files, whole: a rule that changes one must say why here.
    Issue 15 #9/#10: streets with no house number are refused (CMS 39, IMLS 99, lobbyists 4),
    and a bare "BOX 58" or "(P O BOX 966)" after a street is taken off it (CMS 30 more
    repaired, IMLS 1); rows refused are no longer counted as duplicates (IMLS 565 -> 562)."""
    assert cms.counts() == {"rows": 4807, "valid": 4582, "repaired": 156, "invalid": 65,
                            "duplicates": 4, "quotable": 4738}
    assert imls.counts() == {"rows": 17478, "valid": 16810, "repaired": 1, "invalid": 105,
                             "duplicates": 562, "quotable": 16811}
    assert lobbyists.counts() == {"rows": 9594, "valid": 468, "repaired": 16, "invalid": 83,
                                  "duplicates": 9027, "quotable": 484}


def test_lobbyists_lost_zeros_are_repaired_and_reported(lobbyists):
    assert not lobbyists.has_header and lobbyists.mapping == {"full_address": "Address"}
    assert lobbyists.counts()["rows"] == 9594
    assert lobbyists.row_number_at(0) == 1
    notes = [p for p in lobbyists.problems() if "repaired to 0" in p.message]
    repaired_states = {lobbyists.row(p.row - 1).location["state"] for p in notes}
    assert {"NJ", "MA"} <= repaired_states
    princeton = next(p for p in notes if "8540" in p.message)
    assert princeton.message == "ZIP 8540 repaired to 08540" and princeton.field == "postal_code"
    # Chicago (IL) ZIPs never start with 0: a 4-digit one is an error, not a repair.
    il_short = [p for p in lobbyists.problems() if p.message.startswith("ZIP 6061 ")]
    assert il_short and "too short for IL" in il_short[0].message


def test_lobbyists_counts_are_sensible(lobbyists):
    counts = lobbyists.counts()
    assert counts["quotable"] + counts["duplicates"] + counts["invalid"] == 9594
    assert 450 <= counts["quotable"] <= 573  # 573 distinct strings, a few of them unusable
    assert counts["duplicates"] > 8500
    reasons = lobbyists.invalid_by_reason()
    # 70 lines have no ZIP: the 36 of Auburn Hills, MI (one ZIP, 48326) are repaired from the
    # offline ZIP table; the rest (Chicago has many ZIPs, or no city) are still refused.
    assert reasons["ZIP missing"] >= 30 and reasons["PO box"] > 0 and reasons["non-US address"] > 0
    filled = [p for p in lobbyists.problems() if p.message.startswith("ZIP was missing")]
    assert {p.message for p in filled} == {"ZIP was missing: 48326 is the only ZIP of Auburn Hills, MI"}
    assert len(filled) == 36
    # Company names on a line of their own are "not an address", not "unreadable".
    assert reasons["not an address"] >= 1
