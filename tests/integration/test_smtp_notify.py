"""Notification e-mail through a real SMTP server on loopback (aiosmtpd): plain, STARTTLS and SSL
with a self-signed certificate made here, with and without a login; the failures as sentences;
the retry; and the message itself (headers, body, the XLSX attachment opened with openpyxl)."""

from __future__ import annotations

import io
from dataclasses import replace

import openpyxl
import pytest

from bulkquote_gui.core.store import batches as batch_store
from bulkquote_gui.core.store import engine as engine_store
from bulkquote_gui.core.engine.processor import Processor
from bulkquote_gui.core.events import BatchEvent, WaitEvent
from bulkquote_gui.core.offer import BatchDefaults
from bulkquote_gui.services import mail_config
from bulkquote_gui.services.mailer import (CertificateProblem, LoginRefused, NoRoute, SmtpConfig,
                                           send)
from bulkquote_gui.services.notify import FINISHED, NEEDS_REP, Notifier, Outcome
from bulkquote_gui.services.settings import Settings
from tests.helpers.fakes import FakeClock, FakeImport, FakeMomentum, auth_error, checked_row
from tests.helpers.fakes import Outcome as ApiOutcome
from tests.helpers.smtp import SmtpServer, free_port, make_certificate

pytestmark = [pytest.mark.timeout(60),
              # aiosmtpd's own warning for the plain-with-login server the tests start on purpose
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")]
USERS = {"rep@example.com": "s3cret-Passw0rd"}


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


def _run_batch(sf, *, refuse_key: bool = False) -> tuple[int, list]:
    """A 3-row batch quoted by the engine against the fake API; the events it emitted."""
    rows = [checked_row(2), checked_row(3), checked_row(4)]
    with engine_store.in_transaction(sf) as session:
        batch_id = batch_store.create_batch(session, FakeImport(rows), defaults=BatchDefaults(),
                                      source_name="acme sites.xlsx", owner="Alice Rep")
    clock = FakeClock()
    api = FakeMomentum(clock)
    api.outcomes[f"batch-{batch_id}/row-3"] = ApiOutcome("failed", "no_coverage", "no carrier serves it")
    if refuse_key:
        api.fail_next("POST", auth_error())
    events: list = []
    Processor(sf, api, clock=clock, on_event=events.append).run_batch(batch_id)
    return batch_id, events


def _config(server: SmtpServer, **kw) -> SmtpConfig:
    base = SmtpConfig(host="127.0.0.1", port=server.port, security=server.security,
                      sender="bulkquote@example.com", to=("rep@example.com",), timeout_s=5)
    return replace(base, **kw)


def _notifier(sf, config: SmtpConfig | None, **kw) -> Notifier:
    return Notifier(sf, (lambda owner: config), backoff_s=kw.pop("backoff_s", (0.05, 0.05)), **kw)


def _check_message(received, batch_id: int) -> None:
    msg = received.message
    assert msg["Subject"] == f"BulkQuote: batch #{batch_id} acme sites.xlsx complete (2 priced, 1 failed of 3)"
    assert msg["From"] == "bulkquote@example.com" and msg["To"] == "rep@example.com"
    assert msg["Date"] and msg["Message-ID"] and msg["X-BulkQuote-Batch"] == str(batch_id)
    text = msg.get_body(("plain",)).get_content()
    assert f"Batch #{batch_id} (acme sites.xlsx) is complete: 2 priced, 1 failed of 3." in text
    assert "Submitted by: Alice Rep" in text
    assert "row 3: No coverage: no carrier serves it" in text
    assert "The results are attached: acme sites - quotes.xlsx." in text
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "acme sites - quotes.xlsx"
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(part.get_content())).active
    header = [c.value for c in sheet[1]]
    assert "Status" in header and "MRC" in header
    statuses = [row[header.index("Status")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(statuses) == ["Failed", "Priced", "Priced"]   # the export says it in the rep's words


@pytest.mark.parametrize("security, login", [("none", False), ("none", True),
                                             ("starttls", False), ("starttls", True),
                                             ("ssl", True)])
def test_a_finished_batch_is_mailed_with_its_results(sf, cert, security, login):
    server = SmtpServer(security=security, users=USERS if login else None,
                        cert=cert if security != "none" else None).start()
    try:
        config = _config(server, cafile=str(cert[0]) if security != "none" else None,
                         **({"user": "rep@example.com", "password": USERS["rep@example.com"]}
                            if login else {}))
        notifier = _notifier(sf, config)
        batch_id, events = _run_batch(sf)
        for event in events:
            notifier(event)
        assert notifier.flush(20)
        notifier.close()
        assert [r.sent for r in notifier.reports] == [True], notifier.reports
        (received,) = server.received
        assert received.rcpt_tos == ["rep@example.com"]
        assert received.login == ("rep@example.com" if login else None)
        _check_message(received, batch_id)
    finally:
        server.stop()


def test_a_refused_key_mails_that_the_batch_needs_the_rep(sf):
    server = SmtpServer().start()
    try:
        desktop: list[Outcome] = []
        notifier = _notifier(sf, _config(server), desktop=desktop.append)
        batch_id, events = _run_batch(sf, refuse_key=True)
        for event in events:
            notifier(event)
        assert notifier.flush(20)
        assert [o.kind for o in desktop] == [NEEDS_REP]
        (received,) = server.received
        assert received.message["Subject"].startswith(f"BulkQuote: batch #{batch_id} acme sites.xlsx needs you")
        text = received.message.get_body(("plain",)).get_content()
        assert "stopped and needs you: the quote API (Momentum) refused the API key (HTTP 401)" in text
    finally:
        server.stop()


def test_the_reps_own_pause_and_running_events_send_nothing(sf):
    desktop: list[Outcome] = []
    notifier = Notifier(sf, None, desktop=desktop.append)
    for message in ("paused", "paused by the user", ""):
        notifier(BatchEvent(batch_id=1, status="paused", message=message))
    notifier(BatchEvent(batch_id=1, status="running"))
    notifier(BatchEvent(batch_id=1, status="cancelled", message="cancelled by the user"))
    assert desktop == []
    notifier(BatchEvent(batch_id=1, status="complete", counts={"total": 1, "complete": 1}))
    notifier(BatchEvent(batch_id=1, status="complete", counts={"total": 1, "complete": 1}))
    assert [o.kind for o in desktop] == [FINISHED]   # told once


class HandTimers:
    """threading.Timer's shape, fired by the test: the alarm's moment is observed, not slept for."""

    def __init__(self) -> None:
        self.made: list[HandTimers.Timer] = []

    class Timer:
        def __init__(self, interval, function, args=()):
            self.interval, self.function, self.args = interval, function, args
            self.started = self.cancelled = False
            self.daemon, self.name = True, ""

        def start(self):
            self.started = True

        def cancel(self):
            self.cancelled = True

        def fire(self):  # even when cancelled: a real Timer may already be running its function
            self.function(*self.args)

    def __call__(self, interval, function, args=()):
        self.made.append(HandTimers.Timer(interval, function, args))
        return self.made[-1]


def test_a_long_account_wait_needs_the_rep_a_short_one_does_not(sf):
    desktop: list[Outcome] = []
    timers = HandTimers()
    notifier = Notifier(sf, None, desktop=desktop.append, account_wait_s=0.3, timer=timers)
    notifier(WaitEvent(account_id=1, reason="account", blocker_id="q_other",
                       message="another client's quote q_other is in flight", batch_ids=(5,)))
    notifier(WaitEvent(account_id=1, reason=""))     # over in time: no alarm
    first = timers.made[0]
    assert first.started and first.cancelled and first.interval == 0.3
    first.fire()
    assert desktop == []
    notifier(WaitEvent(account_id=1, reason="account", blocker_id="q_other",
                       message="another client's quote q_other is in flight", batch_ids=(5, 6)))
    timers.made[-1].fire()
    assert [(o.batch_id, o.kind) for o in desktop] == [(5, NEEDS_REP), (6, NEEDS_REP)]
    assert "q_other is in flight" in desktop[0].reason and "bulkquote unblock q_other" in desktop[0].reason
    notifier.close()


def test_disk_trouble_needs_the_rep(sf):
    import sqlite3

    desktop: list[Outcome] = []
    notifier = Notifier(sf, None, desktop=desktop.append)
    notifier(BatchEvent(batch_id=7, status="running"))
    assert not notifier.engine_failed(RuntimeError("a bug"))
    assert notifier.engine_failed(sqlite3.OperationalError("database or disk is full"))
    assert [(o.batch_id, o.kind) for o in desktop] == [(7, NEEDS_REP)]
    assert desktop[0].reason.startswith("disk trouble: database or disk is full")
    import errno

    from bulkquote_gui.services.notify import is_disk_trouble
    from sqlalchemy.exc import OperationalError

    assert is_disk_trouble(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_trouble(OperationalError("INSERT …", {}, sqlite3.OperationalError("disk I/O error")))
    assert not is_disk_trouble(OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table")))


def test_a_temporary_refusal_is_retried_and_reported(sf):
    server = SmtpServer().start()
    server.handler.refuse_data[:] = ["451 4.3.0 try again later"]
    try:
        notifier = _notifier(sf, _config(server))
        batch_id, events = _run_batch(sf)
        for event in events:
            notifier(event)
        assert notifier.flush(20)
        texts = [(r.sent, r.final) for r in notifier.reports]
        assert texts == [(False, False), (True, True)]
        assert "451 4.3.0 try again later" in notifier.reports[0].text
        assert len(server.received) == 1
    finally:
        server.stop()


def test_a_send_that_keeps_failing_is_given_up_and_never_raises(sf):
    port = free_port()   # nobody listens
    config = SmtpConfig(host="127.0.0.1", port=port, security="none",
                        sender="bulkquote@example.com", to=("rep@example.com",), timeout_s=2)
    notifier = _notifier(sf, config)
    batch_id, events = _run_batch(sf)
    for event in events:
        notifier(event)     # the engine's side: returns at once, never raises
    assert notifier.flush(20)
    final = notifier.reports[-1]
    assert not final.sent and final.final and len(notifier.reports) == 3
    assert final.text == (f"e-mail for batch #{batch_id} not sent after 3 tries: 127.0.0.1:{port} "
                          "refused the connection: check the host and port.")


# --------------------------------------------------------------------------- the sentences

def test_a_wrong_password_is_a_refused_login(cert):
    server = SmtpServer(security="starttls", users=USERS, cert=cert).start()
    try:
        config = _config(server, cafile=str(cert[0]), user="rep@example.com", password="wrong")
        with pytest.raises(LoginRefused) as caught:
            send(config, _tiny())
        assert str(caught.value).startswith("The server refused the login for rep@example.com (535")
        assert str(caught.value).endswith("check the user name and password.")
        assert "wrong" not in str(caught.value)
    finally:
        server.stop()


def test_an_untrusted_certificate_is_named(cert):
    server = SmtpServer(security="starttls", cert=cert).start()
    try:
        with pytest.raises(CertificateProblem) as caught:
            send(_config(server), _tiny())   # the system's CAs do not know the test's certificate
        assert str(caught.value).startswith("The certificate of 127.0.0.1 could not be verified "
                                            "(self-signed certificate)")
    finally:
        server.stop()


def test_ssl_to_a_plain_port_and_no_server_are_sentences():
    server = SmtpServer().start()
    try:
        with pytest.raises(CertificateProblem) as caught:
            send(_config(server, security="ssl"), _tiny())
        assert "try STARTTLS (usually port 587) or None" in str(caught.value)
    finally:
        server.stop()
    with pytest.raises(NoRoute) as caught:
        send(SmtpConfig(host="no-such-host.invalid", port=25, sender="a@example.com",
                        to=("b@example.com",), timeout_s=3), _tiny())
    assert str(caught.value).startswith("Cannot find the mail server no-such-host.invalid")


def test_a_login_without_tls_on_a_starttls_only_server_is_explained(cert):
    server = SmtpServer(security="starttls", users=USERS, cert=cert).start()
    try:
        with pytest.raises(LoginRefused) as caught:
            send(_config(server, security="none", user="rep@example.com", password="x"), _tiny())
        assert "choose STARTTLS or SSL" in str(caught.value)
    finally:
        server.stop()


def _tiny():
    from email.message import EmailMessage

    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "test", "bulkquote@example.com", "rep@example.com"
    m.set_content("test")
    return m


# --------------------------------------------------------------------------- where settings come from

def test_smtp_urls_from_the_environment():
    c = mail_config.parse_smtp_url("smtp://rep%40example.com@mail.example:2525?starttls=1", "pw")
    assert (c.host, c.port, c.security, c.user, c.sender, c.password) == \
        ("mail.example", 2525, "starttls", "rep@example.com", "rep@example.com", "pw")
    assert "pw" not in repr(c)
    c = mail_config.parse_smtp_url("smtps://desk@mail.example?from=quotes@example.com")
    assert (c.port, c.security, c.user, c.sender) == (465, "ssl", "desk", "quotes@example.com")
    assert mail_config.parse_smtp_url("smtp://relay.lan").security == "none"
    with pytest.raises(mail_config.BadSmtpUrl):
        mail_config.parse_smtp_url("http://mail.example")


def test_recipients_by_who_submitted():
    r = mail_config.recipients
    team = "Alice Rep=alice@example.com, bob=bob@example.com, *=desk@example.com"
    assert r("Alice Rep", team, "") == ("alice@example.com",)
    assert r("BOB", team, "") == ("bob@example.com",)
    assert r("Carol", team, "") == ("desk@example.com",)
    assert r("Carol", "a@example.com; b@example.com", "") == ("a@example.com", "b@example.com")
    assert r("carol@example.com", "", "") == ("carol@example.com",)
    assert r("Carol", "", "me@example.com") == ("me@example.com",)


def test_the_environment_wins_over_settings():
    settings = Settings(smtp_host="settings.example", smtp_user="u", smtp_to="s@example.com",
                        rep_email="rep@example.com")
    source = mail_config.mail_source(settings, password=lambda: "from-keyring", env={})
    c = source("Alice")
    assert (c.host, c.port, c.security, c.to, c.password) == \
        ("settings.example", 587, "starttls", ("s@example.com",), "from-keyring")
    env = {"BULKQUOTE_SMTP_URL": "smtp://relay.example:25", "BULKQUOTE_SMTP_PASSWORD": "env-pw",
           "BULKQUOTE_NOTIFY_TO": "Alice=alice@example.com"}
    c = mail_config.mail_source(settings, password=lambda: "from-keyring", env=env)("Alice")
    assert (c.host, c.security, c.to, c.password) == ("relay.example", "none",
                                                       ("alice@example.com",), "env-pw")
    nothing = mail_config.mail_source(Settings(), env={})
    assert nothing("Alice") is None and not nothing.enabled()   # nothing set up
    assert mail_config.mail_source(settings, env={}).enabled()


def test_nothing_is_queued_when_no_e_mail_is_set_up(sf):
    notifier = Notifier(sf, mail_config.mail_source(Settings(), env={}))
    notifier(BatchEvent(batch_id=1, status="complete", counts={"total": 1, "complete": 1}))
    assert notifier.pending == 0 and notifier.reports == []
