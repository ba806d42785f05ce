"""`bulkquote diff OLD NEW` as a rep runs it: the same file quoted twice through the simulator,
then two of the second batch's prices changed in the store (the simulator prices a site the
same every time): the diff lists exactly those sites."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_cli


def _submit_twice(tmp_path, sites: int, *asked: str) -> tuple[dict[str, str], str]:
    """The same file of `sites` sites submitted twice against the simulator (the second asked
    again, not filled from the first): (env, db URL)."""
    sim = SimulatorServer(port=0, time_scale=0.004).start()
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {**os.environ, "BULKQUOTE_DB": db, "BULKQUOTE_API_KEY": "k",
           "BULKQUOTE_API_URL": sim.base_url}
    sheet = tmp_path / "sites.csv"
    sheet.write_text("\n".join(["Site,Company,Street,City,State,ZIP",
                                *(f"S{i},Acme,{100 + i} Congress Ave,Austin,TX,78701"
                                  for i in range(sites))]) + "\n")
    try:
        run_cli(env, "submit", sheet, *asked, "--wait", check=0)
        run_cli(env, "submit", sheet, *asked, "--wait", "--no-reuse", check=0)   # asked again
    finally:
        sim.stop()
    return env, db


@pytest.fixture
def quoted_twice(tmp_path):
    """(env, db URL, the rows priced both times) after the same file was quoted twice."""
    env, db = _submit_twice(tmp_path, 8)
    rows = [json.loads(run_cli(env, "status", b, "--json", check=0).stdout)["rows"] for b in (1, 2)]
    priced = [r["row"] for r in rows[0] if r["status"] == "complete"]
    assert priced == [r["row"] for r in rows[1] if r["status"] == "complete"]
    assert len(priced) >= 4
    return env, db, priced


def _raise_price(db: str, batch: int, row: int, by: str) -> None:
    """Every option of the row dearer by `by`: the deal's rule still chooses the same one."""
    engine = create_engine(db)
    with engine.begin() as c:
        c.execute(text("UPDATE quote_option SET mrc = mrc + :by WHERE "
                       "quote_id = (SELECT quote_id FROM batch_quote WHERE batch_id = :b AND "
                       "row_number = :r)"), {"by": by, "b": batch, "r": row})
    engine.dispose()


def test_the_diff_of_the_same_file_lists_exactly_the_sites_whose_price_differs(quoted_twice):
    env, db, priced = quoted_twice
    up, down = priced[1], priced[3]
    _raise_price(db, 2, up, "25.50")
    _raise_price(db, 2, down, "-100.00")

    report = json.loads(run_cli(env, "diff", "1", "2", "--json", check=0).stdout)
    changed = {s["row"]: s for s in report["sites"] if s["kinds"] != ["unchanged"]}
    assert sorted(changed) == sorted([up, down])
    assert (changed[up]["kinds"], changed[up]["mrc_change"]) == (["price up"], "25.50")
    assert (changed[down]["kinds"], changed[down]["mrc_change"]) == (["price down"], "-100.00")
    assert float(changed[up]["new"]["mrc"]) - float(changed[up]["old"]["mrc"]) == pytest.approx(25.5)
    assert report["totals"]["monthly_change"] == "-74.50"
    assert report["totals"]["one_time_change"] == "0.00"
    assert report["counts"]["price up"] == 1 and report["counts"]["price down"] == 1
    assert len(report["sites"]) == 8 and (report["old"]["batch"], report["new"]["batch"]) == (1, 2)

    table = run_cli(env, "diff", "1", "2", check=0).stdout
    lines = [line for line in table.splitlines() if line.lstrip().startswith("row ")]
    assert [int(line.split()[1]) for line in lines] == sorted([up, down])
    assert "+25.50/mo" in table and "-100.00/mo" in table
    assert "2 of 8 sites changed: 1 price up, 1 price down" in table

    # the export's Changes sheet, against the latest earlier batch of the same file
    out = Path(db.removeprefix("sqlite:///")).parent / "quotes.xlsx"
    said = run_cli(env, "export", "2", "-o", out, "--compare", "previous", check=0).stderr
    assert "with the changes since batch 1" in said
    sheet = list(openpyxl.load_workbook(out)["Changes"].iter_rows(values_only=True))
    moved = [r[0] for r in sheet[1:9] if r[4] != "Unchanged"]
    assert moved == sorted([up, down])
    refused = run_cli(env, "export", "1", "-o", out, "--compare", "previous", check=2).stderr
    assert refused.strip().splitlines() == [
        "bulkquote export: no earlier batch of the same file as batch 1 to compare with"]

    # an unknown batch: one line, no traceback (run_cli checks)
    out = run_cli(env, "diff", "1", "99", check=2)
    assert out.stderr.strip().splitlines() == [
        "bulkquote diff: no batch 99 in this database (see `bulkquote status`)"]
    assert out.stdout == ""
    out = run_cli(env, "export", "2", "-o", "x.xlsx", "--compare", "99", check=2)
    assert out.stderr.strip().splitlines() == [
        "bulkquote export: no batch 99 in this database (see `bulkquote status`)"]


@pytest.fixture
def two_deals(tmp_path):
    """(env, db URL, out dir) after the same file was asked for 36 and 60 months twice: deal 1
    (batches 1, 2) and deal 3 (batches 3, 4)."""
    env, db = _submit_twice(tmp_path, 4, "--terms", "36,60")
    return env, db, tmp_path


def test_the_diff_of_two_deals_names_them_as_deals(two_deals):
    """"batch 4 against batch 2" for two deals: a deal is named as the deal, whichever of its
    batches was given."""
    env, _db, out_dir = two_deals
    table = run_cli(env, "diff", "2", "4", check=0).stdout
    assert table.splitlines()[0] == "deal 3 (sites.csv) against deal 1 (sites.csv)"
    assert "batch" not in table
    report = json.loads(run_cli(env, "diff", "1", "3", "--json", check=0).stdout)
    assert (report["old"]["batch"], report["old"]["deal"]) == (1, 1)
    assert (report["new"]["batch"], report["new"]["deal"]) == (3, 3)
    said = run_cli(env, "export", "3", "-o", out_dir / "q.xlsx", "--compare", "1", check=0).stderr
    assert "with the changes since deal 1" in said
    sheet = list(openpyxl.load_workbook(out_dir / "q.xlsx")["Changes"].iter_rows(values_only=True))
    assert ("Compared with", "deal 1") in [tuple(r[:2]) for r in sheet]
    # the previous of deal 3's second batch is deal 1, not deal 3's first batch
    said = run_cli(env, "export", "4", "-o", out_dir / "q.xlsx", "--compare", "previous",
                   check=0).stderr
    assert "with the changes since deal 1" in said


def test_two_currencies_are_said_to_differ_not_subtracted(two_deals):
    env, db, out_dir = two_deals
    engine = create_engine(db)
    with engine.begin() as c:   # the second deal priced in Canadian dollars
        c.execute(text("UPDATE quote_option SET currency = 'CAD' WHERE quote_id IN "
                       "(SELECT quote_id FROM batch_quote WHERE batch_id IN (3, 4))"))
    engine.dispose()
    table = run_cli(env, "diff", "1", "3", check=0).stdout
    assert "totals not compared: priced in USD before, CAD now" in table
    # every site priced both times (the simulator leaves one unpriced) changed currency only
    assert re.search(r"^([1-4]) of 4 sites changed: \1 currency changed$", table, re.MULTILINE)
    assert "CAD/mo" in table and "/mo  +" not in table and "/mo  -" not in table
    report = json.loads(run_cli(env, "diff", "1", "3", "--json", check=0).stdout)
    assert report["totals"]["currency"] is None
    assert (report["totals"]["monthly_change"], report["totals"]["one_time_change"]) == (None, None)
    assert {s["mrc_change"] for s in report["sites"]} == {None}
    run_cli(env, "export", "3", "-o", out_dir / "q.xlsx", "--compare", "1", check=0)
    sheet = {r[0]: r[1] for r in openpyxl.load_workbook(out_dir / "q.xlsx")["Changes"]
             .iter_rows(values_only=True) if r and r[0]}
    assert sheet["Monthly change (sites priced both times)"] == \
        "Not compared: priced in USD before, CAD now"
