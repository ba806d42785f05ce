"""A login without TLS to another computer sends the password readable (issue 19 #3): refused
before connecting unless the rep allowed it, from Settings and from the environment, against a
real SMTP server (aiosmtpd) on loopback, named as another computer would be: "0.0.0.0" is not
this computer by its name (the rule's test), yet Linux delivers a connection to it here, so no
packet leaves loopback."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bulkquote_gui.services import mail_config
from bulkquote_gui.services.mailer import NotConfigured, SmtpConfig, send
from bulkquote_gui.services.settings import Settings
from tests.helpers.smtp import SmtpServer

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")]
USERS = {"rep@example.com": "s3cret-Passw0rd"}


ELSEWHERE = "0.0.0.0"


@pytest.fixture
def server():
    smtp = SmtpServer(users=USERS).start()   # on 127.0.0.1
    smtp.hostname = ELSEWHERE
    yield smtp
    smtp.stop()


def _message() -> EmailMessage:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = "test", "bulkquote@example.com", "rep@example.com"
    m.set_content("test")
    return m


def _source(env: dict[str, str], settings: Settings = Settings()) -> SmtpConfig:
    config = mail_config.mail_source(settings, env={**env, "BULKQUOTE_NOTIFY_TO": "rep@example.com"})("")
    assert config is not None
    return config


def test_a_plain_login_from_the_environment_is_refused_before_connecting(server):
    url = f"smtp://rep%40example.com:s3cret-Passw0rd@{server.hostname}:{server.port}"
    with pytest.raises(NotConfigured) as caught:
        send(_source({"BULKQUOTE_SMTP_URL": url}), _message())
    assert "would cross the network unencrypted" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert server.received == []


def test_a_plain_login_from_settings_is_refused_before_connecting(server):
    settings = Settings(smtp_host=server.hostname, smtp_port=server.port, smtp_security="none",
                        smtp_user="rep@example.com", smtp_to="rep@example.com")
    config = mail_config.mail_source(settings, password=lambda: "s3cret-Passw0rd", env={})("")
    with pytest.raises(NotConfigured, match="choose STARTTLS or SSL"):
        send(config, _message())
    assert server.received == []


def test_the_rep_may_allow_a_plain_login_explicitly(server):
    url = (f"smtp://rep%40example.com:s3cret-Passw0rd@{server.hostname}:{server.port}"
           "?plain_login=1")
    send(_source({"BULKQUOTE_SMTP_URL": url}), _message())
    settings = Settings(smtp_host=server.hostname, smtp_port=server.port, smtp_security="none",
                        smtp_user="rep@example.com", smtp_to="rep@example.com",
                        smtp_allow_plain_login=True)
    send(mail_config.mail_source(settings, password=lambda: "s3cret-Passw0rd", env={})(""),
         _message())
    assert [r.login for r in server.received] == ["rep@example.com", "rep@example.com"]


def test_no_login_or_loopback_needs_no_permission():
    assert not SmtpConfig(host="mail.example", port=25, security="none").plain_login_refused
    assert not SmtpConfig(host="127.0.0.1", port=25, security="none", user="u").plain_login_refused
    assert SmtpConfig(host="mail.example", port=25, security="none", user="u").plain_login_refused
