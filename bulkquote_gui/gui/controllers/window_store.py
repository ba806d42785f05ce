"""The window's own remembered state (window.ini beside the settings): its geometry, the jobs
list's scope and the folders the rep last opened from and exported to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from bulkquote_gui.services.paths import config_dir


class WindowStore:
    def qsettings(self) -> QSettings:
        return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def value(self, key: str, default: Any = None) -> Any:
        return self.qsettings().value(key, default)

    def put(self, key: str, value: Any) -> None:
        qs = self.qsettings()
        qs.setValue(key, value)
        qs.sync()

    def last_folder(self, kind: str) -> Path | None:
        text = str(self.value(f"folders/{kind}", "") or "")
        return Path(text) if text and Path(text).is_dir() else None

    def remember_folder(self, kind: str, folder: Path) -> None:
        self.put(f"folders/{kind}", str(folder))
