"""Address sets end to end: a sheet with physical and mailing addresses, checked, submitted,
quoted against the simulator and exported; each row says in the export (CSV and XLSX) and in
`status --json` which set it was quoted from, the same one `check --rows` names."""

from __future__ import annotations

import csv
import json
import os

import openpyxl
import pytest

from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_cli

HEADER = ("Name,Mailing Address,Mailing City,Mailing State,Mailing Zip,"
          "Physical Address,Physical City,Physical State,Physical Zip")
ROWS = [
    "Both,PO Box 9,Austin,TX,78701,600 Congress Ave,Austin,TX,78701",       # physical
    "Office elsewhere,100 Main St,Dallas,TX,75201,5 Oak St,Austin,TX,78702",  # physical
    "No physical,12 Elm St,Austin,TX,78703,,,,",                             # mailing
    "Physical box,14 Pine St,Austin,TX,78704,PO Box 4,Austin,TX,78704",       # mailing
    "Boxes only,PO Box 5,Austin,TX,78705,PO Box 6,Austin,TX,78705",           # invalid (physical)
    "Wrong state,1 Elm St,Hoboken,NJ,10001,,,,",                              # invalid (mailing)
    "Again,12 Elm St,Austin,TX,78703,,,,",                                    # duplicate (mailing)
    "Plain,,,,,700 Lavaca St,Austin,TX,78701",                                # physical
]


def bq(env, *args):
    return run_cli(env, *args, check=0)


@pytest.fixture
def env(tmp_path):
    sim = SimulatorServer(port=0, time_scale=0.004).start()
    yield {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "BULKQUOTE_API_KEY": "k", "BULKQUOTE_API_URL": sim.base_url,
           "BULKQUOTE_CONFIG_DIR": str(tmp_path / "config")}
    sim.stop()


def read_csv(path):
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_each_exported_row_names_the_set_check_rows_names(env, tmp_path):
    sheet = tmp_path / "two_sets.csv"
    sheet.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    bq(env, "check", sheet, "--rows", tmp_path / "rows.csv")
    checked = read_csv(tmp_path / "rows.csv")
    assert checked[0][-1] == "Address set"
    expected = [line[-1] for line in checked[1:]]
    assert expected == ["Physical", "Physical", "Mailing", "Mailing", "Physical", "Mailing",
                        "Mailing", "Physical"]
    statuses = {line[0]: line[1] for line in checked[1:]}

    batch = json.loads(bq(env, "submit", sheet, "--wait", "--json").stdout.splitlines()[0])["batch"]
    status = json.loads(bq(env, "status", batch, "--json").stdout)
    sets_by_row = {str(r["row"]): r["address_set"] for r in status["rows"]}
    assert sets_by_row == {line[0]: line[-1] for line in checked[1:]
                           if statuses[line[0]] in ("valid", "repaired")}

    bq(env, "export", batch, "-o", tmp_path / "out.csv")
    exported = read_csv(tmp_path / "out.csv")
    assert exported[0][:9] == HEADER.split(",") and exported[0][-1] == "Address set"
    assert len(exported) == len(checked)   # every row of the sheet, in its order
    assert [line[-1] for line in exported[1:]] == expected
    assert [line[0] for line in exported[1:]] == [r.split(",")[0] for r in ROWS]

    bq(env, "export", batch, "-o", tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", read_only=True)["Quotes"]
    values = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    assert values[0][-1] == "Address set"
    assert [row[-1] for row in values[1:]] == expected

    bq(env, "export", batch, "-o", tmp_path / "priced.csv", "--priced-only")
    priced = read_csv(tmp_path / "priced.csv")
    assert priced[0][-1] == "Address set"   # the same columns as the whole sheet's export
    by_name = {line[0]: line[-1] for line in exported[1:]}
    assert priced[1:] and all(line[-1] == by_name[line[0]] for line in priced[1:])


def test_the_rep_pins_a_set_at_submit(env, tmp_path):
    sheet = tmp_path / "two_sets.csv"
    sheet.write_text("\n".join([HEADER, ROWS[0], ROWS[1]]) + "\n", encoding="utf-8")
    out = bq(env, "submit", sheet, "--pin-set", "mailing", "--json")
    batch = json.loads(out.stdout.splitlines()[0])["batch"]
    status = json.loads(bq(env, "status", batch, "--json").stdout)
    # Row 2's mailing street is a PO box: refused, so only row 3 was stored, from Mailing.
    assert [(r["row"], r["address_set"]) for r in status["rows"]] == [(3, "Mailing")]
    listing = bq(env, "status", batch).stdout
    assert "100 Main St" in listing and "5 Oak St" not in listing


def test_a_sheet_with_one_address_set_gets_no_set_column(env, tmp_path):
    sheet = tmp_path / "one_set.csv"
    sheet.write_text("Name,Address,City,State,ZIP\nA,600 Congress Ave,Austin,TX,78701\n",
                     encoding="utf-8")
    batch = json.loads(bq(env, "submit", sheet, "--wait", "--json").stdout.splitlines()[0])["batch"]
    assert [r["address_set"] for r in json.loads(bq(env, "status", batch, "--json").stdout)["rows"]] \
        == [None]
    bq(env, "export", batch, "-o", tmp_path / "out.csv")
    assert "Address set" not in read_csv(tmp_path / "out.csv")[0]
