"""Kiosk refund, step 2: how much. The variants as chips (what was paid at the sale's rate, the same value
at today's rate, the overpaid part, a custom amount on the keypad), the calculation from
``refunds.preview`` (what the shopper gets, the rate, what was refunded before), then **Refund**.
Step 3 (``RefundLinkScreen``): the refund link as a big QR for the shopper's phone."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.core.currencies import is_fiat
from app.core.records import Invoice
from app.core.refunds import Refund, RefundCalculation, RefundRequest, RefundStatus, RefundVariant
from app.ui import formatting
from app.ui.kiosk.charge_screen import KioskQr
from app.ui.kiosk.keypad import AmountKeypad
from app.ui.kiosk.style import set_role
from app.ui.kiosk.widgets import button, label
from app.ui.refund_dialog import overpaid

CHIPS = ((RefundVariant.RATE_THEN, "All that was paid"), (RefundVariant.CURRENT_RATE, "Same value today"),
         (RefundVariant.OVERPAID, "Only the overpaid part"), (RefundVariant.CUSTOM_FIAT, "Another amount"))


def calculation_text(calc: RefundCalculation) -> str:
    lines = [f"The shopper gets {formatting.btc(calc.amount_sat)}"]
    if calc.fiat_amount is not None and calc.rate is not None:
        lines.append(f"{formatting.fiat(calc.fiat_amount, calc.currency)} at {calc.rate:,} {calc.currency}/BTC")
    if calc.already_refunded_sat:
        lines.append(f"Refunded before: {formatting.btc(calc.already_refunded_sat)}")
    return "\n".join(lines)


class RefundAmountScreen(QWidget):
    previewRequested = Signal(object)  # RefundRequest  # noqa: N815
    confirmed = Signal(object)  # RefundRequest
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskRefundAmount")
        self.invoice: Invoice | None = None
        self.calculation: RefundCalculation | None = None
        self.title = label(name="refundAmountTitle", role="title", wrap=True)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.chips: dict[RefundVariant, QPushButton] = {}
        chips = QVBoxLayout()
        for variant, text in CHIPS:
            chip = button(text, name=f"refundChip_{variant.value}", role="chip", checkable=True,
                          on_click=partial(self._on_chip, variant))
            self.group.addButton(chip)
            self.chips[variant] = chip
            chips.addWidget(chip)
        self.calc = label(name="refundCalculation", wrap=True)
        self.message = label(name="refundAmountMessage", role="error", wrap=True)
        self.confirm = button("Refund", name="refundConfirm", role="primary", on_click=self._on_confirm)
        self.back_button = button("Back", name="refundAmountBack", on_click=self.back.emit)
        self.keypad = AmountKeypad("USD", action_text="Use this amount")
        self.keypad.changed.connect(lambda _a: self._request_preview())
        self.keypad.add_key.hide()
        left = QVBoxLayout()
        left.addWidget(self.title)
        left.addLayout(chips)
        left.addWidget(self.calc, 1, Qt.AlignmentFlag.AlignTop)
        left.addWidget(self.message)
        actions = QHBoxLayout()
        actions.addWidget(self.back_button, 1)
        actions.addWidget(self.confirm, 2)
        left.addLayout(actions)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(self.keypad, 2)

    def open_for(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.title.setText(f"Refund {formatting.fiat(invoice.price, invoice.currency)} sale "
                           f"({formatting.local_time(invoice.paid_at or invoice.created_at)})")
        fiat = is_fiat(invoice.currency)
        self.chips[RefundVariant.CURRENT_RATE].setVisible(fiat)
        self.chips[RefundVariant.CUSTOM_FIAT].setVisible(fiat)
        self.chips[RefundVariant.OVERPAID].setEnabled(overpaid(invoice))
        self.keypad.currency = invoice.currency
        self.keypad.clear()
        self.chips[RefundVariant.RATE_THEN].setChecked(True)
        self._on_chip(RefundVariant.RATE_THEN)

    @property
    def variant(self) -> RefundVariant:
        return next((v for v, chip in self.chips.items() if chip.isChecked()), RefundVariant.RATE_THEN)

    def request(self) -> RefundRequest:
        custom = self.variant is RefundVariant.CUSTOM_FIAT
        return RefundRequest(self.variant, custom_amount=self.keypad.amount if custom else None)

    def _on_chip(self, variant: RefundVariant) -> None:
        self.chips[variant].setChecked(True)
        custom = variant is RefundVariant.CUSTOM_FIAT
        self.keypad.setEnabled(custom)
        if not custom:
            self.keypad.clear()
        self._request_preview()

    def _request_preview(self) -> None:
        if self.invoice is None:
            return
        self.set_calculation(None)
        if self.variant is RefundVariant.CUSTOM_FIAT and self.keypad.amount <= Decimal(0):
            self.calc.setText("Type the amount on the keypad.")
            return
        self.previewRequested.emit(self.request())

    def set_calculation(self, calc: RefundCalculation | None, error: str = "") -> None:
        self.calculation = calc
        self.calc.setText(calculation_text(calc) if calc is not None else "")
        self.message.setText(error)
        self.confirm.setEnabled(calc is not None and calc.amount_sat > 0)

    def _on_confirm(self) -> None:
        if self.calculation is not None:
            self.confirm.setEnabled(False)
            self.confirmed.emit(self.request())


class RefundLinkScreen(QWidget):
    done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskRefundLink")
        self.title = label("Scan to get your refund", name="refundLinkTitle", role="title", center=True)
        self.qr = KioskQr()
        self.qr.setObjectName("refundQr")
        self.amount = label(name="refundLinkAmount", role="big", center=True, wrap=True)
        self.hint = label(name="refundLinkHint", role="muted", center=True, wrap=True)
        self.done_button = button("Done", name="refundDone", role="primary", on_click=self.done.emit)
        self.done_button.setMaximumHeight(72)
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.amount)
        side.addWidget(self.hint)
        side.addStretch(1)
        side.addWidget(self.done_button)
        body = QHBoxLayout()
        body.addWidget(self.qr, 3)
        body.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)

    def show_refund(self, refund: Refund, link: str) -> None:
        self.qr.set_payload(link)
        self.amount.setText(formatting.btc(refund.amount_sat)
                            + (f"\n{formatting.fiat(refund.fiat_amount, refund.currency)}"
                               if refund.fiat_amount is not None else ""))
        days = max(1, round((refund.expires_at - refund.created_at).total_seconds() / 86400))
        self.hint.setText(f"Open the link on your phone and enter a Bitcoin address. It works once, for {days} "
                          f"day{'s' if days != 1 else ''}.")
        set_role(self.hint, "muted")
        if refund.status is RefundStatus.REQUESTED:  # a cashier's: docs/staff.md
            self.hint.setText("A manager or the owner approves this refund first; the link works after that. "
                              "Keep the link: it opens once approved.")
