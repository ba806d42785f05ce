"""Who may read the files BulkQuote writes.

The app's own files (the SQLite database, its -wal/-shm and backups, the log, settings.json,
the demo simulator's journal) are for their owner alone: 0600 files in 0700 folders, whatever
the umask, since they hold every customer address and price. SQLite gives a database's -wal and
-shm the mode of the database file itself, so a database made 0600 keeps its journals private.

Files the rep chooses to write (exports, fix lists, cleaned addresses, `check --rows`) follow
the rep's umask like any file of theirs (0644 with the usual 022), so colleagues can open them
on a shared drive: `shared_mode`.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_opener(path: str, flags: int) -> int:
    """For open(..., opener=private_opener): a file made 0600, and one left 0644 by an earlier
    release made 0600 too (when it is ours to change)."""
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, PRIVATE_FILE)
    except (AttributeError, OSError):  # no fchmod/getuid (Windows): its ACLs are the user's
        pass
    return fd


def create_private_file(path: Path) -> None:
    """Make `path` an empty 0600 file unless it exists (a database before SQLite creates it)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass


def make_folder(path: Path) -> None:
    """Create `path` and its missing parents as 0700 folders; existing ones are left alone
    (a --db file in the rep's own folder must not change that folder)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # another process made it meanwhile
            pass


def private_folder(path: Path) -> Path:
    """One of the app's own folders (config, data, database, logs): created 0700, and made 0700
    if an earlier release left it open to others. Returns `path`."""
    make_folder(path)
    try:
        if path.stat().st_uid == os.getuid():
            path.chmod(PRIVATE_FOLDER)
    except (AttributeError, OSError):
        pass
    return path


def shared_mode() -> int:
    """The mode a new file of the rep's gets: 0666 less this process's umask."""
    return 0o666 & ~_umask()


def _umask() -> int:
    """This process's umask, read without changing it where the system says it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only way to read it is to set it (and set it back)
    os.umask(mask)
    return mask
