"""Sending one e-mail over SMTP (plain, STARTTLS or SSL), with every failure as one sentence.

Qt-free and engine-free: `send(config, message)` either returns or raises a `MailError` whose
text is what the rep reads ("The server refused the login for rep@example.com: check the user
name and password."), and whose `transient` says whether trying again later can help. The
password lives in the config object only (repr=False): it is never logged, printed or saved here.
"""

from __future__ import annotations

import errno
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr

from bulkquote_gui.core.quoting.momentum import is_loopback_host

SECURITY = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "starttls"       # none / starttls / ssl
    user: str = ""                   # empty: no login
    sender: str = ""
    to: tuple[str, ...] = ()
    password: str = field(default="", repr=False)
    timeout_s: float = 20.0
    cafile: str | None = None        # a CA bundle to trust instead of the system's (tests)
    # A login over a plain connection sends the password readable: refused to another computer
    # unless the rep allowed it (a server on a trusted network), as plain http:// API URLs are.
    allow_plain_login: bool = False

    def problems(self) -> list[str]:
        out = []
        if not self.host.strip():
            out.append("the SMTP host is empty")
        if not 1 <= self.port <= 65535:
            out.append(f"SMTP port {self.port} is not between 1 and 65535")
        if self.security not in SECURITY:
            out.append(f"SMTP security {self.security!r} is not one of none, STARTTLS, SSL")
        if not is_address(self.sender):
            out.append(f"the sender {self.sender!r} is not an e-mail address")
        if self.plain_login_refused:
            out.append(f"the password of {self.user} would cross the network unencrypted to "
                       f"{self.host}: choose STARTTLS or SSL, or allow a login without "
                       "encryption for a server on a network you trust")
        if not self.to:
            out.append("no recipient is set")
        out += [f"the recipient {a!r} is not an e-mail address" for a in self.to if not is_address(a)]
        return out

    @property
    def plain_login_refused(self) -> bool:
        return plain_login_refused(self.host, self.security, self.user, self.allow_plain_login)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class MailError(Exception):
    """A send failed; str() is the sentence for the rep. transient: worth trying again later."""

    transient = False


class NotConfigured(MailError):
    """The settings are incomplete (no host, no recipient, a bad address)."""


class LoginRefused(MailError):
    """The server refused the user name or password, or wants a login over TLS only."""


class CertificateProblem(MailError):
    """TLS was set up but the server's certificate could not be verified."""


class NoRoute(MailError):
    """The server could not be reached: DNS, refused, unreachable, timed out."""

    transient = True


class MessageRefused(MailError):
    """The server refused the sender, a recipient or the message itself."""


class ServerTrouble(MailError):
    """The server broke off or answered with a temporary (4xx) error."""

    transient = True


def plain_login_refused(host: str, security: str, user: str, allowed: bool) -> bool:
    """A login (user set) without TLS to another computer, not allowed by the rep."""
    return bool(user) and security == "none" and not allowed and not is_loopback_host(host)


def is_address(text: str) -> bool:
    _name, addr = parseaddr(text or "")
    local, at, domain = addr.partition("@")
    return bool(local and at and domain and " " not in addr)


def split_addresses(text: str) -> tuple[str, ...]:
    """'a@x, b@y; c@z' -> ('a@x', 'b@y', 'c@z')."""
    return tuple(p.strip() for p in text.replace(";", ",").split(",") if p.strip())


def tls_context(config: SmtpConfig) -> ssl.SSLContext:
    """Certificate and host name verified, always: a mail server's login is not sent blind."""
    return ssl.create_default_context(cafile=config.cafile)


def send(config: SmtpConfig, message: EmailMessage) -> None:
    """Send `message` to config.to. Raises MailError (and nothing else) when it was not sent."""
    problems = config.problems()
    if problems:
        raise NotConfigured("E-mail is not set up: " + "; ".join(problems) + ".")
    try:
        _send(config, message)
    except MailError:
        raise
    except Exception as exc:  # every failure becomes a sentence; a bug still names its type
        raise explain(exc, config) from exc


def _send(config: SmtpConfig, message: EmailMessage) -> None:
    if config.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s,
                                              context=tls_context(config))
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
    with smtp:
        smtp.ehlo()
        if config.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise LoginRefused(
                    f"{config.where} does not offer STARTTLS: choose SSL (usually port 465), or "
                    "None for a server on a trusted network.")
            smtp.starttls(context=tls_context(config))
            smtp.ehlo()
        if config.user:
            if not smtp.has_extn("auth"):
                raise LoginRefused(
                    f"{config.where} does not accept a login on this connection"
                    + (": choose STARTTLS or SSL, or leave the user empty."
                       if config.security == "none" else "; leave the user empty."))
            smtp.login(config.user, config.password)
        smtp.send_message(message, from_addr=parseaddr(config.sender)[1],
                          to_addrs=[parseaddr(a)[1] for a in config.to])


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}".strip()


def explain(exc: BaseException, config: SmtpConfig) -> MailError:
    """The sentence for a failure of smtplib, ssl or the socket underneath."""
    where = config.where
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return LoginRefused(f"The server refused the login for {config.user} ({_reply(exc)}): "
                            "check the user name and password.")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(exc.recipients) or "the recipients"
        return MessageRefused(f"The server refused to deliver to {refused}: check the address.")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MessageRefused(f"The server refused the sender {exc.sender} ({_reply(exc)}): use an "
                              "address this account may send from.")
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = ServerTrouble if 400 <= exc.smtp_code < 500 else MessageRefused
        return kind(f"The server at {where} answered {_reply(exc)}.")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ServerTrouble(f"The server at {where} closed the connection unexpectedly.")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return LoginRefused(f"The server at {where} does not support that: {exc}.")
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or "not trusted"
        return CertificateProblem(f"The certificate of {config.host} could not be verified ({why}): "
                                  "the server is not who it says, or uses a certificate this "
                                  "computer does not trust.")
    if isinstance(exc, ssl.SSLError):
        hint = ("try STARTTLS (usually port 587) or None" if config.security == "ssl"
                else "try SSL (usually port 465)")
        return CertificateProblem(f"No secure connection with {where} ({exc.reason or exc}): {hint}.")
    if isinstance(exc, socket.gaierror):
        return NoRoute(f"Cannot find the mail server {config.host} (the name does not resolve): "
                       "check the host name and the network.")
    if isinstance(exc, ConnectionRefusedError):
        return NoRoute(f"{where} refused the connection: check the host and port.")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return NoRoute(f"{where} did not answer within {config.timeout_s:g} s: check the host, "
                       "the port and any firewall.")
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return NoRoute(f"No route to {config.host}: check the network connection.")
    if isinstance(exc, OSError):
        return NoRoute(f"Cannot talk to {where}: {exc.strerror or exc}.")
    return MailError(f"Sending failed: {type(exc).__name__}: {exc}.")
