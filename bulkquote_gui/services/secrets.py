"""The API key: $BULKQUOTE_API_KEY, else the OS keyring; never written to our own files or logs."""

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
        env = os.environ.get(ENV_VAR)
        if env:
            return env
        if self._session_key:
            return self._session_key
        if not self.keyring_available:
            return None
        try:
            return keyring.get_password(SERVICE, USERNAME)
        except (KeyringError, RuntimeError) as exc:
            log.warning("could not read the API key from the keyring: %s", type(exc).__name__)
            return None

    def set(self, key: str) -> bool:
        """Store the key. Returns True if it was saved in the keyring, False if kept for this session only."""
        key = key.strip()
        if self.keyring_available:
            try:
                if key:
                    keyring.set_password(SERVICE, USERNAME, key)
                else:
                    try:
                        keyring.delete_password(SERVICE, USERNAME)
                    except keyring.errors.PasswordDeleteError:
                        pass
                self._session_key = None
                return True
            except (KeyringError, RuntimeError) as exc:
                log.warning("could not save the API key to the keyring: %s", type(exc).__name__)
        self._session_key = key or None
        return False

    @property
    def from_environment(self) -> bool:
        return bool(os.environ.get(ENV_VAR))
