"""Where the notification e-mail's SMTP settings come from: the environment, else Settings.

Headless runners (a team's `bulkquote worker`, `submit --wait` in a script) are set up by
environment, the window by its E-mail dialog:

    BULKQUOTE_SMTP_URL       smtp://user@host:port (plain; ?starttls=1 upgrades it) or
                             smtps://user@host:port (SSL); ?from=addr sets the sender;
                             ?plain_login=1 allows a login without TLS to another computer
    BULKQUOTE_SMTP_PASSWORD  the login's password (else the keyring's SMTP entry)
    BULKQUOTE_NOTIFY_TO      "a@x, b@y", or by who submitted: "Alice=alice@x, Bob=bob@x, *=desk@x"

Recipients of a batch's e-mail, first that applies: the entry for the batch's owner (the rep's
name from Settings, as stored with the batch), the plain addresses listed, the "*" entry, the
owner when it is itself an address, the rep's own e-mail from Settings.
"""

from __future__ import annotations

import os
import socket
from dataclasses import replace
from typing import Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from bulkquote_gui.services.mailer import DEFAULT_PORTS, SmtpConfig, is_address, split_addresses
from bulkquote_gui.services.settings import Settings

URL_ENV = "BULKQUOTE_SMTP_URL"
PASSWORD_ENV = "BULKQUOTE_SMTP_PASSWORD"
TO_ENV = "BULKQUOTE_NOTIFY_TO"
_TRUE = ("1", "true", "yes", "on")


class BadSmtpUrl(ValueError):
    """BULKQUOTE_SMTP_URL is not smtp://… or smtps://…; the message says what is wrong."""


def parse_smtp_url(url: str, password: str = "") -> SmtpConfig:
    """smtp://user@host:port?starttls=1&from=addr -> an SmtpConfig without recipients."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise BadSmtpUrl(f"{URL_ENV} must start with smtp:// or smtps:// (got {scheme or 'none'}://)")
    if not parts.hostname:
        raise BadSmtpUrl(f"{URL_ENV} names no host (smtp://user@host:port)")
    try:
        port = parts.port
    except ValueError:
        raise BadSmtpUrl(f"{URL_ENV} has a port that is not a number") from None
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme == "smtps":
        security = "ssl"
    else:
        security = "starttls" if query.get("starttls", "").lower() in _TRUE else "none"
    user = unquote(parts.username or "")
    sender = query.get("from", "") or (user if is_address(user) else "")
    return SmtpConfig(host=parts.hostname, port=port or DEFAULT_PORTS[security], security=security,
                      user=user, sender=sender or default_sender(),
                      password=password or unquote(parts.password or ""),
                      allow_plain_login=query.get("plain_login", "").lower() in _TRUE)


def default_sender() -> str:
    """bulkquote@this-host: a From for servers that accept any sender on a trusted network."""
    host = socket.getfqdn() or "localhost"
    return f"bulkquote@{host if '.' in host else host + '.localdomain'}"


def from_settings(settings: Settings, password: str = "") -> SmtpConfig | None:
    """The window's e-mail settings, or None when no SMTP host is set (no e-mail wanted)."""
    if not settings.smtp_host.strip():
        return None
    user = settings.smtp_user.strip()
    sender = settings.smtp_from.strip() or (user if is_address(user) else "") \
        or settings.rep_email.strip() or default_sender()
    return SmtpConfig(host=settings.smtp_host.strip(), port=settings.smtp_port,
                      security=settings.smtp_security, user=user, sender=sender, password=password,
                      allow_plain_login=settings.smtp_allow_plain_login)


def recipients(owner: str, notify_to: str, rep_email: str) -> tuple[str, ...]:
    """Who gets the e-mail of a batch submitted by `owner` (see the module's docstring)."""
    plain: list[str] = []
    named: dict[str, tuple[str, ...]] = {}
    for item in split_addresses(notify_to):
        name, eq, addresses = item.partition("=")
        if eq:
            named.setdefault(name.strip().lower(), ())
            named[name.strip().lower()] += split_addresses(addresses.replace(" ", ","))
        else:
            plain.append(item)
    key = owner.strip().lower()
    if key and key in named:
        return named[key]
    if plain:
        return tuple(plain)
    if "*" in named:
        return named["*"]
    if is_address(owner.strip()):
        return (owner.strip(),)
    return split_addresses(rep_email)


MailConfigSource = Callable[[str], "SmtpConfig | None"]
"""owner of the batch -> the SMTP config with its recipients, or None (no e-mail)."""


def mail_source(settings: Callable[[], Settings] | Settings, *,
                password: Callable[[], str | None] | None = None,
                env: Mapping[str, str] | None = None) -> MailConfigSource:
    """Resolve the config at send time (the rep may change Settings while a batch runs).

    Raises BadSmtpUrl for a malformed BULKQUOTE_SMTP_URL (the notifier reports it, once per send).
    """
    def current() -> Settings:
        return settings() if callable(settings) else settings

    def source(owner: str) -> SmtpConfig | None:
        environ = os.environ if env is None else env
        s = current()
        secret = environ.get(PASSWORD_ENV) or (password() if password else None) or ""
        url = environ.get(URL_ENV, "").strip()
        config = parse_smtp_url(url, secret) if url else from_settings(s, secret)
        if config is None:
            return None
        to = recipients(owner, environ.get(TO_ENV, "") or s.smtp_to, s.rep_email)
        return replace(config, to=to)

    def enabled() -> bool:
        """Cheap: is any e-mail set up at all? (The notifier queues nothing otherwise.)"""
        environ = os.environ if env is None else env
        return bool(environ.get(URL_ENV, "").strip() or current().smtp_host.strip())

    source.enabled = enabled  # type: ignore[attr-defined]
    return source
