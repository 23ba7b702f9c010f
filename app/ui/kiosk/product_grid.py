"""ProductGrid: category chips across the top, product tiles (picture, name, price) below.

The tiles reflow to the space they get (``reflow``, on every resize of the scroll area):
- columns from the width: as many as fit at ``min_tile_px``, then the tiles widen to fill the row;
- rows from the height: a whole number of rows fills the visible height exactly (each at least
  ``min_tile_px`` tall, close to a 10:11 tile), so every tile of a screenful is fully visible and
  none is cut at the bottom;
- more products than a screenful scroll vertically: a visible scroll bar (page = one screenful), and
  dragging with a finger (``QScroller``). Never sideways: the tiles always fit the width.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.records import Product
from app.ui.kiosk.cart import touch_scroll
from app.ui.kiosk.product_tile import ProductTile, product_pixmap
from app.ui.kiosk.widgets import button
from app.ui.widget_names import named

ALL = "All"
MIN_TILE_PX = 120  # at 800x480; the sale screen raises it with the screen's scale
TILE_ASPECT = 1.1  # height / width the rows aim for


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
        self.tiles: list[ProductTile] = []
        self.min_tile_px = MIN_TILE_PX
        self.columns = self.rows_visible = 1
        self._pictures: dict[str, QPixmap] = {}
        self.chips_box = QWidget()
        self.chips = QHBoxLayout(self.chips_box)
        self.chips.setContentsMargins(0, 0, 0, 0)
        self.chip_group = QButtonGroup(self)
        chips_scroll = named(QScrollArea(widgetResizable=True), "categoryChips")
        chips_scroll.setFrameShape(QFrame.Shape.NoFrame)
        chips_scroll.setWidget(self.chips_box)
        chips_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        chips_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        chips_scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        touch_scroll(chips_scroll)  # many categories: drag the chips sideways (the tiles never are)
        self.chips_scroll = chips_scroll
        self.grid_box = named(QWidget(), "productTiles")
        self.grid = QGridLayout(self.grid_box)
        self.grid.setSpacing(8)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = named(QScrollArea(widgetResizable=True), "productScroll")
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.grid_box)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        touch_scroll(scroll)
        scroll.installEventFilter(self)
        self.scroller = scroll  # not `scroll`: that is QWidget.scroll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(chips_scroll)
        layout.addWidget(scroll, 1)

    # -- content ---------------------------------------------------------------------------------

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
            chip.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
            self.chip_group.addButton(chip)
            self.chips.addWidget(chip)
        self.show_category(ALL if self.category not in categories else self.category)

    def show_category(self, category: str) -> None:
        self.category = category
        for chip in self.chip_group.buttons():
            chip.setChecked(chip.text() == category)
        for tile in self.tiles:
            self.grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles = [self._tile(p) for p in self.products if category == ALL or p.category == category]
        self.scroller.verticalScrollBar().setValue(0)
        self.reflow()

    def set_min_tile_px(self, side: int, chip_px: int) -> None:
        self.min_tile_px = side
        self.chips_scroll.setFixedHeight(chip_px)
        self.reflow()

    def _tile(self, product: Product) -> ProductTile:
        tile = ProductTile(product, self.currency, self._picture(product), self.grid_box)  # styled as shown
        tile.clicked.connect(lambda _c=False, p=product: self.productChosen.emit(p))
        return tile

    def _picture(self, product: Product) -> QPixmap:
        key = f"{product.id}:{product.image}"
        if key not in self._pictures:
            path = self._image_path(product.image) if self._image_path and product.image else None
            self._pictures[key] = product_pixmap(product, path)
        return self._pictures[key]

    # -- layout ----------------------------------------------------------------------------------

    def _columns(self, width: int) -> int:
        gap = self.grid.spacing()
        return max(1, (width + gap) // (self.min_tile_px + gap))

    def reflow(self) -> None:
        """Columns from the width, whole rows from the height; vertical scroll bar only when needed."""
        gap, area = self.grid.spacing(), self.scroller
        width, height = area.width(), area.height()
        if width <= 0 or height <= 0:
            return
        bar = area.verticalScrollBar()
        bar.ensurePolished()
        columns = self._columns(width)
        tile_w = (width - (columns - 1) * gap) // columns
        rows_max = max(1, (height + gap) // (self.min_tile_px + gap))
        rows = min(rows_max, max(1, round((height + gap) / (tile_w * TILE_ASPECT + gap))))
        overflow = math.ceil(len(self.tiles) / columns) > rows
        if overflow:  # the bar takes its width from the tiles, never from the view
            width -= bar.sizeHint().width() + gap // 2
            columns = self._columns(width)
            tile_w = (width - (columns - 1) * gap) // columns
        area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn if overflow
                                        else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        tile_h = (height - (rows - 1) * gap) // rows
        self.columns, self.rows_visible = columns, rows
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        for i, tile in enumerate(self.tiles):
            tile.set_tile_size(tile_w, tile_h)
            self.grid.addWidget(tile, i // columns, i % columns)
        bar.setSingleStep(tile_h + gap)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.scroller and event.type() == QEvent.Type.Resize:
            self.reflow()
        return False


__all__ = ["ALL", "ProductGrid"]
