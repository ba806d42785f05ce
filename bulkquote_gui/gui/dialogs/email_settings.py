"""E-mail notifications: the SMTP server, the sender and recipients, and "Send test e-mail".

Its own dialog (the main Settings dialog stays about the API). The password goes to the OS
keyring as a second entry (services/secrets.SmtpPasswordStore); where there is none it is kept
for this session only, and the dialog says so. "Send test e-mail" runs off the GUI thread (an
operation, gui/operations/) and answers with the sentence services/mailer.py makes of whatever
went wrong: a refused login, no route to the server, a certificate it cannot trust.
"""

from __future__ import annotations

import os
from dataclasses import replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from bulkquote_gui.gui import operations
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.services import logs
from bulkquote_gui.services.mail_config import URL_ENV, from_settings, recipients
from bulkquote_gui.services.mailer import (DEFAULT_PORTS, SmtpConfig, is_address,
                                          plain_login_refused, send, split_addresses)
from bulkquote_gui.gui.widgets.secret_field import secret_field
from bulkquote_gui.gui.widgets.blocks import save_cancel_buttons
from bulkquote_gui.services.secrets import SmtpPasswordStore
from bulkquote_gui.services.settings import Settings

SECURITY_CHOICES = (("STARTTLS", "starttls"), ("SSL", "ssl"), ("None", "none"))
Sender = Callable[[SmtpConfig, EmailMessage], None]


def test_message(config: SmtpConfig) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "BulkQuote test e-mail"
    message["From"] = config.sender
    message["To"] = ", ".join(config.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message.set_content("This is a test from BulkQuote's e-mail settings: notifications of "
                        "finished batches (with their results attached) will arrive like this.\n")
    return message


def send_test(config: SmtpConfig | None, sender: Sender = send) -> str:
    """Blocking: send the test e-mail; a sentence when it went, MailError's sentence when not."""
    if config is None:
        raise ValueError("Set the SMTP host first.")
    sender(config, test_message(config))
    return f"Sent: a test e-mail went to {', '.join(config.to)} through {config.where}."


class EmailSettingsDialog(QDialog):
    test_finished = Signal(bool, str)   # ok, the sentence shown — tests wait on it

    def __init__(self, settings: Settings, passwords: SmtpPasswordStore, *,
                 sender: Sender = send, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("E-mail notifications")
        self.setMinimumWidth(560)
        self._settings = settings
        self._passwords = passwords
        self._sender = sender
        self._test: operations.Operation[str] | None = None
        self.result_settings: Settings | None = None
        self.password_saved_in_keyring: bool | None = None

        intro = QLabel("When a batch finishes, or stops on something only you can fix, BulkQuote "
                       "e-mails the summary with the results attached. Leave the host empty for "
                       "no e-mail.")
        intro.setWordWrap(True)
        self._build_fields(settings, passwords)
        form = self._build_form()
        test_row = self._build_test_row()
        self.buttons = buttons = save_cancel_buttons()   # as Settings has them
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.env_note)
        layout.addLayout(test_row)
        layout.addWidget(self.problem_label)
        layout.addWidget(buttons)

    def _build_fields(self, settings: Settings, passwords: SmtpPasswordStore) -> None:
        """The server, security, login and addresses, filled from `settings`."""
        self.host_edit = QLineEdit(settings.smtp_host)
        self.host_edit.setPlaceholderText("smtp.example.com")
        self.security_combo = QComboBox()
        for label, value in SECURITY_CHOICES:
            self.security_combo.addItem(label, value)
        self.security_combo.setCurrentIndex(max(0, self.security_combo.findData(settings.smtp_security)))
        self._security = settings.smtp_security
        self.security_combo.currentIndexChanged.connect(self._security_changed)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(settings.smtp_port)
        self.plain_login_check = QCheckBox("Allow a login without encryption (a server on a "
                                           "network you trust)")
        self.plain_login_check.setChecked(settings.smtp_allow_plain_login)
        self.user_edit = QLineEdit(settings.smtp_user)
        self.user_edit.setPlaceholderText("empty: no login")
        self.password_edit, self.password_note, self._initial_password = secret_field(passwords)
        self.from_edit = QLineEdit(settings.smtp_from)
        self.from_edit.setPlaceholderText("empty: the user, or your e-mail from Settings")
        self.to_edit = QLineEdit(settings.smtp_to)
        self.to_edit.setPlaceholderText(settings.rep_email or "you@example.com, a colleague@example.com")

    def _build_form(self) -> QFormLayout:
        """The fields in one form, the port beside the host."""
        form = QFormLayout()
        server = QHBoxLayout()
        server.addWidget(self.host_edit, 1)
        server.addWidget(QLabel("Port"))
        server.addWidget(self.port_spin)
        form.addRow("SMTP server:", server)
        form.addRow("Security:", self.security_combo)
        form.addRow("", self.plain_login_check)
        form.addRow("User:", self.user_edit)
        form.addRow("Password:", self.password_edit)
        form.addRow("", self.password_note)
        form.addRow("From:", self.from_edit)
        form.addRow("To:", self.to_edit)
        return form

    def _build_test_row(self) -> QHBoxLayout:
        """The environment's override, Send test e-mail and its result, the problem line."""
        self.env_note = QLabel(f"{URL_ENV} is set in the environment: it is used instead of "
                               "these settings." if os.environ.get(URL_ENV) else "")
        self.env_note.setWordWrap(True)
        self.env_note.setVisible(bool(os.environ.get(URL_ENV)))
        self.test_button = QPushButton("Send test e-mail")
        self.test_button.clicked.connect(self.send_test)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self.problem_label = QLabel("")
        self.problem_label.setObjectName("error")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        return test_row

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Tall enough for its wrapped notes at the width it opens with: Qt sizes a dialog from
        its layout's minimum, which leaves a two-line note one line's room (issue 15)."""
        super().showEvent(event)
        need = self.layout().totalHeightForWidth(self.width())
        if need > self.height():
            self.resize(self.width(), need)

    # ------------------------------------------------------------------ values
    def _security_changed(self) -> None:
        new = self.security_combo.currentData()
        if self.port_spin.value() == DEFAULT_PORTS.get(self._security):
            self.port_spin.setValue(DEFAULT_PORTS[new])   # the rep kept the default: follow it
        self._security = new

    def current_settings(self) -> Settings:
        return replace(self._settings, smtp_host=self.host_edit.text().strip(),
                       smtp_port=self.port_spin.value(),
                       smtp_security=self.security_combo.currentData(),
                       smtp_user=self.user_edit.text().strip(),
                       smtp_allow_plain_login=self.plain_login_check.isChecked(),
                       smtp_from=self.from_edit.text().strip(), smtp_to=self.to_edit.text().strip())

    def current_config(self) -> SmtpConfig | None:
        settings = self.current_settings()
        config = from_settings(settings, self.password_edit.text())
        if config is None:
            return None
        return replace(config, to=recipients(settings.rep_name, settings.smtp_to, settings.rep_email))

    def problems(self) -> list[str]:
        s = self.current_settings()
        out = [p for p in s.problems() if p.startswith("SMTP")]
        if not s.smtp_host:
            return out
        if s.smtp_from and not is_address(s.smtp_from):
            out.append(f"From {s.smtp_from!r} is not an e-mail address")
        if plain_login_refused(s.smtp_host, s.smtp_security, s.smtp_user,
                               s.smtp_allow_plain_login):
            out.append(f"With Security None the password would cross the network unencrypted to "
                       f"{s.smtp_host}: choose STARTTLS or SSL, or allow a login without "
                       "encryption")
        bad = [a for a in split_addresses(s.smtp_to) if "=" not in a and not is_address(a)]
        out += [f"To {a!r} is not an e-mail address" for a in bad]
        if not s.smtp_to and not s.rep_email:
            out.append("Set who gets the e-mails (To), or your e-mail in Settings")
        return out

    # ------------------------------------------------------------------ test
    def send_test(self) -> None:
        if self._test is not None:
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Sending…")
        config = self.current_config()
        sender = self._sender

        def done(text: str) -> None:
            self._test_over(True, text)

        def failed(text: str) -> None:
            self._test_over(False, text)

        self._test = operations.Operation(self, lambda _sf: send_test(config, sender),
                                          expected=(Exception,)).success(done).failure(failed).run()

    def _test_over(self, ok: bool, text: str) -> None:
        self._test = None
        self.test_button.setEnabled(True)
        self.test_result.setText(text)
        emit(self.test_finished, ok, text)

    # ------------------------------------------------------------------ save
    def accept(self) -> None:
        problems = self.problems()
        if problems:
            self.problem_label.setText("; ".join(problems) + ".")
            self.problem_label.show()
            return
        self.result_settings = self.current_settings()
        password = self.password_edit.text()
        if not self._passwords.from_environment and password != self._initial_password:
            self.password_saved_in_keyring = self._passwords.set(password)
            logs.hide(password)
        super().accept()


def edit(window: Any, *, passwords: SmtpPasswordStore | None = None,
         sender: Sender = send) -> bool:
    """Open the dialog from the window; save what the rep accepted. True when saved."""
    passwords = passwords or getattr(getattr(window, "notifications", None), "passwords", None) \
        or SmtpPasswordStore()
    dialog = EmailSettingsDialog(window.context.settings, passwords, sender=sender, parent=window)
    accepted = window.dialogs.run(dialog)
    dialog.deleteLater()
    if not accepted or dialog.result_settings is None:
        return False
    window.context.settings = dialog.result_settings
    window.context.save_settings(dialog.result_settings)
    if dialog.password_saved_in_keyring is False and dialog.password_edit.text():
        window.dialogs.info("SMTP password kept for this session",
                            "No system keyring is available, so the SMTP password is kept only "
                            "until BulkQuote closes.")
    window.statusBar().showMessage("E-mail settings saved", 5000)
    return True
