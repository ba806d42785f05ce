"""A password-style field for a secret kept by services/secrets.py (the API key, the SMTP
password), and the line under it that says where the secret lives: the environment (then the
field is read-only), the system keyring, or this session only."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit

from bulkquote_gui.services.secrets import KeyStore


def secret_field(secrets: KeyStore) -> tuple[QLineEdit, QLabel, str]:
    """(the field, the note, the secret it was filled with: "" for none)."""
    initial = secrets.get() or ""
    edit = QLineEdit(initial)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    what = secrets.what.removeprefix("the ")
    if secrets.from_environment:
        edit.setEnabled(False)
        note = f"The {what} comes from {secrets.env_var} in the environment."
    elif secrets.keyring_available:
        note = "Stored in the system keyring, never in BulkQuote's files."
    else:
        note = f"No system keyring here: the {what} is kept for this session only."
    label = QLabel(note)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return edit, label, initial
