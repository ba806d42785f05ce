"""Who may read what BulkQuote writes, with the usual umask (022) (issue 19 #7, issue 15 #16).

The app's own files (database and its -wal/-shm, the log, settings.json, the demo journal, a
backup before an upgrade) are 0600 in 0700 folders; the files the rep chooses to write (export,
fix list, `check --rows`, cleaned addresses) follow the rep's umask: 0644 here.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bulkquote_gui.core.store import safety as safety_store
from bulkquote_gui.services.settings import Settings, save_settings

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def bq(env: dict[str, str], *args: object) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "bulkquote_gui", "--poll-interval", "1",
                          *map(str, args)], env=env, capture_output=True, text=True, timeout=180,
                         stdin=subprocess.DEVNULL, umask=0o022)
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 0, (out.stdout, out.stderr)
    return out


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BULKQUOTE_") and k not in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    env.update(BULKQUOTE_DATA_DIR=str(tmp_path / "data"), BULKQUOTE_CONFIG_DIR=str(tmp_path / "config"))
    return env


def test_the_apps_own_files_are_the_reps_alone_and_exports_follow_the_umask(home, tmp_path):
    sheet = tmp_path / "sites.csv"
    sheet.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:3]) + "\n",
                     encoding="utf-8")
    # Demo mode (no API URL): the built-in simulator keeps its journal beside the database.
    batch = bq(home, "submit", sheet, "--wait").stdout.strip().splitlines()[0]
    exports = tmp_path / "exports"
    exports.mkdir()
    bq(home, "export", batch, "-o", exports / "quotes.xlsx")
    bq(home, "export", batch, "-o", exports / "quotes.csv")
    bq(home, "check", sheet, "--rows", exports / "rows.csv", "--fix-list", exports / "fix.xlsx")

    data = tmp_path / "data"
    own = sorted(p for p in data.rglob("*"))
    names = {p.name for p in own}
    assert {"bulkquote.sqlite", "bulkquote-cli.log"} <= names
    assert any(n.endswith(".simulator.jsonl") for n in names)
    # Written while a process holds the database open: -wal and -shm as SQLite made them.
    with sqlite3.connect(data / "database" / "bulkquote.sqlite") as held:
        held.execute("SELECT 1 FROM store_meta").fetchall()
        bq(home, "status")
        companions = sorted((data / "database").glob("bulkquote.sqlite-*"))
        assert [p.name for p in companions] == ["bulkquote.sqlite-shm", "bulkquote.sqlite-wal"]
        wrong = {str(p.relative_to(tmp_path)): oct(mode(p)) for p in [*own, *companions]
                 if mode(p) != (0o700 if p.is_dir() else 0o600)}
    assert mode(data) == 0o700
    assert wrong == {}
    assert {p.name: oct(mode(p)) for p in sorted(exports.iterdir())} == {
        "fix.xlsx": "0o644", "quotes.csv": "0o644", "quotes.xlsx": "0o644", "rows.csv": "0o644"}


def test_settings_are_the_reps_alone(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "config" / "BulkQuote" / "settings.json"
        save_settings(Settings(rep_name="Dana"), path)
    finally:
        os.umask(old)
    assert oct(mode(path)) == "0o600"
    assert oct(mode(path.parent)) == "0o700"


def test_a_settings_file_an_earlier_release_left_open_is_closed_on_save(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    save_settings(Settings(rep_name="Dana"), path)
    assert oct(mode(path)) == "0o600"


def test_a_backup_before_an_upgrade_is_as_private_as_the_database(tmp_path):
    database = tmp_path / "old.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (x)")
    old = os.umask(0o022)
    try:
        backup = safety_store.backup_sqlite(database, 6)
    finally:
        os.umask(old)
    assert oct(mode(backup)) == "0o600"
