"""Products of a store (for the store page and the POS grid): list, add, edit, archive (asks first),
"Show archived" with Restore. The add/edit dialog is app/ui/product_dialog.py."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.records import Product, Store
from app.ui import formatting
from app.ui.context import WindowContext
from app.ui.dialogs import confirm
from app.ui.product_dialog import ProductDialog, image_path
from app.ui.widget_names import named

__all__ = ["ProductDialog", "ProductsView", "image_path"]

COLUMNS = ("", "Name", "Price", "Category", "Stock", "Description")


class ProductsView(QWidget):
    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.stores: list[Store] = []
        self.products: list[Product] = []
        self.dialog: ProductDialog | None = None
        self.store_combo = named(QComboBox(), "productStore")
        self.store_combo.currentIndexChanged.connect(self._on_store_combo_current_index_changed)
        self.show_archived = named(QCheckBox("Show archived"), "showArchivedProducts")
        self.show_archived.toggled.connect(lambda _on: self._on_store_combo_current_index_changed())
        self.table = named(QTableWidget(0, len(COLUMNS)), "productTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.table.setIconSize(QSize(40, 40))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self._on_edit_button_clicked())
        self.table.itemSelectionChanged.connect(self._on_table_item_selection_changed)
        self.status = named(QLabel(), "productStatus")
        self.status.setProperty("role", "muted")
        title = QLabel("Products")
        title.setProperty("role", "h1")
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(QLabel("Store"))
        head.addWidget(self.store_combo)
        self.buttons: dict[str, QPushButton] = {}
        for text, name, slot in (("Add product…", "addProduct", self._on_add_button_clicked),
                                 ("Edit…", "editProduct", self._on_edit_button_clicked),
                                 ("Archive…", "archiveProduct", self._on_archive_button_clicked)):
            button = self.buttons[name] = named(QPushButton(text), name)
            button.clicked.connect(slot)
            head.addWidget(button)
        foot = QHBoxLayout()
        foot.addWidget(self.show_archived)
        foot.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        layout.addLayout(foot)
        self._on_table_item_selection_changed()

    def reload(self) -> None:
        self._ctx.run(self._ctx.services.stores.list(), self._on_stores, name="products-stores")

    def _on_stores(self, stores: list[Store]) -> None:
        current = self.store_combo.currentData()
        self.stores = stores
        self.store_combo.blockSignals(True)
        self.store_combo.clear()
        for s in stores:
            self.store_combo.addItem(s.name, s.id)
        self.store_combo.setCurrentIndex(max(0, self.store_combo.findData(current)))
        self.store_combo.blockSignals(False)
        self._on_store_combo_current_index_changed()

    def current_store(self) -> Store | None:
        store_id = self.store_combo.currentData()
        return next((s for s in self.stores if s.id == store_id), None)

    def _on_store_combo_current_index_changed(self, *_args: object) -> None:
        store = self.current_store()
        if store is None:
            self._show([])
            return
        coro = self._ctx.services.products.list(store.id, include_archived=self.show_archived.isChecked())
        self._ctx.run(coro, self._show, name="products")

    def _show(self, products: list[Product]) -> None:
        selected = self.selected()
        self.products = products
        store = self.current_store()
        self.table.setRowCount(len(products))
        for row, p in enumerate(products):
            path = image_path(self._ctx, p.image)
            icon_item = QTableWidgetItem()
            if path is not None:
                icon_item.setIcon(QIcon(str(path)))
            self.table.setItem(row, 0, icon_item)
            price = formatting.fiat(p.price, store.default_currency) if store else str(p.price)
            values = (p.name + (" (archived)" if p.archived else ""), price, p.category,
                      "∞" if p.stock is None else str(p.stock), p.description)
            for col, text in enumerate(values, start=1):
                self.table.setItem(row, col, QTableWidgetItem(text))
        ids = [p.id for p in products]
        if selected is not None and selected.id in ids:
            self.table.selectRow(ids.index(selected.id))
        else:
            self.table.clearSelection()
        self._on_table_item_selection_changed()

    def selected(self) -> Product | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else -1
        return self.products[row] if 0 <= row < len(self.products) else None

    def _on_table_item_selection_changed(self) -> None:
        product = self.selected()
        self.buttons["editProduct"].setEnabled(product is not None and not product.archived)
        self.buttons["archiveProduct"].setEnabled(product is not None)
        self.buttons["archiveProduct"].setText("Restore" if product is not None and product.archived else "Archive…")

    def _open(self, product: Product | None) -> ProductDialog | None:
        store = self.current_store()
        if store is None:
            return None
        dialog = ProductDialog(self._ctx, store, product, self)
        dialog.accepted.connect(self._on_dialog_accepted)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _on_dialog_accepted(self) -> None:
        if self.dialog is not None and self.dialog.product is not None:
            self.status.setText(f"Saved {self.dialog.product.name}.")
        self._on_store_combo_current_index_changed()

    def _on_add_button_clicked(self) -> None:
        self._open(None)

    def _on_edit_button_clicked(self) -> None:
        product = self.selected()
        if product is not None and not product.archived:
            self._open(product)

    def _on_archive_button_clicked(self) -> None:
        product = self.selected()
        if product is None:
            return
        products = self._ctx.services.products
        if product.archived:
            self._run(products.restore(product.id, actor=self._ctx.actor), f"Restored {product.name}.")
            return
        self.confirm_box = confirm(
            self, "Archive product",
            f"Archive “{product.name}”? It disappears from the store page and the point of sale; invoices that "
            "sold it keep it. You can restore it with “Show archived”.",
            lambda: self._run(products.archive(product.id, actor=self._ctx.actor), f"Archived {product.name}."),
            yes_text="Archive")

    def _run(self, coro: Coroutine[Any, Any, Product], message: str) -> None:
        def done(_product: Product) -> None:
            self.status.setText(message)
            self._on_store_combo_current_index_changed()

        self._ctx.run(coro, done, name="product-archive", parent=self)
