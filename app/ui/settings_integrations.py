"""Settings → Webhooks (``services.webhooks``): add, delete, "Send test", the delivery log of the
selected webhook and "Redeliver"; plus the table helpers and the shown-once secret dialog that the
API keys page (settings_apikeys.py) shares.

"Send test" is ``WebhookService.test``: one signed test event through the same send path, recorded in
the delivery log. "Redeliver" queues a logged delivery again (``redeliver``); the page waits a few
seconds for the sender's attempt and shows its outcome.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.ui import formatting
from app.ui.context import WindowContext
from app.ui.dialogs import confirm
from app.ui.field_errors import FieldErrors
from app.ui.store_picker import refill_stores
from app.ui.tables import fill_table, make_table
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.core.records import Page, Store
    from app.services.delivery.webhooks import SavedWebhook, Webhook, WebhookDelivery

REDELIVERY_WAIT_S = 20.0  # how long the page waits for a redelivery's attempt before showing "queued"


def when(value: datetime | None) -> str:
    return formatting.local_time(value, seconds=True) if value is not None else ""


def outcome_text(d: WebhookDelivery) -> str:
    code = f"HTTP {d.last_status_code}" if d.last_status_code is not None else (d.last_error or "no answer")
    if d.status == "delivered":
        return f"delivered ({code})"
    if d.status == "failed":
        return f"failed ({code})"
    return "queued" if d.attempts == 0 else f"will retry ({code}), attempt {d.attempts}"


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
        note = QLabel("Copy it now: it is shown only once and cannot be recovered.", wordWrap=True)
        note.setProperty("role", "warning")
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(560, 140)


class WebhooksPage(QWidget):
    COLUMNS = ("URL", "Events", "Enabled", "Created")
    DELIVERY_COLUMNS = ("When", "Event", "Status", "HTTP", "Attempts", "Next attempt", "Error")

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.service = ctx.services.webhooks
        self.hooks: list[Webhook] = []
        self.delivery_items: list[WebhookDelivery] = []
        self.errors = FieldErrors()
        self.table = make_table(self.COLUMNS, "webhookTable")
        self.deliveries = make_table(self.DELIVERY_COLUMNS, "deliveryTable")
        self.store = named(QComboBox(), "webhookStore")
        self.store.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.store.currentIndexChanged.connect(lambda _i: self.reload_hooks())
        self.url = named(QLineEdit(), "webhookUrl")
        self.url.setToolTip("Where RedWaves POSTs the events, e.g. https://shop.example/redwaves-webhook")
        self.url.returnPressed.connect(self._on_add_button_clicked)
        self.status = named(QLabel(wordWrap=True), "webhookStatus")
        self.status.setProperty("role", "muted")
        self.table.currentCellChanged.connect(lambda row, *_: self._load_deliveries(row))
        layout = QVBoxLayout(self)
        layout.addLayout(self._add_row())
        layout.addWidget(self.errors.general)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._hook_buttons())
        layout.addWidget(self.status)
        layout.addLayout(self._log_header())
        layout.addWidget(self.deliveries, 2)

    def _add_row(self) -> QHBoxLayout:
        add = named(QPushButton("Add webhook"), "addWebhook")
        add.clicked.connect(self._on_add_button_clicked)
        row = QHBoxLayout()
        row.addWidget(self.store, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(QLabel("URL"), 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.errors.row("url", self.url), 1)
        row.addWidget(add, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _hook_buttons(self) -> QHBoxLayout:
        test, delete = named(QPushButton("Send test"), "testWebhook"), named(QPushButton("Delete…"), "deleteWebhook")
        test.setToolTip("Send a signed test event to the selected webhook now; it appears in the delivery log.")
        test.clicked.connect(self._on_test_button_clicked)
        delete.clicked.connect(self._on_delete_button_clicked)
        row = QHBoxLayout()
        row.addWidget(test)
        row.addWidget(delete)
        row.addStretch(1)
        return row

    def _log_header(self) -> QHBoxLayout:
        caption = QLabel("Delivery log of the selected webhook")
        caption.setProperty("role", "h2")
        redeliver = named(QPushButton("Redeliver"), "redeliver")
        refresh = named(QPushButton("Refresh"), "refreshDeliveries")
        redeliver.clicked.connect(self._on_redeliver_button_clicked)
        refresh.clicked.connect(lambda: self._load_deliveries(self.table.currentRow()))
        row = QHBoxLayout()
        row.addWidget(caption, 1)
        row.addWidget(redeliver)
        row.addWidget(refresh)
        return row

    # -- webhooks --------------------------------------------------------------------------------
    def reload(self) -> None:
        self._ctx.run(self._ctx.services.stores.list(), self._on_stores, name="webhook-stores", parent=self)

    def _on_stores(self, stores: list[Store]) -> None:
        refill_stores(self.store, stores)
        self.reload_hooks()

    def reload_hooks(self, select_id: str | None = None) -> None:
        store_id = self.store.currentData()
        if store_id:
            self._ctx.run(self.service.list(store_id), lambda hooks: self._show(hooks, select_id), name="webhooks",
                          parent=self)
        else:
            self._show([], None)

    def _show(self, hooks: list[Webhook], select_id: str | None) -> None:
        selected = self.selected_hook()
        keep = select_id or (selected.id if selected is not None else None)
        self.hooks = list(hooks)
        row = next((i for i, h in enumerate(self.hooks) if h.id == keep), 0 if self.hooks else -1)
        self.table.blockSignals(True)  # one deliveries load below, not one per selection change
        fill_table(self.table, [(h.url, ", ".join(h.event_types) or "all events", "yes" if h.enabled else "no",
                                 when(h.created_at)) for h in self.hooks])
        if row >= 0:
            self.table.selectRow(row)
        self.table.blockSignals(False)
        self._load_deliveries(row)

    def selected_hook(self) -> Webhook | None:
        row = self.table.currentRow()
        return self.hooks[row] if 0 <= row < len(self.hooks) else None

    def _on_add_button_clicked(self) -> None:
        self.errors.clear()
        store_id = self.store.currentData()
        if not store_id:
            self.errors.set(None, "Add a store first: webhooks belong to a store.")
            return
        self._ctx.run(self.service.create(store_id, self.url.text().strip()), self._on_created,
                      name="webhook-add", parent=self, on_user_error=self.errors.show)

    def _on_created(self, saved: SavedWebhook) -> None:
        self.url.clear()
        if saved.secret is not None:
            self.secret_dialog = SecretShownOnceDialog("Webhook signing secret", saved.secret.reveal(), self)
            self.secret_dialog.open()
        self._say("Webhook added. Each delivery is signed with its secret (X-RedWaves-Signature: "
                  "sha256=<HMAC-SHA256 of the body>).")
        self.reload_hooks(select_id=saved.webhook.id)

    def _on_delete_button_clicked(self) -> None:
        hook = self.selected_hook()
        if hook is None:
            return

        def delete() -> None:
            self._ctx.run(self.service.delete(hook.id), lambda _r: self.reload_hooks(), name="webhook-delete",
                          parent=self)

        self.confirm_box = confirm(self, "Delete webhook", f"Delete the webhook to {hook.url} and its delivery "
                                   "log?", delete, yes_text="Delete")

    def _on_test_button_clicked(self) -> None:
        hook = self.selected_hook()
        if hook is None:
            self._say("Select a webhook to test.")
            return
        self._say(f"Sending a test event to {hook.url}…")
        self._ctx.run(self.service.test(hook.id), self._on_delivery_outcome, name="webhook-test", parent=self,
                      on_user_error=self._on_action_failed)

    # -- delivery log ----------------------------------------------------------------------------
    def _load_deliveries(self, row: int) -> None:
        if 0 <= row < len(self.hooks):
            self._ctx.run(self.service.deliveries(self.hooks[row].id, limit=50), self._show_deliveries,
                          name="webhook-deliveries", parent=self)
        else:
            self._show_deliveries(None)

    def _show_deliveries(self, page: Page | None) -> None:
        items: tuple[WebhookDelivery, ...] = page.items if page is not None else ()
        self.delivery_items = list(items)
        fill_table(self.deliveries, [(when(d.created_at), d.event_type, str(d.status),
                                      str(d.last_status_code or ""), str(d.attempts), when(d.next_attempt_at),
                                      d.last_error or "") for d in items])

    def _on_redeliver_button_clicked(self) -> None:
        row = self.deliveries.currentRow()
        if not 0 <= row < len(self.delivery_items):
            self._say("Select a delivery in the log to send it again.")
            return
        delivery = self.delivery_items[row]
        self._say(f"Sending the {delivery.event_type} delivery again…")
        self._ctx.run(self._redeliver(delivery.id), self._on_delivery_outcome, name="webhook-redeliver",
                      parent=self, on_user_error=self._on_action_failed)

    async def _redeliver(self, delivery_id: str) -> WebhookDelivery:
        """Queue it again, then wait (bounded) for the sender's first attempt."""
        delivery = await self.service.redeliver(delivery_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REDELIVERY_WAIT_S
        while delivery.status == "pending" and delivery.attempts == 0 and loop.time() < deadline:
            await asyncio.sleep(0.2)
            delivery = await self.service.delivery(delivery_id)
        return delivery

    def _on_delivery_outcome(self, delivery: WebhookDelivery) -> None:
        role = {"delivered": "ok", "failed": "error"}.get(str(delivery.status), "muted")
        self._say(f"{delivery.event_type} delivery {delivery.id}: {outcome_text(delivery)}.", role)
        self._load_deliveries(self.table.currentRow())

    def _on_action_failed(self, error: UserFacingError) -> None:
        self._say(str(error), "error")
        self._load_deliveries(self.table.currentRow())

    def _say(self, text: str, role: str = "muted") -> None:
        self.status.setText(text)
        self.status.setProperty("role", role)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
