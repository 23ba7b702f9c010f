"""NewInvoiceDialog: price in fiat or BTC, description, buyer email; then a large QR to scan in person.

The second page follows the invoice live (bridge.invoicesChanged) and says "Paid" when it is.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.records import Invoice, Store
from app.core.statuses import InvoiceStatus
from app.ui import formatting
from app.ui.context import UiContext
from app.ui.invoice_table_model import status_text
from app.ui.ports import InvoicingServices
from app.ui.qr import QrLabel
from app.ui.theme import status_color
from app.ui.widget_names import named

PAID_STATUSES = {InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE}


class NewInvoiceDialog(QDialog):
    invoiceCreated = Signal(object)  # noqa: N815

    def __init__(self, ctx: UiContext[InvoicingServices], stores: list[Store], *, store_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newInvoiceDialog")
        self.setWindowTitle("New invoice")
        self._ctx = ctx
        self._stores = {s.id: s for s in stores}
        self.invoice: Invoice | None = None
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
        self.amount = named(QLineEdit(placeholderText="e.g. 12.50"), "amount")
        self.currency = named(QComboBox(editable=True), "currency")
        self.description = named(QLineEdit(placeholderText="What is being sold (optional)"), "description")
        self.order = named(QLineEdit(placeholderText="Your order number (optional)"), "order")
        self.email = named(QLineEdit(placeholderText="For the receipt (optional)"), "email")
        self.error = named(QLabel(wordWrap=True), "error")
        self.error.setProperty("role", "error")
        self.store.currentIndexChanged.connect(self._on_store_current_index_changed)
        self._on_store_current_index_changed()
        form = QFormLayout(page)
        form.addRow("Store", self.store)
        amount_row = QHBoxLayout()
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.currency)
        form.addRow("Amount", amount_row)
        form.addRow("Description", self.description)
        form.addRow("Order number", self.order)
        form.addRow("Buyer email", self.email)
        form.addRow(self.error)
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
        store_id = self.store.currentData()
        if not store_id:
            self._show_error(UserFacingError("Create a store first (Stores view)."))
            return
        self.error.setText("")
        self.create_button.setEnabled(False)
        coro = self._ctx.services.invoices.create(
            store_id, price=self.amount.text().strip(), currency=self.currency.currentText().strip() or None,
            description=self.description.text(), order_id=self.order.text() or None,
            buyer_email=self.email.text().strip() or None)
        self._ctx.run(coro, self._on_created, name="invoice-create", on_user_error=self._show_error)

    def _show_error(self, error: UserFacingError) -> None:
        self.create_button.setEnabled(True)
        self.error.setText(error.message)
        fields: dict[str, QWidget] = {"price": self.amount, "currency": self.currency, "description": self.description,
                                      "buyer_email": self.email, "order_id": self.order}
        widget = fields.get(error.field or "")
        if widget is not None:
            widget.setFocus()

    # -- page 2: the QR ------------------------------------------------------------------------

    def _build_payment_page(self) -> QWidget:
        page = QWidget()
        self.qr = QrLabel(320)
        self.pay_amount = named(QLabel(alignment=Qt.AlignmentFlag.AlignCenter), "payAmount")
        self.pay_amount.setProperty("role", "big")
        self.pay_fiat = named(QLabel(alignment=Qt.AlignmentFlag.AlignCenter), "payFiat")
        self.pay_address = named(QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True), "payAddress")
        self.pay_address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pay_status = named(QLabel(alignment=Qt.AlignmentFlag.AlignCenter), "payStatus")
        self.pay_status.setProperty("role", "h1")
        close = named(QPushButton("Done"), "done")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(page)
        for widget in (self.qr, self.pay_amount, self.pay_fiat, self.pay_address, self.pay_status):
            layout.addWidget(widget)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        return page

    def _on_created(self, invoice: Invoice) -> None:
        self.invoice = invoice
        self.invoiceCreated.emit(invoice)
        self.setWindowTitle(f"Invoice {invoice.id}: scan to pay")
        self.qr.set_payload(invoice.payment_uri(label=self.store.currentText()))
        self._show_payment(invoice)
        self._pages.setCurrentIndex(1)
        self.resize(460, 620)

    def _show_payment(self, invoice: Invoice) -> None:
        self.pay_amount.setText(formatting.btc(invoice.remaining_sat or invoice.amount_due_sat))
        self.pay_fiat.setText(formatting.fiat(invoice.price, invoice.currency))
        self.pay_address.setText(invoice.address)
        paid = invoice.status in PAID_STATUSES
        self.pay_status.setText("Paid — thank you!" if paid else status_text(invoice))
        self.pay_status.setStyleSheet(f"color: {status_color(invoice.status).name()};")
        if paid:
            self.qr.setEnabled(False)

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
