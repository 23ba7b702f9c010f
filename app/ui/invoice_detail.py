"""The invoice detail panel: amounts, address + QR, payments with confirmations, merchant actions.

Once paid the QR gives way to the paid state (invoice_paid.py); the copy / checkout / receipt /
devnet buttons are the ones the new-invoice dialog has (invoice_actions.py).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.payments import fee_text
from app.core.records import Invoice
from app.core.statuses import FINAL_STATUSES, InvoiceStatus
from app.ui import formatting
from app.ui.closed_payments_view import ClosedPaymentsView
from app.ui.context import UiContext
from app.ui.dialogs import confirm
from app.ui.invoice_actions import InvoiceActions
from app.ui.invoice_paid import PaidState, is_paid
from app.ui.invoice_refunds import InvoiceRefunds
from app.ui.invoice_table_model import status_text
from app.ui.ports import InvoiceDialogServices
from app.ui.qr import QrLabel
from app.ui.theme import status_color
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

PAYMENT_COLUMNS = ("Transaction", "Amount", "Conf.", "State")


class InvoiceDetailPanel(QWidget):
    invoiceUpdated = Signal(object)  # noqa: N815

    def __init__(self, ctx: UiContext[InvoiceDialogServices], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.invoice: Invoice | None = None
        self.setMinimumWidth(340)
        self._title = named(QLabel("Select an invoice"), "detailTitle")
        self._title.setProperty("role", "h2")
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._status = named(QLabel(), "detailStatus")
        self._status.setProperty("role", "h2")
        self._fields = {name: QLabel() for name in ("price", "amount", "paid", "remaining", "created", "expires",
                                                      "order", "email", "rate")}
        for label in self._fields.values():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        self._address = named(QLineEdit(readOnly=True), "detailAddress")
        self._address.setFrame(False)
        self._qr = QrLabel(200)
        self._paid = PaidState()
        self._paid.hide()
        self.invoice_actions = InvoiceActions(ctx, self)
        self._payments = named(QTableWidget(0, len(PAYMENT_COLUMNS)), "paymentsTable")
        self._payments.setHorizontalHeaderLabels(PAYMENT_COLUMNS)
        self._payments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._payments.verticalHeader().hide()
        self._payments.horizontalHeader().setStretchLastSection(True)
        self._payments.setMaximumHeight(110)
        self._fees = named(QLabel(), "paymentFees")  # one "Fee rate: N sat/vB" line per measured payment
        self._fees.setWordWrap(True)
        self._fees.hide()
        self.closed_payments = ClosedPaymentsView(ctx, self)  # payments after close (closed invoices only)
        self.refunds = InvoiceRefunds(ctx, ctx.services.refunds, ctx.services.pos, self)  # Refund… and the invoice's refunds
        self._buttons = self._make_buttons()
        self._layout()
        self._set_enabled(False)

    def _make_buttons(self) -> dict[str, QPushButton]:
        specs = (("mark_complete", "Mark complete", self._on_mark_complete_clicked),
                 ("mark_invalid", "Mark invalid", self._on_mark_invalid_clicked))
        buttons = dict(self.invoice_actions.buttons)
        for key, text, slot in specs:
            button = named(QPushButton(text), key)
            button.clicked.connect(slot)
            buttons[key] = button
        return buttons

    def _layout(self) -> None:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, caption in (("price", "Price"), ("amount", "Amount due"), ("paid", "Paid"),
                             ("remaining", "Remaining"), ("rate", "Rate"), ("created", "Created"),
                             ("expires", "Expires"), ("order", "Order / item"), ("email", "Buyer email")):
            form.addRow(caption, self._fields[key])
        form.addRow("Address", self._address)
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._status)
        rows = []
        for keys in (("copy_address", "copy_uri", "copy_link"), ("open_checkout", "receipt"),
                     ("devnet_pay", "devnet_mine"), ("mark_complete", "mark_invalid")):
            row = QHBoxLayout()
            for key in keys:
                row.addWidget(self._buttons[key])
            rows.append(row)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._qr, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self._paid)
        layout.addLayout(form)
        payments_caption = QLabel("Payments")
        payments_caption.setProperty("role", "h2")
        layout.addWidget(payments_caption)
        layout.addWidget(self._payments)
        layout.addWidget(self._fees)
        layout.addWidget(self.closed_payments)
        layout.addWidget(self.refunds)
        for row in rows:
            layout.addLayout(row)
        layout.addWidget(self.invoice_actions.copied)
        layout.addWidget(self.invoice_actions.devnet_status)
        layout.addStretch(1)

    def _set_enabled(self, on: bool) -> None:
        for key in ("mark_complete", "mark_invalid"):
            self._buttons[key].setEnabled(on)
        if not on:
            self.invoice_actions.set_invoice(None)

    # -- loading -------------------------------------------------------------------------------

    def show_invoice(self, invoice_id: str | None) -> None:
        if invoice_id is None:
            self.clear()
            return
        self._ctx.run(self._ctx.services.invoices.get(invoice_id), self.set_invoice, name="invoice-detail",
                      parent=self)

    def refresh_if_shown(self, invoice_ids: list[str]) -> None:
        if self.invoice is not None and self.invoice.id in invoice_ids:
            self.show_invoice(self.invoice.id)

    def clear(self) -> None:
        self.invoice = None
        self._title.setText("Select an invoice")
        self._status.setText("")
        for label in self._fields.values():
            label.setText("")
        self._address.setText("")
        self._qr.set_payload("")
        self._qr.show()
        self._paid.hide()
        self._payments.setRowCount(0)
        self._fees.hide()
        self.closed_payments.clear()
        self.refunds.set_invoice(None)
        self._set_enabled(False)

    def set_invoice(self, inv: Invoice) -> None:
        self.invoice = inv
        self._title.setText(inv.id)
        self._status.setText(status_text(inv))
        self._status.setStyleSheet(f"color: {status_color(inv.status).name()};")
        f = self._fields
        f["price"].setText(formatting.fiat(inv.price, inv.currency))
        f["amount"].setText(formatting.btc(inv.amount_due_sat))
        confirmed = ("all confirmed" if inv.amount_confirmed_sat == inv.amount_paid_sat
                     else f"{formatting.btc(inv.amount_confirmed_sat)} confirmed")
        f["paid"].setText(formatting.btc(inv.amount_paid_sat) + (f"\n({confirmed})" if inv.amount_paid_sat else ""))
        f["remaining"].setText(formatting.btc(inv.remaining_sat))
        f["rate"].setText(f"{inv.rate:,} {inv.currency}/BTC ({inv.rate_source})" if inv.rate else "—")
        f["created"].setText(formatting.local_time(inv.created_at, seconds=True))
        f["expires"].setText(f"{formatting.local_time(inv.expires_at)} ({formatting.relative(inv.expires_at)})"
                             if inv.status == InvoiceStatus.PENDING else formatting.local_time(inv.expires_at))
        f["order"].setText(" · ".join(p for p in (inv.order_id, inv.description) if p) or "—")
        f["email"].setText(inv.buyer_email or "—")
        self._address.setText(inv.address)
        self._address.setCursorPosition(0)
        paid = is_paid(inv)
        if paid:
            self._paid.set_invoice(inv)
        else:  # a QR to pay only while payable; an expired or final invoice shows its address
            payable = inv.status == InvoiceStatus.PENDING
            self._qr.set_payload(inv.payment_uri() if payable else inv.address)
        self._qr.setVisible(not paid)
        self._paid.setVisible(paid)
        self._fill_payments(inv)
        self.closed_payments.set_invoice(inv)
        self.refunds.set_invoice(inv)
        self._set_enabled(True)
        self._buttons["mark_complete"].setEnabled(inv.status not in FINAL_STATUSES)
        self._buttons["mark_invalid"].setEnabled(inv.status not in FINAL_STATUSES)
        self.invoice_actions.set_invoice(inv)
        self.invoiceUpdated.emit(inv)

    def _fill_payments(self, inv: Invoice) -> None:
        self._payments.setRowCount(len(inv.payments))
        for row, p in enumerate(inv.payments):
            values = (f"{p.txid[:6]}…{p.txid[-4:]}:{p.vout}", formatting.btc(p.amount_sat),
                      str(p.confirmations), str(p.state) + ("" if p.accounted else " (not counted)"))
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(p.txid if col == 0 else text)
                self._payments.setItem(row, col, item)
        self._payments.resizeColumnsToContents()
        lines = [f"{p.txid[:6]}…{p.txid[-4:]}: {fee_text(p)}" for p in inv.payments if p.accounted and fee_text(p)]
        self._fees.setText("\n".join(lines))
        self._fees.setVisible(bool(lines))

    # -- actions -------------------------------------------------------------------------------

    def _on_mark_complete_clicked(self) -> None:
        self._mark(InvoiceStatus.COMPLETE, "Mark this invoice complete? Do this only if you were paid another way "
                                           "or accept the payment as it is.")

    def _on_mark_invalid_clicked(self) -> None:
        self._mark(InvoiceStatus.INVALID, "Mark this invoice invalid? The shopper will see it as cancelled.")

    def _mark(self, status: InvoiceStatus, question: str) -> None:
        inv = self.invoice
        if inv is None:
            return
        confirm(self, f"Mark {inv.id}", question, lambda: self.mark_now(status), yes_text=f"Mark {status}")

    def mark_now(self, status: InvoiceStatus) -> None:
        if self.invoice is not None:
            self._ctx.run(self._ctx.services.invoices.mark(self.invoice.id, status, actor=self._ctx.actor),
                          self.set_invoice,
                          name="invoice-mark", parent=self)
