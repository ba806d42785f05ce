"""Column mappings the rep corrected, remembered for files with the same headers.

Kept in `mappings.json` in the config folder, keyed by a fingerprint of the header row (names
trimmed, case and order kept: a reordered file is another layout). Only a mapping the rep set
is remembered; the automatic one is found again anyway. Written atomically; a damaged file is
read as empty, never a reason not to start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable

from bulkquote_gui.core.file_modes import private_folder
from bulkquote_gui.services.paths import config_dir

log = logging.getLogger(__name__)
FILE_NAME = "mappings.json"
MAX_LAYOUTS = 200   # the oldest are forgotten first
SAVED = "@saved"    # the day a mapping was remembered (ISO date), beside its fields


@dataclass(frozen=True)
class Remembered:
    mapping: dict[str, str]
    saved_on: date | None   # None for a mapping remembered before the day was kept


def layout_key(headers: Iterable[object]) -> str:
    names = [str(h).strip() for h in headers]
    return hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()[:24]


class MappingMemory:
    def __init__(self, folder: Path | None = None) -> None:
        self._path = (folder or config_dir()) / FILE_NAME

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("remembered mappings unreadable (%s); starting afresh", exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: {str(f): str(c) for f, c in v.items()} for k, v in data.items()
                if isinstance(v, dict)}

    def recall(self, headers: Iterable[object]) -> dict[str, str] | None:
        """The mapping remembered for this header row, if its columns are all still there."""
        entry = self.recall_entry(headers)
        return entry.mapping if entry is not None else None

    def recall_entry(self, headers: Iterable[object]) -> Remembered | None:
        """recall(), with the day the rep chose that mapping (the window says it)."""
        headers = [str(h).strip() for h in headers]
        stored = dict(self._read().get(layout_key(headers)) or {})
        saved = stored.pop(SAVED, "")
        if not stored or not set(stored.values()) <= set(headers):
            return None
        try:
            saved_on = date.fromisoformat(saved) if saved else None
        except ValueError:
            saved_on = None
        return Remembered(stored, saved_on)

    def remember(self, headers: Iterable[object], mapping: dict[str, str], *,
                 today: date | None = None) -> None:
        data = self._read()
        key = layout_key(headers)
        data.pop(key, None)
        data[key] = {str(f): str(c) for f, c in mapping.items() if c and f != SAVED}
        data[key][SAVED] = (today or date.today()).isoformat()
        while len(data) > MAX_LAYOUTS:
            data.pop(next(iter(data)))
        private_folder(self._path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".mappings-", dir=self._path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.replace(tmp, self._path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def forget(self, headers: Iterable[object]) -> None:
        data = self._read()
        if data.pop(layout_key(headers), None) is not None:
            self._path.write_text(json.dumps(data, indent=1), encoding="utf-8")
