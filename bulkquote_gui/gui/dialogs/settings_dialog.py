"""Settings: the quote providers (a button to Settings → Providers), timings, batch defaults,
the rep's name and e-mail, the team database.

The boxes sit in a scroll area and Save/Cancel below it, so on a 1280x720 screen at 150 % (480
logical pixels) the buttons are always on screen. A password typed in the team database URL goes
to the keyring (services/settings.save_settings).

A provider's URL and secret are edited in one place only, Settings → Providers
(dialogs/providers_dialog.py); the Momentum URL and key this dialog once held became the first
provider (services/provider_upgrade.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDoubleSpinBox,
                               QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from bulkquote_gui.core.deal.logo import LogoError, read_logo
from bulkquote_gui.core.offer import BANDWIDTHS_MBPS, PRODUCTS, TERMS_MONTHS
from bulkquote_gui.gui.widgets.blocks import level_labels, save_cancel_buttons
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
    providers_requested = Signal()     # "Providers…": the named sellers (dialogs/providers_dialog)

    def __init__(self, settings: Settings, *,
                 choose_logo: Callable[[], str | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._choose_logo = choose_logo  # the window's file dialog for "Browse…"
        self._settings = settings
        self.result_settings: Settings | None = None

        groups = [self._build_providers(settings), self._build_timings(settings),
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

    def _build_providers(self, settings: Settings) -> QGroupBox:
        """Where the sellers are set (Providers…), and whether plain http:// may reach them."""
        note = QLabel("The sellers BulkQuote quotes through (Momentum, MEF Sonata) and their "
                      "credentials. With none set up, BulkQuote runs in demo mode on its "
                      "built-in simulators.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.providers_button = QPushButton("&Providers…")
        self.providers_button.setToolTip("The named quote providers: MEF Sonata sellers and "
                                         "Momentum accounts, each with its own credentials")
        self.providers_button.clicked.connect(lambda: emit(self.providers_requested))
        self.insecure_check = QCheckBox("Allow plain http:// (a trusted network only)")
        self.insecure_check.setChecked(settings.allow_insecure_http)
        self.insecure_check.setToolTip("http:// sends a provider's key or secret unencrypted; "
                                       "BulkQuote refuses it for any computer but this one unless "
                                       "this is ticked.")
        row = QHBoxLayout()
        row.addWidget(self.providers_button)
        row.addStretch()
        box = QGroupBox("Quote providers")
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Sellers", row)
        form.addRow("", note)
        form.addRow("", self.insecure_check)
        form.setVerticalSpacing(6)
        level_labels(form)
        return box

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
        level_labels(tform)
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
        level_labels(dform)
        return defaults

    def _build_rep(self, settings: Settings) -> QGroupBox:
        self.name_edit = QLineEdit(settings.rep_name)
        self.email_edit = QLineEdit(settings.rep_email)
        contact_note = QLabel("A MEF Sonata seller is sent your name and e-mail as the buyer's "
                              "contact, and needs both.")
        contact_note.setObjectName("hint")
        contact_note.setWordWrap(True)
        rep = QGroupBox("You")
        rform = QFormLayout(rep)
        rform.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        rform.addRow("Name", self.name_edit)
        rform.addRow("E-mail", self.email_edit)
        rform.addRow("", contact_note)
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
        level_labels(rform)
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
        level_labels(bform)
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

    # ---------------------------------------------------------------- values
    def edited_settings(self) -> Settings:
        return replace(
            self._settings,
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
        self.result_settings = settings
        self.accept()
