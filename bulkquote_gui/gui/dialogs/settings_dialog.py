"""Settings: API endpoint and key, timings, batch defaults, the rep's name and e-mail, the team
database.

The boxes sit in a scroll area and Save/Cancel below it, so on a 1280x720 screen at 150 % (480
logical pixels) the buttons are always on screen. Saving a URL whose Test connection just failed
asks first; a failure is said in a sentence (what to check), its technical words in the tooltip.
A password typed in the team database URL goes to the keyring (services/settings.save_settings).

The key goes to the OS keyring (services/secrets.py); where there is none the dialog says so and the
key is kept for this session only. "Test connection" is an operation off the GUI thread
(gui/operations/connection.py), so the window never freezes on a slow network.
"""

from __future__ import annotations

from dataclasses import replace

from typing import Callable
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDoubleSpinBox,
                               QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from bulkquote_gui.core.deal.logo import LogoError, read_logo
from bulkquote_gui.core.offer import BANDWIDTHS_MBPS, PRODUCTS, TERMS_MONTHS
from bulkquote_gui.gui import focus, operations
from bulkquote_gui.gui.operations import connection
from bulkquote_gui.gui.operations.connection import ClientFactory
from bulkquote_gui.gui.widgets.secret_field import secret_field
from bulkquote_gui.gui.widgets.blocks import save_cancel_buttons
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


def plain_failure(message: str, url: str) -> str:
    """A failed Test connection in the rep's words: what went wrong and what to check."""
    host = urlsplit(url).hostname or url
    low = message.lower()
    if any(w in low for w in ("connection failed", "refused", "errno 111", "unreachable",
                              "connecterror", "name or service", "nodename", "getaddrinfo")):
        return (f"Could not reach {host}: nothing answers there. Check the URL, and that you are "
                "on the network (or VPN) the API is on.")
    if "timed out" in low or "timeout" in low:
        return f"{host} did not answer in time. Try again, or check the URL."
    if any(w in low for w in ("401", "403", "unauthorized", "forbidden", "refused the key",
                              "api key")):
        return "The server answers but refuses this API key. Check the key."
    if "not_momentum_api" in low or "404" in low:
        return f"{host} answers, but it is not the Momentum API there. Check the URL's path (…/v1)."
    if "certificate" in low or "ssl" in low:
        return f"{host}'s certificate is not trusted. Check the URL, or ask IT."
    if "http://" in low and "insecure" in low or "unencrypted" in low:
        return message[:1].upper() + message[1:]
    return "The test failed. Check the URL and the key (details in the tooltip)."


def select_data(combo: QComboBox, value: object) -> None:
    i = combo.findData(value)
    if i >= 0:
        combo.setCurrentIndex(i)


class SettingsDialog(QDialog):
    test_finished = Signal(bool, str)  # ok, message — tests wait on it
    providers_requested = Signal()     # "Providers…": the named sellers (dialogs/providers_dialog)

    def __init__(self, settings: Settings, keystore: KeyStore, *, demo_url: str | None = None,
                 client_factory: ClientFactory = connection.default_client_factory,
                 confirm: Callable[..., bool] | None = None,
                 choose_logo: Callable[[], str | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._confirm = confirm  # the window's Dialogs.confirm (tests script it)
        self._choose_logo = choose_logo  # the window's file dialog for "Browse…"
        self._failed_url: str | None = None  # the URL whose last Test connection failed
        self._settings = settings
        self._keystore = keystore
        self._demo_url = demo_url
        self._client_factory = client_factory
        self._test: operations.Operation[str] | None = None
        self._enable_test: Callable[[], None] | None = None   # while Test connection runs
        self.result_settings: Settings | None = None
        self.key_saved_in_keyring: bool | None = None

        groups = [self._build_connection(settings, keystore), self._build_timings(settings),
                      self._build_defaults(settings), self._build_rep(settings),
                      self._build_team(settings)]
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.buttons = save_cancel_buttons()
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        boxes = QWidget()
        boxes_layout = QVBoxLayout(boxes)
        boxes_layout.setContentsMargins(0, 0, 6, 0)
        boxes_layout.setSpacing(10)
        for box in groups:
            boxes_layout.addWidget(box)
        boxes_layout.addStretch()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(boxes)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)  # outside the scroll area: always in sight

        # Label columns line up across the group boxes.
        labels = [item.widget() for f in (group.layout() for group in groups)
                  for row in range(f.rowCount())
                  if (item := f.itemAt(row, QFormLayout.ItemRole.LabelRole)) and item.widget()]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar = self.scroll.verticalScrollBar().sizeHint().width()
        self.scroll.setMinimumWidth(boxes.minimumSizeHint().width() + bar + 8)  # never clipped
        self._fit_to_screen(boxes.sizeHint().height())

    def _build_connection(self, settings: Settings, keystore: KeyStore) -> QGroupBox:
        """The API's URL and key, plain http, and Test connection with its result."""
        self.url_edit = QLineEdit(settings.api_base_url)
        self.url_edit.setPlaceholderText("https://api.momentum.example/v1")
        self.url_edit.setToolTip("Leave empty to use demo mode (the built-in simulator).")
        self.key_edit, self.key_note, self._initial_key = secret_field(keystore)
        self.key_edit.setPlaceholderText("Momentum API key")
        self.insecure_check = QCheckBox("Allow plain http:// (a trusted network only)")
        self.insecure_check.setChecked(settings.allow_insecure_http)
        self.insecure_check.setToolTip("http:// sends the API key unencrypted; BulkQuote refuses it "
                                       "for any computer but this one unless this is ticked.")
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self.start_connection_test)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self.test_result.setObjectName("hint")
        self.providers_button = QPushButton("&Providers…")
        self.providers_button.setToolTip("The named quote providers: MEF Sonata sellers and "
                                         "Momentum accounts, each with its own credentials")
        self.providers_button.clicked.connect(lambda: emit(self.providers_requested))
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.providers_button)
        test_row.addStretch()
        # On a row of its own, two lines high: a failure's sentence is never clipped.
        self.test_result.setMinimumHeight(2 * self.test_result.fontMetrics().lineSpacing() + 4)
        self.test_result.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

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
        form.addRow("", self.insecure_check)
        form.addRow("", test_row)
        form.addRow("", self.test_result)
        return connection

    def _build_timings(self, settings: Settings) -> QGroupBox:
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
        return timings

    def _build_defaults(self, settings: Settings) -> QGroupBox:
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
        return defaults

    def _build_rep(self, settings: Settings) -> QGroupBox:
        self.name_edit = QLineEdit(settings.rep_name)
        self.email_edit = QLineEdit(settings.rep_email)
        rep = QGroupBox("You")
        rform = QFormLayout(rep)
        rform.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        rform.addRow("Name", self.name_edit)
        rform.addRow("E-mail", self.email_edit)
        self.company_name_edit = QLineEdit(settings.company_name)
        self.company_name_edit.setPlaceholderText("On the cover of your proposals")
        self.logo_edit = QLineEdit(settings.company_logo)
        self.logo_edit.setPlaceholderText("A PNG or JPEG file, at most 2 MB")
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_edit, 1)
        if self._choose_logo is not None:
            browse = QPushButton("Browse…")
            browse.clicked.connect(self._browse_logo)
            logo_row.addWidget(browse)
        rform.addRow("Your company", self.company_name_edit)
        rform.addRow("Logo", logo_row)
        return rep

    def _browse_logo(self) -> None:
        path = self._choose_logo() if self._choose_logo else None
        if path:
            self.logo_edit.setText(path)

    def _build_team(self, settings: Settings) -> QGroupBox:
        self.db_edit = QLineEdit(settings.database_url)
        self.db_edit.setPlaceholderText("postgresql+psycopg://user@host/bulkquote")
        self.db_edit.setToolTip("Leave empty for this computer's own database. A password typed "
                                "here is kept in the system keyring, never in the settings file.")
        db_note = QLabel("Empty: this computer's own database. Used at the next start, unless "
                         "--db or BULKQUOTE_DB names another. A password goes to the keyring.")
        db_note.setObjectName("hint")
        db_note.setWordWrap(True)
        team = QGroupBox("Team database")
        bform = QFormLayout(team)
        bform.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        bform.addRow("Database URL", self.db_edit)
        bform.addRow("", db_note)
        return team

    def _fit_to_screen(self, content_height: int) -> None:
        """As tall as its boxes need, but never taller than the screen (less a title bar)."""
        screen = (self.parentWidget().screen() if self.parentWidget() else None) \
            or QGuiApplication.primaryScreen()
        room = screen.availableGeometry().height() - 60 if screen else 10_000
        room_w = screen.availableGeometry().width() - 40 if screen else 10_000
        buttons = self.buttons.sizeHint().height() + 60
        self.scroll.setMinimumHeight(min(content_height, max(120, room - buttons)))
        self.resize(min(max(660, self.sizeHint().width()), room_w),
                    min(content_height + buttons, room))
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
            company_name=self.company_name_edit.text().strip(),
            company_logo=self.logo_edit.text().strip(),
            database_url=self.db_edit.text().strip(),
            allow_insecure_http=self.insecure_check.isChecked(),
        )

    def save(self) -> None:
        settings = self.edited_settings()
        problems = settings.problems()
        if settings.rep_email and "@" not in settings.rep_email:
            problems.append("E-mail address needs an @")
        if settings.company_logo:
            try:   # a small local file: read here so a wrong one is told now, not in a proposal
                read_logo(settings.company_logo)
            except LogoError as exc:
                problems.append(str(exc)[:1].upper() + str(exc)[1:])
        if problems:
            self.error_label.setText("\n".join(problems))
            return
        if settings.api_base_url and settings.api_base_url == self._failed_url and \
                not self._ask("Save a URL that did not answer?",
                              f"Test connection to {settings.api_base_url} just failed: "
                              f"{self.test_result.text()} Batches will wait until it answers. "
                              "Save it anyway?", accept="Save anyway", reject="Go back"):
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
        self._enable_test = focus.disable([self.test_button])   # the focus stays on the button
        self.test_result.setText("Testing…")
        # Any ApiError subclass (or a bad URL) comes back as the failure; its words are for people.
        self._test = connection.probe(self, self._client_factory, url, key) \
            .success(lambda message: self._finish_test(True, message)) \
            .failure(lambda message: self._finish_test(False, f"Failed: {message}")).run()

    def _ask(self, title: str, text: str, **kw) -> bool:
        if self._confirm is not None:
            return bool(self._confirm(title, text, **kw))
        from bulkquote_gui.gui.dialogs.questions import Dialogs
        return Dialogs(self).confirm(title, text, **kw)

    def _finish_test(self, ok: bool, message: str) -> None:
        if self._enable_test is not None:
            self._enable_test()
            self._enable_test = None
        url = self.url_edit.text().strip().rstrip("/")
        self._failed_url = None if ok else url
        self.test_result.setToolTip("" if ok else message)  # the technical words, for IT
        if not ok and message.startswith("Failed: "):
            message = plain_failure(message[len("Failed: "):], url or self._demo_url or "")
        self.test_result.setText(message)
        self.test_result.setStyleSheet("color: #15803d;" if ok else "color: #c62828;")
        emit(self.test_finished, ok, message)
