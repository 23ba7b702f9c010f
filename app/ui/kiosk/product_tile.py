"""ProductTile: one touch target in the product grid: a picture, the name (up to two lines, elided) and
the price.

The picture is the product's image when it has one, else its initial on a coloured square, so the grid
still reads at a glance. The labels inside are transparent to the mouse and finger: the whole tile is
the button. ``set_tile_size(w, h)`` is called by the grid on every reflow; the picture and the
elision follow the size.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from app.core.records import Product
from app.ui import formatting
from app.ui.widget_names import named

_TILE_COLOURS = ("#C62F3A", "#1565C0", "#2E7D32", "#6A1B9A", "#00838F", "#8A6D00", "#AD1457", "#4E342E")
_PAD = 6


def placeholder_pixmap(name: str, side: int = 128) -> QPixmap:
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
    return pix


def product_pixmap(product: Product, path: Path | None) -> QPixmap:
    if path is not None and Path(path).is_file():
        pix = QPixmap(str(path))
        if not pix.isNull():
            return pix
    return placeholder_pixmap(product.name)


def elide_two_lines(text: str, metrics: QFontMetrics, width: int) -> str:
    """``text`` in at most two lines of ``width`` px: whole words on the first, the rest elided."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    words = text.split()
    first = ""
    while words and metrics.horizontalAdvance(f"{first} {words[0]}".strip()) <= width:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one long word: cut it across the two lines
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
    return f"{first}\n{metrics.elidedText(' '.join(words), Qt.TextElideMode.ElideRight, width)}"


def _passive(widget: QLabel) -> QLabel:
    widget.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
    return widget


class ProductTile(QToolButton):
    def __init__(self, product: Product, currency: str, picture: QPixmap, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, f"product_{product.id}")
        self.product = product
        self.setProperty("role", "tile")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._picture = picture
        self._size = QSize(120, 130)
        price = self.price_text = formatting.fiat(product.price, currency)
        self.setAccessibleName(f"{product.name}, {price}")
        self.setToolTip(f"{product.name} — {price}")
        self.image = _passive(named(QLabel(), "tileImage"))
        self.name = _passive(named(QLabel(), "tileName"))
        self.name.setProperty("role", "tileName")
        self.price = _passive(named(QLabel(price), "tilePrice"))
        self.price.setProperty("role", "tilePrice")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(_PAD, _PAD, _PAD, _PAD)
        layout.setSpacing(2)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.name)
        layout.addWidget(self.price)

    def set_tile_size(self, width: int, height: int) -> None:
        for widget in (self, self.name, self.price):
            widget.ensurePolished()
        self._size = QSize(width, height)
        self.setFixedSize(self._size)  # a later re-polish may lower the minimum again: sizeHint holds it
        inner = width - 2 * _PAD
        name_fm, price_fm = QFontMetrics(self.name.font()), QFontMetrics(self.price.font())
        self.name.setText(elide_two_lines(self.product.name, name_fm, inner))
        self.name.setFixedHeight(name_fm.lineSpacing() * 2)
        self.price.setText(price_fm.elidedText(self.price_text, Qt.TextElideMode.ElideRight, inner))
        self.price.setFixedHeight(price_fm.lineSpacing())
        side = max(16, min(inner, height - 2 * _PAD - 4 - name_fm.lineSpacing() * 2 - price_fm.lineSpacing()))
        self.image.setFixedHeight(side)
        self.image.setPixmap(self._picture.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._size)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._size)

    @property
    def name_text(self) -> str:
        """What the tile shows as the name (maybe elided); tests read it."""
        return self.name.text()


__all__ = ["ProductTile", "elide_two_lines", "placeholder_pixmap", "product_pixmap"]
