"""The invoice detail's "Payments after close": money found on a closed invoice's address by the
closed-invoice history check, and the "Check the chain for this address" button (on demand).

Shown only for closed invoices (no longer monitored); what is found never changes the invoice's status.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.closed_payments import ClosedPayment, ClosedPaymentState
from app.core.errors import UserFacingError
from app.core.invoices import is_monitored
from app.core.records import Invoice
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.ports import InvoiceDialogServices
from app.ui.widget_names import named

STATE_TEXT = {ClosedPaymentState.UNCONFIRMED: "unconfirmed", ClosedPaymentState.CONFIRMED: "confirmed",
              ClosedPaymentState.GONE: "no longer on the chain"}


def closed_payment_line(payment: ClosedPayment) -> str:
    where = f"block {payment.height}" if payment.verified else STATE_TEXT[payment.state]
    return (f"{formatting.btc(payment.amount_sat)} in {payment.txid[:8]}…{payment.txid[-4:]} ({where}), "
            f"found {formatting.local_time(payment.first_seen_at)}")


class ClosedPaymentsView(QWidget):
    def __init__(self, ctx: UiContext[InvoiceDialogServices], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._invoice_id: str | None = None
        caption = QLabel("Payments after close")
        caption.setProperty("role", "h2")
        self._list = named(QLabel(), "closedPayments")
        self._list.setWordWrap(True)
        self._list.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = named(QPushButton("Check the chain for this address"), "chainCheck")
        self.check_button.clicked.connect(self._on_check_button_clicked)
        self._status = named(QLabel(), "chainCheckStatus")
        self._status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption)
        layout.addWidget(self._list)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self._status)
        self.hide()

    @property
    def text(self) -> str:
        return self._list.text()

    def clear(self) -> None:
        self._invoice_id = None
        self._list.setText("")
        self._status.setText("")
        self.hide()

    def set_invoice(self, inv: Invoice, *, now: datetime | None = None) -> None:
        if is_monitored(inv.terms, inv.state, now or datetime.now(UTC)):
            self.clear()
            return
        if inv.id != self._invoice_id:
            self._status.setText("")
        self._invoice_id = inv.id
        self.show()
        self._ctx.run(self._ctx.services.closed_watch.payments_of([inv.id]),
                      lambda found: self._show(inv.id, found.get(inv.id, [])), name="closed-payments", parent=self)

    def _show(self, invoice_id: str, payments: list[ClosedPayment]) -> None:
        if invoice_id != self._invoice_id:
            return
        lines = [closed_payment_line(p) for p in payments]
        self._list.setText("\n".join(lines) if lines else "None found. This invoice is closed: RedWaves checks its "
                           "address now and then; its status does not change.")

    def _on_check_button_clicked(self) -> None:
        invoice_id = self._invoice_id
        if invoice_id is None:
            return
        self.check_button.setEnabled(False)
        self._status.setText("Asking the bitcoin server…")

        def done(payments: list[ClosedPayment]) -> None:
            self.check_button.setEnabled(True)
            self._status.setText(f"Checked {formatting.local_time(datetime.now(UTC), seconds=True)}: "
                                 f"{len(payments)} payment(s) after close.")
            self._show(invoice_id, payments)

        def failed(error: UserFacingError) -> None:
            self.check_button.setEnabled(True)
            self._status.setText(str(error))

        self._ctx.run(self._ctx.services.closed_watch.check_invoice(invoice_id), done, name="chain-check",
                      parent=self, on_user_error=failed)
