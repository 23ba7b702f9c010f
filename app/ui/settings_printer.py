"""Settings → Printer: the receipt printer, its paper, and printing by itself when a kiosk sale is paid.

- **Printer**: none; the system printer (Qt; a PDF under receipts/ when the computer has none); or an
  ESC/POS thermal printer (python-escpos, through ``services.printer``): USB (vendor and product id,
  as ``lsusb`` shows them), network (host and port, 9100 on most) or a device path (/dev/usb/lp0, a
  serial port). Only the fields of the chosen kind show.
- **Paper**: 58 mm (32 characters a line) or 80 mm (48, or 42 on older printers).
- **Print the receipt when a kiosk sale is paid** (``auto_print``), used by the kiosk's paid screen.
- **Save** stores it (``PrinterService.configure``, app_settings); **Print test page** prints a sample
  receipt with the values in the form, saved or not. A bad value shows beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import UserFacingError
from app.core.printers import DEFAULT_PORT, PrinterConfig, PrinterKind
from app.core.receipts import sample_receipt
from app.ui.field_errors import FieldErrors
from app.ui.kiosk.receipt import ReceiptPrinter
from app.ui.tasks import Runner
from app.ui.widget_names import named

if TYPE_CHECKING:
    from app.ui.ports import PrinterControl

KINDS = ((PrinterKind.NONE, "No printed receipts"),
         (PrinterKind.SYSTEM, "System printer (a PDF when there is none)"),
         (PrinterKind.USB, "Thermal printer on USB (ESC/POS)"),
         (PrinterKind.NETWORK, "Thermal printer on the network (ESC/POS)"),
         (PrinterKind.FILE, "Thermal printer at a device path (ESC/POS)"))
PAPERS = ((32, "58 mm — 32 characters a line"), (48, "80 mm — 48 characters a line"),
          (42, "80 mm — 42 characters a line (older printers)"))
HINTS = {
    PrinterKind.NONE: "The kiosk's paid screen shows no Print receipt button.",
    PrinterKind.SYSTEM: "Receipts go to this computer's default printer; without one they are saved as PDF "
                        "files in the receipts folder of the data directory.",
    PrinterKind.USB: "The ids are the two 4-digit hexadecimal numbers lsusb shows for the printer "
                     "(ID 04b8:0e15 → vendor 04b8, product 0e15). Linux needs a udev rule for access.",
    PrinterKind.NETWORK: "The printer's IP address (print its self-test page to see it) and its raw port.",
    PrinterKind.FILE: "A printer device such as /dev/usb/lp0, or a serial port set up with stty; your user "
                      "needs write access (the lp or dialout group).",
}


def _hint() -> QLabel:
    label = named(QLabel(wordWrap=True), "printerHint")
    label.setProperty("role", "muted")
    return label


class PrinterPage(QWidget):
    def __init__(self, printer: PrinterControl, run: Runner, pdf_dir: Path, parent: QWidget | None = None, *,
                 use_system_printer: bool = True, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(parent)
        self.setObjectName("printerSettings")
        self._printer, self._run, self._clock = printer, run, clock
        self.system_printer = ReceiptPrinter(pdf_dir, use_system_printer=use_system_printer)
        self.errors = FieldErrors()
        self.kind = named(QComboBox(), "printerKind")
        for kind, caption in KINDS:
            self.kind.addItem(caption, kind.value)
        self.kind.currentIndexChanged.connect(self._on_kind_current_index_changed)
        self.usb_vendor, self.usb_product = named(QLineEdit(), "usbVendor"), named(QLineEdit(), "usbProduct")
        for field in (self.usb_vendor, self.usb_product):
            field.setMaxLength(6)
        self.host, self.port = named(QLineEdit(), "printerHost"), named(QLineEdit(str(DEFAULT_PORT)), "printerPort")
        self.device = named(QLineEdit(), "printerDevice")
        self.paper = named(QComboBox(), "printerPaper")
        for columns, caption in PAPERS:
            self.paper.addItem(caption, columns)
        self.auto_print = named(QCheckBox("Print the receipt when a kiosk sale is paid"), "autoPrint")
        self.hint = _hint()
        self.save_button = named(QPushButton("Save"), "savePrinter")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.test_button = named(QPushButton("Print test page"), "printTestPage")
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.status = named(QLabel(wordWrap=True), "printerStatus")
        self.status.setProperty("role", "ok")
        self._build()
        self.show_config(PrinterConfig())  # the defaults until reload() reads the saved choice
        self._on_kind_current_index_changed()

    def _build(self) -> None:
        box = named(QGroupBox("Receipt printer"), "printerBox")
        form = self.form = QFormLayout()
        self.rows: dict[str, QWidget] = {}
        for field, caption, widget in (("kind", "Printer", self.kind), ("usb_vendor", "USB vendor id", self.usb_vendor),
                                       ("usb_product", "USB product id", self.usb_product),
                                       ("host", "Host", self.host), ("port", "Port", self.port),
                                       ("device", "Device path", self.device), ("columns", "Paper", self.paper)):
            self.rows[field] = self.errors.row(field, widget)
            form.addRow(caption, self.rows[field])
        form.addRow("", self.auto_print)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        inner = QVBoxLayout(box)
        inner.addWidget(self.hint)
        inner.addLayout(form)
        inner.addWidget(self.errors.general)
        inner.addLayout(buttons)
        inner.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)

    # -- showing ---------------------------------------------------------------------------------

    @property
    def current_kind(self) -> PrinterKind:
        return PrinterKind(self.kind.currentData())

    def _on_kind_current_index_changed(self, _index: int = 0) -> None:
        kind = self.current_kind
        shown = {"usb_vendor": kind == PrinterKind.USB, "usb_product": kind == PrinterKind.USB,
                 "host": kind == PrinterKind.NETWORK, "port": kind == PrinterKind.NETWORK,
                 "device": kind == PrinterKind.FILE, "columns": kind != PrinterKind.NONE}
        for field, visible in shown.items():
            self.form.setRowVisible(self.rows[field], visible)
        self.auto_print.setVisible(kind != PrinterKind.NONE)
        self.test_button.setVisible(kind != PrinterKind.NONE)
        self.hint.setText(HINTS[kind])
        self.errors.clear()

    def reload(self) -> None:
        self._run(self._printer.config(), self.show_config, name="printer-config", parent=self)

    def show_config(self, config: PrinterConfig) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(config.kind.value)))
        self.usb_vendor.setText(f"{config.usb_vendor:04x}" if config.usb_vendor else "")
        self.usb_product.setText(f"{config.usb_product:04x}" if config.usb_product else "")
        self.host.setText(config.host)
        self.port.setText(str(config.port))
        self.device.setText(config.device)
        self.paper.setCurrentIndex(max(0, self.paper.findData(config.columns)))
        self.auto_print.setChecked(config.auto_print)

    def values(self) -> dict[str, object]:
        return {"kind": self.current_kind.value, "usb_vendor": self.usb_vendor.text().strip(),
                "usb_product": self.usb_product.text().strip(), "host": self.host.text().strip(),
                "port": self.port.text().strip(), "device": self.device.text().strip(),
                "columns": self.paper.currentData(), "auto_print": self.auto_print.isChecked()}

    # -- actions ---------------------------------------------------------------------------------

    def _start(self) -> None:
        self.errors.clear()
        self.status.setText("")

    def _on_save_button_clicked(self) -> None:
        self._start()
        self._run(self._printer.configure(self.values()), self._on_saved, name="printer-save", parent=self,
                  on_user_error=self.errors.show)

    def _on_saved(self, config: PrinterConfig) -> None:
        self.show_config(config)
        self.status.setText(f"Saved: {config.describe()}, {config.paper_mm} mm paper"
                            + (", prints each paid kiosk sale." if config.auto_print else "."))

    def _on_test_button_clicked(self) -> None:
        self._start()
        if self.current_kind == PrinterKind.SYSTEM:
            self._print_system_test_page()
            return
        self.test_button.setEnabled(False)
        self._run(self._printer.print_test_page(self.values()), self._on_test_printed, name="printer-test",
                  parent=self, on_user_error=self._on_test_failed)

    def _print_system_test_page(self) -> None:
        columns = int(self.paper.currentData())
        try:
            pdf = self.system_printer.print_receipt(sample_receipt(self._clock()), columns=columns)
        except OSError as exc:
            self.errors.set("kind", f"Could not print the test page: {exc}")
            return
        self.status.setText(f"Test page saved as {pdf}" if pdf else "Test page sent to the system printer.")

    def _on_test_printed(self, config: PrinterConfig) -> None:
        self.test_button.setEnabled(True)
        self.status.setText(f"Test page sent to the {config.describe()}.")

    def _on_test_failed(self, error: UserFacingError) -> None:
        self.test_button.setEnabled(True)
        self.errors.show(error)
