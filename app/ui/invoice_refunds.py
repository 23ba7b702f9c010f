"""The invoice detail's refunds: **Refund…** on a refundable invoice and its refunds with their states.

``is_refundable`` (app/core/refunds.py) decides the button: complete, paid over / paid late, invalid
after a payment, or partly refunded. Each refund shows when, how much, its state and its link
(**Copy link** for the selected one; open refunds can be **Cancel refund**ed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.records import Invoice
from app.core.refunds import Refund, RefundStatus, is_refundable
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.dialogs import confirm
from app.ui.ports import MailReadiness, RefundsPort
from app.ui.refund_dialog import RefundDialog
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

COLUMNS = ("Created", "Amount", "State", "Link")
STATE_TEXT = {RefundStatus.OPEN: "Link sent, not claimed", RefundStatus.CLAIMED: "Claimed: payout made",
              RefundStatus.PAID: "Paid", RefundStatus.EXPIRED: "Link expired", RefundStatus.CANCELLED: "Cancelled"}


def refund_state(refund: Refund) -> str:
    text = STATE_TEXT.get(refund.status, refund.status.value)
    return f"{text} to {formatting.short(refund.destination, 8)}" if refund.destination and \
        refund.status is not RefundStatus.OPEN else text


class InvoiceRefunds(QWidget):
    refundsChanged = Signal(str)  # invoice id  # noqa: N815

    def __init__(self, ctx: UiContext[object], refunds: RefundsPort, mail: MailReadiness,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("invoiceRefunds")
        self._ctx, self._refunds, self._mail = ctx, refunds, mail
        self.invoice: Invoice | None = None
        self.items: list[Refund] = []
        self.dialog: RefundDialog | None = None
        caption = QLabel("Refunds")
        caption.setProperty("role", "h2")
        self.refund_button = named(QPushButton("Refund…"), "refund")
        self.refund_button.clicked.connect(self._on_refund_clicked)
        self.copy_button = named(QPushButton("Copy refund link"), "copyRefundLink")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.cancel_button = named(QPushButton("Cancel refund"), "cancelRefund")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.table = named(QTableWidget(0, len(COLUMNS)), "refundsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(110)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.message = named(QLabel(wordWrap=True), "refundsMessage")
        self.message.setProperty("role", "muted")
        top = QHBoxLayout()
        top.addWidget(caption, 1)
        top.addWidget(self.refund_button)
        actions = QHBoxLayout()
        actions.addWidget(self.copy_button)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        self.set_invoice(None)

    def set_invoice(self, invoice: Invoice | None) -> None:
        if invoice is None or self.invoice is None or invoice.id != self.invoice.id:
            self._fill([])
            self.message.clear()
        self.invoice = invoice
        self.refund_button.setEnabled(invoice is not None and is_refundable(invoice))
        self.setVisible(invoice is not None and (invoice.amount_paid_sat > 0 or bool(self.items)))
        if invoice is not None and invoice.amount_paid_sat > 0:
            self.reload()

    def reload(self) -> None:
        if self.invoice is not None:
            invoice_id = self.invoice.id
            self._ctx.run(self._refunds.for_invoice(invoice_id), lambda rows: self._on_loaded(invoice_id, rows),
                          name="invoice-refunds", parent=self)

    def _on_loaded(self, invoice_id: str, rows: Sequence[Refund]) -> None:
        if self.invoice is not None and self.invoice.id == invoice_id:
            self._fill(list(rows))

    def _fill(self, rows: list[Refund]) -> None:
        self.items = sorted(rows, key=lambda r: r.created_at, reverse=True)
        self.table.setRowCount(len(self.items))
        for row, refund in enumerate(self.items):
            values = (formatting.local_time(refund.created_at), formatting.btc(refund.amount_sat),
                      refund_state(refund), self._refunds.link(refund))
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._update_buttons()
        if self.items:
            self.show()

    def selected(self) -> Refund | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows and rows[0].row() < len(self.items) else None

    def _update_buttons(self) -> None:
        refund = self.selected()
        self.copy_button.setEnabled(refund is not None)
        self.cancel_button.setEnabled(refund is not None and refund.status is RefundStatus.OPEN)

    def _on_refund_clicked(self) -> None:
        invoice = self.invoice
        if invoice is not None:
            self.refund_button.setEnabled(False)
            self._ctx.run(self._mail.email_ready(invoice.store_id), lambda ready: self.open_dialog(invoice, ready),
                          name="refund-mail", parent=self)

    def open_dialog(self, invoice: Invoice, email_ready: bool = False) -> RefundDialog:
        self.refund_button.setEnabled(is_refundable(invoice))
        self.dialog = RefundDialog(self._ctx, self._refunds, invoice, self.window(), email_ready=email_ready)
        self.dialog.refundCreated.connect(self._on_dialog_refund_created)
        self.dialog.open()
        return self.dialog

    def _on_dialog_refund_created(self, refund: Refund) -> None:
        self.message.setText(f"Refund of {formatting.btc(refund.amount_sat)} created.")
        self.reload()
        self.refundsChanged.emit(refund.invoice_id)

    def _on_copy_clicked(self) -> None:
        refund = self.selected()
        if refund is not None:
            QGuiApplication.clipboard().setText(self._refunds.link(refund))
            self.message.setText("Refund link copied.")

    def _on_cancel_clicked(self) -> None:
        refund = self.selected()
        if refund is None:
            return

        confirm(self, "Cancel refund", f"Cancel the refund of {formatting.btc(refund.amount_sat)}? Its link stops "
                "working and the amount can be refunded again.", lambda: self.cancel_now(refund.id),
                yes_text="Cancel refund")

    def cancel_now(self, refund_id: str) -> None:
        def cancelled(_refund: Refund) -> None:
            self.message.setText("Refund cancelled: its link no longer works.")
            self.reload()

        self._ctx.run(self._refunds.cancel(refund_id, actor=self._ctx.actor), cancelled, name="refund-cancel", parent=self)
