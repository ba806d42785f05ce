"""A file the rep asked for, written whole or not at all: built in memory, written beside its
destination under a temporary name and renamed, with the permissions any new file of the rep's
gets (a colleague on a shared drive must be able to open it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bulkquote_gui.core.file_modes import shared_mode

__all__ = ["write_bytes_atomically"]


def write_bytes_atomically(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, shared_mode())  # mkstemp's 0600 would lock colleagues out
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
