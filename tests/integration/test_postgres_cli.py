"""The CLI on a team's PostgreSQL database: `--db postgresql+psycopg://...` against the built-in
demo simulator (no --api-url), as a subprocess, on the session's throwaway server."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.helpers.cli import run_cli

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def bq(db: str, *args: object, timeout: float = 180):
    return run_cli(None, *args, db=db, timeout=timeout, check=0)


def test_submit_and_status_on_postgresql_show_money_with_two_decimals(postgres_cluster,
                                                                       tmp_path):
    postgres_cluster.store_fingerprint = None
    postgres_cluster.reset_schema()  # an empty database: the CLI creates the schema
    db = postgres_cluster.url
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    sites = tmp_path / "sites.csv"
    sites.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")

    out = bq(db, "submit", sites, "--wait", "--json")
    assert "demo mode" in out.stderr
    batch = json.loads(out.stdout.splitlines()[0])["batch"]
    # the progress lines: "batch 1 row 2: complete Spectrum 705.00 USD/month [...]"
    prices = re.findall(r": complete .* (\S+) USD/month", out.stderr)
    assert prices and all(MONEY.match(p) for p in prices), out.stderr

    report = json.loads(bq(db, "status", batch, "--json").stdout)
    assert report["status"] == "complete" and report["counts"]["total"] == 4
    priced = [row for row in report["rows"] if row.get("mrc") is not None]
    assert priced, report["rows"]
    for row in priced:
        assert MONEY.match(str(row["mrc"])) and MONEY.match(str(row["nrc"])), row

    text = bq(db, "status", batch).stdout  # the table a person reads
    assert not re.search(r"\d\.\d{3,}\b", text), text
