"""The paid state that replaces an invoice's QR once it is paid: "Paid", the amount, the txid, progress.

Paid means the full amount was seen (status paid, confirmed or complete). Until the invoice is
complete (the store's speed policy: N confirmations), the progress line says how many
confirmations it still waits for, so nobody hands over goods on a payment that may vanish.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.core.records import Invoice
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState
from app.ui import formatting
from app.ui.widget_names import named

PAID_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE})


def is_paid(invoice: Invoice) -> bool:
    return invoice.status in PAID_STATUSES


def confirmations_left(invoice: Invoice) -> int:
    """Confirmations the store's speed policy still waits for (0 once complete)."""
    if invoice.status == InvoiceStatus.COMPLETE:
        return 0
    live = [p.confirmations for p in invoice.payments
            if p.accounted and p.state in (PaymentState.MEMPOOL, PaymentState.CONFIRMED)]
    have = min(live) if live else 0
    return max(1, invoice.speed_policy - have)


def progress_text(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.COMPLETE:
        if invoice.exception_status == ExceptionStatus.MARKED:
            return "Marked complete by you."
        return "Complete — you can hand over the goods."
    n = confirmations_left(invoice)
    return f"Payment seen — waiting for {n} confirmation{'' if n == 1 else 's'}."


def paid_amount_text(invoice: Invoice) -> str:
    btc = formatting.btc(invoice.amount_paid_sat or invoice.amount_due_sat)
    if invoice.currency in ("BTC", "SAT"):
        return btc
    return f"{formatting.fiat(invoice.price, invoice.currency)} · {btc}"


class PaidState(QWidget):
    """Shown instead of the QR: a paid invoice must not be scanned and paid again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paidState")
        center = Qt.AlignmentFlag.AlignCenter
        self.title = named(QLabel("Paid", alignment=center), "paidTitle")
        self.title.setStyleSheet("font-size: 40px; font-weight: 700;")
        self.amount = named(QLabel(alignment=center, wordWrap=True), "paidAmount")
        self.amount.setProperty("role", "big")
        self.progress = named(QLabel(alignment=center, wordWrap=True), "paidProgress")
        self.progress.setProperty("role", "h2")
        self.txid = named(QLabel(alignment=center, wordWrap=True), "paidTxid")
        self.txid.setProperty("role", "muted")
        self.txid.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (self.title, self.amount, self.progress, self.txid):
            layout.addWidget(widget)
        layout.addStretch(1)

    def set_invoice(self, invoice: Invoice) -> None:
        self.amount.setText(paid_amount_text(invoice))
        self.progress.setText(progress_text(invoice))
        color = "#2E7D32" if invoice.status == InvoiceStatus.COMPLETE else "#B26A00"
        self.title.setStyleSheet(f"font-size: 40px; font-weight: 700; color: {color};")
        self.progress.setStyleSheet(f"color: {color};")
        txids = list(dict.fromkeys(p.txid for p in invoice.payments if p.accounted))
        # a txid is one 64-character word: two halves so a narrow window does not have to widen
        self.txid.setText("\n".join(f"Transaction {t[:32]}\n{t[32:]}" for t in txids))
        self.txid.setToolTip("\n".join(txids))
        self.txid.setVisible(bool(txids))
