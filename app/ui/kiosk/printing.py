"""KioskPrinting: the kiosk's printed receipts, on the printer chosen in Settings → Printer.

- ``load()`` reads the saved choice (``services.printer.config()``) when the kiosk opens; the paid
  screen shows **Print receipt** only when a printer is chosen (``can_print``: any kind but "none").
- ``print(invoice_id)``: ESC/POS printers through ``services.printer.print_receipt`` (a worker thread
  in the service); the system printer / PDF through ``ReceiptPrinter`` with the chosen paper width.
- ``on_invoice(invoice)``: the window calls it with every snapshot the paid screen shows; once the
  sale is settled (``complete``, the store's speed policy met: the paid screen says "Paid") and
  auto-print is on, the receipt is printed, once per invoice.
Results and errors go to ``show(text, error)`` (the paid screen's message line).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserFacingError
from app.core.printers import PrinterConfig
from app.core.records import Invoice
from app.core.statuses import InvoiceStatus
from app.ui.kiosk.receipt import ReceiptPrinter
from app.ui.tasks import Runner

if TYPE_CHECKING:
    from app.core.receipts import Receipt
    from app.ui.ports import PrinterControl, ReceiptSource

logger = logging.getLogger(__name__)
Show = Callable[..., None]  # show(text, error=False)


class KioskPrinting:
    def __init__(self, run: Runner, printer: PrinterControl, receipts: ReceiptSource, system: ReceiptPrinter,
                 show: Show) -> None:
        self._run, self._printer, self._receipts, self._system, self._show = run, printer, receipts, system, show
        self.config = PrinterConfig()  # the system printer until the saved choice is loaded
        self.printed: set[str] = set()  # invoices auto-printed already
        self.last_pdf: Path | None = None

    def load(self) -> None:
        self._run(self._printer.config(), self._on_config, name="kiosk-printer",
                  on_user_error=lambda e: logger.warning("kiosk printer settings: %s", e.message))

    def _on_config(self, config: PrinterConfig) -> None:
        self.config = config
        logger.info("kiosk receipts: %s%s", config.describe(), ", auto-print" if config.auto_print else "")

    @property
    def can_print(self) -> bool:
        return self.config.can_print

    def on_invoice(self, invoice: Invoice | None) -> None:
        if invoice is None or invoice.status != InvoiceStatus.COMPLETE or invoice.id in self.printed:
            return
        if self.config.auto_print and self.config.can_print:
            self.printed.add(invoice.id)
            self.print(invoice.id)

    def print(self, invoice_id: str) -> None:
        if self.config.escpos:
            self._run(self._printer.print_receipt(invoice_id), lambda _c: self._show("Receipt printed."),
                      name="kiosk-print", on_user_error=self._failed)
            return
        self._run(self._receipts.receipt(invoice_id), self._print_system, name="kiosk-receipt",
                  on_user_error=self._failed)

    def _print_system(self, receipt: Receipt) -> None:
        try:
            pdf = self._system.print_receipt(receipt, columns=self.config.columns)
        except OSError as exc:
            self._show(f"Could not print the receipt: {exc}", error=True)
            return
        self.last_pdf = pdf
        self._show(f"Receipt saved as {pdf.name}." if pdf else "Receipt printed.")

    def _failed(self, error: UserFacingError) -> None:
        self._show(error.message, error=True)
