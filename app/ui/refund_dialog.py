"""Refund… on a paid invoice: choose how much, see the calculation live, confirm, hand over the link.

The amount is one of R1's variants (app/core/refunds.py): what was paid at the invoice's rate, the
same fiat value at today's rate, the overpaid part only, or a custom amount in the invoice's currency
or in BTC; minus an optional fee (a percentage or a fixed number of satoshis). Every change asks
``refunds.preview`` (the same rules as ``create``) and shows the result: fiat, BTC, rate, fee, what
was already refunded and what remains. Errors go beside their field. **Confirm refund** creates it and
the dialog turns into the link: Copy, a QR for the shopper's phone, and whether it was e-mailed.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.currencies import is_fiat
from app.core.errors import UserFacingError, ValidationError
from app.core.records import Invoice
from app.core.refunds import Refund, RefundCalculation, RefundRequest, RefundVariant
from app.core.statuses import ExceptionStatus
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.field_errors import FieldErrors
from app.ui.formatting import parse_amount
from app.ui.ports import RefundsPort
from app.ui.qr import QrLabel
from app.ui.widget_names import named

logger = logging.getLogger(__name__)

PREVIEW_DELAY_MS = 150
FEE_KINDS = (("none", "No fee"), ("pct", "Percentage"), ("fixed", "Fixed (sat)"))


def variant_texts(invoice: Invoice) -> list[tuple[RefundVariant, str]]:
    """The choices for ``invoice``, in the order shown (custom in fiat only for a fiat invoice)."""
    then = formatting.fiat(invoice.price, invoice.currency) if is_fiat(invoice.currency) else ""
    rows = [(RefundVariant.RATE_THEN, "What was paid, at the invoice's rate" + (f" ({then} then)" if then else "")),
            (RefundVariant.CURRENT_RATE, "The same fiat value, at today's rate"),
            (RefundVariant.OVERPAID, "The overpaid part only"),
            (RefundVariant.CUSTOM_FIAT, f"A custom amount in {invoice.currency}"),
            (RefundVariant.CUSTOM_BTC, "A custom amount in BTC")]
    if not is_fiat(invoice.currency):
        rows = [r for r in rows if r[0] not in (RefundVariant.CURRENT_RATE, RefundVariant.CUSTOM_FIAT)]
    return rows


def overpaid(invoice: Invoice) -> bool:
    return invoice.exception_status == ExceptionStatus.PAID_OVER or invoice.amount_paid_sat > invoice.amount_due_sat


def read_request(variant: RefundVariant, custom: str, fee_kind: str, fee: str, note: str = "") -> RefundRequest:
    """The form's text -> a RefundRequest; ValidationError beside the field that is wrong."""
    point = QLocale().decimalPoint()
    amount: Decimal | None = None
    if variant in (RefundVariant.CUSTOM_FIAT, RefundVariant.CUSTOM_BTC):
        try:
            amount = parse_amount(custom, decimal_point=point)
        except ValueError:
            raise ValidationError("Enter an amount like 12.50 or 12,50.", code="invalid_amount",
                                  field="custom_amount") from None
        if amount <= 0:
            raise ValidationError("Enter an amount above zero.", code="invalid_amount", field="custom_amount")
    fee_pct, fee_sat = Decimal(0), 0
    if fee_kind == "pct":
        try:
            fee_pct = parse_amount(fee, decimal_point=point)
        except ValueError:
            raise ValidationError("Enter a percentage like 2.5.", code="invalid_fee", field="fee") from None
        if not 0 <= fee_pct < 100:
            raise ValidationError("The fee is a percentage from 0 to 100.", code="invalid_fee", field="fee")
    elif fee_kind == "fixed":
        text = fee.strip().replace(" ", "")
        if not text.isdigit():
            raise ValidationError("Enter the fee in satoshis, like 500.", code="invalid_fee", field="fee")
        fee_sat = int(text)
    return RefundRequest(variant=variant, custom_amount=amount, fee_pct=fee_pct, fee_fixed_sat=fee_sat,
                         note=note.strip())


CALC_ROWS = (("fiat", "Refund value"), ("gross", "Before the fee"), ("fee", "Fee kept"),
             ("amount", "The shopper gets"), ("rate", "Rate"), ("already", "Already refunded"),
             ("remaining", "Refundable after this"))


def calculation_texts(calc: RefundCalculation) -> dict[str, str]:
    """What the live calculation shows, by CALC_ROWS key."""
    fiat = formatting.fiat(calc.fiat_amount, calc.currency) if calc.fiat_amount is not None else "—"
    rate = "—"
    if calc.rate is not None:
        rate = f"{calc.rate:,} {calc.currency}/BTC" + (f" ({calc.rate_source})" if calc.rate_source else "")
    return {"fiat": fiat, "gross": formatting.btc(calc.gross_sat),
            "fee": formatting.btc(calc.fee_sat) if calc.fee_sat else "none",
            "amount": formatting.btc(calc.amount_sat), "rate": rate,
            "already": formatting.btc(calc.already_refunded_sat),
            "remaining": formatting.btc(max(0, calc.refundable_sat - calc.gross_sat))}


class RefundDialog(QDialog):
    refundCreated = Signal(object)  # the Refund  # noqa: N815

    def __init__(self, ctx: UiContext[object], refunds: RefundsPort, invoice: Invoice,
                 parent: QWidget | None = None, *, email_ready: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("refundDialog")
        self.setWindowTitle(f"Refund {invoice.id}")
        self._ctx, self._refunds, self.invoice = ctx, refunds, invoice
        self.email_ready = email_ready  # the store has SMTP settings: the refund.created e-mail can go out
        self.calculation: RefundCalculation | None = None
        self.refund: Refund | None = None
        self.link = ""
        self._seq = 0
        self.errors = FieldErrors()
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self.pages = named(QStackedWidget(), "refundPages")
        self.pages.addWidget(self._scrolled(self._form_page()))
        self.pages.addWidget(self._scrolled(self._link_page()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.resize(560, 640)
        self.update_preview()

    @staticmethod
    def _scrolled(page: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        return area

    # -- the form ----------------------------------------------------------------------------------

    def _form_page(self) -> QWidget:
        inv = self.invoice
        page = QWidget()
        title = named(QLabel(f"Refund invoice {inv.id}"), "refundTitle")
        title.setProperty("role", "h2")
        paid = formatting.btc(inv.amount_paid_sat)
        summary = named(QLabel(f"Paid {paid} for {formatting.fiat(inv.price, inv.currency)}"
                               + (f" at {inv.rate:,} {inv.currency}/BTC." if inv.rate else ".")), "refundSummary")
        summary.setWordWrap(True)
        self.variants = QButtonGroup(self)
        box = QVBoxLayout()
        for variant, text in variant_texts(inv):
            radio = named(QRadioButton(text), f"variant_{variant.value}")
            radio.setProperty("variant", variant.value)
            radio.setEnabled(variant != RefundVariant.OVERPAID or overpaid(inv))
            self.variants.addButton(radio)
            box.addWidget(radio)
        self.variants.buttons()[0].setChecked(True)
        self.variants.buttonToggled.connect(self._on_variants_button_toggled)
        self.custom = named(QLineEdit(), "customAmount")
        self.custom.textEdited.connect(self._changed)
        self.fee_kind = named(QComboBox(), "feeKind")
        for key, text in FEE_KINDS:
            self.fee_kind.addItem(text, key)
        self.fee_kind.currentIndexChanged.connect(self._on_fee_kind_current_index_changed)
        self.fee = named(QLineEdit(), "feeValue")
        self.fee.textEdited.connect(self._changed)
        fee_row = QHBoxLayout()
        fee_row.addWidget(self.fee_kind)
        fee_row.addWidget(self.fee, 1)
        fee_box = QWidget()
        fee_box.setLayout(fee_row)
        fee_row.setContentsMargins(0, 0, 0, 0)
        self.note = named(QLineEdit(), "refundNote")
        form = QFormLayout()
        form.addRow("Amount", self.errors.row("variant", _boxed(box)))
        form.addRow("Custom amount", self.errors.row("custom_amount", self.custom))
        form.addRow("Fee", self.errors.row("fee", fee_box))
        form.addRow("Note (kept with the refund)", self.note)
        self.calc_labels: dict[str, QLabel] = {}
        calc_form = QFormLayout()
        for key, caption in CALC_ROWS:
            label = named(QLabel("—"), f"calc_{key}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.calc_labels[key] = label
            calc_form.addRow(caption, label)
        calc_title = QLabel("Calculation")
        calc_title.setProperty("role", "h2")
        self.confirm = named(QPushButton("Confirm refund"), "confirmRefund")
        self.confirm.setDefault(True)
        self.confirm.clicked.connect(self._on_confirm_clicked)
        cancel = named(QPushButton("Cancel"), "cancelRefund")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.confirm)
        layout = QVBoxLayout(page)
        for widget in (title, summary):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(calc_title)
        layout.addLayout(calc_form)
        layout.addWidget(self.errors.general)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._sync_inputs()
        return page

    @property
    def variant(self) -> RefundVariant:
        checked = self.variants.checkedButton()
        return RefundVariant(str(checked.property("variant"))) if checked is not None else RefundVariant.RATE_THEN

    def choose(self, variant: RefundVariant) -> None:
        for radio in self.variants.buttons():
            if radio.property("variant") == variant.value:
                radio.setChecked(True)

    def set_fee(self, kind: str, value: str = "") -> None:
        self.fee_kind.setCurrentIndex(self.fee_kind.findData(kind))
        self.fee.setText(value)
        self._changed()

    def _sync_inputs(self) -> None:
        custom = self.variant in (RefundVariant.CUSTOM_FIAT, RefundVariant.CUSTOM_BTC)
        self.custom.setEnabled(custom)
        if not custom:
            self.custom.clear()
        self.fee.setEnabled(self.fee_kind.currentData() != "none")

    def _on_variants_button_toggled(self, _button: QRadioButton, checked: bool) -> None:
        if checked:
            self._sync_inputs()
            self._changed()

    def _on_fee_kind_current_index_changed(self, _index: int) -> None:
        self._sync_inputs()
        self._changed()

    def _changed(self, *_args: object) -> None:
        self._timer.start()

    # -- preview and create ------------------------------------------------------------------------

    def request(self) -> RefundRequest:
        return read_request(self.variant, self.custom.text(), str(self.fee_kind.currentData()), self.fee.text(),
                            self.note.text())

    def update_preview(self) -> None:
        """Ask the service for the calculation of what the form says now (stale answers are dropped)."""
        self._timer.stop()
        self.errors.clear()
        self._seq += 1
        seq = self._seq
        try:
            req = self.request()
        except UserFacingError as error:
            self._show_calculation(None, error)
            return
        self.confirm.setEnabled(False)
        def shown(calc: RefundCalculation | None, error: UserFacingError | None = None) -> None:
            if seq == self._seq:  # a newer change asked again: this answer is stale
                self._show_calculation(calc, error)

        self._ctx.run(self._refunds.preview(self.invoice.id, req), shown, name="refund-preview", parent=self,
                      on_user_error=lambda e: shown(None, e))

    def _show_calculation(self, calc: RefundCalculation | None, error: UserFacingError | None) -> None:
        self.calculation = calc
        texts = calculation_texts(calc) if calc is not None else {}
        for key, label in self.calc_labels.items():
            label.setText(texts.get(key, "—"))
        if error is not None:
            self.errors.show(error)
        self.confirm.setEnabled(calc is not None and calc.amount_sat > 0)

    def _on_confirm_clicked(self) -> None:
        try:
            req = self.request()
        except UserFacingError as error:
            self.errors.show(error)
            return
        self.confirm.setEnabled(False)
        self.errors.clear()

        def refused(error: UserFacingError) -> None:
            self.errors.show(error)
            self.confirm.setEnabled(True)

        self._ctx.run(self._refunds.create(self.invoice.id, req, actor=self._ctx.caller()), self.show_link,
                      name="refund-create", parent=self, on_user_error=refused)

    # -- the link ----------------------------------------------------------------------------------

    def _link_page(self) -> QWidget:
        page = QWidget()
        self.done_title = named(QLabel(), "refundDone")
        self.done_title.setProperty("role", "h2")
        self.done_title.setWordWrap(True)
        self.link_edit = named(QLineEdit(readOnly=True), "refundLink")
        copy = named(QPushButton("Copy link"), "copyRefundLink")
        copy.clicked.connect(self._on_copy_clicked)
        self.copied = named(QLabel(), "refundCopied")
        self.copied.setProperty("role", "muted")
        self.qr = QrLabel(220, grow=True, min_px=160)
        self.emailed = named(QLabel(), "refundEmailed")
        self.emailed.setWordWrap(True)
        close = named(QPushButton("Close"), "closeRefund")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.link_edit, 1)
        row.addWidget(copy)
        layout = QVBoxLayout(page)
        layout.addWidget(self.done_title)
        layout.addLayout(row)
        layout.addWidget(self.copied)
        layout.addWidget(self.qr, 1, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.emailed)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        return page

    def show_link(self, refund: Refund) -> None:
        self.refund = refund
        self.link = self._refunds.link(refund)
        logger.info("refund %s created for invoice %s: %s sat", refund.id, refund.invoice_id, refund.amount_sat)
        self.done_title.setText(f"Refund of {formatting.btc(refund.amount_sat)} created. The shopper opens this "
                                "link and gives a Bitcoin address to be paid.")
        self.link_edit.setText(self.link)
        self.link_edit.setCursorPosition(0)
        self.qr.set_payload(self.link)
        email = self.invoice.buyer_email
        if refund.emailed_to:  # the service queued it (the refund.created e-mail), not a guess from settings
            self.emailed.setText(f"The link is e-mailed to {refund.emailed_to}.")
        elif email:
            self.emailed.setText(f"Not e-mailed: the store has no e-mail settings (Settings → Email). Give {email} "
                                 "this link, or let them scan the QR.")
        else:
            self.emailed.setText("Not e-mailed: the invoice has no buyer e-mail. Give the shopper this link, or let "
                                 "them scan the QR.")
        self.pages.setCurrentIndex(1)
        self.refundCreated.emit(refund)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.link)
        self.copied.setText("Link copied.")


def _boxed(layout: QVBoxLayout) -> QWidget:
    box = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    box.setLayout(layout)
    return box

