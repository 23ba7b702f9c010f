"""Products of a store (for the ready store and the POS grid): list, add, edit, archive, with image."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.records import Product, Store
from app.ui import formatting
from app.ui.context import WindowContext
from app.ui.widget_names import named

COLUMNS = ("", "Name", "Price", "Category", "Stock", "Description")


def image_path(ctx: WindowContext, image: str | None) -> Path | None:
    """Where services.product_images keeps a product's image (None if there is none)."""
    if not image:
        return None
    try:
        path = ctx.services.product_images.path(image)
    except UserFacingError:
        return None
    return path if path.exists() else None


class ProductDialog(QDialog):
    def __init__(self, ctx: WindowContext, store: Store, product: Product | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productDialog")
        self.setWindowTitle("Edit product" if product else "New product")
        self._ctx, self._store, self.product = ctx, store, product
        self.image_name: str | None = product.image if product else None
        self.image_data: bytes | None = None
        self.name = named(QLineEdit(product.name if product else ""), "productName")
        self.price = named(QLineEdit(str(product.price) if product else ""), "productPrice")
        self.category = named(QLineEdit(product.category if product else ""), "productCategory")
        self.description = named(QPlainTextEdit(product.description if product else ""), "productDescription")
        self.description.setFixedHeight(80)
        self.unlimited = named(QCheckBox("Unlimited"), "unlimitedStock")
        self.stock = named(QSpinBox(), "productStock")
        self.stock.setRange(0, 1_000_000)
        self.unlimited.toggled.connect(lambda on: self.stock.setEnabled(not on))
        self.unlimited.setChecked(product is None or product.stock is None)
        self.stock.setValue(product.stock or 0 if product else 0)
        self.image = named(QLabel("No image"), "productImage")
        self.image.setFixedSize(96, 96)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        choose = named(QPushButton("Choose image…"), "chooseImage")
        choose.clicked.connect(self._on_choose_button_clicked)
        self.error = named(QLabel(wordWrap=True), "error")
        self.error.setProperty("role", "error")
        self._show_image()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_save_button_clicked)
        buttons.rejected.connect(self.reject)
        stock_row, image_row = QHBoxLayout(), QHBoxLayout()
        stock_row.addWidget(self.stock)
        stock_row.addWidget(self.unlimited)
        image_row.addWidget(self.image)
        image_row.addWidget(choose)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow(f"Price ({store.default_currency})", self.price)
        form.addRow("Category", self.category)
        form.addRow("Description", self.description)
        form.addRow("Stock", stock_row)
        form.addRow("Image", image_row)
        form.addRow(self.error)
        form.addRow(buttons)

    def _show_image(self) -> None:
        pixmap = QPixmap()
        if self.image_data is not None:
            pixmap.loadFromData(self.image_data)
        else:
            path = image_path(self._ctx, self.image_name)
            if path is not None:
                pixmap.load(str(path))
        if not pixmap.isNull():
            self.image.setPixmap(pixmap.scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))

    def _on_choose_button_clicked(self) -> None:
        dialog = QFileDialog(self, "Product image", str(Path.home()), "Images (*.png *.jpg *.jpeg *.webp)")
        dialog.fileSelected.connect(lambda p: self.set_image_file(Path(p)))
        dialog.open()

    def set_image_file(self, source: Path) -> None:
        """Read the file off the GUI thread; it is uploaded (and checked) when the product is saved."""
        def loaded(data: bytes) -> None:
            self.image_data = data
            self._show_image()

        self._ctx.run(asyncio.to_thread(source.read_bytes), loaded, name="product-image-read", parent=self)

    def fields(self) -> dict[str, Any]:
        return {"name": self.name.text(), "price": self.price.text().strip(), "category": self.category.text(),
                "description": self.description.toPlainText(),
                "stock": None if self.unlimited.isChecked() else self.stock.value()}

    async def save(self) -> Product:
        products, fields = self._ctx.services.products, self.fields()
        product = (await products.update(self.product.id, fields) if self.product
                   else await products.create(self._store.id, **fields))
        if self.image_data is not None:
            product = await self._ctx.services.product_images.replace(product, self.image_data)
        return product

    def _on_save_button_clicked(self) -> None:
        self._ctx.run(self.save(), self._on_saved, name="product-save", on_user_error=self._on_failed)

    def _on_saved(self, product: Product) -> None:
        self.product = product
        self.accept()

    def _on_failed(self, error: UserFacingError) -> None:
        self.error.setText(error.message)


class ProductsView(QWidget):
    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.stores: list[Store] = []
        self.products: list[Product] = []
        self.store_combo = named(QComboBox(), "productStore")
        self.store_combo.currentIndexChanged.connect(self._on_store_combo_current_index_changed)
        self.table = named(QTableWidget(0, len(COLUMNS)), "productTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.table.setIconSize(QSize(40, 40))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self._on_edit_button_clicked())
        title = QLabel("Products")
        title.setProperty("role", "h1")
        head = QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(QLabel("Store"))
        head.addWidget(self.store_combo)
        for text, name, slot in (("Add product…", "addProduct", self._on_add_button_clicked),
                                 ("Edit…", "editProduct", self._on_edit_button_clicked),
                                 ("Archive", "archiveProduct", self._on_archive_button_clicked)):
            button = named(QPushButton(text), name)
            button.clicked.connect(slot)
            head.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)

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
        self._ctx.run(self._ctx.services.products.list(store.id), self._show, name="products")

    def _show(self, products: list[Product]) -> None:
        self.products = products
        self.table.setRowCount(len(products))
        for row, p in enumerate(products):
            path = image_path(self._ctx, p.image)
            icon_item = QTableWidgetItem()
            if path is not None:
                icon_item.setIcon(QIcon(str(path)))
            self.table.setItem(row, 0, icon_item)
            store = self.current_store()
            values = (p.name, formatting.fiat(p.price, store.default_currency) if store else str(p.price), p.category, "∞" if p.stock is None else str(p.stock), p.description)
            for col, text in enumerate(values, start=1):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def selected(self) -> Product | None:
        row = self.table.currentRow()
        return self.products[row] if 0 <= row < len(self.products) else None

    def _open(self, product: Product | None) -> ProductDialog | None:
        store = self.current_store()
        if store is None:
            return None
        dialog = ProductDialog(self._ctx, store, product, self)
        dialog.accepted.connect(self._on_store_combo_current_index_changed)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _on_add_button_clicked(self) -> None:
        self._open(None)

    def _on_edit_button_clicked(self) -> None:
        if self.selected():
            self._open(self.selected())

    def _on_archive_button_clicked(self) -> None:
        product = self.selected()
        if product:
            self._ctx.run(self._ctx.services.products.delete(product.id),
                          lambda _r: self._on_store_combo_current_index_changed(), name="product-archive")
