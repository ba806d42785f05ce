"""`bulkquote check` run as a real subprocess: output, --json, --map, --sheet, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONWARNINGS="error::ResourceWarning")
    return subprocess.run([sys.executable, "-m", "bulkquote_gui", "check", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def write_sites(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Address,City,State,ZIP,PHSTREET\n"
                    "1 Main St,Austin,TX,78701,9 Oak Ave\n"
                    "PO Box 7,Princeton,NJ,8540,10 Elm St\n"
                    "2 Nassau St,Princeton,NJ,8540,\n"
                    "1 Main St,Austin,TX,78701,\n", encoding="utf-8")
    return path


def test_summary_names_counts_reasons_and_first_invalid_rows(tmp_path):
    out = run_check(str(write_sites(tmp_path)))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    text = out.stdout
    assert "sites.csv: 4 rows read" in text
    assert "valid      1" in text and "repaired   1" in text
    assert "invalid    1" in text and "duplicates 1" in text
    assert "PO box" in text
    assert "row 3, street: street 'PO Box 7' is a PO box, not a service location" in text
    assert "Traceback" not in text


def test_json_is_one_object_with_the_agreed_keys(tmp_path):
    path = write_sites(tmp_path)
    out = run_check(str(path), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert set(summary) == {"file", "rows", "valid", "repaired", "invalid", "duplicates", "mapping",
                            "problems"}
    assert (summary["rows"], summary["valid"], summary["repaired"], summary["invalid"],
            summary["duplicates"]) == (4, 1, 1, 1, 1)
    assert summary["mapping"]["street"] == "Address"
    assert {"row": 4, "field": "postal_code", "message": "ZIP 8540 repaired to 08540"} in summary["problems"]
    assert {"row": 5, "field": "row", "message": "duplicate of row 2 (same address and service)"} \
        in summary["problems"]


def test_map_option_overrides_the_guess(tmp_path):
    out = run_check(str(write_sites(tmp_path)), "--json", "--map", "street=PHSTREET")
    summary = json.loads(out.stdout)
    assert summary["mapping"]["street"] == "PHSTREET"
    assert summary["invalid"] == 2  # two rows have no PHSTREET
    missing = [p["row"] for p in summary["problems"] if p["message"] == "street is missing"]
    assert missing == [4, 5]


def test_sheet_option_and_a_missing_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["nothing here"])
    sheet = wb.create_sheet("Sites")
    sheet.append(["Address", "City", "State", "ZIP"])
    sheet.append(["1 Main St", "Boston", "MA", 2134])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    summary = json.loads(run_check(str(path), "--sheet", "Sites", "--json").stdout)
    assert (summary["rows"], summary["repaired"]) == (1, 1)
    out = run_check(str(path), "--sheet", "Prices")
    assert out.returncode == 2
    assert "book.xlsx has no sheet named 'Prices' (sheets: Notes, Sites)" in out.stderr
    assert "Traceback" not in out.stderr


def test_unreadable_inputs_exit_2_with_a_sentence(tmp_path):
    pdf = tmp_path / "orders.pdf"
    pdf.write_bytes(b"%PDF-1.4\n\x00\x01")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, message in ((pdf, "orders.pdf is not a spreadsheet"), (empty, "empty.csv is empty"),
                          (tmp_path / "gone.xlsx", "gone.xlsx does not exist")):
        out = run_check(str(path))
        assert out.returncode == 2, (path, out.stdout)
        assert message in out.stderr and "Traceback" not in out.stderr


def test_bad_map_column_exits_2(tmp_path):
    out = run_check(str(write_sites(tmp_path)), "--map", "city=Town")
    assert out.returncode == 2
    assert "sites.csv has no column 'Town' to map to city" in out.stderr
