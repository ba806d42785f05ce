"""Settings: API endpoint and key, timings, batch defaults, the rep's name and e-mail.

The key goes to the OS keyring (services/secrets.py); where there is none the dialog says so and the
key is kept for this session only. "Test connection" is an operation off the GUI thread
(gui/operations/connection.py), so the window never freezes on a slow network.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from bulkquote_gui.core.offer import BANDWIDTHS_MBPS, PRODUCTS, TERMS_MONTHS
from bulkquote_gui.gui import operations
from bulkquote_gui.gui.operations import connection
from bulkquote_gui.gui.operations.connection import ClientFactory
from bulkquote_gui.services.secrets import KeyStore
from bulkquote_gui.services.settings import Settings
from bulkquote_gui.gui.qt_compat import emit


def speed_label(mbps: int) -> str:
    return f"{mbps // 1000} Gbps" if mbps >= 1000 and mbps % 1000 == 0 else f"{mbps} Mbps"


def fill_defaults_combos(speed: QComboBox, term: QComboBox, product: QComboBox) -> None:
    for mbps in BANDWIDTHS_MBPS:
        speed.addItem(speed_label(mbps), mbps)
    for months in TERMS_MONTHS:
        term.addItem(f"{months} months", months)
    names = {"BROADBAND": "Broadband", "ETHERNET": "Ethernet"}  # "DIA" as reps say it
    for code in PRODUCTS:
        product.addItem(names.get(code, code), code)
        if code == "DIA":
            product.setItemData(product.count() - 1, "Dedicated internet access", Qt.ItemDataRole.ToolTipRole)


def select_data(combo: QComboBox, value: object) -> None:
    i = combo.findData(value)
    if i >= 0:
        combo.setCurrentIndex(i)


class SettingsDialog(QDialog):
    test_finished = Signal(bool, str)  # ok, message — tests wait on it

    def __init__(self, settings: Settings, keystore: KeyStore, *, demo_url: str | None = None,
                 client_factory: ClientFactory = connection.default_client_factory,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(620)
        self._settings = settings
        self._keystore = keystore
        self._demo_url = demo_url
        self._client_factory = client_factory
        self._test: operations.Operation[str] | None = None
        self.result_settings: Settings | None = None
        self.key_saved_in_keyring: bool | None = None

        # --- connection
        self.url_edit = QLineEdit(settings.api_base_url)
        self.url_edit.setPlaceholderText("https://api.momentum.example/v1")
        self.url_edit.setToolTip("Leave empty to use demo mode (the built-in simulator).")
        self._initial_key = keystore.get() or ""
        self.key_edit = QLineEdit(self._initial_key)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Momentum API key")
        if keystore.from_environment:
            self.key_edit.setEnabled(False)
            key_note = "The key comes from BULKQUOTE_API_KEY in the environment."
        elif keystore.keyring_available:
            key_note = "Stored in the system keyring, never in BulkQuote's files."
        else:
            key_note = "No system keyring here: the key is kept for this session only."
        self.key_note = QLabel(key_note)
        self.key_note.setObjectName("hint")
        self.key_note.setWordWrap(True)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.start_connection_test)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self.test_result.setObjectName("hint")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        connection = QGroupBox("Momentum API")
        form = QFormLayout(connection)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        url_note = QLabel("Leave empty for demo mode (the built-in simulator).")
        url_note.setObjectName("hint")
        url_note.setWordWrap(True)
        form.addRow("Base URL", self.url_edit)
        form.addRow("", url_note)
        form.addRow("API key", self.key_edit)
        form.addRow("", self.key_note)
        form.addRow("", test_row)

        # --- timings
        self.poll_spin = QDoubleSpinBox()
        self.poll_spin.setRange(1, 3600)
        self.poll_spin.setDecimals(0)
        self.poll_spin.setSuffix(" s")
        self.poll_spin.setValue(settings.poll_interval_s)
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(10, 24 * 3600)
        self.timeout_spin.setDecimals(0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(settings.quote_timeout_s)
        for spin in (self.poll_spin, self.timeout_spin):
            # The style sheet's padding does not reach a spin box's inner editor: line its text
            # up with the line edits' by hand.
            spin.lineEdit().setTextMargins(7, 0, 0, 0)
        timings = QGroupBox("Timing")
        tform = QFormLayout(timings)
        tform.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        tform.addRow("Poll interval", self.poll_spin)
        tform.addRow("Per-quote timeout", self.timeout_spin)

        # --- defaults
        self.speed_combo, self.term_combo, self.product_combo = QComboBox(), QComboBox(), QComboBox()
        fill_defaults_combos(self.speed_combo, self.term_combo, self.product_combo)
        select_data(self.speed_combo, settings.default_bandwidth_mbps)
        select_data(self.term_combo, settings.default_term_months)
        select_data(self.product_combo, settings.default_product)
        self.company_edit = QLineEdit(settings.default_company)
        self.company_edit.setPlaceholderText("used when a row has no company")
        defaults = QGroupBox("Defaults for new batches")
        dform = QFormLayout(defaults)
        dform.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        dform.addRow("Speed", self.speed_combo)
        dform.addRow("Term", self.term_combo)
        dform.addRow("Product", self.product_combo)
        dform.addRow("Customer company", self.company_edit)

        # --- the rep
        self.name_edit = QLineEdit(settings.rep_name)
        self.email_edit = QLineEdit(settings.rep_email)
        rep = QGroupBox("You")
        rform = QFormLayout(rep)
        rform.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        rform.addRow("Name", self.name_edit)
        rform.addRow("E-mail", self.email_edit)

        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        for button in self.buttons.buttons():
            button.setIcon(QIcon())  # some platform themes add stock icons; plain text reads better
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("primary")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        for box in (connection, timings, defaults, rep):
            layout.addWidget(box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        # Label columns line up across the group boxes.
        labels = [item.widget() for f in (form, tform, dform, rform) for row in range(f.rowCount())
                  if (item := f.itemAt(row, QFormLayout.ItemRole.LabelRole)) and item.widget()]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def done(self, result: int) -> None:
        if self._test is not None:
            self._test.cancel()  # the probe thread ends by itself; nobody listens any more
        super().done(result)

    # ---------------------------------------------------------------- values
    @property
    def key_changed(self) -> bool:
        return self.key_edit.text().strip() != self._initial_key.strip()

    def edited_settings(self) -> Settings:
        return replace(
            self._settings,
            api_base_url=self.url_edit.text().strip().rstrip("/"),
            poll_interval_s=float(self.poll_spin.value()),
            quote_timeout_s=float(self.timeout_spin.value()),
            default_bandwidth_mbps=int(self.speed_combo.currentData()),
            default_term_months=int(self.term_combo.currentData()),
            default_product=str(self.product_combo.currentData()),
            default_company=self.company_edit.text().strip(),
            rep_name=self.name_edit.text().strip(),
            rep_email=self.email_edit.text().strip(),
        )

    def save(self) -> None:
        settings = self.edited_settings()
        problems = settings.problems()
        if settings.rep_email and "@" not in settings.rep_email:
            problems.append("E-mail address needs an @")
        if problems:
            self.error_label.setText("\n".join(problems))
            return
        if not self._keystore.from_environment:
            self.key_saved_in_keyring = self._keystore.set(self.key_edit.text())
        self.result_settings = settings
        self.accept()

    # ---------------------------------------------------------------- test connection
    def start_connection_test(self) -> None:
        url = self.url_edit.text().strip().rstrip("/") or self._demo_url
        if not url:
            self._finish_test(False, "Enter the API base URL first.")
            return
        if not url.startswith(("http://", "https://")):
            self._finish_test(False, "The base URL must start with https:// (or http:// for a local server).")
            return
        key = self.key_edit.text().strip() or (self._keystore.get() or "")
        if not key and not self.url_edit.text().strip():
            key = "demo"  # the built-in simulator takes any key
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")
        # Any ApiError subclass (or a bad URL) comes back as the failure; its words are for people.
        self._test = connection.probe(self, self._client_factory, url, key) \
            .success(lambda message: self._finish_test(True, message)) \
            .failure(lambda message: self._finish_test(False, f"Failed: {message}")).run()

    def _finish_test(self, ok: bool, message: str) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(message)
        self.test_result.setStyleSheet("color: #15803d;" if ok else "color: #c62828;")
        emit(self.test_finished, ok, message)
