"""SaleScreen: the start screen. Keypad or product grid on the left, the cart on the right.

With no products in the store only the keypad shows; with products the grid opens first and a tab
switches to the keypad for a custom amount.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from app.core.records import Product
from app.ui.kiosk.cart import CartView
from app.ui.kiosk.cart_model import Cart
from app.ui.kiosk.keypad import AmountKeypad
from app.ui.kiosk.product_grid import MIN_TILE_PX, ProductGrid
from app.ui.kiosk.style import MIN_TOUCH_PX, px
from app.ui.kiosk.widgets import button


class SaleScreen(QWidget):
    changed = Signal()

    def __init__(self, cart: Cart, image_path: Callable[[str], Path | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saleScreen")
        self.cart = cart
        self.keypad = AmountKeypad(cart.currency)
        self.products = ProductGrid(cart.currency, image_path)
        self.cart_view = CartView()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.products)
        self.pages.addWidget(self.keypad)
        self.tab_group = QButtonGroup(self)
        self.products_tab = button("Products", name="tabProducts", role="tab", checkable=True,
                                   on_click=lambda: self.pages.setCurrentWidget(self.products))
        self.keypad_tab = button("Keypad", name="tabKeypad", role="tab", checkable=True,
                                 on_click=lambda: self.pages.setCurrentWidget(self.keypad))
        self.tab_group.addButton(self.products_tab)
        self.tab_group.addButton(self.keypad_tab)
        self.tabs = QWidget()
        tabs = QHBoxLayout(self.tabs)
        tabs.setContentsMargins(0, 0, 0, 0)
        tabs.addWidget(self.products_tab)
        tabs.addWidget(self.keypad_tab)
        left = QVBoxLayout()
        left.addWidget(self.tabs)
        left.addWidget(self.pages, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(left, 3)
        layout.addWidget(self.cart_view, 2)
        self.keypad.amountEntered.connect(self._on_keypad_amount_entered)
        self.products.productChosen.connect(self._on_products_product_chosen)
        self.cart_view.qtyChanged.connect(self._on_cart_view_qty_changed)
        self.cart_view.clearRequested.connect(self._on_cart_view_clear_requested)
        self.set_products([])

    def set_products(self, products: list[Product]) -> None:
        self.products.set_products(products)
        has_products = bool(self.products.products)
        self.tabs.setVisible(has_products)
        target = self.products if has_products else self.keypad
        self.pages.setCurrentWidget(target)
        (self.products_tab if has_products else self.keypad_tab).setChecked(True)
        self.refresh()

    def apply_scale(self, scale: float) -> None:
        self.cart_view.set_button_px(px(52, scale))
        # tiles grow more slowly than the text, so a bigger screen shows more of them, not only bigger ones
        self.products.set_min_tile_px(round(MIN_TILE_PX * scale ** 0.75), px(MIN_TOUCH_PX + 4, scale))

    def refresh(self) -> None:
        self.cart_view.show_cart(self.cart)
        self.changed.emit()

    def _on_keypad_amount_entered(self, amount: Decimal) -> None:
        self.cart.add_amount(amount)
        self.refresh()

    def _on_products_product_chosen(self, product: Product) -> None:
        self.cart.add_product(product)
        self.refresh()

    def _on_cart_view_qty_changed(self, key: str, delta: int) -> None:
        self.cart.change_qty(key, delta)
        self.refresh()

    def _on_cart_view_clear_requested(self) -> None:
        self.cart.clear()
        self.refresh()
