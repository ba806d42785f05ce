"""`bulkquote proposal BATCH -o FILE` (issue 18) as a rep runs it: a subprocess against the
real simulator on loopback, the PDF and XLSX read back, errors as one line."""

from __future__ import annotations

import io
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pypdf
import pytest

from bulkquote_gui.core.output.proposal_pdf import money
from bulkquote_gui.services.settings import Settings, save_settings
from bulkquote_gui.services.simulator import SimulatorServer
from tests.helpers.cli import run_cli
from tests.unit.test_proposal import PNG_1PX

SITES = """Site ID,Company,Street Address,City,State,ZIP
S-1,Acme Dental,600 Congress Ave,Austin,TX,78701
S-2,Harbor Logistics,1 Federal St,Boston,MA,02110
S-3,Pioneer Foods,400 Broad St,Seattle,WA,98109
S-4,Nowhere Co,123 Nowhere Ln,Austin,TX,78701
S-5,Bad Row,PO Box 12,Austin,TX,78701
"""


@pytest.fixture
def sim():
    server = SimulatorServer(port=0, time_scale=0.01, api_key="test-key").start()
    yield server
    server.stop()


def bq(env, *args, api_url=None, check=None):
    return run_cli(env, *args, api_url=api_url, quote_timeout=30, check=check)


@pytest.fixture
def finished(sim, env, tmp_path) -> int:
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    done = bq(env, "submit", path, "--wait", "--json", api_url=sim.base_url, check=0)
    return json.loads(done.stdout.splitlines()[0])["batch"]


def status_json(env, batch: int) -> dict:
    return json.loads(bq(env, "status", batch, "--json", check=0).stdout)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


@pytest.mark.parametrize("page", ["a4", "letter"])
def test_the_pdf_of_a_finished_batch_holds_every_site_and_total(env, finished, tmp_path, page):
    config = Path(os.environ["BULKQUOTE_CONFIG_DIR"])
    (tmp_path / "logo.png").write_bytes(PNG_1PX)
    save_settings(Settings(company_name="Acme Networks", company_logo=str(tmp_path / "logo.png")),
                  config / "settings.json")
    out = tmp_path / "deal proposal.pdf"
    done = bq(env, "proposal", finished, "-o", out, "--page", page, "--customer", "Globex",
              check=0)
    assert f"written to {out}" in done.stderr
    text = pdf_text(out)
    assert "Acme Networks" in text and "Prepared for Globex" in text
    rows = [r for r in status_json(env, finished)["rows"]]
    priced = [r for r in rows if r["mrc"]]
    assert priced and len(priced) < len(rows)         # some priced, one not (no coverage)
    for r in priced:
        assert f"{r['row']} " in text and money(Decimal(r["mrc"]), "USD") in text
    monthly = sum(Decimal(r["mrc"]) for r in priced)
    assert money(monthly, "USD") in text
    assert "123 Nowhere Ln" in text and "could not be priced" in text
    assert "PO Box 12" in text                          # the invalid row: not priced, and why
    assert "Where the sites are" in text                # the map, painted by Qt offscreen
    assert not any(r["remote_id"] in text for r in priced if r.get("remote_id"))


def test_the_xlsx_and_the_appendix_with_quote_ids(env, finished, tmp_path):
    out = tmp_path / "p.xlsx"
    bq(env, "proposal", finished, "-o", out, "--all-offers", check=0)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Proposal", "Sites", "Notes", "All offers"]
    ids = {r[2] for r in wb["All offers"].iter_rows(min_row=2, values_only=True)}
    assert all(i for i in ids)


def test_errors_are_one_line(env, sim, finished, tmp_path):
    unknown = bq(env, "proposal", finished + 7, "-o", tmp_path / "x.pdf", check=2)
    assert unknown.stderr.strip() == f"bulkquote proposal: no batch {finished + 7} in this database"
    path = tmp_path / "more.csv"
    path.write_text(SITES, encoding="utf-8")
    pending = json.loads(bq(env, "submit", path, "--json", api_url=sim.base_url,
                            check=0).stdout.splitlines()[0])["batch"]
    unfinished = bq(env, "proposal", pending, "-o", tmp_path / "x.pdf", check=2)
    assert f"batch {pending} is not finished yet (waiting its turn)" in unfinished.stderr
    unwritable = bq(env, "proposal", finished, "-o", tmp_path / "nope" / "x.pdf", check=2)
    assert unwritable.stderr.startswith("bulkquote proposal: cannot write")
    wrong_kind = bq(env, "proposal", finished, "-o", tmp_path / "x.docx", check=2)
    assert "a proposal is a .pdf or an .xlsx file" in wrong_kind.stderr
    config = Path(os.environ["BULKQUOTE_CONFIG_DIR"])
    save_settings(Settings(company_logo=str(tmp_path / "gone.png")), config / "settings.json")
    no_logo = bq(env, "proposal", finished, "-o", tmp_path / "x.pdf", check=2)
    assert f"cannot read logo file {tmp_path / 'gone.png'}" in no_logo.stderr
    for done in (unknown, unfinished, unwritable, wrong_kind, no_logo):
        assert len(done.stderr.strip().splitlines()) == 1
