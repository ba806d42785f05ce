"""A keyring backend that keeps its entries in a JSON file, so a CLI run in a subprocess keeps a
secret the next run reads, as the OS keyring does (tests only: the file is plain text).

    env["PYTHON_KEYRING_BACKEND"] = "tests.helpers.file_keyring.FileKeyring"
    env["BULKQUOTE_TEST_KEYRING"] = str(tmp_path / "keyring.json")
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

BACKEND = "tests.helpers.file_keyring.FileKeyring"


def entries(path: Path) -> dict[str, str]:
    """What the file holds: "service/username" -> secret."""
    return json.loads(path.read_text()) if path.exists() else {}


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ["BULKQUOTE_TEST_KEYRING"])

    def get_password(self, service: str, username: str) -> str | None:
        return entries(self._path).get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        found = entries(self._path)
        found[f"{service}/{username}"] = password
        self._path.write_text(json.dumps(found))

    def delete_password(self, service: str, username: str) -> None:
        found = entries(self._path)
        if found.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path.write_text(json.dumps(found))
