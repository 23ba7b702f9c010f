"""Payment notifications: bridge events -> tray messages, one summary for a burst.

With the services (``ctx``), each message names the store, the fiat amount and the description:
"Payment received" / "Corner Shop: €12.50 (0.00020000 BTC) for “Coffee” · invoice inv_…". The
invoice and store are read after the burst is gathered; if that fails the message says what the
event alone says (the amount in BTC and the invoice id).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer

from app.core.errors import UserFacingError
from app.core.money import sat_to_fiat
from app.core.records import Invoice, Store
from app.ui import formatting
from app.ui.bridge import EventBridge
from app.ui.context import UiContext
from app.ui.ports import InvoiceDialogServices
from app.ui.tray import BURST_SUMMARY_AFTER, TrayNotifier

if TYPE_CHECKING:
    from app.services.events import OutboxEvent

logger = logging.getLogger(__name__)

GATHER_MS = 400
Details = dict[str, tuple[Invoice, Store]]


def payment_fiat(invoice: Invoice, amount_sat: int) -> str | None:
    """The payment in the invoice's fiat currency (at the invoice's locked rate); None for BTC invoices."""
    if invoice.rate is None or invoice.currency in ("BTC", "SAT"):
        return None
    if amount_sat == invoice.amount_due_sat:
        return formatting.fiat(invoice.price, invoice.currency)
    return formatting.fiat(sat_to_fiat(amount_sat, invoice.rate, invoice.currency), invoice.currency)


def _what(invoice: Invoice) -> str:
    text = invoice.description or invoice.order_id or ""
    return f" for “{formatting.short(text, 30)}”" if text else ""


def payment_message(event: OutboxEvent, found: tuple[Invoice, Store] | None) -> tuple[str, str]:
    sat = int(event.payload.get("amount_sat", 0))
    if found is None:
        return "Payment received", f"{formatting.btc(sat)} for invoice {event.invoice_id}"
    invoice, store = found
    fiat = payment_fiat(invoice, sat)
    amount = f"{fiat} ({formatting.btc(sat)})" if fiat else formatting.btc(sat)
    return "Payment received", f"{store.name}: {amount}{_what(invoice)} · invoice {invoice.id}"


def complete_message(event: OutboxEvent, found: tuple[Invoice, Store] | None) -> tuple[str, str]:
    if found is None:
        return "Invoice complete", f"Invoice {event.invoice_id} is settled: you can hand over the goods"
    invoice, store = found
    price = formatting.fiat(invoice.price, invoice.currency)
    return ("Invoice complete",
            f"{store.name}: {price}{_what(invoice)} is settled, you can hand over the goods · invoice {invoice.id}")


class PaymentNotifier(QObject):
    def __init__(self, bridge: EventBridge, tray: TrayNotifier, qsettings: QSettings,
                 parent: QObject | None = None, *, ctx: UiContext[InvoiceDialogServices] | None = None) -> None:
        super().__init__(parent)
        self._tray = tray
        self._qsettings = qsettings
        self._ctx = ctx
        self._payments: list[OutboxEvent] = []
        self._completed: list[OutboxEvent] = []
        self._timer = QTimer(self, singleShot=True, interval=GATHER_MS)
        self._timer.timeout.connect(self._flush)
        bridge.paymentReceived.connect(self._on_bridge_payment_received)
        bridge.statusChanged.connect(self._on_bridge_status_changed)

    @property
    def enabled(self) -> bool:
        return str(self._qsettings.value("notifications/payments", "true")).lower() != "false"

    def _on_bridge_payment_received(self, event: OutboxEvent) -> None:
        self._payments.append(event)
        self._timer.start()

    def _on_bridge_status_changed(self, event: OutboxEvent) -> None:
        if event.payload.get("new_status") == "complete" and event.payload.get("old_exception") != "marked":
            self._completed.append(event)
            self._timer.start()

    def _flush(self) -> None:
        payments, self._payments = self._payments, []
        completed, self._completed = self._completed, []
        if not self.enabled:
            return
        singles = [e for group in (payments, completed) if len(group) <= BURST_SUMMARY_AFTER for e in group]
        if self._ctx is None or not singles:
            self._show(payments, completed, {})
            return
        self._ctx.run(self._details(singles), lambda found: self._show(payments, completed, found),
                      name="notification-details", on_user_error=lambda _e: self._show(payments, completed, {}))

    async def _details(self, events: Sequence[OutboxEvent]) -> Details:
        assert self._ctx is not None
        services = self._ctx.services
        found: Details = {}
        for event in events:
            if event.invoice_id is None or event.invoice_id in found:
                continue
            try:
                invoice = await services.invoices.get(event.invoice_id)
                found[invoice.id] = (invoice, await services.stores.get(invoice.store_id))
            except UserFacingError as exc:
                logger.info("notification for %s without details: %s", event.invoice_id, exc)
        return found

    def _show(self, payments: list[OutboxEvent], completed: list[OutboxEvent], found: Details) -> None:
        if len(payments) > BURST_SUMMARY_AFTER:
            total = sum(int(e.payload.get("amount_sat", 0)) for e in payments)
            self._tray.notify("Payments received", f"{len(payments)} payments, {formatting.btc(total)} in total")
        else:
            for e in payments:
                self._tray.notify(*payment_message(e, found.get(e.invoice_id or "")))
        if len(completed) > BURST_SUMMARY_AFTER:
            self._tray.notify("Invoices complete", f"{len(completed)} invoices are settled")
        else:
            for e in completed:
                self._tray.notify(*complete_message(e, found.get(e.invoice_id or "")))
