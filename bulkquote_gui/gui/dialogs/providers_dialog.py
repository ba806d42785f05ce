"""Settings → Providers: the named quote providers (a MEF Sonata seller, Momentum), listed, added,
edited, tested and removed.

`ProvidersDialog` lists them and holds the commands; `ProviderEditor` is one provider's form,
its fields the kind's own (a Sonata seller's token URL, client id, offerings, quotes at once,
firm or budgetary; Momentum's URL and key only). The secret goes through the same field as the
API key (gui/widgets/secret_field: the keyring, or the variable the provider names). Every read,
write and Test connection is an operation off the GUI thread (gui/operations/providers).
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from bulkquote_gui.core.offer import PRODUCTS
from bulkquote_gui.core.quoting.factory import MOMENTUM, SONATA
from bulkquote_gui.gui import focus
from bulkquote_gui.gui.dialogs.connection_failure import plain_failure
from bulkquote_gui.gui.operations import providers as provider_ops
from bulkquote_gui.gui.qt_compat import emit
from bulkquote_gui.gui.widgets.blocks import level_labels, save_cancel_buttons
from bulkquote_gui.gui.widgets.secret_field import secret_field
from bulkquote_gui.services import provider_config
from bulkquote_gui.services.secrets import ProviderSecretStore

KIND_NAMES = {SONATA: "MEF Sonata seller", MOMENTUM: "Momentum"}


COLUMNS = ("Name", "Kind", "Base URL", "At once", "Secret")


def provider_cells(p: provider_ops.StoredProvider) -> list[str]:
    """One provider as the list's columns show it."""
    env = p.settings.get("secret_env")
    return [p.name, KIND_NAMES.get(p.kind, p.kind), p.base_url, str(p.lanes),
            f"${env}" if env else "keyring"]


class ProviderEditor(QDialog):
    """One provider's form. `given()` is what the rep typed; checked before it is accepted."""

    def __init__(self, existing: provider_ops.StoredProvider | None = None, *,
                 allow_insecure_http: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit provider" if existing else "Add provider")
        self.setMinimumWidth(560)
        self._existing = existing
        self._allow_insecure_http = allow_insecure_http
        self._build_fields(existing)

    def _build_fields(self, existing: provider_ops.StoredProvider | None) -> None:
        settings = existing.settings if existing else {}
        self.name_edit = QLineEdit(existing.name if existing else "")
        self.name_edit.setPlaceholderText("the seller as you call it, e.g. Lumen")
        self.kind_combo = QComboBox()
        for kind in (SONATA, MOMENTUM):
            self.kind_combo.addItem(KIND_NAMES[kind], kind)
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(existing.kind if existing else SONATA))
        self.url_edit = QLineEdit(existing.base_url if existing else "")
        self.token_url_edit = QLineEdit(settings.get("token_url", ""))
        for edit in (self.url_edit, self.token_url_edit):
            edit.setCursorPosition(0)   # a long URL shown from its start
        self.token_url_edit.setPlaceholderText("https://seller.example/oauth2/token")
        self.client_id_edit = QLineEdit(settings.get("client_id", ""))
        # a new provider has no keyring entry yet ("provider:"): its field starts empty
        self.secret_edit, self.secret_note, self._initial_secret = secret_field(
            ProviderSecretStore(existing.name if existing else "", settings.get("secret_env", "")))
        self.secret_env_edit = QLineEdit(settings.get("secret_env", ""))
        self.secret_env_edit.setPlaceholderText("optional: read the secret from this variable")
        self.lanes_spin = QSpinBox()
        self.lanes_spin.setRange(1, 64)
        self.lanes_spin.setValue(existing.lanes if existing else 1)
        self.lanes_spin.lineEdit().setTextMargins(7, 0, 0, 0)   # lined up with the line edits
        self.level_combo = QComboBox()
        self.level_combo.addItem("Firm", "firm")
        self.level_combo.addItem("Budgetary", "budgetary")
        self.level_combo.setCurrentIndex(self.level_combo.findData(settings.get("quote_level", "firm")))
        self.instant_check = QCheckBox("Ask for an instant answer (instantSyncQuote)")
        self.instant_check.setChecked(bool(settings.get("instant", False)))
        offerings = settings.get("offerings") or {}
        self.offering_edits = {product: QLineEdit(offerings.get(product, "")) for product in PRODUCTS}
        for product, edit in self.offering_edits.items():
            edit.setPlaceholderText(f"the seller's product offering id for {product}")
        self.error_label = QLabel("")
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self._build_form()
        self.kind_combo.currentIndexChanged.connect(self._show_kind_fields)
        self._show_kind_fields()

    def _build_form(self) -> None:
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Kind", self.kind_combo)
        self.form.addRow("Base URL", self.url_edit)
        self.form.addRow("Token URL", self.token_url_edit)
        self.form.addRow("Client id", self.client_id_edit)
        self.secret_label = QLabel("Client secret")
        self.form.addRow(self.secret_label, self.secret_edit)
        self.form.addRow("", self.secret_note)
        self.form.addRow("Secret variable", self.secret_env_edit)
        self.form.addRow("Quotes at once", self.lanes_spin)
        self.form.addRow("Quote level", self.level_combo)
        self.form.addRow("", self.instant_check)
        for product, edit in self.offering_edits.items():
            self.form.addRow(f"{product} offering", edit)
        level_labels(self.form)
        self._sonata_only = [self.token_url_edit, self.client_id_edit, self.lanes_spin,
                             self.level_combo, self.instant_check, *self.offering_edits.values()]
        self.buttons = save_cancel_buttons()
        self.buttons.accepted.connect(self.check_and_accept)
        self.buttons.rejected.connect(self.reject)
        # The fields scroll, Save/Cancel stay below them: on a 1280x720 screen at 125 % the
        # form is taller than the screen, and the buttons must stay in sight.
        fields = QWidget()
        fields.setLayout(self.form)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(fields)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        screen = (self.parentWidget().screen() if self.parentWidget() else None) \
            or QGuiApplication.primaryScreen()
        room = screen.availableGeometry().height() - 60 if screen else 10_000
        below = self.buttons.sizeHint().height() + 60
        self.scroll.setMinimumWidth(fields.minimumSizeHint().width()
                                    + self.scroll.verticalScrollBar().sizeHint().width() + 8)
        self.resize(max(600, self.sizeHint().width()),
                    min(fields.sizeHint().height() + below, room))

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def _show_kind_fields(self) -> None:
        """A Sonata seller's rows only for a Sonata seller; Momentum's secret is its API key."""
        sonata = self.kind == SONATA
        for widget in self._sonata_only:
            self.form.setRowVisible(widget, sonata)
        self.secret_label.setText("Client secret" if sonata else "API key")
        self.url_edit.setPlaceholderText(
            "https://seller.example/mefApi/sonata/quoteManagement/v8" if sonata
            else "https://api.momentum.example/v1")

    def given(self) -> provider_config.ProviderInput:
        sonata = self.kind == SONATA
        return provider_config.ProviderInput(
            name=self.name_edit.text().strip(), kind=self.kind, url=self.url_edit.text().strip(),
            token_url=self.token_url_edit.text() if sonata else "",
            client_id=self.client_id_edit.text() if sonata else "",
            secret_env=self.secret_env_edit.text().strip(),
            lanes=self.lanes_spin.value() if sonata else 1,
            instant=self.instant_check.isChecked() if sonata else False,
            level=str(self.level_combo.currentData()) if sonata else "firm",
            offerings={p: e.text().strip() for p, e in self.offering_edits.items()
                       if sonata and e.text().strip()})

    @property
    def secret(self) -> str:
        """The secret typed ("" when unchanged: the stored one stays)."""
        typed = self.secret_edit.text().strip()
        return "" if typed == self._initial_secret.strip() else typed

    def check_and_accept(self) -> None:
        given = self.given()
        problem = "" if given.name else "A provider needs a name."
        if not problem:
            try:
                provider_config.checked(given, allow_insecure_http=self._allow_insecure_http)
            except provider_config.ProviderInputError as exc:
                problem = str(exc)[:1].upper() + str(exc)[1:] + "."
        if not problem and self._existing is None and not given.secret_env and not self.secret:
            problem = ("Enter the " + ("client secret" if self.kind == SONATA else "API key")
                       + ", or name the variable it is read from.")
        if problem:
            self.error_label.setText(problem)
            return
        self.accept()


class ProvidersDialog(QDialog):
    """The providers, with Add, Edit, Test connection and Remove."""

    changed = Signal()               # a provider was added, changed or removed
    loaded = Signal()                # the list was (re)read: tests wait on it
    test_finished = Signal(bool, str)

    def __init__(self, sessions: Any, *, allow_insecure_http: bool = False,
                 confirm: Callable[..., bool] | None = None,
                 edit: Callable[[ProviderEditor], bool] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Providers")
        self.setMinimumWidth(640)
        self._sessions = sessions
        self._allow_insecure_http = allow_insecure_http
        self._confirm = confirm          # the window's Dialogs.confirm (tests script it)
        self._edit = edit or (lambda editor: editor.exec() == QDialog.DialogCode.Accepted)
        self.providers: list[provider_ops.StoredProvider] = []
        self._test: Any = None

        intro = QLabel("The sellers BulkQuote quotes through. A batch goes to the one chosen "
                       "when it is submitted (the first one unless you pick another).")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(COLUMNS)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)   # a long URL keeps both ends
        header = self.list.header()
        header.setStretchLastSection(False)
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == 2
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.list.currentItemChanged.connect(self._sync_buttons)
        self.list.itemDoubleClicked.connect(lambda *_: self.edit_selected())
        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.test_button = QPushButton("&Test connection")
        self.remove_button = QPushButton("&Remove…")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.test_button, self.remove_button):
            row.addWidget(button)
        row.addStretch()
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in close.buttons():
            button.setIcon(QIcon())   # text only, as the settings dialogs' buttons
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.resize(760, 420)
        self._sync_buttons()
        self.reload()

    # ---------------------------------------------------------------- the list
    def reload(self) -> None:
        provider_ops.load(self, self._sessions).success(self._show) \
            .failure(self._say_failure).run()

    def _show(self, providers: list[provider_ops.StoredProvider]) -> None:
        current = self.selected.name if self.selected else None
        self.providers = providers
        self.list.clear()
        for p in providers:
            item = QTreeWidgetItem(self.list, provider_cells(p))
            item.setToolTip(2, p.base_url)
        names = [p.name for p in providers]
        if names:
            self.list.setCurrentItem(self.list.topLevelItem(
                names.index(current) if current in names else 0))
        if not providers:
            self.status.setText("No providers yet: Add… one, or quote in demo mode.")
        self._sync_buttons()
        emit(self.loaded)

    @property
    def selected(self) -> provider_ops.StoredProvider | None:
        item = self.list.currentItem()
        row = self.list.indexOfTopLevelItem(item) if item is not None else -1
        return self.providers[row] if 0 <= row < len(self.providers) else None

    def rows(self) -> list[list[str]]:
        """What the list shows, row by row."""
        return [[self.list.topLevelItem(i).text(c) for c in range(len(COLUMNS))]
                for i in range(self.list.topLevelItemCount())]

    def _sync_buttons(self, *_: object) -> None:
        chosen = self.selected is not None
        for button in (self.edit_button, self.test_button, self.remove_button):
            button.setEnabled(chosen)

    def _say(self, text: str, ok: bool | None = None) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("" if ok is None else
                                  "color: #15803d;" if ok else "color: #c62828;")

    def _say_failure(self, message: str) -> None:
        self._say(message[:1].upper() + message[1:], ok=False)

    # ---------------------------------------------------------------- commands
    def add(self) -> None:
        self._open_editor(None)

    def edit_selected(self) -> None:
        if self.selected is not None:
            self._open_editor(self.selected)

    def _open_editor(self, existing: provider_ops.StoredProvider | None) -> None:
        editor = ProviderEditor(existing, allow_insecure_http=self._allow_insecure_http, parent=self)
        try:
            if not self._edit(editor):
                return
            given, secret = editor.given(), editor.secret
        finally:
            editor.deleteLater()
        provider_ops.save(self, self._sessions, given, secret,
                          editing=existing.name if existing else None,
                          allow_insecure_http=self._allow_insecure_http) \
            .success(lambda in_keyring: self._saved(given.name, in_keyring)) \
            .failure(self._say_failure).run()

    def _saved(self, name: str, in_keyring: bool) -> None:
        self._say(f"{name} saved." + ("" if in_keyring else " No system keyring here: its "
                                      "secret is kept until BulkQuote closes."))
        emit(self.changed)
        self.reload()

    def test_selected(self) -> None:
        provider = self.selected
        if provider is None:
            return
        enable = focus.disable([self.test_button])
        self._say(f"Testing {provider.name}…")

        def finish(ok: bool, message: str) -> None:
            enable()
            self.status.setToolTip("" if ok else message)   # the technical words, for IT
            self._say(message if ok else
                      f"{provider.name}: {plain_failure(message, provider.base_url)}", ok=ok)
            emit(self.test_finished, ok, self.status.text())

        self._test = provider_ops.test_connection(self, provider, "",
                                                  allow_insecure_http=self._allow_insecure_http) \
            .success(lambda message: finish(True, message)) \
            .failure(lambda message: finish(False, message)).run()

    def remove_selected(self) -> None:
        provider = self.selected
        if provider is None or not self._ask(
                f"Remove {provider.name}?",
                f"BulkQuote forgets {provider.name} and its secret. Batches already quoted keep "
                "their prices.", accept="Remove", reject="Keep it"):
            return
        provider_ops.remove(self, self._sessions, provider.name) \
            .success(lambda name: self._removed(name)).failure(self._say_failure).run()

    def _removed(self, name: str) -> None:
        self._say(f"{name} removed.")
        emit(self.changed)
        self.reload()

    def _ask(self, title: str, text: str, **kw: Any) -> bool:
        if self._confirm is not None:
            return bool(self._confirm(title, text, **kw))
        from bulkquote_gui.gui.dialogs.questions import Dialogs
        return Dialogs(self).confirm(title, text, **kw)

    def done(self, result: int) -> None:
        if self._test is not None:
            self._test.cancel()
        super().done(result)
