"""Dialogs: Settings, e-mail, About, help, the crash dialog, and every modal question the
window asks (questions.py, the object tests replace)."""
