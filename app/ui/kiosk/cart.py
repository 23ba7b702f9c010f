"""CartView: the lines with big -/+ buttons, discount and tip buttons, the totals and "Charge"."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui import formatting
from app.ui.kiosk.cart_model import Cart
from app.ui.kiosk.widgets import button, label
from app.ui.widget_names import named


def touch_scroll(area: QScrollArea) -> None:
    """Drag to scroll with a finger (kinetic), as on a phone; no scroll bar hunting."""
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    props = QScroller.scroller(area.viewport()).scrollerProperties()
    props.setScrollMetric(props.ScrollMetric.OvershootDragResistanceFactor, 0.3)
    props.setScrollMetric(props.ScrollMetric.ScrollingCurve, QEasingCurve(QEasingCurve.Type.OutCubic))
    QScroller.scroller(area.viewport()).setScrollerProperties(props)


class CartLineRow(QWidget):
    def __init__(self, key: str, name: str, qty: int, total: str, view: CartView) -> None:
        super().__init__()
        self.setObjectName(f"line_{key}")
        minus = button("−", name="minus", role="key", on_click=lambda: view.qtyChanged.emit(key, -1))
        plus = button("+", name="plus", role="key", on_click=lambda: view.qtyChanged.emit(key, 1))
        for b in (minus, plus):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.name = label(name, name="lineName", role="line", wrap=True)
        self.total = label(total, name="lineTotal", role="muted")
        self.qty = label(str(qty), name="lineQty", role="title", center=True)
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.name)
        text.addWidget(self.total)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 2, 2)
        row.addLayout(text, 1)
        row.addWidget(minus)
        row.addWidget(self.qty)
        row.addWidget(plus)
        self._buttons = (minus, plus)

    def size_buttons(self, side: int) -> None:
        for b in self._buttons:
            b.setFixedSize(side, side)
        self.qty.setMinimumWidth(side // 2 + 8)


class CartView(QFrame):
    qtyChanged = Signal(str, int)  # noqa: N815
    chargeRequested = Signal()  # noqa: N815
    discountRequested = Signal()  # noqa: N815
    tipRequested = Signal()  # noqa: N815
    clearRequested = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cart")
        self.setProperty("role", "panel")
        self._button_px = 52
        self.rows: list[CartLineRow] = []
        self.empty = label("Tap an amount or a product to start a sale.", name="cartEmpty", role="muted",
                           center=True, wrap=True)
        self.lines_box = QWidget()
        self.lines = QVBoxLayout(self.lines_box)
        self.lines.setContentsMargins(0, 0, 0, 0)
        self.lines.addWidget(self.empty)
        self.lines.addStretch(1)
        scroll = named(QScrollArea(widgetResizable=True), "cartLines")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.lines_box.setObjectName("cartLinesBox")
        scroll.setWidget(self.lines_box)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        touch_scroll(scroll)
        self.scroller = scroll  # not `scroll`: that is QWidget.scroll()
        self.discount_button = button("Discount", name="discountButton", on_click=self.discountRequested.emit)
        self.tip_button = button("Tip", name="tipButton", on_click=self.tipRequested.emit)
        self.clear_button = button("Clear", name="clearCart", role="danger", on_click=self.clearRequested.emit)
        adjust = QHBoxLayout()
        for b in (self.discount_button, self.tip_button, self.clear_button):
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            adjust.addWidget(b)
        self.breakdown = label(name="breakdown", role="muted", wrap=True)
        self.total = label(name="cartTotal", role="total")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error = label(name="cartError", role="error", wrap=True)
        self.error.hide()
        self.charge_button = button("Charge", name="charge", role="primary", on_click=self.chargeRequested.emit)
        self.charge_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        totals = QGridLayout()
        totals.addWidget(self.breakdown, 0, 0)
        totals.addWidget(self.total, 0, 1)
        totals.setColumnStretch(0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(adjust)
        layout.addLayout(totals)
        layout.addWidget(self.error)
        layout.addWidget(self.charge_button)

    def set_button_px(self, side: int) -> None:
        self._button_px = side
        for row in self.rows:
            row.size_buttons(side)

    def show_cart(self, cart: Cart) -> None:
        for row in self.rows:
            self.lines.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for i, line in enumerate(cart.lines):
            row = CartLineRow(line.key, line.name, line.qty, formatting.fiat(line.total, cart.currency), self)
            row.size_buttons(self._button_px)
            self.lines.insertWidget(i, row)
            self.rows.append(row)
        self.empty.setVisible(not cart.lines)
        cur = cart.currency
        parts = [f"Subtotal {formatting.fiat(cart.subtotal, cur)}"] if cart.discount or cart.tip else []
        if cart.discount:
            parts.append(f"Discount {cart.discount.label(cur)}: −{formatting.fiat(cart.discount_amount, cur)}")
        if cart.tip:
            parts.append(f"Tip {cart.tip.label(cur)}: +{formatting.fiat(cart.tip_amount, cur)}")
        self.breakdown.setText("\n".join(parts) or f"{cart.count} item{'s' if cart.count != 1 else ''}")
        self.total.setText(formatting.fiat(cart.total, cur))
        self.discount_button.setText(f"Discount {cart.discount.label(cur)}" if cart.discount else "Discount")
        self.tip_button.setText(f"Tip {cart.tip.label(cur)}" if cart.tip else "Tip")
        has_items = bool(cart.lines)
        for b in (self.discount_button, self.tip_button, self.clear_button):
            b.setEnabled(has_items)
        self.charge_button.setEnabled(cart.total > 0)
        self.charge_button.setText(f"Charge {formatting.fiat(cart.total, cur)}" if cart.total > 0 else "Charge")
        self.show_error("")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def set_busy(self, busy: bool) -> None:
        self.charge_button.setEnabled(not busy)
        if busy:
            self.charge_button.setText("Creating invoice…")
