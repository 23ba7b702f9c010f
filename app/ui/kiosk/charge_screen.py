"""ChargeScreen: a big QR for the shopper's wallet, the amount in BTC and in the store currency, a
countdown to expiry, and what is still due after a partial payment.

Lightning (docs/kiosk.md): while the invoice's BOLT11 is on offer the QR is either the Lightning
invoice (``lightning:LNBC…``) or the unified BIP21 URI (``bitcoin:…&lightning=LNBC…``), and a button
switches between them. Small amounts (``lightning_first``: under the store's threshold) start with the
Lightning QR. Once an on-chain payment is seen the BOLT11 is withdrawn: plain BIP21, no button.

It only shows an invoice; the window follows the invoice (bridge events and a slow poll) and calls
``show_invoice`` with each new snapshot. "Cancel" asks once more, then emits ``cancelRequested``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.core.lightning import lightning_first, lightning_uri, offer_open, unified_uri
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus
from app.ui import formatting
from app.ui.kiosk.style import set_role
from app.ui.kiosk.widgets import button, label
from app.ui.qr import qr_image

PAID = {InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE}
SHOW_ONCHAIN = "Pay on-chain instead"
SHOW_LIGHTNING = "Pay with Lightning instead"


def charge_payload(invoice: Invoice, label: str, lightning: bool, now: datetime) -> str:
    """The QR: the Lightning invoice when chosen and on offer, else the unified BIP21 URI (plain BIP21
    once the BOLT11 is withdrawn)."""
    if lightning and offer_open(invoice, now) and invoice.bolt11:
        return lightning_uri(invoice.bolt11)
    return unified_uri(invoice, now, label)


def countdown_text(expires_at: datetime, now: datetime | None = None) -> str:
    left = int((expires_at - (now or datetime.now(UTC))).total_seconds())
    if left <= 0:
        return "Expired"
    return f"Expires in {left // 60}:{left % 60:02d}"


class KioskQr(QLabel):
    """A QR that fills its (square) size, re-rendered crisp whenever the size changes."""

    def __init__(self) -> None:
        super().__init__(alignment=Qt.AlignmentFlag.AlignCenter)
        self.setObjectName("chargeQr")
        self.payload = ""
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # never grows the window

    def set_payload(self, text: str) -> None:
        self.payload = text
        self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._render()

    def _render(self) -> None:
        side = min(self.width(), self.height())
        if self.payload and side > 0:
            self.setPixmap(QPixmap.fromImage(qr_image(self.payload, side)))
        else:
            self.clear()


class ChargeScreen(QWidget):
    cancelRequested = Signal(str)  # invoice id  # noqa: N815
    newSaleRequested = Signal()  # noqa: N815
    paid = Signal(object)  # Invoice

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chargeScreen")
        self.store = store
        self.store_name = store.name
        self.invoice: Invoice | None = None
        self.lightning = False  # the QR shows the Lightning invoice (not the unified URI)
        self.qr = KioskQr()
        self.title = label("Scan to pay", name="chargeTitle", role="title", center=True)
        self.btc = label(name="chargeBtc", role="big", center=True, wrap=True)
        self.fiat = label(name="chargeFiat", role="title", center=True)
        self.countdown = label(name="countdown", role="muted", center=True)
        self.status = label(name="chargeStatus", center=True, wrap=True)
        self.network = label("Waiting for network: the payment will show as soon as the connection is back.",
                             name="chargeNetwork", role="warn", center=True, wrap=True)
        self.network.hide()
        self.method_button = button(SHOW_ONCHAIN, name="chargeMethod", on_click=self._on_method_button_clicked)
        self.method_button.hide()
        self.cancel_button = button("Cancel sale", name="cancelInvoice", role="danger",
                                    on_click=self._on_cancel_button_clicked)
        self.confirm_box = QWidget()
        confirm = QHBoxLayout(self.confirm_box)
        confirm.setContentsMargins(0, 0, 0, 0)
        self.confirm_yes = button("Yes, cancel it", name="confirmCancel", role="danger",
                                  on_click=self._on_confirm_yes_clicked)
        self.confirm_no = button("Keep waiting", name="keepWaiting", on_click=lambda: self._confirming(False))
        confirm.addWidget(self.confirm_yes)
        confirm.addWidget(self.confirm_no)
        self.new_sale_button = button("New sale", name="newSale", role="primary", on_click=self.newSaleRequested.emit)
        self.new_sale_button.hide()
        side = QVBoxLayout()
        side.addStretch(1)
        for w in (self.title, self.btc, self.fiat, self.countdown, self.status, self.network):
            side.addWidget(w)
        side.addStretch(1)
        side.addWidget(self.method_button)
        side.addWidget(self.cancel_button)
        side.addWidget(self.confirm_box)
        side.addWidget(self.new_sale_button)
        layout = QHBoxLayout(self)
        layout.addWidget(self.qr, 5)
        layout.addLayout(side, 4)
        self._confirming(False)
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._tick)

    # -- what the window calls -------------------------------------------------------------------

    def show_invoice(self, invoice: Invoice) -> None:
        first = self.invoice is None or self.invoice.id != invoice.id
        self.invoice = invoice
        now = datetime.now(UTC)
        if first:
            self._confirming(False)
            self.cancel_button.show()
            self.new_sale_button.hide()
            self.lightning = lightning_first(invoice, self.store, now)
        self._show_method(now)
        self.fiat.setText(formatting.fiat(invoice.price, invoice.currency))
        partial = invoice.status == InvoiceStatus.PENDING and invoice.amount_paid_sat > 0
        self.title.setText(self._title_text())
        if partial:
            self.btc.setText(f"{formatting.btc(invoice.remaining_sat)} remaining")
            self.status.setText(f"Received {formatting.btc(invoice.amount_paid_sat)} of "
                                f"{formatting.btc(invoice.amount_due_sat)}.")
            set_role(self.status, "warn")
        else:
            self.btc.setText(formatting.btc(invoice.amount_due_sat))
            self.status.setText("Waiting for payment…")
            set_role(self.status, "muted")
        if invoice.status in (InvoiceStatus.EXPIRED, InvoiceStatus.INVALID):
            self._ended("This invoice expired." if invoice.status == InvoiceStatus.EXPIRED
                        else "This invoice was cancelled.")
        self._tick()
        if invoice.status in PAID:
            self._timer.stop()
            self.paid.emit(invoice)
        elif invoice.status == InvoiceStatus.PENDING:
            self._timer.start()

    def set_network(self, online: bool) -> None:
        self.network.setVisible(not online)

    def reset_cancel(self) -> None:
        self._confirming(False)

    def stop(self) -> None:
        self._timer.stop()
        self.invoice = None

    # -- internals -------------------------------------------------------------------------------

    def _show_method(self, now: datetime) -> None:
        """The QR and the switch button for the invoice as it is now (the BOLT11 may be withdrawn)."""
        assert self.invoice is not None
        offered = offer_open(self.invoice, now)
        self.lightning = self.lightning and offered
        self.qr.set_payload(charge_payload(self.invoice, self.store_name, self.lightning, now))
        self.method_button.setText(SHOW_ONCHAIN if self.lightning else SHOW_LIGHTNING)
        self.method_button.setVisible(offered and self.invoice.status == InvoiceStatus.PENDING)

    def _on_method_button_clicked(self) -> None:
        if self.invoice is not None:
            self.lightning = not self.lightning
            self._show_method(datetime.now(UTC))
            self.title.setText(self._title_text())

    def _title_text(self) -> str:
        assert self.invoice is not None
        if self.invoice.status == InvoiceStatus.PENDING and self.invoice.amount_paid_sat > 0:
            return "Partly paid: scan again for the rest"
        return "Lightning: scan to pay" if self.lightning else "Scan to pay"

    def _tick(self) -> None:
        if self.invoice is not None:
            text = countdown_text(self.invoice.expires_at)
            self.countdown.setText(text)
            if text == "Expired" and self.invoice.status == InvoiceStatus.PENDING:
                self._ended("Time is up for this invoice.")

    def _ended(self, message: str) -> None:
        self._timer.stop()
        self.status.setText(message)
        set_role(self.status, "error")
        self.qr.setEnabled(False)
        self.method_button.hide()
        self.cancel_button.hide()
        self.confirm_box.hide()
        self.new_sale_button.show()

    def _confirming(self, on: bool) -> None:
        self.confirm_yes.setEnabled(True)
        self.cancel_button.setVisible(not on)
        self.confirm_box.setVisible(on)
        self.qr.setEnabled(True)

    def _on_cancel_button_clicked(self) -> None:
        self._confirming(True)

    def _on_confirm_yes_clicked(self) -> None:
        if self.invoice is not None:
            self.confirm_yes.setEnabled(False)
            self.cancelRequested.emit(self.invoice.id)
