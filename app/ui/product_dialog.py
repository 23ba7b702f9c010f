"""Add or edit one product, with its picture, saved in one call or not at all.

The picture is checked when it is chosen (a PNG, JPEG, WebP or GIF that Qt can really decode, at
most 2 MiB): a bad file is refused beside the Image field before anything is written, and Save waits
until another file is chosen or the choice is cleared (a product never ends up saved without the
picture the owner meant to give it). Save checks
the price (``parse_amount``: 12,50 or 12.50) and hands fields and picture to
``ProductImageStore.save_product``, which validates both, writes the file atomically and the row in
one transaction. Save is disabled while saving; on success the dialog closes with ``product`` set.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import InvalidAmount, UserFacingError, ValidationError
from app.core.images import MAX_IMAGE_BYTES, check_image
from app.core.records import Product, Store
from app.ui.context import WindowContext
from app.ui.field_errors import FieldErrors
from app.ui.formatting import parse_amount
from app.ui.widget_names import named

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.gif)"
PREVIEW_PX = 96


def image_path(ctx: WindowContext, image: str | None) -> Path | None:
    """Where services.product_images keeps a product's image (None if there is none)."""
    if not image:
        return None
    try:
        path = ctx.services.product_images.path(image)
    except UserFacingError:
        return None
    return path if path.exists() else None


def check_picture(data: bytes) -> None:
    """UserFacingError (field ``image``) unless ``data`` is an accepted image type that really decodes."""
    check_image(data)
    if QImage.fromData(data).isNull():
        raise ValidationError("This image file is damaged or incomplete.", code="unreadable_image", field="image")


def _read_head(source: Path) -> bytes:
    with source.open("rb") as fh:
        return fh.read(MAX_IMAGE_BYTES + 1)  # one byte more than allowed is enough to refuse it


async def read_file(source: Path) -> bytes:
    try:
        return await asyncio.to_thread(_read_head, source)
    except OSError as exc:
        raise ValidationError(f"Could not read {source.name}: {exc.strerror or exc}.", code="unreadable_file",
                              field="image") from None


class ProductDialog(QDialog):
    def __init__(self, ctx: WindowContext, store: Store, product: Product | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productDialog")
        self.setWindowTitle("Edit product" if product else "New product")
        self._ctx, self._store, self.product = ctx, store, product
        self.image_data: bytes | None = None  # a new picture, checked, saved with the product
        self.refused: str | None = None  # why the last chosen file was refused (Save waits for a fix)
        self.errors = FieldErrors()
        self.name = named(QLineEdit(product.name if product else ""), "productName")
        self.price = named(QLineEdit(str(product.price) if product else ""), "productPrice")
        self.price.setToolTip("12.50 or 12,50")
        self.category = named(QLineEdit(product.category if product else ""), "productCategory")
        self.description = named(QPlainTextEdit(product.description if product else ""), "productDescription")
        self.description.setFixedHeight(70)
        self.unlimited = named(QCheckBox("Unlimited"), "unlimitedStock")
        self.stock = named(QSpinBox(), "productStock")
        self.stock.setRange(0, 1_000_000)
        self.unlimited.toggled.connect(lambda on: self.stock.setEnabled(not on))
        self.unlimited.setChecked(product is None or product.stock is None)
        self.stock.setValue(product.stock or 0 if product else 0)
        self.image = named(QLabel("No image"), "productImage")
        self.image.setFixedSize(PREVIEW_PX, PREVIEW_PX)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        choose = named(QPushButton("Choose image…"), "chooseImage")
        choose.clicked.connect(self._on_choose_button_clicked)
        self.clear_image = named(QPushButton("Clear choice"), "clearImage")
        self.clear_image.setToolTip("Forget the picture just chosen; the product keeps the one it had.")
        self.clear_image.clicked.connect(self._on_clear_image_clicked)
        self.clear_image.hide()
        self._show_image()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveProduct")
        buttons.accepted.connect(self._on_save_button_clicked)
        buttons.rejected.connect(self.reject)
        for field, line in (("name", self.name), ("price", self.price), ("category", self.category)):
            line.textEdited.connect(lambda _t, f=field: self.errors.hide(f))
        self._layout(buttons, choose)

    def _layout(self, buttons: QDialogButtonBox, choose: QPushButton) -> None:
        stock_box, image_box = QWidget(), QWidget()
        stock_row, image_row = QHBoxLayout(stock_box), QHBoxLayout(image_box)
        for row in (stock_row, image_row):
            row.setContentsMargins(0, 0, 0, 0)
        stock_row.addWidget(self.stock)
        stock_row.addWidget(self.unlimited)
        stock_row.addStretch(1)
        image_row.addWidget(self.image)
        image_row.addWidget(choose, 0, Qt.AlignmentFlag.AlignBottom)
        image_row.addWidget(self.clear_image, 0, Qt.AlignmentFlag.AlignBottom)
        image_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Name", self.errors.row("name", self.name))
        form.addRow(f"Price ({self._store.default_currency})", self.errors.row("price", self.price))
        form.addRow("Category", self.errors.row("category", self.category))
        form.addRow("Description", self.errors.row("description", self.description))
        form.addRow("Stock", self.errors.row("stock", stock_box))
        form.addRow("Image", self.errors.row("image", image_box))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def _show_image(self) -> None:
        self.image.setText("No image")
        pixmap = QPixmap()
        if self.image_data is not None:
            pixmap.loadFromData(self.image_data)
        else:
            path = image_path(self._ctx, self.product.image if self.product else None)
            if path is not None:
                pixmap.load(str(path))
        if not pixmap.isNull():
            self.image.setPixmap(pixmap.scaled(PREVIEW_PX, PREVIEW_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation))

    def _on_choose_button_clicked(self) -> None:
        dialog = QFileDialog(self, "Product image", str(Path.home()), IMAGE_FILTER)
        dialog.fileSelected.connect(lambda p: self.set_image_file(Path(p)))
        dialog.open()
        self.file_dialog = dialog

    def set_image_file(self, source: Path) -> None:
        """Read the file off the GUI thread and check it at once: a bad file is refused beside the field."""
        self.errors.hide("image")
        self._ctx.run(read_file(source), self.set_image_data, name="product-image-read",
                      on_user_error=self.errors.show)

    def set_image_data(self, data: bytes) -> bool:
        """Take ``data`` as the new picture if it is one; otherwise say why beside the field (nothing changes)."""
        self.clear_image.show()
        try:
            check_picture(data)
        except UserFacingError as exc:
            self.refused = f"{exc.message} Choose another file, or Clear choice."
            self.errors.set("image", self.refused)
            return False
        self.refused = None
        self.errors.hide("image")
        self.image_data = data
        self._show_image()
        return True

    def _on_clear_image_clicked(self) -> None:
        self.image_data, self.refused = None, None
        self.errors.hide("image")
        self.clear_image.hide()
        self.image.clear()
        self._show_image()

    def fields(self) -> dict[str, Any]:
        """The typed fields for the service; InvalidAmount (``price``) when the price is not a number."""
        try:
            price = parse_amount(self.price.text(), decimal_point=QLocale().decimalPoint())
        except ValueError:
            raise InvalidAmount("Enter a price like 12.50 (or 12,50).", field="price") from None
        return {"name": self.name.text(), "price": price, "category": self.category.text(),
                "description": self.description.toPlainText(),
                "stock": None if self.unlimited.isChecked() else self.stock.value()}

    async def save(self, fields: dict[str, Any]) -> Product:
        return await self._ctx.services.product_images.save_product(
            self._store.id, fields, product_id=self.product.id if self.product else None, image=self.image_data)

    def _on_save_button_clicked(self) -> None:
        self.errors.clear()
        if self.refused is not None:
            self.errors.set("image", self.refused)
            return
        try:
            fields = self.fields()
            if self.image_data is not None:
                check_picture(self.image_data)
        except UserFacingError as exc:
            self.errors.show(exc)
            return
        self.save_button.setEnabled(False)
        self._ctx.run(self.save(fields), self._on_saved, name="product-save", on_user_error=self._on_failed)

    def _on_saved(self, product: Product) -> None:
        self.product, self.image_data = product, None
        self.clear_image.hide()
        self.setWindowTitle("Edit product")
        self.save_button.setEnabled(True)
        self.accept()

    def _on_failed(self, error: UserFacingError) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(error)
