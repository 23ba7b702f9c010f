"""Printed receipts on the system printer or as a PDF: a ``Receipt`` laid out for a 58 or 80 mm roll.

The rows come from ``app.core.receipts.layout`` (at most ``columns`` characters each: 32 on 58 mm,
42 or 48 on 80 mm) and are drawn one by one in DejaVu Sans Mono, sized so that a full row fits the
printable width: nothing wraps, so an amount is never broken. The page is as long as the content
(rows, then the invoice link's QR code), so a sale is one page. The system's default printer is
used when there is one and ``use_system_printer`` is on; otherwise the receipt is written as
``receipt-<invoice>.pdf`` under ``pdf_dir``. ESC/POS thermal printers are printed by the printer
service (app/services/admin/printing.py), not here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
)
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from app.core.printers import PAPER_COLUMNS
from app.core.receipts import Row, layout
from app.ui.qr import qr_image

if TYPE_CHECKING:
    from app.core.receipts import Receipt

logger = logging.getLogger(__name__)

MARGIN_MM = 3.0
QR_MM = {58: 32.0, 80: 40.0}
FONT_FAMILY = "DejaVu Sans Mono"
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class RollPage:
    """One receipt's page: paper width, the font size that fits ``columns``, the page's height."""

    columns: int
    paper_mm: float
    font_pt: float
    line_mm: float
    height_mm: float
    qr_mm: float
    rows: tuple[Row, ...]


def _font(pt: float, *, bold: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    font.setPointSizeF(pt)
    font.setBold(bold)
    font.setKerning(False)
    return font


def fit_font_pt(device: QPaintDevice, columns: int, width_mm: float) -> float:
    """The largest size (0.1 pt steps) at which ``columns`` bold characters fit ``width_mm`` on ``device``."""
    width_px = width_mm * device.logicalDpiX() / 25.4
    pt = round(width_mm / (columns * 0.6) * PT_PER_MM, 1) + 0.5  # monospace advance ~0.6 em: a first guess
    while pt > 4 and QFontMetricsF(_font(pt, bold=True), device).horizontalAdvance("M" * columns) > width_px:
        pt = round(pt - 0.1, 1)
    return pt


def roll_page(device: QPaintDevice, receipt: Receipt, columns: int) -> RollPage:
    """Measure the receipt on ``device``: the page is as high as its rows and QR code."""
    paper_mm = float(PAPER_COLUMNS.get(columns, (80, columns))[0])
    rows = tuple(layout(receipt, columns))
    pt = fit_font_pt(device, columns, paper_mm - 2 * MARGIN_MM)
    line_mm = QFontMetricsF(_font(pt), device).lineSpacing() * 25.4 / device.logicalDpiY()
    qr_mm = QR_MM.get(int(paper_mm), 36.0) if receipt.link else 0.0
    height_mm = 2 * MARGIN_MM + len(rows) * line_mm + (qr_mm + line_mm if qr_mm else 0.0)
    return RollPage(columns=columns, paper_mm=paper_mm, font_pt=pt, line_mm=line_mm,
                    height_mm=round(height_mm + 0.5, 1), qr_mm=qr_mm, rows=rows)


def paint_receipt(device: QPagedPaintDevice, receipt: Receipt, columns: int) -> RollPage:
    """Give ``device`` a page that fits the receipt and draw it: one page, one row per line."""
    page = roll_page(device, receipt, columns)
    size = QPageSize(QSizeF(page.paper_mm, page.height_mm), QPageSize.Unit.Millimeter,
                     f"Receipt roll {int(page.paper_mm)} mm", QPageSize.SizeMatchPolicy.ExactMatch)
    device.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                                     QPageLayout.Unit.Millimeter))
    px_x, px_y = device.logicalDpiX() / 25.4, device.logicalDpiY() / 25.4
    fonts = {False: _font(page.font_pt), True: _font(page.font_pt, bold=True)}
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("could not open the receipt page")
    try:
        ascent = QFontMetricsF(fonts[False], device).ascent()
        y = MARGIN_MM * px_y
        for row in page.rows:
            painter.setFont(fonts[row.bold])
            painter.drawText(QPointF(MARGIN_MM * px_x, y + ascent), row.text)
            y += page.line_mm * px_y
        if page.qr_mm and receipt.link:
            side = page.qr_mm * px_x
            left = (page.paper_mm * px_x - side) / 2
            painter.drawImage(QRectF(left, y + page.line_mm * px_y / 2, side, side), qr_image(receipt.link, 512))
    finally:
        painter.end()
    return page


class ReceiptPrinter:
    """The system printer (when there is one) or a PDF per receipt, for a roll of ``columns`` characters."""

    def __init__(self, pdf_dir: Path, *, use_system_printer: bool = True, columns: int = 48) -> None:
        self.pdf_dir = pdf_dir
        self.use_system_printer = use_system_printer
        self.columns = columns

    def has_printer(self) -> bool:
        return self.use_system_printer and not QPrinterInfo.defaultPrinter().isNull()

    def print_receipt(self, receipt: Receipt, *, columns: int | None = None) -> Path | None:
        """Print; returns the PDF's path when the receipt went to a file instead of a printer."""
        columns = columns or self.columns
        if self.has_printer():
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(f"Receipt {receipt.invoice_id}")
            paint_receipt(printer, receipt, columns)
            logger.info("receipt for %s sent to the printer", receipt.invoice_id)
            return None
        self.pdf_dir.mkdir(parents=True, exist_ok=True)
        pdf = self.pdf_dir / f"receipt-{receipt.invoice_id}.pdf"
        write_pdf(receipt, columns, pdf)
        logger.info("receipt for %s saved to %s", receipt.invoice_id, pdf)
        return pdf


def write_pdf(receipt: Receipt, columns: int, path: Path) -> RollPage:
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle(f"Receipt {receipt.invoice_id}")
    writer.setCreator("RedWaves")
    page = paint_receipt(writer, receipt, columns)
    del writer  # the file is complete once the writer is gone
    return page
