"""Settings → API keys: the keys the private listener's APIs accept (``services.apikeys``).

"New key…" asks for a name, the scopes (check boxes) and the stores the key may reach (all, or the
ticked ones: ``ApiKeyService.create(store_ids=...)``); the new key is shown once, with a Copy button.
The list shows each key's access and stores; Revoke asks first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError, ValidationError
from app.ui.context import WindowContext
from app.ui.dialogs import confirm
from app.ui.field_errors import FieldErrors
from app.ui.settings_integrations import when
from app.ui.tables import fill_table, make_table
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.core.records import Store
    from app.services.admin.apikeys import ApiKey, NewApiKey

FULL = "full"
SCOPES: tuple[tuple[str, str], ...] = (
    ("invoices:create", "Create invoices"), ("invoices:read", "Read invoices"),
    ("invoices:write", "Manage invoices (includes read, create)"), ("stores:read", "Read stores"),
    ("stores:write", "Manage stores"), ("products:read", "Read products"), ("products:write", "Manage products"),
    ("wallets:read", "Read wallets"), ("wallets:write", "Manage wallets"), ("webhooks:write", "Manage webhooks"),
    ("refunds:read", "Read refunds"), ("refunds:write", "Create and cancel refunds"),
    ("payouts:read", "Read payouts"), ("payouts:write", "Send payouts (approve, pay, sign)"),
    ("lightning:read", "Read the Lightning node"), ("lightning:write", "Run the Lightning node (channels, on/off)"),
    ("audit:read", "Read the audit log"), ("staff:read", "Read people and terminals"),
)
"""Every ``apikeys.Scope`` but ``full`` (a test checks the two agree), as the dialog offers them."""
SCOPE_LABELS = dict(SCOPES) | {FULL: "Full access"}


def scopes_text(scopes: frozenset[str] | set[str]) -> str:
    if FULL in scopes:
        return "full access"
    return ", ".join(sorted(str(s) for s in scopes))


def stores_text(store_ids: tuple[str, ...] | None, names: dict[str, str]) -> str:
    if store_ids is None:
        return "all stores"
    return ", ".join(names.get(s, s) for s in store_ids) or "no store"


class NewApiKeyDialog(QDialog):
    """Name, scopes and stores; then the key, shown once."""

    keyCreated = Signal(object)  # noqa: N815  # the ApiKey (without its secret)

    def __init__(self, ctx: WindowContext, stores: list[Store], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newApiKeyDialog")
        self.setWindowTitle("New API key")
        self._ctx = ctx
        self.errors = FieldErrors()
        self.name = named(QLineEdit(), "apiKeyName")
        self.full = named(QCheckBox("Full access (everything, including new scopes)"), "scope_full")
        self.full.toggled.connect(self._on_full_toggled)
        self.scope_boxes: dict[str, QCheckBox] = {}
        grid_box = QWidget()
        grid = QGridLayout(grid_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.full, 0, 0, 1, 2)
        for i, (scope, label) in enumerate(SCOPES):
            box = named(QCheckBox(label), f"scope_{scope.replace(':', '_')}")
            self.scope_boxes[scope] = box
            grid.addWidget(box, 1 + i // 2, i % 2)
        self.all_stores = named(QRadioButton("All stores, also stores added later"), "allStores")
        self.some_stores = named(QRadioButton("Only the stores ticked below"), "someStores")
        self.all_stores.setChecked(True)
        self.store_list = named(QListWidget(), "apiKeyStores")
        for store in stores:
            item = QListWidgetItem(store.name)
            item.setData(Qt.ItemDataRole.UserRole, store.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.store_list.addItem(item)
        self.store_list.setMaximumHeight(96)
        self.store_list.setEnabled(False)
        self.some_stores.toggled.connect(self.store_list.setEnabled)
        stores_box = QWidget()
        stores_layout = QVBoxLayout(stores_box)
        stores_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.all_stores, self.some_stores, self.store_list):
            stores_layout.addWidget(widget)
        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.errors.row("name", self.name))
        form.addRow("Access", self.errors.row("scopes", grid_box))
        form.addRow("Stores", self.errors.row("store_ids", stores_box))
        self.token_box = self._token_box()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = named(self.buttons.addButton("Create key", QDialogButtonBox.ButtonRole.AcceptRole),
                                   "createKey")
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form_box)
        layout.addWidget(self.token_box)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.buttons)
        self.resize(600, 420)

    def _token_box(self) -> QWidget:
        box = QWidget()
        box.hide()
        self.token = named(QLineEdit(readOnly=True), "secret")
        self.copy_button = named(QPushButton("Copy"), "copyKey")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.summary = named(QLabel(wordWrap=True), "newKeySummary")
        note = named(QLabel("Copy the key now: it is shown only once. RedWaves keeps only a hash of it and "
                            "cannot show it again; if it is lost, revoke it and create a new one.",
                            wordWrap=True), "shownOnceNote")
        note.setProperty("role", "warning")
        row = QHBoxLayout()
        row.addWidget(self.token, 1)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addStretch(1)
        return box

    def _on_full_toggled(self, on: bool) -> None:
        for box in self.scope_boxes.values():
            box.setEnabled(not on)

    def scopes(self) -> list[str]:
        if self.full.isChecked():
            return [FULL]
        return [scope for scope, box in self.scope_boxes.items() if box.isChecked()]

    def store_ids(self) -> list[str] | None:
        if self.all_stores.isChecked():
            return None
        items = (self.store_list.item(i) for i in range(self.store_list.count()))
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in items
                if item.checkState() == Qt.CheckState.Checked]

    def _on_buttons_accepted(self) -> None:
        self.errors.clear()
        stores = self.store_ids()
        if stores is not None and not stores:
            self.errors.show(ValidationError("Tick at least one store, or choose all stores.", field="store_ids"))
            return
        self.create_button.setEnabled(False)
        coro = self._ctx.services.apikeys.create(self.name.text().strip(), self.scopes(), store_ids=stores)
        self._ctx.run(coro, self._on_created, name="apikey-create", parent=self, on_user_error=self._on_failed)

    def _on_failed(self, error: UserFacingError) -> None:
        self.create_button.setEnabled(True)
        self.errors.show(error)

    def _on_created(self, new_key: NewApiKey) -> None:
        key = new_key.api_key
        self.token.setText(new_key.key.reveal())
        names = {self.store_list.item(i).data(Qt.ItemDataRole.UserRole): self.store_list.item(i).text()
                 for i in range(self.store_list.count())}
        self.summary.setText(f"“{key.name}”: {scopes_text(set(key.scopes))}; {stores_text(key.store_ids, names)}.")
        self.form_box.hide()
        self.token_box.show()
        self.create_button.hide()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.keyCreated.emit(key)

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.token.text())
        self.copy_button.setText("Copied")


class ApiKeysPage(QWidget):
    COLUMNS = ("Name", "Key", "Access", "Stores", "Created", "Last used")

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.service = ctx.services.apikeys
        self.keys: list[ApiKey] = []
        self.stores: list[Store] = []
        self.table = make_table(self.COLUMNS, "apiKeyTable")
        new, revoke = named(QPushButton("New key…"), "newKey"), named(QPushButton("Revoke…"), "revokeKey")
        new.clicked.connect(self._on_new_button_clicked)
        revoke.clicked.connect(self._on_revoke_button_clicked)
        row = QHBoxLayout()
        row.addWidget(new)
        row.addWidget(revoke)
        row.addStretch(1)
        note = QLabel("Programs use these keys on the private listener's APIs as 'Authorization: Bearer rw_…' "
                      "(Greenfield: 'Authorization: token rw_…'). A key restricted to stores sees only those.",
                      wordWrap=True)
        note.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        self.new_dialog: NewApiKeyDialog | None = None

    def reload(self) -> None:
        self._ctx.run(self._load(), self._show, name="apikeys", parent=self)

    async def _load(self) -> tuple[list[ApiKey], list[Store]]:
        return await self.service.list(), await self._ctx.services.stores.list()

    def _show(self, loaded: tuple[list[ApiKey], list[Store]]) -> None:
        self.keys, self.stores = list(loaded[0]), list(loaded[1])
        names = {s.id: s.name for s in self.stores}
        fill_table(self.table, [(k.name, f"rw_{k.id}_…", scopes_text(set(k.scopes)), stores_text(k.store_ids, names),
                                 when(k.created_at), when(k.last_used_at) or "never") for k in self.keys])

    def _on_new_button_clicked(self) -> None:
        self.new_dialog = NewApiKeyDialog(self._ctx, self.stores, self)
        self.new_dialog.keyCreated.connect(lambda _key: self.reload())
        self.new_dialog.open()

    def _on_revoke_button_clicked(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.keys):
            return
        key = self.keys[row]

        def revoke() -> None:
            self._ctx.run(self.service.revoke(key.id), lambda _r: self.reload(), name="apikey-revoke", parent=self)

        self.confirm_box = confirm(self, "Revoke API key", f"Revoke “{key.name}” (rw_{key.id}_…)? Programs using "
                                   "it stop working at once. This cannot be undone.", revoke, yes_text="Revoke")
