"""A file name with CR/LF, escapes or a bidi override (issue 19 #5): the e-mail still goes, its
headers and attachment name one clean line, nothing injected; a message that cannot be built is
one "not sent" line, never a traceback. Through `bulkquote submit --wait` and a real SMTP server."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.services.logs import RedactingFormatter
from bulkquote_gui.services.mailer import SmtpConfig
from bulkquote_gui.services.notify import FINISHED, Notifier, Outcome
from tests.helpers.cli import run_cli
from tests.helpers.fakes import FakeImport, checked_row

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample_sites.csv"
EVIL = "evil\r\nBcc: attacker@example.com \x1b[31m\u202egsm.csv"
pytestmark = pytest.mark.timeout(120)


def test_a_file_name_with_cr_lf_is_mailed_clean(tmp_path, smtp):
    sheet = tmp_path / EVIL
    shutil.copy(SAMPLE, sheet)
    env = {**os.environ, "BULKQUOTE_DB": f"sqlite:///{tmp_path / 'q.sqlite'}",
           "BULKQUOTE_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}?from=bq@example.com",
           "BULKQUOTE_NOTIFY_TO": "rep@example.com",
           "BULKQUOTE_DEMO_TIME_SCALE": "0.002"}   # the mail, not the pace, is tested
    env.pop("BULKQUOTE_API_URL", None)

    out = run_cli(env, "submit", sheet, "--wait", check=0)

    (received,) = smtp.received
    assert received.rcpt_tos == ["rep@example.com"]
    assert received.message["Bcc"] is None
    subject = received.message["Subject"]
    assert "evil Bcc: attacker@example.com [31mgsm.csv complete" in subject
    (part,) = received.message.iter_attachments()
    assert part.get_filename() == "evil Bcc: attacker@example.com [31mgsm - quotes.xlsx"
    assert "e-mail for batch #1 sent to rep@example.com" in out.stderr
    body = received.message.get_body().get_content().replace("\r\n", "\n")   # MIME's own CRLF
    for text in (out.stdout, out.stderr, subject, body):
        assert not any(c in text for c in "\r\x1b\u202e"), text


def test_a_message_that_cannot_be_built_is_one_not_sent_line(tmp_path):
    engine = engine_store.make_engine(f"sqlite:///{tmp_path / 'n.sqlite'}")
    sf = engine_store.make_session_factory(engine)
    try:
        with engine_store.in_transaction(sf) as session:
            batch_id = batch_store.create_batch(session, FakeImport([checked_row(2)]), defaults=BatchDefaults(),
                                          source_name="east.csv")
        # A sender the e-mail library refuses as a header (CR/LF, as ?from=a%0d%0a… would give).
        config = SmtpConfig(host="127.0.0.1", port=1, sender="bq@example.com\r\nBcc: x@example.com",
                            to=("rep@example.com",))
        notifier = Notifier(sf, lambda owner: config)
        notifier.notify(Outcome(batch_id, FINISHED, {"total": 1}))
        assert notifier.flush(30)
        notifier.close()
    finally:
        engine.dispose()
    (report,) = notifier.reports
    assert not report.sent
    assert report.text.startswith(f"e-mail for batch #{batch_id} not sent: the message could "
                                  "not be built")
    assert "\n" not in report.text and "\r" not in report.text


def test_a_log_line_cannot_be_forged():
    record = logging.LogRecord("bulkquote_gui", logging.WARNING, __file__, 1,
                               "batch %s from %s", (7, "a.csv\r\n2026-12-05 INFO forged \x1b[2J"),
                               None)
    line = RedactingFormatter("%(levelname)s %(message)s").format(record)
    assert line == "WARNING batch 7 from a.csv 2026-12-05 INFO forged [2J"
