"""Sales bar chart painted with QPainter (QtCharts is not part of PySide6-Essentials)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.ui.theme import ACCENT


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. "03-14"
    value: Decimal  # what the bar's height shows (fiat or BTC)
    caption: str  # tooltip / value text, already formatted


class SalesChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[Bar] = []
        self._title = ""
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(520, 220)

    @property
    def bars(self) -> list[Bar]:
        return list(self._bars)

    def set_bars(self, bars: Sequence[Bar], title: str = "") -> None:
        self._bars = list(bars)
        self._title = title
        self.update()

    def _plot_rect(self) -> QRect:
        fm = QFontMetrics(self.font())
        return self.rect().adjusted(12, fm.height() + 12, -12, -(fm.height() + 10))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text_color = pal.color(QPalette.ColorRole.WindowText)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        fm = QFontMetrics(self.font())
        painter.setPen(text_color)
        painter.drawText(QRect(12, 4, self.width() - 24, fm.height() + 4), Qt.AlignmentFlag.AlignLeft, self._title)
        plot = self._plot_rect()
        painter.setPen(muted)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if not self._bars:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No sales yet")
            painter.end()
            return
        top = max((b.value for b in self._bars), default=Decimal(0))
        n = len(self._bars)
        slot = plot.width() / n
        gap = max(1.0, slot * 0.2)
        every = max(1, int(fm.horizontalAdvance("00-00 ") / max(slot, 1)) + 1)
        bar_color = QColor(ACCENT)
        for i, bar in enumerate(self._bars):
            x = plot.left() + i * slot
            height = 0.0 if top <= 0 else float(bar.value / top) * (plot.height() - 4)
            if bar.value > 0:
                height = max(height, 2.0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bar_color)
            painter.drawRoundedRect(QRectF(x + gap / 2, plot.bottom() - height, slot - gap, height), 2, 2)
            if (i % every == 0 and n - 1 - i >= every) or i == n - 1:
                painter.setPen(muted)
                painter.drawText(QRectF(x - slot, plot.bottom() + 2, slot * 3, fm.height() + 4),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, bar.label)
        best = max(self._bars, key=lambda b: b.value)
        if best.value > 0:
            painter.setPen(text_color)
            painter.drawText(QRect(plot.left(), plot.top() - fm.height() - 2, plot.width(), fm.height()),
                             Qt.AlignmentFlag.AlignRight, f"best day: {best.caption}")
        painter.end()

    def bar_at(self, x: int) -> Bar | None:
        plot = self._plot_rect()
        if not self._bars or not plot.left() <= x <= plot.right():
            return None
        index = int((x - plot.left()) / (plot.width() / len(self._bars)))
        return self._bars[min(index, len(self._bars) - 1)]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        bar = self.bar_at(int(event.position().x()))
        self.setToolTip(f"{bar.label}: {bar.caption}" if bar else "")
