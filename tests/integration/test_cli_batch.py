"""The batch CLI as a subprocess against a real simulator on loopback, faults on."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from bulkquote_gui.core.output.reasons import status_word
from bulkquote_gui.services.simulator import Faults, SimulatorServer
from tests.helpers.cli import run_cli
from tests.helpers.references import by_row

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
FAULTS = Faults(rate_limit_rate=0.1, server_error_rate=0.1, drop_connection_rate=0.05,
                lose_response_after_create_rate=0.2, http_date_retry_after=False, seed=11)


@pytest.fixture
def sim():
    server = SimulatorServer(port=0, time_scale=0.01, api_key="test-key", faults=FAULTS).start()
    yield server
    server.stop()


def sites(tmp_path: Path, n: int) -> Path:
    """The first n rows of the sample spreadsheet."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    path = tmp_path / f"sites_{n}.csv"
    path.write_text("\n".join(lines[: n + 1]) + "\n", encoding="utf-8")
    return path


def bq(env, *args, api_url=None, timeout=120, check=None):
    return run_cli(env, *args, api_url=api_url, quote_timeout=30, timeout=timeout, check=check)


def status(env, batch):
    return json.loads(bq(env, "status", batch, "--json", check=0).stdout)


def assert_one_quote_per_row(sim, batch, rows):
    quotes = by_row(sim.stats()["quotes"])
    for row in rows:
        assert len(quotes.get(f"batch-{batch}/row-{row['row']}", [])) == 1, row


def test_submit_wait_with_faults_finishes_every_row_once(sim, env, tmp_path):
    out = bq(env, "submit", sites(tmp_path, 12), "--wait", "--json", api_url=sim.base_url, check=0)
    submitted = json.loads(out.stdout.splitlines()[0])
    assert submitted["rows"] == 12
    report = status(env, submitted["batch"])
    assert report["status"] == "complete"
    assert report["counts"]["pending"] == 0 and report["counts"]["total"] == 12
    assert report["counts"]["complete"] + report["counts"]["failed"] == 12
    assert report["counts"]["complete"] >= 8
    for row in report["rows"]:
        assert row["status"] in ("complete", "failed")
        if row["status"] == "complete":
            assert row["carrier"] and row["mrc"].count(".") == 1 and len(row["mrc"].split(".")[1]) == 2
        else:
            assert row["error"]
    assert_one_quote_per_row(sim, submitted["batch"], report["rows"])
    assert sim.stats().get("faults", 0) > 0, "faults were injected"
    assert "row" in out.stderr  # progress lines

    xlsx, csv_path = tmp_path / "r.xlsx", tmp_path / "r.csv"
    bq(env, "export", submitted["batch"], "-o", xlsx, check=0)
    bq(env, "export", submitted["batch"], "-o", csv_path, check=0)
    wb = openpyxl.load_workbook(xlsx)
    try:
        header = [c.value for c in wb.active[1]]
        assert header[0] == "Site ID" and "MRC" in header and wb.active.max_row == 13
    finally:
        wb.close()
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    mrcs = {r["Site ID"]: r["MRC"] for r in table}
    assert len(table) == 12
    # The export says a row's status in the rep's words (Priced, Failed), `status --json` as codes.
    assert [r["Status"] for r in table] == [status_word(r["status"]) for r in report["rows"]]
    assert [r["MRC"] or None for r in table] == [r["mrc"] for r in report["rows"]]
    assert mrcs
    # The API key is never written to the store or an export.
    db_file = Path(env["BULKQUOTE_DB"].removeprefix("sqlite:///"))
    for path in [db_file, *db_file.parent.glob(db_file.name + "-wal"), xlsx, csv_path]:
        assert b"test-key" not in path.read_bytes(), path


def test_submit_without_wait_returns_at_once_then_resume_finishes(sim, env, tmp_path):
    out = bq(env, "submit", sites(tmp_path, 4), api_url=sim.base_url, check=0)
    batch = int(out.stdout.strip())
    assert status(env, batch)["counts"]["pending"] == 4
    assert sim.stats().get("posts", 0) == 0
    bq(env, "resume", "--wait", api_url=sim.base_url, check=0)
    report = status(env, batch)
    assert report["status"] == "complete" and report["counts"]["pending"] == 0
    assert_one_quote_per_row(sim, batch, report["rows"])


def test_unreadable_and_unquotable_input_exit_2_with_a_message(sim, env, tmp_path):
    missing = bq(env, "submit", tmp_path / "nope.xlsx", "--wait", api_url=sim.base_url, check=2)
    assert "nope.xlsx" in missing.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a zip file")
    assert "broken.xlsx" in bq(env, "submit", broken, api_url=sim.base_url, check=2).stderr
    junk = tmp_path / "junk.csv"
    junk.write_text("Street,City,State,ZIP\nnowhere,,ZZ,1\n,,,\n", encoding="utf-8")
    out = bq(env, "submit", junk, "--wait", api_url=sim.base_url, check=2)
    assert "nothing quotable" in out.stderr
    assert json.loads(bq(env, "status", "--json", check=0).stdout)["batches"] == []


def test_bad_key_stops_the_batch_with_exit_1_and_resume_goes_on(sim, env, tmp_path):
    bad = {**env, "BULKQUOTE_API_KEY": "wrong-key"}
    out = bq(bad, "submit", sites(tmp_path, 3), "--wait", api_url=sim.base_url, check=1)
    assert "API key" in out.stderr and "wrong-key" not in out.stderr
    batch = int(out.stdout.strip())
    report = status(env, batch)
    assert report["status"] == "paused"
    assert report["counts"]["failed"] == 0
    bq(env, "resume", api_url=sim.base_url, check=0)
    report = status(env, batch)
    assert report["status"] == "complete"
    assert_one_quote_per_row(sim, batch, report["rows"])


def test_status_of_unknown_batch_and_listing(env):
    out = bq(env, "status", "42", check=2)
    assert "no batch 42" in out.stderr
    assert "no batches yet" in bq(env, "status", check=0).stdout


def test_cancel_from_another_process_stops_a_waiting_submit(env, tmp_path):
    slow = SimulatorServer(port=0, time_scale=0.01, api_key="test-key",
                           faults=Faults(never_finish=True)).start()
    try:
        cmd = [sys.executable, "-m", "bulkquote_gui", "--api-url", slow.base_url, "--poll-interval", "5",
               "submit", str(sites(tmp_path, 3)), "--wait"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while slow.stats().get("posts", 0) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            batch = 1
            bq(env, "cancel", batch, api_url=slow.base_url, check=0)
            stdout, stderr = proc.communicate(timeout=15)  # noticed within a second, not 5 s polls
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 1, stderr
        report = status(env, batch)
        assert report["status"] == "cancelled"
        assert [r["status"] for r in report["rows"]] == ["cancelled"] * 3
        assert slow.stats()["statuses"].get("cancelled") == 1
        assert not slow.stats()["statuses"].get("processing") and not slow.stats()["statuses"].get("queued")
    finally:
        slow.stop()


def test_sigterm_during_wait_leaves_the_batch_resumable(sim, env, tmp_path):
    cmd = [sys.executable, "-m", "bulkquote_gui", "--api-url", sim.base_url, "--poll-interval", "0.05",
           "submit", str(sites(tmp_path, 8)), "--wait"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while sim.stats().get("created", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1 and "Traceback" not in stderr
    assert "resume" in stderr
    batch = int(stdout.strip())
    report = status(env, batch)
    assert report["status"] == "running" and report["counts"]["pending"] > 0
    bq(env, "resume", "--wait", api_url=sim.base_url, check=0)
    report = status(env, batch)
    assert report["status"] == "complete"
    assert_one_quote_per_row(sim, batch, report["rows"])


def test_retry_requeues_only_failed_rows(sim, env, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("Street,City,State,ZIP\n600 Congress Ave,Austin,TX,78701\n"
                    "123 Fake Street,Austin,TX,78701\n", encoding="utf-8")
    batch = int(bq(env, "submit", path, "--wait", api_url=sim.base_url, check=0).stdout.strip())
    before = status(env, batch)
    assert [r["status"] for r in before["rows"]] == ["complete", "failed"]
    assert before["rows"][1]["error"] == "address_not_found"
    out = bq(env, "retry", batch, "--wait", api_url=sim.base_url, check=0)
    # An address the carriers do not know comes back the same: it is not sent again, and says so.
    assert "0 failed rows queued again; 1 kept" in out.stderr
    after = status(env, batch)
    assert after["rows"] == before["rows"]
    quotes = by_row(sim.stats()["quotes"])
    assert len(quotes[f"batch-{batch}/row-2"]) == 1
    assert len(quotes[f"batch-{batch}/row-3"]) == 1


def test_cancelled_batch_goes_on_with_quote_rest(sim, env, tmp_path):
    batch = int(bq(env, "submit", sites(tmp_path, 6), api_url=sim.base_url, check=0).stdout.strip())
    bq(env, "cancel", batch, api_url=sim.base_url, check=0)
    cancelled = status(env, batch)
    assert cancelled["status"] == "cancelled" and cancelled["counts"]["cancelled"] == 6
    out = bq(env, "retry", batch, api_url=sim.base_url, check=1)
    assert "quote-rest" in out.stderr
    out = bq(env, "quote-rest", batch, "--wait", api_url=sim.base_url, check=0)
    assert "6 rows queued to quote" in out.stderr
    after = status(env, batch)
    assert after["status"] == "complete" and after["counts"]["cancelled"] == 0
    assert after["counts"]["complete"] + after["counts"]["failed"] == 6


def test_demo_mode_uses_the_built_in_simulator(env, tmp_path):
    out = bq(env, "submit", sites(tmp_path, 2), "--wait", "--json", check=0)
    assert "demo mode" in out.stderr
    batch = json.loads(out.stdout.splitlines()[0])["batch"]
    assert status(env, batch)["counts"]["pending"] == 0


def test_export_refuses_unknown_format(sim, env, tmp_path):
    batch = int(bq(env, "submit", sites(tmp_path, 1), api_url=sim.base_url, check=0).stdout.strip())
    out = bq(env, "export", batch, "-o", tmp_path / "x.pdf", check=2)
    assert ".xlsx or .csv" in out.stderr
    assert "no batch 7" in bq(env, "export", "7", "-o", tmp_path / "x.csv", check=2).stderr


def test_real_api_without_a_key_stores_the_batch_and_says_how_to_go_on(sim, env, tmp_path):
    no_key = {k: v for k, v in env.items() if k != "BULKQUOTE_API_KEY"}
    out = bq(no_key, "submit", sites(tmp_path, 2), "--wait", api_url=sim.base_url, check=1)
    assert "no API key" in out.stderr and "bulkquote resume" in out.stderr
    batch = int(out.stdout.strip())
    assert status(env, batch)["counts"]["pending"] == 2
    assert sim.stats().get("posts", 0) == 0
