"""Printed receipts: a ``Receipt`` (app.services.admin.pos) laid out for an 80 mm roll, sent to QPrinter.

The system's default printer is used when there is one; otherwise (and in tests) the receipt is
written as a PDF under ``pdf_dir`` and the kiosk says where. Text is escaped: product and store names
are merchant input.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

if TYPE_CHECKING:
    from app.services.admin.pos import Receipt, ReceiptLine

logger = logging.getLogger(__name__)

ROLL_MM = QSizeF(80, 160)


def receipt_html(receipt: Receipt) -> str:
    def rows(lines: Iterable[ReceiptLine], bold_last: bool = False) -> str:
        out = []
        for line in lines:
            weight = " style='font-weight:bold'" if bold_last and line.label == "Total" else ""
            out.append(f"<tr{weight}><td>{html.escape(line.label)}</td>"
                       f"<td align='right'>{html.escape(line.value)}</td></tr>")
        return "".join(out)

    when = receipt.when.strftime("%Y-%m-%d %H:%M UTC")
    hr = "<tr><td colspan='2'><hr/></td></tr>"
    return (
        "<html><body style='font-family: DejaVu Sans, sans-serif; font-size: 9pt'>"
        f"<h3 align='center'>{html.escape(receipt.store_name)}</h3>"
        f"<p align='center'>Invoice {html.escape(receipt.invoice_id)}<br/>{when}</p>"
        "<table width='100%' cellspacing='0' cellpadding='1'>"
        f"{rows(receipt.items)}{hr}{rows(receipt.totals, bold_last=True)}{hr}{rows(receipt.payment)}</table>"
        f"<p align='center'>{html.escape(receipt.footer)}</p></body></html>"
    )


class ReceiptPrinter:
    def __init__(self, pdf_dir: Path, *, use_system_printer: bool = True) -> None:
        self.pdf_dir = pdf_dir
        self.use_system_printer = use_system_printer

    def has_printer(self) -> bool:
        return self.use_system_printer and not QPrinterInfo.defaultPrinter().isNull()

    def print_receipt(self, receipt: Receipt) -> Path | None:
        """Print; returns the PDF path when the receipt went to a file instead of a printer."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        pdf: Path | None = None
        if not self.has_printer():
            self.pdf_dir.mkdir(parents=True, exist_ok=True)
            pdf = self.pdf_dir / f"receipt-{receipt.invoice_id}.pdf"
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(pdf))
        printer.setDocName(f"Receipt {receipt.invoice_id}")
        printer.setPageSize(QPageSize(ROLL_MM, QPageSize.Unit.Millimeter, "Receipt roll 80 mm"))
        printer.setPageMargins(QMarginsF(4, 4, 4, 4), QPageLayout.Unit.Millimeter)
        doc = QTextDocument()
        doc.setHtml(receipt_html(receipt))
        doc.print_(printer)
        logger.info("receipt for %s %s", receipt.invoice_id, f"saved to {pdf}" if pdf else "sent to the printer")
        return pdf
