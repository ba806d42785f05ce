"""A database the rep may read but not write (issue 19 #10): the reading commands work and say it
is read-only; a writing command says so in one line. Each failed before with "attempt to write a
readonly database" (or "unable to open database file"), status included.

Root can write any file, so as root the CLI runs as `nobody` against files root keeps 0644 in a
0755 folder; as anyone else, against the same files made 0444 in a 0555 folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
NOBODY = 65534
# Both tests open the checkout's folders to `nobody` and close them after (the fixture below):
# on two workers at once, one would close them under the other. One worker runs the module.
pytestmark = pytest.mark.xdist_group("read_only_database")


def _env(home: Path, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULKQUOTE_")}
    env.update(BULKQUOTE_DB=f"sqlite:///{db}", BULKQUOTE_DATA_DIR=str(home / "data"),
               BULKQUOTE_CONFIG_DIR=str(home / "config"), HOME=str(home))
    return env


def _run(env: dict[str, str], *args: object, as_reader: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bulkquote_gui", *map(str, args)]
    if as_reader and os.geteuid() == 0:
        # util-linux's setpriv: Popen(user=...) cannot exec this venv's interpreter as nobody here
        command = [shutil.which("setpriv") or "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                   "--clear-groups", *command]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL, cwd=env["HOME"])
    assert "Traceback" not in out.stderr, out.stderr
    return out


@pytest.fixture(autouse=True)
def _nobody_reaches_the_code() -> Iterator[None]:
    """As root the reader is `nobody`, who must reach this checkout and its venv: a clone in a
    0700 folder (mktemp -d) would say "No module named bulkquote_gui". Folders above them that
    others cannot enter get o+x for the test, put back after."""
    changed: list[tuple[Path, int]] = []
    if os.geteuid() == 0:
        for top in {REPO, Path(sys.prefix)}:
            for folder in [top, *top.parents]:
                mode = folder.stat().st_mode
                if not mode & 0o001:
                    folder.chmod(mode | 0o001)
                    changed.append((folder, mode))
    try:
        yield
    finally:
        for folder, mode in reversed(changed):
            folder.chmod(mode)


@pytest.fixture
def read_only_db() -> Iterator[tuple[dict[str, str], Path]]:
    """A database holding batch 1 (two rows), which the reader may read but not write."""
    root = Path(tempfile.mkdtemp(prefix="bq-read-only-"))   # not under pytest's 0700 folder
    try:
        root.chmod(0o755)
        folder, home, out = root / "db", root / "home", root / "out"
        folder.mkdir()
        sheet = root / "sites.csv"
        sheet.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:3]) + "\n",
                         encoding="utf-8")
        sheet.chmod(0o644)
        db = folder / "team.sqlite"
        writer_env = _env(root / "writer", db)
        writer_env["HOME"] = str(root)
        assert _run(writer_env, "submit", sheet).stdout.strip() == "1"
        for extra in folder.glob("team.sqlite?*"):  # the simulator's journal and the like
            extra.unlink()
        for made in (home, out):
            made.mkdir(mode=0o777)
            made.chmod(0o777)
        if os.geteuid() == 0:
            db.chmod(0o644)   # readable by nobody, writable only by root
            folder.chmod(0o755)
        else:
            db.chmod(0o444)
            folder.chmod(0o555)
        yield _env(home, db), out
    finally:
        (root / "db").chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)


def test_reading_commands_work_on_a_read_only_database(read_only_db):
    env, out = read_only_db
    listing = _run(env, "status", as_reader=True)
    assert listing.returncode == 0, listing.stderr
    assert "sites.csv" in listing.stdout
    assert "read-only" in listing.stderr
    one = _run(env, "status", "1", as_reader=True)
    assert one.returncode == 0 and "600 Congress Ave" in one.stdout, one.stderr
    found = _run(env, "find", "Congress", as_reader=True)
    assert found.returncode == 0 and "600 Congress Ave" in found.stdout, found.stderr
    exported = _run(env, "export", "1", "-o", out / "quotes.csv", as_reader=True)
    assert exported.returncode == 0, exported.stderr
    assert "600 Congress Ave" in (out / "quotes.csv").read_text(encoding="utf-8-sig")


def test_a_writing_command_says_the_database_is_read_only(read_only_db):
    env, _ = read_only_db
    answer = _run(env, "cancel", "1", as_reader=True)
    assert answer.returncode != 0
    last = answer.stderr.strip().splitlines()[-1]
    assert last == "bulkquote cancel: the database cannot be written (it is read-only); nothing was changed"
