"""NewInvoiceDialog: price in fiat or BTC, description, buyer email; then a large QR to scan in person.

The amount is read with the locale's decimal separator (``12,50`` or ``12.50``); errors appear beside
their field. Above the owner's large-invoice limit (Settings → Invoices) creating asks first. The
second page follows the invoice live (bridge.invoicesChanged): once paid, the QR is replaced by the
paid state (invoice_paid.py) and the title stops saying "scan to pay".
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.invoice_limits import InvoicePreview
from app.core.money import sat_to_btc
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.dialogs import confirm
from app.ui.field_errors import FieldErrors
from app.ui.invoice_actions import InvoiceActions
from app.ui.invoice_paid import PaidState, is_paid
from app.ui.invoice_table_model import status_text
from app.ui.ports import InvoiceDialogServices
from app.ui.qr import QrLabel
from app.ui.theme import status_color
from app.ui.widget_names import named

FIELD_OF = {"amount_sat": "price", "amount": "price", "currency": "price"}  # service field -> form row
WIDE_FROM_PX = 640  # at least this wide: QR on the left, details on the right


def approx_btc(sat: int) -> str:
    """150000000000000 -> '1,500,000 BTC'; 12345 -> '0.00012345 BTC' (for a sentence, not a table)."""
    btc = sat_to_btc(sat)
    if btc >= 1:
        btc = btc.quantize(Decimal("0.0001"))
    return f"{btc.normalize():,f} BTC"


def title_for(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.PENDING:
        return f"Invoice {invoice.id}: scan to pay"
    return f"Invoice {invoice.id}: {status_text(invoice).lower()}"


class NewInvoiceDialog(QDialog):
    invoiceCreated = Signal(object)  # noqa: N815

    def __init__(self, ctx: UiContext[InvoiceDialogServices], stores: list[Store], *, store_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newInvoiceDialog")
        self.setWindowTitle("New invoice")
        self._ctx = ctx
        self._stores = {s.id: s for s in stores}
        self.invoice: Invoice | None = None
        self.confirm_box: QMessageBox | None = None
        self.decimal_point = QLocale().decimalPoint()
        self._pages = QStackedWidget()
        self._pages.addWidget(self._build_form(stores, store_id))
        self._pages.addWidget(self._build_payment_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self._pages)
        ctx.bridge.invoicesChanged.connect(self._on_bridge_invoices_changed)
        self.resize(460, 420)

    # -- page 1: the form ----------------------------------------------------------------------

    def _build_form(self, stores: list[Store], store_id: str | None) -> QWidget:
        page = QWidget()
        self.store = named(QComboBox(), "store")
        for s in stores:
            self.store.addItem(s.name, s.id)
        if store_id:
            self.store.setCurrentIndex(max(0, self.store.findData(store_id)))
        self.amount = named(QLineEdit(placeholderText=f"e.g. 12{self.decimal_point}50"), "amount")
        self.currency = named(QComboBox(editable=True), "currency")
        self.description = named(QLineEdit(placeholderText="What is being sold (optional)"), "description")
        self.order = named(QLineEdit(placeholderText="Your order number (optional)"), "order")
        self.email = named(QLineEdit(placeholderText="For the receipt (optional)"), "email")
        self.errors = FieldErrors()
        self.store.currentIndexChanged.connect(self._on_store_current_index_changed)
        self._on_store_current_index_changed()
        amount_box = QWidget()
        amount_row = QHBoxLayout(amount_box)
        amount_row.setContentsMargins(0, 0, 0, 0)
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.currency)
        form = QFormLayout(page)
        form.addRow("Store", self.store)
        form.addRow("Amount", self.errors.row("price", amount_box))
        form.addRow("Description", self.errors.row("description", self.description))
        form.addRow("Order number", self.errors.row("order_id", self.order))
        form.addRow("Buyer email", self.errors.row("buyer_email", self.email))
        form.addRow(self.errors.general)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = buttons.addButton("Create invoice", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("create")
        self.create_button.setDefault(True)
        buttons.accepted.connect(self._on_create_button_clicked)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        return page

    def _on_store_current_index_changed(self, *_args: object) -> None:
        store = self._stores.get(self.store.currentData())
        default = store.default_currency if store else "USD"
        self.currency.clear()
        for code in dict.fromkeys([default, "BTC", "SAT"]):
            self.currency.addItem(code)

    def _on_create_button_clicked(self) -> None:
        self.errors.clear()
        store_id = self.store.currentData()
        if not store_id:
            self._show_error(UserFacingError("Create a store first (Stores view)."))
            return
        try:
            price = formatting.parse_amount(self.amount.text(), decimal_point=self.decimal_point)
        except ValueError:
            self._show_error(UserFacingError(f"Enter an amount like 12{self.decimal_point}50.", field="price"))
            return
        self.create_button.setEnabled(False)
        currency = self.currency.currentText().strip() or None
        self._ctx.run(self._ctx.services.invoices.preview(store_id, price=price, currency=currency),
                      lambda preview: self._on_previewed(store_id, preview), name="invoice-preview",
                      on_user_error=self._show_error)

    def _on_previewed(self, store_id: str, preview: InvoicePreview) -> None:
        if preview.above_limit is None:
            self.create_now(store_id, preview.price, preview.currency)
            return
        self.create_button.setEnabled(True)
        amount = formatting.fiat(preview.price, preview.currency)
        btc = "" if preview.currency == "BTC" else f" (≈ {approx_btc(preview.amount_due_sat)})"
        self.confirm_box = confirm(
            self, "Large invoice", f"Create an invoice for {amount}{btc}?\n\nThis is above your limit of "
            f"{preview.above_limit} (Settings → Invoices). Check the amount before the shopper pays.",
            lambda: self.create_now(store_id, preview.price, preview.currency), yes_text="Create invoice")

    def create_now(self, store_id: str, price: Decimal, currency: str) -> None:
        self.create_button.setEnabled(False)
        coro = self._ctx.services.invoices.create(
            store_id, price=price, currency=currency, description=self.description.text(),
            order_id=self.order.text() or None, buyer_email=self.email.text().strip() or None,
            actor=self._ctx.actor)  # the person who unlocked the window (lock_screen.py)
        self._ctx.run(coro, self._on_created, name="invoice-create", on_user_error=self._show_error)

    def _show_error(self, error: UserFacingError) -> None:
        self.create_button.setEnabled(True)
        field = FIELD_OF.get(error.field or "", error.field)
        self.errors.set(field if field in ("price", "description", "order_id", "buyer_email") else None,
                        error.message)
        if field == "price":
            self.amount.setFocus()

    # -- page 2: the QR, then the paid state ---------------------------------------------------

    def _build_payment_page(self) -> QWidget:
        page = QWidget()
        center = Qt.AlignmentFlag.AlignCenter
        self.qr = QrLabel(320, grow=True, min_px=180)
        self.paid = PaidState()
        self.paid.hide()
        self.pay_amount = named(QLabel(alignment=center), "payAmount")
        self.pay_amount.setProperty("role", "big")
        self.pay_fiat = named(QLabel(alignment=center), "payFiat")
        self.pay_address = named(QLabel(alignment=center, wordWrap=True), "payAddress")
        self.pay_address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pay_status = named(QLabel(alignment=center, wordWrap=True), "payStatus")
        self.pay_status.setProperty("role", "h1")
        self.invoice_actions = InvoiceActions(self._ctx, self)
        b = self.invoice_actions.buttons
        close = named(QPushButton("Done"), "done")
        close.clicked.connect(self.accept)
        left = QVBoxLayout()
        left.addWidget(self.qr, 1)
        left.addWidget(self.paid, 1)
        right = QVBoxLayout()
        for widget in (self.pay_amount, self.pay_fiat, self.pay_address, self.pay_status):
            right.addWidget(widget)
        right.addStretch(1)
        for keys in (("copy_address", "copy_uri", "copy_link"), ("open_checkout", "receipt"),
                     ("devnet_pay", "devnet_mine")):
            row = QHBoxLayout()
            for key in keys:
                row.addWidget(b[key])
            right.addLayout(row)
        right.addWidget(self.invoice_actions.copied)
        right.addWidget(self.invoice_actions.devnet_status)
        right.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self._body = QBoxLayout(QBoxLayout.Direction.TopToBottom, page)
        self._body.addLayout(left, 3)
        self._body.addLayout(right, 2)
        return page

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802  (Qt override)
        super().resizeEvent(event)
        wide = event.size().width() >= WIDE_FROM_PX
        self._body.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)

    def _on_created(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.invoiceCreated.emit(invoice)
        self.invoice_actions.uri_label = self.store.currentText()
        self.qr.set_payload(invoice.payment_uri(label=self.store.currentText()))
        self._show_payment(invoice)
        self._pages.setCurrentIndex(1)
        self.resize(720, 440)

    def _show_payment(self, invoice: Invoice) -> None:
        self.setWindowTitle(title_for(invoice))
        self.pay_amount.setText(formatting.btc(invoice.remaining_sat or invoice.amount_due_sat))
        self.pay_fiat.setText(formatting.fiat(invoice.price, invoice.currency))
        self.pay_address.setText(invoice.address)
        self.pay_status.setText(status_text(invoice))
        self.pay_status.setStyleSheet(f"color: {status_color(invoice.status).name()};")
        paid = is_paid(invoice)
        if paid:
            self.paid.set_invoice(invoice)
        self.qr.setVisible(not paid and invoice.status == InvoiceStatus.PENDING)
        self.paid.setVisible(paid)
        for label in (self.pay_amount, self.pay_fiat):  # what is due: the paid state says what was paid
            label.setVisible(not paid)
        self.invoice_actions.set_invoice(invoice)

    def _on_bridge_invoices_changed(self, ids: list[str]) -> None:
        if self.invoice is not None and self.invoice.id in ids:
            self._ctx.run(self._ctx.services.invoices.get(self.invoice.id), self._on_refreshed, name="invoice-follow")

    def _on_refreshed(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self._show_payment(invoice)

    def done(self, result: int) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self._ctx.bridge.invoicesChanged.disconnect(self._on_bridge_invoices_changed)
        super().done(result)
