"""The API key: $BULKQUOTE_API_KEY, else the OS keyring; never written to our own files or logs.

The SMTP password for notification e-mails is a second entry of the same kind
(`SmtpPasswordStore`: $BULKQUOTE_SMTP_PASSWORD, else the keyring's "smtp-password"), and each
named provider's secret a third (`ProviderSecretStore`: the variable its `secret_env` names,
else the keyring's "provider:NAME").
"""

from __future__ import annotations

import logging
import os

import keyring
from keyring.errors import KeyringError

log = logging.getLogger(__name__)
SERVICE = "BulkQuote"
USERNAME = "momentum-api-key"
ENV_VAR = "BULKQUOTE_API_KEY"


class KeyStore:
    """Reads and writes the key; falls back to memory (this session only) where no keyring exists."""

    username = USERNAME
    env_var = ENV_VAR
    what = "the API key"     # in log lines (never the value)

    def __init__(self) -> None:
        self._session_key: str | None = None
        self.keyring_available = self._probe()

    @staticmethod
    def _probe() -> bool:
        try:
            backend = keyring.get_keyring()
        except Exception:  # a broken keyring configuration must not stop the app
            return False
        # The "fail" and "null" backends store nothing.
        return getattr(backend, "priority", 0) > 0 and "fail" not in type(backend).__module__

    def get(self) -> str | None:
        env = os.environ.get(self.env_var)
        if env:
            return env
        if self._session_key:
            return self._session_key
        if not self.keyring_available:
            return None
        try:
            return keyring.get_password(SERVICE, self.username)
        except (KeyringError, RuntimeError) as exc:
            log.warning("could not read %s from the keyring: %s", self.what, type(exc).__name__)
            return None

    def set(self, key: str) -> bool:
        """Store the key. Returns True if it was saved in the keyring, False if kept for this session only."""
        key = key.strip()
        if self.keyring_available:
            try:
                if key:
                    keyring.set_password(SERVICE, self.username, key)
                else:
                    try:
                        keyring.delete_password(SERVICE, self.username)
                    except keyring.errors.PasswordDeleteError:
                        pass
                self._session_key = None
                return True
            except (KeyringError, RuntimeError) as exc:
                log.warning("could not save %s to the keyring: %s", self.what, type(exc).__name__)
        self._session_key = key or None
        return False

    @property
    def from_environment(self) -> bool:
        return bool(os.environ.get(self.env_var))


class SmtpPasswordStore(KeyStore):
    """The SMTP password for notification e-mails: its own keyring entry, its own variable."""

    username = "smtp-password"
    env_var = "BULKQUOTE_SMTP_PASSWORD"
    what = "the SMTP password"


class ProviderSecretStore(KeyStore):
    """A named provider's secret (Momentum's API key, a Sonata seller's client secret): the
    environment variable the provider names (a team's worker), else its own keyring entry."""

    what = "the provider's secret"
    # Without a keyring, a secret kept for the session must outlive the store that set it:
    # the form saves it through one, the engine reads it through another.
    _session_secrets: dict[str, str] = {}

    def __init__(self, provider_name: str, env_var: str = "") -> None:
        # Names are unique letter case aside (core/store/providers), so is the entry.
        self.username = f"provider:{provider_name.strip().lower()}"
        self.env_var = env_var
        self.keyring_available = self._probe()   # (not KeyStore's __init__: it forgets the key)

    @property  # type: ignore[override]
    def _session_key(self) -> str | None:
        return self._session_secrets.get(self.username)

    @_session_key.setter
    def _session_key(self, key: str | None) -> None:
        if key:
            self._session_secrets[self.username] = key
        else:
            self._session_secrets.pop(self.username, None)
