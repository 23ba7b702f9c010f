"""ESC/POS bytes through python-escpos: Dummy and File printers, a real network printer on 127.0.0.1,
and the printer settings stored in app_settings (real SQLite)."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from escpos.printer import Dummy

from app.core.errors import ValidationError
from app.core.printers import PrinterConfig, PrinterKind
from app.core.receipts import layout
from app.printing.escpos_device import PrinterUnavailable, open_printer, print_receipt, write_receipt
from app.services.admin.printing import MemorySettingStorage, NotAThermalPrinter, PrinterService
from tests.printing.conftest import AMOUNTS, BOLD_ON, GS_CUT, GS_QR, sale_receipt


class OneReceipt:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def receipt(self, invoice_id: str):  # noqa: ANN201 - ReceiptSource
        self.asked.append(invoice_id)
        return sale_receipt(invoice_id=invoice_id)


def _qr_payload(data: bytes, link: str) -> bytes:
    """The GS ( k 'store data' command (fn 80) carrying ``link``: pL pH cn=1 fn=P m=0 data."""
    n = len(link) + 3
    return GS_QR + bytes([n & 0xFF, n >> 8]) + b"1P0" + link.encode()


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_dummy_printer_gets_every_row_bold_total_qr_and_cut(columns):
    receipt = sale_receipt()
    printer = Dummy()
    write_receipt(printer, receipt, columns)
    data = printer.output
    for row in layout(receipt, columns):
        assert row.text.strip().encode() in data, row.text  # every line, whole (ASCII receipt)
    lines = data.split(b"\n")
    for amount in AMOUNTS:
        assert any(amount.encode() in line for line in lines), amount  # never split across lines
    total_at = data.index(b"Total")
    assert data.rfind(BOLD_ON, 0, total_at) > data.rfind(b"Rate", 0, total_at) - 200  # bold switched on for Total
    assert _qr_payload(data, receipt.link or "") in data  # native QR (GS ( k), the invoice link
    assert data.index(GS_QR) > data.index(b"Thank you")  # QR after the text
    assert data.rstrip(b"\x00").endswith(GS_CUT) or GS_CUT in data[-8:]  # then the cut, last


def test_receipt_without_link_has_no_qr():
    printer = Dummy()
    write_receipt(printer, sale_receipt(link=None), 32)
    assert GS_QR not in printer.output and GS_CUT in printer.output


async def test_file_printer_test_page_and_receipt(tmp_path):
    device = tmp_path / "lp0"
    service = PrinterService(MemorySettingStorage(), OneReceipt())
    saved = await service.configure({"kind": "file", "device": str(device), "columns": "32"})
    assert saved == PrinterConfig(kind=PrinterKind.FILE, device=str(device), columns=32)
    await service.print_test_page()
    page = device.read_bytes()
    assert b"RedWaves test page" in page and b"Test page: the printer works." in page
    assert GS_QR in page and GS_CUT in page
    await service.print_receipt("inv_42")
    receipt = device.read_bytes()  # the File printer opens the device for writing: one job per file
    assert b"inv_42" in receipt and b"1,388.70 USD" in receipt and GS_CUT in receipt


async def test_network_printer_on_localhost_receives_the_receipt(tcp_printer):
    source = OneReceipt()
    service = PrinterService(MemorySettingStorage(), source)
    await service.configure({"kind": "network", "host": "127.0.0.1", "port": str(tcp_printer.port),
                             "columns": 48, "auto_print": True})
    await service.print_receipt("inv_net")
    data = await tcp_printer.wait(1)
    assert source.asked == ["inv_net"]
    assert b"Invoice inv_net" in data and b"1,388.70 USD" in data and b"0.02314500 BTC" in data
    assert ("ab" * 24).encode() in data  # txid, in whole-line chunks
    assert GS_QR in data and data.index(GS_CUT) > data.index(GS_QR)
    await service.print_test_page()  # a second connection, a second job
    assert b"RedWaves test page" in await tcp_printer.wait(2)


async def test_unreachable_printer_is_a_clear_error_beside_the_host():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = PrinterService(MemorySettingStorage(), OneReceipt())
    with pytest.raises(PrinterUnavailable) as caught:
        await service.print_test_page({"kind": "network", "host": "127.0.0.1", "port": port})
    assert caught.value.field == "host" and f"127.0.0.1:{port}" in caught.value.message
    with pytest.raises(PrinterUnavailable) as missing:
        print_receipt(PrinterConfig(kind=PrinterKind.FILE, device="/nonexistent/dir/lp0"), sale_receipt())
    assert missing.value.field == "device"


def test_usb_printer_is_built_from_vendor_and_product_ids():
    printer = open_printer(PrinterConfig(kind=PrinterKind.USB, usb_vendor=0x04B8, usb_product=0x0202))
    assert printer.usb_args == {"idVendor": 0x04B8, "idProduct": 0x0202}


@pytest.mark.parametrize(("values", "field"), [
    ({"kind": "fax"}, "kind"),
    ({"kind": "network", "host": "not a host!"}, "host"),
    ({"kind": "network", "host": "10.0.0.9", "port": "99999"}, "port"),
    ({"kind": "usb", "usb_vendor": "zz", "usb_product": "0202"}, "usb_vendor"),
    ({"kind": "usb", "usb_vendor": "04b8", "usb_product": ""}, "usb_product"),
    ({"kind": "file", "device": " "}, "device"),
    ({"kind": "system", "columns": "40"}, "columns"),
])
async def test_bad_settings_name_their_field_and_save_nothing(values, field):
    storage = MemorySettingStorage()
    with pytest.raises(ValidationError) as caught:
        await PrinterService(storage, OneReceipt()).configure(values)
    assert caught.value.field == field
    assert storage.value is None


async def test_system_printer_is_the_default_and_not_printed_by_the_service():
    service = PrinterService(MemorySettingStorage(), OneReceipt())
    config = await service.config()
    assert config.kind == PrinterKind.SYSTEM and config.can_print and not config.escpos and config.paper_mm == 80
    with pytest.raises(NotAThermalPrinter):
        await service.print_receipt("inv_1")
    none = await service.configure({"kind": "none", "auto_print": True})
    assert not none.can_print and not none.auto_print


async def test_settings_persist_in_app_settings(tmp_path):
    from tests.notifications.conftest import service_stack

    async with service_stack(tmp_path) as svc:
        await svc.printer.configure({"kind": "usb", "usb_vendor": "0x04b8", "usb_product": "0e15", "columns": 42,
                                     "auto_print": True})
    async with service_stack(tmp_path) as svc:  # a restart reads it back from SQLite
        config = await svc.printer.config()
    assert (config.kind, config.usb_vendor, config.usb_product, config.columns, config.auto_print) == \
        (PrinterKind.USB, 0x04B8, 0x0E15, 42, True)
    assert config.paper_mm == 80 and config.describe() == "USB printer 04b8:0e15"


def test_amounts_fit_beside_their_labels_at_every_width():
    receipt = sale_receipt(total=Decimal("99999999999.00"), subtotal=Decimal("99999999999.00"))
    for columns in (32, 42, 48):
        rows = layout(receipt, columns)
        assert all(len(r.text) <= columns for r in rows)
        assert any(r.text.endswith("99,999,999,999.00 USD") and r.text.startswith("Total") for r in rows)
