"""The app icon: resources/redwaves.svg when the source tree is there, else drawn in code."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def _drawn_icon() -> QIcon:
    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor(0, 0, 0, 0))
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#C62F3A"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(2, 2, 60, 60, 14, 14)
    pen = QPen(QColor("white"), 5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    for y in (26, 38, 50):
        path = QPainterPath(QPointF(10, y))
        for x in (10, 24, 38):
            path.quadTo(QPointF(x + 3.5, y - 8), QPointF(x + 7, y - 4))
            path.quadTo(QPointF(x + 10.5, y), QPointF(x + 14, y))
        p.drawPath(path)
    p.end()
    return QIcon(pixmap)


def app_icon() -> QIcon:
    svg = RESOURCES / "redwaves.svg"
    if svg.exists():
        icon = QIcon(str(svg))
        if not icon.isNull() and not icon.pixmap(32, 32).isNull():
            return icon
    return _drawn_icon()
