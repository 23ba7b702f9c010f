"""The receipt of a paid invoice in the owner's window: the text the kiosk prints, with Print / Save PDF.

The receipt comes from ``PosService.receipt`` (its layout is app.core.receipts); printing goes through
the kiosk's ``ReceiptPrinter`` (the system's default printer, or a PDF under ``receipts/`` when there
is none).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.services.admin.pos import Receipt


class ReceiptDialog(QDialog):
    def __init__(self, receipt: Receipt, pdf_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiptDialog")
        self.setWindowTitle(f"Receipt {receipt.invoice_id}")
        self.receipt = receipt
        self.pdf_dir = pdf_dir
        self.text = named(QPlainTextEdit(readOnly=True), "receiptText")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(receipt.text())
        self.result_label = named(QLabel(wordWrap=True), "receiptResult")
        self.result_label.setProperty("role", "muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.print_button = named(buttons.addButton("Print / save PDF", QDialogButtonBox.ButtonRole.ActionRole),
                                  "printReceipt")
        self.print_button.setToolTip("The default printer when there is one, otherwise a PDF in "
                                     f"{pdf_dir}")
        self.print_button.clicked.connect(self._on_print_button_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.result_label)
        layout.addWidget(buttons)
        width = self.text.fontMetrics().horizontalAdvance("M" * 52)
        self.resize(width + 48, 440)

    def _on_print_button_clicked(self) -> None:
        # imported here: the kiosk's printing module (and Qt's print support) loads only when used
        from app.ui.kiosk.receipt import ReceiptPrinter

        pdf = ReceiptPrinter(self.pdf_dir).print_receipt(self.receipt)
        self.result_label.setText(f"Saved as {pdf}" if pdf else "Sent to the printer.")
