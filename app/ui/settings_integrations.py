"""API keys (create, revoke, the secret shown once) and webhooks (add, delete, delivery log):
``services.apikeys`` and ``services.webhooks``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui import formatting
from app.ui.context import WindowContext
from app.ui.dialogs import confirm
from app.ui.store_picker import refill_stores
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.core.records import Page, Store
    from app.services.admin.apikeys import ApiKey, NewApiKey
    from app.services.delivery.webhooks import SavedWebhook, Webhook, WebhookDelivery


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = named(QTableWidget(0, len(columns)), name)
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(text))


def _when(value: datetime | None) -> str:
    return formatting.local_time(value) if value is not None else ""


class SecretShownOnceDialog(QDialog):
    def __init__(self, title: str, secret: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("secretDialog")
        self.setWindowTitle(title)
        self.secret = named(QLineEdit(secret, readOnly=True), "secret")
        copy = QPushButton("Copy")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(secret))
        row = QHBoxLayout()
        row.addWidget(self.secret, 1)
        row.addWidget(copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Copy it now: it is shown only once and cannot be recovered.", wordWrap=True))
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(560, 140)


class ApiKeysPage(QWidget):
    COLUMNS = ("Name", "Key", "Access", "Stores", "Created", "Last used")
    SCOPES = (("Full access", ("full",)),
              ("Create and read invoices", ("invoices:create", "invoices:read")),
              ("Read only", ("invoices:read", "stores:read", "products:read", "wallets:read")))

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.service = ctx.services.apikeys
        self.keys: list[ApiKey] = []
        self.table = _table(self.COLUMNS, "apiKeyTable")
        self.name = named(QLineEdit(placeholderText="What the key is for, e.g. 'WooCommerce'"), "apiKeyName")
        self.scope = named(QComboBox(), "apiKeyScope")
        for text, scopes in self.SCOPES:
            self.scope.addItem(text, scopes)
        create, revoke = named(QPushButton("Create key"), "createKey"), named(QPushButton("Revoke"), "revokeKey")
        create.clicked.connect(self._on_create_button_clicked)
        revoke.clicked.connect(self._on_revoke_button_clicked)
        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(self.scope)
        row.addWidget(create)
        row.addWidget(revoke)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("The private listener's API accepts these keys as 'Authorization: Bearer rw_…'. "
                                "A key is shown once, when it is created.", wordWrap=True))

    def reload(self) -> None:
        self._ctx.run(self.service.list(), self._show, name="apikeys", parent=self)

    def _show(self, keys: list[ApiKey]) -> None:
        self.keys = list(keys)
        _fill(self.table, [(k.name, f"rw_{k.id}_…", ", ".join(sorted(str(s) for s in k.scopes)),
                            ", ".join(k.store_ids) if k.store_ids is not None else "all",
                            _when(k.created_at), _when(k.last_used_at) or "never")
                           for k in self.keys])

    def _on_create_button_clicked(self) -> None:
        coro = self.service.create(self.name.text().strip(), self.scope.currentData())
        self._ctx.run(coro, self._on_created, name="apikey-create", parent=self)

    def _on_created(self, new_key: NewApiKey) -> None:
        secret = new_key.key.reveal()
        self.name.clear()
        self.secret_dialog = SecretShownOnceDialog("New API key", secret, self)
        self.secret_dialog.open()
        self.reload()

    def _on_revoke_button_clicked(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.keys):
            key = self.keys[row]

            def revoke() -> None:
                self._ctx.run(self.service.revoke(key.id), lambda _r: self.reload(), name="apikey-revoke", parent=self)

            confirm(self, "Revoke API key", f"Revoke '{key.name}'? Programs using it stop working.", revoke,
                    yes_text="Revoke")


class WebhooksPage(QWidget):
    COLUMNS = ("URL", "Events", "Enabled", "Created")
    DELIVERY_COLUMNS = ("When", "Event", "Status", "HTTP", "Attempts", "Next attempt", "Error")

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.service = ctx.services.webhooks
        self.hooks: list[Webhook] = []
        self.table = _table(self.COLUMNS, "webhookTable")
        self.deliveries = _table(self.DELIVERY_COLUMNS, "deliveryTable")
        self.store = named(QComboBox(), "webhookStore")
        self.store.currentIndexChanged.connect(lambda _i: self.reload_hooks())
        self.url = named(QLineEdit(placeholderText="https://example.com/redwaves-webhook"), "webhookUrl")
        add, delete = named(QPushButton("Add webhook"), "addWebhook"), named(QPushButton("Delete"), "deleteWebhook")
        add.clicked.connect(self._on_add_button_clicked)
        delete.clicked.connect(self._on_delete_button_clicked)
        self.table.currentCellChanged.connect(lambda row, *_: self._load_deliveries(row))
        row = QHBoxLayout()
        row.addWidget(self.store)
        row.addWidget(self.url, 1)
        row.addWidget(add)
        row.addWidget(delete)
        caption = QLabel("Delivery log")
        caption.setProperty("role", "h2")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(caption, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.deliveries, 1)

    def reload(self) -> None:
        self._ctx.run(self._ctx.services.stores.list(), self._on_stores, name="webhook-stores", parent=self)

    def _on_stores(self, stores: list[Store]) -> None:
        refill_stores(self.store, stores)
        self.reload_hooks()

    def reload_hooks(self) -> None:
        store_id = self.store.currentData()
        if store_id:
            self._ctx.run(self.service.list(store_id), self._show, name="webhooks", parent=self)
        else:
            self._show([])

    def _show(self, hooks: list[Webhook]) -> None:
        self.hooks = list(hooks)
        _fill(self.table, [(h.url, ", ".join(h.event_types) or "all events", "yes" if h.enabled else "no",
                            _when(h.created_at)) for h in self.hooks])
        self.deliveries.setRowCount(0)

    def _load_deliveries(self, row: int) -> None:
        if 0 <= row < len(self.hooks):
            self._ctx.run(self.service.deliveries(self.hooks[row].id, limit=50), self._show_deliveries,
                          name="webhook-deliveries", parent=self)

    def _show_deliveries(self, page: Page) -> None:
        items: tuple[WebhookDelivery, ...] = page.items
        _fill(self.deliveries, [(_when(d.created_at), d.event_type, str(d.status), str(d.last_status_code or ""),
                                 str(d.attempts), _when(d.next_attempt_at), d.last_error or "") for d in items])

    def _on_add_button_clicked(self) -> None:
        store_id = self.store.currentData()
        if store_id:
            self._ctx.run(self.service.create(store_id, self.url.text().strip()), self._on_created,
                          name="webhook-add", parent=self)

    def _on_created(self, saved: SavedWebhook) -> None:
        self.url.clear()
        if saved.secret is not None:
            self.secret_dialog = SecretShownOnceDialog("Webhook signing secret", saved.secret.reveal(), self)
            self.secret_dialog.open()
        self.reload_hooks()

    def _on_delete_button_clicked(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.hooks):
            hook = self.hooks[row]
            self._ctx.run(self.service.delete(hook.id), lambda _r: self.reload_hooks(), name="webhook-delete",
                          parent=self)
