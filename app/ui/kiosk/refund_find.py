"""Kiosk refund, step 1 (behind the PIN): which sale? The store's recent refundable sales as big buttons,
or an invoice id typed or scanned (a barcode scanner types it and presses Enter)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QScrollArea, QScroller, QVBoxLayout, QWidget

from app.core.records import Invoice
from app.ui import formatting
from app.ui.kiosk.style import set_role
from app.ui.kiosk.widgets import button, label
from app.ui.widget_names import named


def sale_text(invoice: Invoice) -> str:
    what = invoice.description or invoice.order_id or invoice.id
    return (f"{formatting.local_time(invoice.paid_at or invoice.created_at)}  ·  "
            f"{formatting.fiat(invoice.price, invoice.currency)}  ·  {what}")


class RefundFindScreen(QWidget):
    chosen = Signal(object)  # the Invoice
    lookup = Signal(str)  # an id typed or scanned
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskRefundFind")
        self.title = label("Refund: which sale?", name="refundFindTitle", role="title")
        self.message = label(name="refundFindMessage", wrap=True)
        self.list_box = named(QWidget(), "refundSales")
        self.rows = QVBoxLayout(self.list_box)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(6)
        scroll = named(QScrollArea(), "refundSalesScroll")
        scroll.setWidget(self.list_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QScroller.grabGesture(scroll.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        self.id_edit = named(QLineEdit(), "refundInvoiceId")
        self.id_edit.returnPressed.connect(self._on_find)
        self.find_button = button("Find", name="refundFind", on_click=self._on_find)
        self.find_button.setMaximumWidth(160)
        self.back_button = button("Back to the till", name="refundBack", on_click=self.back.emit)
        self.back_button.setMaximumHeight(64)
        id_row = QHBoxLayout()
        id_row.addWidget(label("Invoice id", name="refundIdCaption"))
        id_row.addWidget(self.id_edit, 1)
        id_row.addWidget(self.find_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        layout.addLayout(id_row)
        layout.addWidget(self.message)
        layout.addWidget(self.back_button)
        self.buttons: list[QWidget] = []

    def start(self) -> None:
        self.id_edit.clear()
        self.say("Loading the recent sales…")
        self.set_sales([])

    def set_sales(self, invoices: list[Invoice]) -> None:
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        while self.rows.count():
            self.rows.takeAt(0)
        for invoice in invoices:
            b = button(sale_text(invoice), name=f"sale_{invoice.id}", on_click=partial(self.chosen.emit, invoice))
            b.setMinimumHeight(52)
            b.setMaximumHeight(64)
            self.rows.addWidget(b)
            self.buttons.append(b)
        self.rows.addStretch(1)
        if invoices:
            self.say("Touch the sale to refund, or type or scan its invoice id.")
        else:
            self.say("No recent sale can be refunded. Type or scan the invoice id.")

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        set_role(self.message, "error" if error else "muted")

    def _on_find(self) -> None:
        text = self.id_edit.text().strip()
        if text:
            self.lookup.emit(text.rsplit("/", 1)[-1])  # a scanned checkout link ends with the id
