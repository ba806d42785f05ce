"""The API key is nowhere the app writes: database, settings, logs, exports, crash output.

Every command runs as a subprocess with HOME, the XDG folders, TMPDIR and BULKQUOTE_* all inside
one temporary folder, a distinctive key in BULKQUOTE_API_KEY, logging on at DEBUG (to a file
and to stderr) and faulthandler armed. Three servers: the simulator CLI with faults on, the
same with a wrong key, and an echo peer that sends the key back in every text it can (error
messages, carrier names, failure reasons; raw, percent-encoded and base64). A batch is
submitted and waited for, crashed with SIGSEGV mid-run and resumed, listed and exported.
Then every file under the folder (the members of zip files such as .xlsx too) and every
captured stdout/stderr is searched for the key in each form a leak could take.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
KEY = "sk_live_SCAN+me/7Qx=Zk~42f9"
WRONG_KEY = "sk_live_WRONG+key/Zz=81~aa"
FAST = ("--poll-interval", "0.05", "--quote-timeout", "30")
# The app configures no logging of its own: this turns it on, as a support session would.
WITH_LOGGING = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, filename=sys.argv[1],"
    " format='%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s')\n"
    "logging.getLogger().addHandler(logging.StreamHandler())\n"
    "from bulkquote_gui.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n")


def forms_of(key: str) -> dict[str, bytes]:
    """Each way the key could sit in a file (written here, not taken from the client's code)."""
    header = f"Bearer {key}"
    return {
        "raw": key.encode(),
        "utf-16": key.encode("utf-16-le"),
        "percent-encoded": urllib.parse.quote(key, safe="").encode(),
        "form-encoded": urllib.parse.quote_plus(key).encode(),
        "json-escaped": json.dumps(key)[1:-1].encode(),
        "base64": base64.b64encode(key.encode()).rstrip(b"="),
        "base64url": base64.urlsafe_b64encode(key.encode()).rstrip(b"="),
        "base64 header": base64.b64encode(header.encode()).rstrip(b"="),
        "base64 basic auth": base64.b64encode(f":{key}".encode()).rstrip(b"="),
    }


def leaks_in(data: bytes, key: str) -> list[str]:
    return [name for name, form in forms_of(key).items() if form in data]


def scan(root: Path, outputs: dict[str, str], key: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = leaks_in(data, key)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    hits += [f"{member}: {h}" for h in leaks_in(archive.read(member), key)]
        if hits:
            found[str(path.relative_to(root))] = hits
    for name, text in outputs.items():
        hits = leaks_in(text.encode("utf-8", "surrogateescape"), key)
        if hits:
            found[name] = hits
    return found


# --- the echo peer -------------------------------------------------------------------------------

class EchoPeer(ThreadingHTTPServer):
    """A Momentum look-alike that repeats the Authorization it receives in every text it sends."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _EchoHandler)
        self.quotes: dict[str, dict[str, Any]] = {}
        self.gets: dict[str, int] = {}
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EchoPeer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: dict[str, Any], retry_after: str | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(payload)

    def _echoes(self) -> tuple[str, str, str]:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        return auth, urllib.parse.quote(token, safe=""), base64.b64encode(auth.encode()).decode()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            quote_id = f"q_echo_{len(self.server.quotes) + 1}"
            self.server.quotes[quote_id] = body
        self._send(201, self._quote(quote_id, "queued"), retry_after="0")

    def do_GET(self) -> None:
        quote_id = self.path.rsplit("/", 1)[-1]
        auth, percent, b64 = self._echoes()
        with self.server.lock:
            known = quote_id in self.server.quotes
            self.server.gets[quote_id] = self.server.gets.get(quote_id, 0) + 1
            count = self.server.gets[quote_id]
        if not known:
            self._send(404, {"error": {"code": "not_found", "message": f"no quote; you sent {auth}"}})
        elif count == 1:
            self._send(503, {"error": {"code": "unavailable", "field": auth,
                                       "message": f"proxy saw Authorization: {auth} ({b64}, {percent})"}},
                       retry_after="0")
        else:
            number = int(quote_id.rsplit("_", 1)[-1])
            self._send(200, self._quote(quote_id, "complete" if number % 2 else "failed"))

    def do_DELETE(self) -> None:
        self._send(200, self._quote(self.path.rsplit("/", 1)[-1], "cancelled"))

    def _quote(self, quote_id: str, status: str) -> dict[str, Any]:
        auth, percent, b64 = self._echoes()
        request = self.server.quotes.get(quote_id, {})
        body: dict[str, Any] = {"id": quote_id, "reference": f"{request.get('reference')} {auth}",
                                "status": status, "created_at": "2026-11-29T14:00:00Z",
                                "updated_at": "2026-11-29T14:00:01Z", "request": request,
                                "result": None, "error": None}
        if status == "complete":
            body["result"] = {"options": [{
                "carrier": f"Echo {auth}", "product": f"DIA {percent}", "bandwidth_mbps": 1000,
                "term_months": 36, "mrc": "899.00", "nrc": "0.00", "currency": "USD",
                "x_debug": {"authorization": auth, "b64": b64}}], "recommended": 0}
        elif status == "failed":
            body["error"] = {"code": "no_coverage", "message": f"no carrier for {auth} / {b64} / {percent}"}
        return body


# --- the run -------------------------------------------------------------------------------------

class App:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.logs = root / "logs"
        self.outputs: dict[str, str] = {}
        dirs = {name: root / name for name in ("home", "config", "data", "cache", "state", "tmp", "logs",
                                               "xdg-config", "xdg-data")}
        for folder in dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "HOME": str(dirs["home"]), "XDG_CONFIG_HOME": str(dirs["xdg-config"]),
                    "XDG_DATA_HOME": str(dirs["xdg-data"]), "XDG_CACHE_HOME": str(dirs["cache"]),
                    "XDG_STATE_HOME": str(dirs["state"]), "TMPDIR": str(dirs["tmp"]),
                    "BULKQUOTE_CONFIG_DIR": str(dirs["config"]), "BULKQUOTE_DATA_DIR": str(dirs["data"]),
                    "BULKQUOTE_DB": f"sqlite:///{dirs['data'] / 'bulkquote.sqlite'}",
                    "BULKQUOTE_API_KEY": KEY, "PYTHONFAULTHANDLER": "1",
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                    # The crashed run keeps the lease until it expires: 4 s, not a rep's 30 s.
                    "BULKQUOTE_LEASE_TTL_S": "4"}
        self.env.pop("BULKQUOTE_API_URL", None)

    def command(self, name: str, *args: str) -> list[str]:
        return [sys.executable, "-c", WITH_LOGGING, str(self.logs / f"{name}.log"), *map(str, args)]

    def run(self, name: str, *args: str, env: dict[str, str] | None = None, check: int | None = 0,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(self.command(name, *args), env=env or self.env, capture_output=True,
                             text=True, timeout=timeout, cwd=self.root)
        self.outputs[f"{name} stdout"], self.outputs[f"{name} stderr"] = out.stdout, out.stderr
        if check is not None:
            assert out.returncode == check, (name, out.returncode, out.stdout[-2000:], out.stderr[-3000:])
        return out

    def batch_of(self, out: subprocess.CompletedProcess[str]) -> int:
        return json.loads(out.stdout.splitlines()[0])["batch"]


@pytest.fixture
def app(tmp_path):
    return App(tmp_path)


def sites(app: App, n: int, name: str) -> Path:
    path = app.root / "home" / f"{name}.csv"
    path.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[: n + 1]) + "\n",
                    encoding="utf-8")
    return path


def start_simulator(app: App, key: str) -> tuple[subprocess.Popen[str], str]:
    sim = subprocess.Popen(app.command("simulator", "simulator", "--port", "0", "--time-scale", "0.01",
                                       "--api-key", key),
                           env=app.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = sim.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), sim.stderr.read()
    return sim, url


def stop(app: App, name: str, process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    app.outputs[f"{name} stdout"], app.outputs[f"{name} stderr"] = out, err


def test_the_key_is_in_no_file_and_no_output(app):
    sim, url = start_simulator(app, KEY)
    try:
        admin = url.removesuffix("/v1")
        faults = {"server_error_rate": 0.1, "rate_limit_rate": 0.1, "drop_connection_rate": 0.05,
                  "truncate_body_rate": 0.05, "lose_response_after_create_rate": 0.1, "seed": 4}
        assert httpx.put(f"{admin}/_sim/faults", json=faults).status_code == 200

        # Settings saved by the app's own code, with the URL the later runs take from them.
        code = ("import sys; from bulkquote_gui.services.settings import Settings, save_settings; "
                f"save_settings(Settings(api_base_url={url!r}, rep_name='Ana', rep_email='ana@x.example'))")
        subprocess.run([sys.executable, "-c", code], env=app.env, check=True, timeout=60)

        first = app.batch_of(app.run("submit", *FAST, "submit", sites(app, 12, "first"), "--wait",
                                     "--json"))
        app.run("status-one", "status", first, "--json")
        app.run("status-all", "status", "--json")
        app.run("export-xlsx", "export", first, "-o", app.root / "home" / "first.xlsx")
        app.run("export-csv", "export", first, "-o", app.root / "home" / "first.csv")

        # A crash mid-batch (SIGSEGV: faulthandler prints every thread's stack), then resume.
        # --no-reuse: the same sites as the first batch, asked again (not filled from its quotes).
        crash = subprocess.Popen(app.command("crash", *FAST, "submit", sites(app, 10, "second"), "--wait",
                                             "--no-reuse"),
                                 env=app.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err_lines: list[str] = []
        for line in crash.stderr:
            err_lines.append(line)
            if sum(": complete" in seen or ": failed" in seen for seen in err_lines) >= 2:
                crash.send_signal(signal.SIGSEGV)  # two rows done, the third in flight
                break
        out, err = crash.communicate(timeout=60)
        app.outputs["crash stdout"], app.outputs["crash stderr"] = out, "".join(err_lines) + err
        assert crash.returncode == -signal.SIGSEGV, (crash.returncode, err[-2000:])
        assert "Fatal Python error: Segmentation fault" in err  # the crash output, to be scanned
        app.run("resume", *FAST, "resume", "--wait")

        wrong = {**app.env, "BULKQUOTE_API_KEY": WRONG_KEY}
        refused = app.run("wrong-key", "submit", sites(app, 2, "third"), "--wait", env=wrong, check=1)
        assert "key" in refused.stderr.lower()
    finally:
        stop(app, "simulator", sim)

    with EchoPeer() as echo:
        echo.thread.start()
        try:
            echoed = app.batch_of(app.run("echo-submit", "--api-url", echo.base_url, *FAST, "submit",
                                          sites(app, 4, "echo"), "--wait", "--json"))
            report = json.loads(app.run("echo-status", "status", echoed, "--json").stdout)
            app.run("echo-export", "export", echoed, "-o", app.root / "home" / "echo.xlsx")
            app.run("echo-export-csv", "export", echoed, "-o", app.root / "home" / "echo.csv")
        finally:
            echo.shutdown()
    statuses = [row["status"] for row in report["rows"]]
    assert statuses.count("complete") >= 1 and statuses.count("failed") >= 1, statuses
    assert any("<hidden>" in (row.get("carrier") or "") for row in report["rows"])

    # What was written is there to be scanned: the database, settings, every log, the exports.
    written = {str(p.relative_to(app.root)) for p in app.root.rglob("*") if p.is_file()}
    assert "data/bulkquote.sqlite" in written and "config/settings.json" in written
    assert {"home/first.xlsx", "home/first.csv", "home/echo.xlsx", "logs/submit.log",
            "logs/echo-submit.log", "logs/simulator.log"} <= written
    assert (app.logs / "submit.log").stat().st_size > 1000  # DEBUG logging really was on
    assert scan(app.root, app.outputs, KEY) == {}
    assert scan(app.root, app.outputs, WRONG_KEY) == {}


def test_the_scan_finds_the_key_in_every_form_it_looks_for(tmp_path):
    """The scanner itself: a planted key in any of its forms, or inside a zip, is found."""
    for name, form in forms_of(KEY).items():
        (tmp_path / f"{name}.bin").write_bytes(b"prefix " + form + b" suffix")
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/sharedStrings.xml", f"<si><t>Echo Bearer {KEY}</t></si>")
    found = scan(tmp_path, {"stderr": f"oops {KEY}"}, KEY)
    assert set(found) == {f"{name}.bin" for name in forms_of(KEY)} | {"book.xlsx", "stderr"}
    assert "xl/sharedStrings.xml: raw" in found["book.xlsx"]
