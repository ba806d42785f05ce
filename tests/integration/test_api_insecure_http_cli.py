"""The CLI holds a batch back, with a sentence, when the API URL is plain http:// to another computer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
KEY = "sk_live_CLI_insecure_91b2"


def test_submit_to_remote_http_is_refused_and_the_batch_kept(tmp_path):
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'q.sqlite'}",
           "BULKQUOTE_API_KEY": KEY, "BULKQUOTE_CONFIG_DIR": str(tmp_path / "config")}
    sites = tmp_path / "sites.csv"
    sites.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:3]) + "\n",
                     encoding="utf-8")
    # 192.0.2.1 is TEST-NET-1: were anything sent, the call would hang, not fail at once.
    cmd = [sys.executable, "-m", "bulkquote_gui", "--api-url", "http://192.0.2.1/v1",
           "--poll-interval", "0.05", "submit", str(sites), "--wait", "--json"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert "plain http://" in out.stderr and "https://" in out.stderr and "Settings" in out.stderr
    assert KEY not in out.stdout + out.stderr
    batch = json.loads(out.stdout.splitlines()[0])["batch"]
    status = subprocess.run([sys.executable, "-m", "bulkquote_gui", "status", str(batch), "--json"],
                            env=env, capture_output=True, text=True, timeout=60)
    report = json.loads(status.stdout)
    assert report["counts"]["pending"] == 2  # nothing sent, nothing lost: resumable over https
