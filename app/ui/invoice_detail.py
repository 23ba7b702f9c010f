"""The invoice detail panel: amounts, address + QR, payments with confirmations, merchant actions."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
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

from app.core.records import Invoice
from app.core.statuses import FINAL_STATUSES, InvoiceStatus
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.dialogs import confirm
from app.ui.invoice_table_model import status_text
from app.ui.ports import InvoicingServices
from app.ui.qr import QrLabel
from app.ui.theme import status_color
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

PAYMENT_COLUMNS = ("Transaction", "Amount", "Conf.", "State")


class InvoiceDetailPanel(QWidget):
    invoiceUpdated = Signal(object)  # noqa: N815

    def __init__(self, ctx: UiContext[InvoicingServices], parent: QWidget | None = None) -> None:
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
        self._payments = named(QTableWidget(0, len(PAYMENT_COLUMNS)), "paymentsTable")
        self._payments.setHorizontalHeaderLabels(PAYMENT_COLUMNS)
        self._payments.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._payments.verticalHeader().hide()
        self._payments.horizontalHeader().setStretchLastSection(True)
        self._payments.setMaximumHeight(110)
        self._buttons = self._make_buttons()
        self._layout()
        self._set_enabled(False)

    def _make_buttons(self) -> dict[str, QPushButton]:
        specs = (("copy_address", "Copy address", self._on_copy_address_clicked),
                 ("copy_link", "Copy link", self._on_copy_link_clicked),
                 ("open_checkout", "Open checkout", self._on_open_checkout_clicked),
                 ("mark_complete", "Mark complete", self._on_mark_complete_clicked),
                 ("mark_invalid", "Mark invalid", self._on_mark_invalid_clicked))
        buttons = {}
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
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for key in ("copy_address", "copy_link", "open_checkout"):
            row1.addWidget(self._buttons[key])
        row2.addStretch(1)
        for key in ("mark_complete", "mark_invalid"):
            row2.addWidget(self._buttons[key])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._qr, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(form)
        payments_caption = QLabel("Payments")
        payments_caption.setProperty("role", "h2")
        layout.addWidget(payments_caption)
        layout.addWidget(self._payments)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addStretch(1)

    def _set_enabled(self, on: bool) -> None:
        for button in self._buttons.values():
            button.setEnabled(on)

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
        self._payments.setRowCount(0)
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
        open_ = inv.status not in FINAL_STATUSES
        self._qr.set_payload(inv.payment_uri() if open_ and inv.status != InvoiceStatus.EXPIRED else inv.address)
        self._fill_payments(inv)
        self._set_enabled(True)
        self._buttons["mark_complete"].setEnabled(inv.status not in FINAL_STATUSES)
        self._buttons["mark_invalid"].setEnabled(inv.status not in FINAL_STATUSES)
        self._buttons["open_checkout"].setEnabled(self._ctx.services.urls.invoice_url(inv.id) is not None)
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

    # -- actions -------------------------------------------------------------------------------

    def _on_copy_address_clicked(self) -> None:
        if self.invoice:
            QGuiApplication.clipboard().setText(self.invoice.address)

    def _on_copy_link_clicked(self) -> None:
        if self.invoice:
            QGuiApplication.clipboard().setText(self._ctx.services.urls.invoice_url(self.invoice.id) or self.invoice.payment_uri())

    def _on_open_checkout_clicked(self) -> None:
        url = self.invoice and self._ctx.services.urls.invoice_url(self.invoice.id)
        if url:
            QDesktopServices.openUrl(QUrl(url))

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
            self._ctx.run(self._ctx.services.invoices.mark(self.invoice.id, status), self.set_invoice,
                          name="invoice-mark", parent=self)
