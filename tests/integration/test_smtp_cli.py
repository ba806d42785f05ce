"""The headless paths' e-mail (bulkquote_gui/commands/notify_hooks.py), configured by environment only,
through a real SMTP server on loopback: the listener adapter around the engine in-process, and
`bulkquote submit --wait` as a subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bulkquote_gui.commands.notify_hooks import CliNotifications
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.services.settings import Settings
from tests.helpers.fakes import FakeClock, FakeImport, FakeMomentum, checked_row

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
pytestmark = pytest.mark.timeout(120)


def test_the_listener_adapter_mails_whoever_submitted(tmp_path, monkeypatch, smtp, capsys):
    monkeypatch.setenv("BULKQUOTE_SMTP_URL", f"smtp://127.0.0.1:{smtp.port}?from=runner@example.com")
    monkeypatch.setenv("BULKQUOTE_NOTIFY_TO", "Alice Rep=alice@example.com, *=desk@example.com")
    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    sf = engine_store.make_session_factory(engine)
    try:
        with engine_store.in_transaction(sf) as session:
            batch_id = batch_store.create_batch(session, FakeImport([checked_row(2), checked_row(3)]),
                                          defaults=BatchDefaults(), source_name="east.csv",
                                          owner="Alice Rep")
        seen: list = []
        with CliNotifications(sf, Settings(), flush_s=30) as notices:
            clock = FakeClock()
            Processor(sf, FakeMomentum(clock), clock=clock,
                      on_event=notices.wrap(seen.append)).run_batch(batch_id)
    finally:
        engine.dispose()
    assert any(getattr(e, "status", "") == "complete" for e in seen)   # the progress line got all
    (received,) = smtp.received
    assert received.mail_from == "runner@example.com" and received.rcpt_tos == ["alice@example.com"]
    assert received.message["Subject"] == f"BulkQuote: batch #{batch_id} east.csv complete (2 priced of 2)"
    (part,) = received.message.iter_attachments()
    assert openpyxl.load_workbook(io.BytesIO(part.get_content())).active.max_row == 3
    assert f"e-mail for batch #{batch_id} sent to alice@example.com" in capsys.readouterr().err


def test_the_hook_never_raises_and_closing_is_safe_twice(tmp_path):
    notices = CliNotifications(None, Settings())   # type: ignore[arg-type]
    notices(object())   # type: ignore[arg-type]  nonsense in, nothing out
    notices.close(timeout_s=1)
    notices.close(timeout_s=1)
    notices(object())   # type: ignore[arg-type]  closed: still nothing out, no error


def test_two_commands_in_one_process_each_send_their_own_mail(tmp_path, monkeypatch, smtp):
    """Each command owns its notifier: the first one closing (its e-mails sent) leaves the second
    one's batch still mailed. With one notifier per process, the first close silenced the second."""
    monkeypatch.setenv("BULKQUOTE_SMTP_URL", f"smtp://127.0.0.1:{smtp.port}?from=runner@example.com")
    monkeypatch.setenv("BULKQUOTE_NOTIFY_TO", "*=desk@example.com")
    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'two.sqlite'}")
    sf = engine_store.make_session_factory(engine)
    try:
        with engine_store.in_transaction(sf) as session:
            first_batch, second_batch = (
                batch_store.create_batch(session, FakeImport([checked_row(2)]), defaults=BatchDefaults(),
                                         source_name=name, owner="Alice Rep") for name in ("a.csv", "b.csv"))
        clock = FakeClock()
        with (CliNotifications(sf, Settings(), flush_s=30) as first,
              CliNotifications(sf, Settings(), flush_s=30) as second):
            Processor(sf, FakeMomentum(clock), clock=clock,
                      on_event=first.wrap(lambda e: None)).run_batch(first_batch)
            first.close()
            Processor(sf, FakeMomentum(clock), clock=clock,
                      on_event=second.wrap(lambda e: None)).run_batch(second_batch)
    finally:
        engine.dispose()
    subjects = sorted(m.message["Subject"] for m in smtp.received)
    assert subjects == [f"BulkQuote: batch #{first_batch} a.csv complete (1 priced of 1)",
                        f"BulkQuote: batch #{second_batch} b.csv complete (1 priced of 1)"]


def test_submit_wait_mails_the_results(tmp_path, smtp):
    env = {**os.environ, "BULKQUOTE_DATA_DIR": str(tmp_path / "data"),
           "BULKQUOTE_CONFIG_DIR": str(tmp_path / "config"),
           "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
           "BULKQUOTE_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
           "BULKQUOTE_NOTIFY_TO": "rep@example.com",
           "BULKQUOTE_DEMO_TIME_SCALE": "0.002"}   # the mail, not the pace, is tested
    env.pop("BULKQUOTE_API_URL", None)
    out = subprocess.run([sys.executable, "-m", "bulkquote_gui", "--poll-interval", "0.05",
                          "submit", str(SAMPLE), "--wait"], env=env, capture_output=True,
                         text=True, timeout=100)
    assert out.returncode == 0, out.stderr
    assert "e-mail for batch #1 sent to rep@example.com" in out.stderr
    (received,) = smtp.received
    assert received.message["Subject"].startswith("BulkQuote: batch #1 sample_sites.csv complete")
