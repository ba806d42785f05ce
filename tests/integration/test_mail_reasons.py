"""What the e-mail and `status` say about a batch (issue 15 #15): each reason once, in
core/output/reasons' words; the rows refused before sending are counted; a batch filled entirely from
still-valid quotes is mailed like any other. `submit --wait` in demo mode, a real SMTP server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
MANUAL = ("Manual pricing: the carriers price this site by hand; a sales engineer will "
          "follow up")
pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def env(tmp_path, smtp) -> dict[str, str]:
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'q.sqlite'}",
           "BULKQUOTE_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}?from=bq@example.com",
           "BULKQUOTE_NOTIFY_TO": "rep@example.com",
           "BULKQUOTE_DEMO_TIME_SCALE": "0.002"}   # the mail, not the pace, is tested
    env.pop("BULKQUOTE_API_URL", None)   # demo mode: the built-in simulator
    return env


def test_reasons_are_said_once_and_refused_rows_are_counted(env, smtp):
    run_cli(env, "submit", SAMPLE, "--wait", check=0)
    status = json.loads(run_cli(env, "status", "1", "--json", check=0).stdout)
    failed = [r["row"] for r in status["rows"] if r["error"] == "manual_pricing_required"]
    assert failed   # the sample has sites the carriers price by hand

    (received,) = smtp.received
    counts = status["counts"]
    assert received.message["Subject"].endswith(
        f"complete ({counts['complete']} priced, {counts['failed']} failed of {counts['total']}; "
        "4 not sent (refused before sending))")
    body = received.message.get_body().get_content()
    assert "4 more rows of the sheet were refused before sending (invalid or duplicate)" in body
    for row in failed:
        assert f"  row {row}: {MANUAL}\n" in body.replace("\r\n", "\n")
    assert "manual_pricing_required" not in body

    lines = run_cli(env, "status", "1", check=0).stdout.splitlines()
    for row in failed:
        (line,) = [x for x in lines if x.startswith(f"  row {row:>5}  failed")]
        assert line.endswith(MANUAL)


def test_a_batch_filled_from_valid_quotes_is_mailed_at_once(env, smtp, tmp_path):
    run_cli(env, "submit", SAMPLE, "--wait", check=0)
    priced = {r["row"] for r in json.loads(run_cli(env, "status", "1", "--json").stdout)["rows"]
              if r["status"] == "complete"}
    lines = SAMPLE.read_text().splitlines()
    again = tmp_path / "priced_again.csv"   # row n of the sheet is line n (the header is row 1)
    again.write_text("\n".join([lines[0]] + [lines[n - 1] for n in sorted(priced)]) + "\n")

    out = run_cli(env, "submit", again, "--wait", check=0)

    assert f"{len(priced)} rows filled from still-valid earlier quotes" in out.stderr
    assert "e-mail for batch #2 sent to rep@example.com" in out.stderr
    subjects = [r.message["Subject"] for r in smtp.received]
    assert subjects[1] == (f"BulkQuote: batch #2 priced_again.csv complete "
                           f"({len(priced)} priced of {len(priced)})")
    assert len(subjects) == 2
