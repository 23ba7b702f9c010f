"""QR codes for payment links, drawn straight from qrcode's module matrix (no Pillow needed)."""

from __future__ import annotations

import qrcode
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def qr_matrix(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    # BIP21 URIs scan more reliably with upper-case bech32 (alphanumeric mode); keep the query as is.
    code.add_data(text)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()  # qrcode has no type hints
    return matrix


def qr_image(text: str, size_px: int = 256) -> QImage:
    """A square, black-on-white QR image of at least ``size_px`` pixels (whole pixels per module)."""
    matrix = qr_matrix(text)
    modules = len(matrix)
    scale = max(1, size_px // modules)
    side = modules * scale
    image = QImage(side, side, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.drawRect(QRectF(x * scale, y * scale, scale, scale))
    painter.end()
    return image


def qr_svg(text: str, module_px: int = 8) -> str:
    matrix = qr_matrix(text)
    side = len(matrix) * module_px
    rects = "".join(
        f'<rect x="{x * module_px}" y="{y * module_px}" width="{module_px}" height="{module_px}"/>'
        for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" viewBox="0 0 {side} {side}">'
            f'<rect width="100%" height="100%" fill="#fff"/><g fill="#000">{rects}</g></svg>')


class QrLabel(QLabel):
    """Shows a QR code for ``text``; scales with the widget, always crisp (re-rendered on resize).

    ``size_px`` is the size it asks for; with ``grow`` it takes what the layout gives (down to
    ``min_px``), otherwise it keeps ``size_px``. The pixmap never exceeds the label, so no resize loop.
    """

    def __init__(self, size_px: int = 220, parent: QWidget | None = None, *, grow: bool = False,
                 min_px: int = 160) -> None:
        super().__init__(parent)
        self._text = ""
        self._size_px = size_px
        self._min_px = min(min_px, size_px) if grow else size_px
        self.setMinimumSize(self._min_px, self._min_px)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        policy = QSizePolicy.Policy.Expanding if grow else QSizePolicy.Policy.Preferred
        self.setSizePolicy(policy, policy)

    @property
    def text_value(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:  # noqa: N802  (Qt override)
        return QSize(self._size_px, self._size_px)

    def minimumSizeHint(self) -> QSize:  # noqa: N802  (Qt override)
        return QSize(self._min_px, self._min_px)

    def set_payload(self, text: str) -> None:
        self._text = text
        self.setToolTip(text)
        self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802  (Qt override)
        super().resizeEvent(event)
        self._render()

    def _render(self) -> None:
        if not self._text:
            self.clear()
            return
        side = max(self._min_px, min(self.width(), self.height()))
        self.setPixmap(QPixmap.fromImage(qr_image(self._text, side)))
