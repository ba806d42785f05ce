"""Custom item-data roles shared by the models and the delegates."""

from __future__ import annotations

from PySide6.QtCore import Qt

# The raw status key ("valid", "polling", "complete", ...) of a cell drawn as a badge.
STATUS_ROLE = int(Qt.ItemDataRole.UserRole) + 1
# The position of a row in the underlying data (ImportResult index, batch row id, batch id).
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2
# Recent jobs: who submitted the batch (only while the team's batches are shown), and whether it
# was rushed to the front of its account's line.
OWNER_ROLE = int(Qt.ItemDataRole.UserRole) + 3
RUSH_ROLE = int(Qt.ItemDataRole.UserRole) + 4


def status_label(status: str) -> str:
    return str(status).replace("_", " ").capitalize()
