"""ProductGrid: category chips across the top, product tiles (image, name, price) below.

Tiles are laid out in as many columns as fit; the grid scrolls by dragging. Images come from the
product image store (``product_images.path(name)``) when there is one; a tile without an image shows
the product's initial on a coloured square so the grid still reads at a glance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.records import Product
from app.ui import formatting
from app.ui.kiosk.cart import touch_scroll
from app.ui.kiosk.widgets import button
from app.ui.widget_names import named

ALL = "All"
_TILE_COLOURS = ("#C62F3A", "#1565C0", "#2E7D32", "#6A1B9A", "#00838F", "#8A6D00", "#AD1457", "#4E342E")


def placeholder_icon(name: str, side: int = 128) -> QIcon:
    colour = _TILE_COLOURS[int(hashlib.sha1(name.encode()).hexdigest(), 16) % len(_TILE_COLOURS)]  # noqa: S324
    pix = QPixmap(side, side)
    pix.fill(QColor(colour))
    painter = QPainter(pix)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setPixelSize(side // 2)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, (name[:1] or "?").upper())
    painter.end()
    return QIcon(pix)


class ProductGrid(QWidget):
    productChosen = Signal(object)  # Product  # noqa: N815

    def __init__(self, currency: str, image_path: Callable[[str], Path | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productGrid")
        self.currency = currency
        self._image_path = image_path
        self.products: list[Product] = []
        self.category = ALL
        self.tiles: list[QToolButton] = []
        self._tile_px = 150
        self._icons: dict[str, QIcon] = {}
        self.chips_box = QWidget()
        self.chips = QHBoxLayout(self.chips_box)
        self.chips.setContentsMargins(0, 0, 0, 0)
        self.chip_group = QButtonGroup(self)
        chips_scroll = QScrollArea(widgetResizable=True)
        chips_scroll.setFrameShape(QFrame.Shape.NoFrame)
        chips_scroll.setWidget(self.chips_box)
        chips_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        chips_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        chips_scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        touch_scroll(chips_scroll)
        self.chips_scroll = chips_scroll
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setSpacing(8)
        self.grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid_box)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        touch_scroll(scroll)
        self.scroller = scroll  # not `scroll`: that is QWidget.scroll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(chips_scroll)
        layout.addWidget(scroll, 1)

    def set_products(self, products: list[Product]) -> None:
        self.products = [p for p in products if not p.archived]
        for chip in self.chip_group.buttons():
            self.chip_group.removeButton(chip)
            chip.deleteLater()
        categories = sorted({p.category for p in self.products if p.category})
        self.chips_scroll.setVisible(bool(categories))
        for name in [ALL, *categories]:
            chip = button(name, name=f"category_{name}", role="chip", checkable=True,
                          on_click=partial(self.show_category, name))
            chip.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            self.chip_group.addButton(chip)
            self.chips.addWidget(chip)
        self.show_category(ALL if self.category not in categories else self.category)

    def set_tile_px(self, side: int) -> None:
        self._tile_px = side
        self.chips_scroll.setFixedHeight(int(side * 0.42))
        self._layout_tiles()

    def show_category(self, category: str) -> None:
        self.category = category
        for chip in self.chip_group.buttons():
            chip.setChecked(chip.text() == category)
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = [self._tile(p) for p in self.products if category == ALL or p.category == category]
        self._layout_tiles()

    def _tile(self, product: Product) -> QToolButton:
        tile = named(QToolButton(), f"product_{product.id}")
        tile.setProperty("role", "tile")
        tile.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        tile.setText(f"{product.name}\n{formatting.fiat(product.price, self.currency)}")
        tile.setIcon(self._icon(product))
        tile.clicked.connect(lambda _c=False, p=product: self.productChosen.emit(p))
        return tile

    def _icon(self, product: Product) -> QIcon:
        key = f"{product.id}:{product.image}"
        if key not in self._icons:
            icon = None
            path = self._image_path(product.image) if self._image_path and product.image else None
            if path is not None and Path(path).is_file():
                pix = QPixmap(str(path))
                if not pix.isNull():
                    icon = QIcon(pix)
            self._icons[key] = icon or placeholder_icon(product.name)
        return self._icons[key]

    def _layout_tiles(self) -> None:
        side = self._tile_px
        width = max(side, self.scroller.viewport().width())
        columns = max(1, width // (side + self.grid.spacing()))
        for i, tile in enumerate(self.tiles):
            tile.setFixedSize(side, int(side * 1.05))
            tile.setIconSize(QSize(int(side * 0.55), int(side * 0.55)))
            self.grid.addWidget(tile, i // columns, i % columns)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        self.grid.setRowStretch(self.grid.rowCount(), 1)
        self.grid.setColumnStretch(columns, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._layout_tiles()
