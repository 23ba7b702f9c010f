"""Payment notifications: bridge events -> tray messages, one summary for a burst."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer

from app.ui import formatting
from app.ui.bridge import EventBridge
from app.ui.tray import BURST_SUMMARY_AFTER, TrayNotifier

if TYPE_CHECKING:
    from app.services.events import OutboxEvent

GATHER_MS = 400


class PaymentNotifier(QObject):
    def __init__(self, bridge: EventBridge, tray: TrayNotifier, qsettings: QSettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = tray
        self._qsettings = qsettings
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
        if len(payments) > BURST_SUMMARY_AFTER:
            total = sum(int(e.payload.get("amount_sat", 0)) for e in payments)
            self._tray.notify("Payments received", f"{len(payments)} payments, {formatting.btc(total)} in total")
        else:
            for e in payments:
                amount = formatting.btc(int(e.payload.get("amount_sat", 0)))
                self._tray.notify("Payment received", f"{amount} for invoice {e.invoice_id}")
        if len(completed) > BURST_SUMMARY_AFTER:
            self._tray.notify("Invoices complete", f"{len(completed)} invoices are settled")
        else:
            for e in completed:
                self._tray.notify("Invoice complete", f"Invoice {e.invoice_id} is settled: you can hand over the goods")
