"""`status`, `status N` and `find` print names and cells from the rep's files (issue 19 #6):
terminal escapes, CR/LF and bidi overrides never reach the terminal; --json keeps them, escaped."""

from __future__ import annotations

import json
import os

import pytest

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from tests.helpers.cli import run_cli
from tests.helpers.fakes import FakeImport, checked_row

NAME = "evil\r\nBcc: attacker@example.com\x1b[31m\u202egsm.csv"
STREET = "1 Main St\x1b[2J\r\n  row     3  complete  forged\u202e"
UNSAFE = ("\r", "\x1b", "\u202e")


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    engine = engine_store.make_engine(url)
    try:
        with engine_store.in_transaction(engine_store.make_session_factory(engine)) as session:
            batch_store.create_batch(
                session, FakeImport([checked_row(2, street=STREET, company="Acme\x1b[0m\nInc")]),
                defaults=BatchDefaults(), source_name=NAME)
    finally:
        engine.dispose()
    return url


def _lines(out: str) -> list[str]:
    assert not any(c in out for c in UNSAFE), repr(out)
    return out.splitlines()


@pytest.mark.parametrize("args", [("status",), ("status", "1"), ("find", "Main")])
def test_names_and_cells_are_one_clean_line(db, args):
    out = run_cli({**os.environ}, *args, db=db, check=0)
    lines = _lines(out.stdout)
    assert len(lines) == {"status": 1, "find": 1}[args[0]] + (1 if args == ("status", "1") else 0)
    assert not any(line.startswith(("Bcc:", "  row     3")) for line in lines)
    if args[0] == "status":
        assert "evil Bcc: attacker@example.com[31mgsm.csv" in lines[0]
    if args == ("status", "1"):
        assert "1 Main St[2J row 3 complete forged" in lines[1]
    if args[0] == "find":
        assert "Acme[0m Inc" in lines[0]


def test_json_keeps_the_text_escaped(db):
    out = run_cli({**os.environ}, "status", "--json", db=db, check=0)
    assert "\r" not in out.stdout and "\x1b" not in out.stdout
    assert json.loads(out.stdout)["batches"][0]["source"] == NAME


def test_progress_and_error_lines_are_one_clean_line(tmp_path):
    """The progress lines (a lease holder's name comes from another machine's database row) and
    a refusal naming the file the rep gave."""
    import io

    from bulkquote_gui.commands.progress import Progress
    from bulkquote_gui.core.events import WaitEvent

    stream = io.StringIO()
    Progress(stream, live=False)(WaitEvent(account_id=1, reason="lease",
                                           message="held by evil\r\nBcc: x@example.com\x1b[2J"))
    assert stream.getvalue() == "account 1: held by evil Bcc: x@example.com[2J\n"

    missing = tmp_path / "gone\r\nBcc: x@example.com\u202e.csv"
    out = run_cli({**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'q.sqlite'}"},
                  "submit", missing, check=2)
    (line,) = _lines(out.stderr)
    assert line.startswith("bulkquote submit:") and "Bcc: x@example.com" in line


def test_check_prints_the_file_and_its_columns_as_clean_lines(tmp_path):
    sheet = tmp_path / "evil\r\nBcc: x@example.com\x1b[31m.csv"
    sheet.write_text("Street,City,State,ZIP\x1b[2J\r\n1 Main St,Austin,TX,78701\r\n")
    out = run_cli({**os.environ}, "check", sheet, "--map", "postal_code=ZIP\x1b[2J", check=0)
    lines = _lines(out.stdout)
    assert lines[0] == "evil Bcc: x@example.com[31m.csv: 1 rows read"
    assert lines[-1].endswith("postal_code=ZIP[2J")
