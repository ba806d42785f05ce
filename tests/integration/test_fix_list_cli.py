"""Issue 11, the fix list from the command line, as subprocesses against a real simulator on
loopback: `check FILE --fix-list OUT.xlsx`, `export BATCH --fix-list -o OUT.xlsx`, and the round
trip a rep makes: the fix list fixed in a spreadsheet (here openpyxl), dropped back in, quoted."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from bulkquote_gui.core.intake.column_mapping import FIX_LIST_REASON
from bulkquote_gui.core.intake.importer import import_file
from bulkquote_gui.core.output.fix_list import FILL
from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_cli

SITES = """Site ID,Company,Street Address,City,State,ZIP,Note
S-1,Acme Dental,600 Congress Ave,Austin,TX,78701,=1+1
S-2,Acme Dental,PO Box 12,Austin,TX,78701,"=HYPERLINK(""http://evil"",""x"")"
S-3,Harbor Logistics,1 Federal St,Boston,MA,,
S-4,Pioneer Foods,400 Broad St,Seattle,ZZ,98109,@SUM(A1)
S-5,Empire Media,350 5th Ave,New York,NY,10118,
"""


@pytest.fixture
def sim():
    server = SimulatorServer(port=0, time_scale=0.01, api_key="test-key").start()
    yield server
    server.stop()


@pytest.fixture
def sites(tmp_path) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    return path


def bq(env, *args, api_url=None, check=None):
    return run_cli(env, *args, api_url=api_url, quote_timeout=30, check=check)


def _sheet(path: Path):
    return openpyxl.load_workbook(path).active


def _headers(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _red(cell) -> bool:
    return cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb.endswith(FILL)


def _marks(ws) -> dict[str, set[str]]:
    """Site ID -> the headers of its red cells."""
    headers = _headers(ws)
    site = headers.index("Site ID")
    return {row[site].value: {headers[c.column - 1] for c in row if _red(c)}
            for row in ws.iter_rows(min_row=2)}


def test_one_row_to_fix_is_said_in_the_singular(env, tmp_path):
    # Issue 15, words: "1 rows to fix".
    one = tmp_path / "one.csv"
    one.write_text("\n".join(SITES.splitlines()[:3]) + "\n", encoding="utf-8")   # S-2's PO box
    out = tmp_path / "one - fix list.xlsx"
    assert f"fix list written to {out} (1 row to fix)" in bq(env, "check", one, "--fix-list", out,
                                                             check=0).stdout


def test_check_writes_the_invalid_rows_with_their_reason_and_marks(env, sites, tmp_path):
    out = tmp_path / "sites - fix list.xlsx"
    done = bq(env, "check", sites, "--fix-list", out, check=0)
    assert f"fix list written to {out} (3 rows to fix)" in done.stdout
    ws = _sheet(out)
    assert _headers(ws) == [FIX_LIST_REASON, "Site ID", "Company", "Street Address", "City",
                            "State", "ZIP", "Note"]
    assert [r[0].value.split(":")[0] for r in ws.iter_rows(min_row=2)] == ["Row 3", "Row 4", "Row 5"]
    assert _marks(ws) == {"S-2": {"Street Address"}, "S-3": {"ZIP"}, "S-4": {"State"}}
    note = ws["H2"]
    assert note.value == '=HYPERLINK("http://evil","x")' and note.data_type == "s"
    # --json keeps stdout one object
    as_json = bq(env, "check", sites, "--json", "--fix-list", tmp_path / "again.xlsx", check=0)
    assert json.loads(as_json.stdout)["invalid"] == 3
    assert (tmp_path / "again.xlsx").exists()


@pytest.mark.parametrize("target, said", [
    ("fix.csv", "must end in .xlsx"),
    ("no such folder/fix.xlsx", "cannot write"),
])
def test_check_refuses_a_bad_fix_list_path_in_a_sentence(env, sites, tmp_path, target, said):
    done = bq(env, "check", sites, "--fix-list", tmp_path / target, check=2)
    assert said in done.stderr and done.stderr.startswith("bulkquote check: ")
    assert not (tmp_path / target).exists()


def test_export_fix_list_of_a_batch_names_invalid_duplicate_and_failed_rows(sim, env, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(SITES + "S-6,Nowhere Co,123 Nowhere Ln,Austin,TX,78701,\n"
                    "S-7,Acme Dental,600 Congress Ave,Austin,TX,78701,\n", encoding="utf-8")
    submitted = json.loads(bq(env, "submit", path, "--wait", "--json", api_url=sim.base_url,
                              check=0).stdout.splitlines()[0])
    batch = submitted["batch"]
    out = tmp_path / "batch fix.xlsx"
    done = bq(env, "export", batch, "--fix-list", "-o", out, check=0)
    assert f"5 rows to fix written to {out}" in done.stderr
    ws = _sheet(out)
    assert _headers(ws)[0] == FIX_LIST_REASON
    reasons = {row[1].value: row[0].value for row in ws.iter_rows(min_row=2)}
    assert reasons["S-6"].startswith("Row 7: Address not found")
    assert reasons["S-7"].startswith("Row 8: Duplicate of row 2")
    assert _marks(ws) == {"S-2": {"Street Address"}, "S-3": {"ZIP"}, "S-4": {"State"},
                          "S-6": {"Street Address", "City", "State", "ZIP"}, "S-7": set()}


def test_export_fix_list_refuses_bad_paths_and_options(env, sim, sites, tmp_path):
    submitted = json.loads(bq(env, "submit", sites, "--json", api_url=sim.base_url,
                              check=0).stdout.splitlines()[0])
    batch = submitted["batch"]
    csv_out = bq(env, "export", batch, "--fix-list", "-o", tmp_path / "x.csv", check=2)
    assert "a fix list is an Excel file" in csv_out.stderr
    missing = bq(env, "export", batch, "--fix-list", "-o", tmp_path / "nope" / "x.xlsx", check=2)
    assert missing.stderr.startswith("bulkquote export: cannot write")
    unknown = bq(env, "export", batch + 5, "--fix-list", "-o", tmp_path / "x.xlsx", check=2)
    assert f"no batch {batch + 5}" in unknown.stderr
    both = bq(env, "export", batch, "--fix-list", "--priced-only", "-o", tmp_path / "x.xlsx",
              check=2)
    assert "not allowed with" in both.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".xlsx", ".csv")) == ["sites.csv"]


def test_round_trip_fixed_rows_import_cleanly_and_are_quoted(sim, env, sites, tmp_path):
    fix = tmp_path / "fix.xlsx"
    bq(env, "check", sites, "--fix-list", fix, check=0)

    # The rep fixes the red cells in a spreadsheet and saves; the reasons stay where they were.
    wb = openpyxl.load_workbook(fix)
    ws = wb.active
    headers = _headers(ws)
    col = {h: headers.index(h) + 1 for h in headers}
    fixes = {"S-2": ("Street Address", "3001 S Lamar Blvd"), "S-3": ("ZIP", "02110"),
             "S-4": ("State", "WA")}
    for r in range(2, ws.max_row + 1):
        column, value = fixes[ws.cell(r, col["Site ID"]).value]
        ws.cell(r, col[column]).value = value
    fixed = tmp_path / "fixed.xlsx"
    wb.save(fixed)

    result = import_file(fixed)
    assert result.ignored_columns == [FIX_LIST_REASON]
    assert FIX_LIST_REASON not in result.columns
    assert FIX_LIST_REASON not in result.mapping.values()
    assert result.mapping["company"] == "Company"
    assert result.counts() == {"rows": 3, "valid": 3, "repaired": 0, "invalid": 0,
                               "duplicates": 0, "quotable": 3}
    rows = list(result.quotable_rows())
    assert [r.location["postal_code"] for r in rows] == ["78701", "02110", "98109"]
    assert all(FIX_LIST_REASON not in r.original for r in rows)
    assert all(not r.customer["company"].startswith("Row ") for r in rows)
    assert rows[0].original["Note"] == '=HYPERLINK("http://evil","x")'   # text, as it was

    checked = json.loads(bq(env, "check", fixed, "--json", check=0).stdout)
    assert checked["invalid"] == 0 and checked["ignored_columns"] == [FIX_LIST_REASON]

    submitted = json.loads(bq(env, "submit", fixed, "--wait", "--json", api_url=sim.base_url,
                              check=0).stdout.splitlines()[0])
    assert submitted["rows"] == 3
    report = json.loads(bq(env, "status", submitted["batch"], "--json", check=0).stdout)
    assert report["status"] == "complete"
    assert report["counts"]["complete"] == 3, report["rows"]
    assert all(r["carrier"] and r["mrc"] for r in report["rows"])

    export = tmp_path / "quotes.xlsx"
    bq(env, "export", submitted["batch"], "-o", export, check=0)
    quoted = _sheet(export)
    assert _headers(quoted)[:7] == ["Site ID", "Company", "Street Address", "City", "State", "ZIP",
                                   "Note"]
    assert FIX_LIST_REASON not in _headers(quoted)
    nothing = bq(env, "export", submitted["batch"], "--fix-list", "-o", tmp_path / "none.xlsx",
                 check=0)
    assert "nothing to fix" in nothing.stderr
    assert _sheet(tmp_path / "none.xlsx").max_row == 1
