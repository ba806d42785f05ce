"""The e-mail dialog will not save a login without TLS to another computer unless the rep ticks
"Allow a login without encryption" (issue 19 #3)."""

from __future__ import annotations

from bulkquote_gui.gui.dialogs.email_settings import EmailSettingsDialog
from bulkquote_gui.services.secrets import SmtpPasswordStore
from bulkquote_gui.services.settings import Settings


def test_a_plain_login_to_another_computer_needs_the_reps_permission(qtbot):
    settings = Settings(rep_email="rep@example.com", smtp_host="mail.example.com", smtp_port=25,
                        smtp_security="none", smtp_user="rep@example.com")
    dialog = EmailSettingsDialog(settings, SmtpPasswordStore())
    qtbot.addWidget(dialog)

    dialog.accept()
    assert dialog.result_settings is None
    assert "the password would cross the network unencrypted" in dialog.problem_label.text()

    dialog.plain_login_check.setChecked(True)
    dialog.accept()
    assert dialog.result_settings is not None and dialog.result_settings.smtp_allow_plain_login
