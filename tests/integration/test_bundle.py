"""The frozen program (PyInstaller, bulkquote.spec), run headless: `--version`, `check` on a corpus
file, a demo batch (`submit --wait` against the built-in simulator) exported to XLSX, and the
window started offscreen. Skipped unless BULKQUOTE_BUNDLE names the built executable (.ci/run
builds it and sets it)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import openpyxl
import pytest

from bulkquote_gui import __version__

REPO = Path(__file__).resolve().parents[2]
BUNDLE = os.environ.get("BULKQUOTE_BUNDLE", "")
SAMPLE = REPO / "resources" / "sample_sites.csv"
CORPUS = next((p for p in (REPO.parent / "shared" / "corpus", Path("/work/shared/corpus"))
               if (p / "cms_hospital_general_information.csv").exists()), None)
pytestmark = [pytest.mark.skipif(not BUNDLE, reason="no bundle built (BULKQUOTE_BUNDLE unset; run .ci/bundle)"),
              pytest.mark.timeout(300)]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """Everything the frozen app writes stays in tmp_path; no API configured = demo mode."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BULKQUOTE_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
               XDG_DATA_HOME=str(tmp_path / "xdg-data"), XDG_STATE_HOME=str(tmp_path / "xdg-state"),
               BULKQUOTE_CONFIG_DIR=str(tmp_path / "config"), BULKQUOTE_DATA_DIR=str(tmp_path / "data"),
               BULKQUOTE_DB=f"sqlite:///{tmp_path / 'bundle.sqlite'}",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", QT_QPA_PLATFORM="offscreen",
               BULKQUOTE_TEST_TIMING="1")
    return env


def frozen(env, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([BUNDLE, *args], env=env, capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_version(env):
    out = frozen(env, "--version")
    assert (out.returncode, out.stdout.strip()) == (0, f"bulkquote {__version__}")


def test_check_a_corpus_file(env):
    path = CORPUS / "cms_hospital_general_information.csv" if CORPUS else SAMPLE
    out = frozen(env, "check", str(path), "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["rows"] > (4000 if CORPUS else 10) and summary["valid"] > 0, summary


def test_a_demo_batch_to_xlsx(env, tmp_path):
    out = frozen(env, "--poll-interval", "0.05", "submit", str(SAMPLE), "--wait", timeout=240)
    assert out.returncode == 0, out.stderr
    batch = out.stdout.strip().splitlines()[-1]
    assert "demo mode" in out.stderr
    xlsx = tmp_path / "results.xlsx"
    out = frozen(env, "export", batch, "-o", str(xlsx))
    assert out.returncode == 0, out.stderr
    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    statuses = {row[header.index("Status")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    # The whole sheet back, each row's status in the rep's words.
    assert sheet.max_row > 10 and statuses <= {"Priced", "Failed", "Invalid", "Duplicate"}
    assert "Priced" in statuses
    assert (tmp_path / "data" / "logs" / "bulkquote-cli.log").exists()


def test_the_window_starts_offscreen(env):
    """Qt's plugins made it into the bundle: the window runs until stopped, no abort."""
    proc = subprocess.Popen([BUNDLE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    try:
        _out, err = proc.communicate(timeout=8)
    except subprocess.TimeoutExpired:
        proc.terminate()
        _out, err = proc.communicate(timeout=20)
        assert "Traceback" not in err and "Aborted" not in err, err
        return
    pytest.fail(f"the window exited by itself ({proc.returncode}): {err}")
