"""Printed receipts: the 58/80 mm PDF is one page with every amount whole on one line; the kiosk prints
on the printer chosen in Settings → Printer (a real TCP 'printer' on 127.0.0.1), by itself once a sale
is settled when auto-print is on, and shows no Print button when no printer is chosen."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QFontMetricsF, QPdfWriter

from app.core.receipts import layout
from app.ui.kiosk.receipt import MARGIN_MM, _font, write_pdf
from tests.kiosk.conftest import open_test_kiosk, run, settle, wait_until
from tests.kiosk.geometry import ui_shot
from tests.printing.conftest import AMOUNTS, GS_CUT, sale_receipt, tcp_printer  # noqa: F401 - fixture

pytestmark = pytest.mark.gui
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "receipts"


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


@pytest.mark.parametrize("columns", [32, 48, 42])
def test_roll_pdf_is_one_page_and_never_breaks_an_amount(qapp, columns):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    receipt = sale_receipt()  # 5 items, discount, tip, rate, txid, QR
    pdf = ARTIFACTS / f"receipt-{columns}.pdf"
    page = write_pdf(receipt, columns, pdf)
    assert _pages(pdf) == 1
    assert page.paper_mm == (58 if columns == 32 else 80)
    rows = layout(receipt, columns)
    assert all(len(r.text) <= columns for r in rows)
    for amount in AMOUNTS:  # the text layout: each amount whole, on one row
        assert any(amount in r.text for r in rows), amount
    # each row, bold or not, fits the printable width at the chosen font size: the painter never wraps
    device = QPdfWriter(str(ARTIFACTS / "measure.pdf"))
    device.setResolution(300)
    width_px = (page.paper_mm - 2 * MARGIN_MM) * 300 / 25.4
    for bold in (False, True):
        metrics = QFontMetricsF(_font(page.font_pt, bold=bold), device)
        assert max(metrics.horizontalAdvance(r.text) for r in rows) <= width_px
    assert page.font_pt >= 7  # readable
    if shutil.which("pdftotext"):  # what a reader extracts from the PDF (poppler-utils, in the dev profile)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                              text=True).stdout
        lines = text.splitlines()
        for amount in AMOUNTS:
            assert any(amount in line for line in lines), (amount, text)
        assert "\f" not in text.rstrip("\f")  # one page
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "120", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                       check=True)


async def _to_settled_sale(env, window):
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    for tile in window.sale.products.tiles[:5]:
        tile.click()
    window.sale.cart_view.charge_button.click()
    await wait_until(lambda: window.current is window.charge, what="charge screen")
    invoices = env.services.invoices
    invoice = invoices.created
    invoices.pay(invoice.id, invoice.amount_due_sat)
    invoices.complete(invoice.id)
    window._refresh_invoice()
    await wait_until(lambda: window.paid.complete, what="paid")
    return invoice


def test_kiosk_auto_prints_on_the_network_printer_once_paid(kiosk_env, qloop, tcp_printer):  # noqa: F811
    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        await kiosk_env.services.printer.configure({"kind": "network", "host": "127.0.0.1",
                                                    "port": tcp_printer.port, "columns": 32, "auto_print": True})
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", (800, 480))
        invoice = await _to_settled_sale(kiosk_env, window)
        data = await tcp_printer.wait(1)
        await wait_until(lambda: window.paid.message.text() == "Receipt printed.", what="printed message")
        await settle()
        ui_shot(window, "kiosk-paid-printed")
        window.resize(1280, 800)
        await settle()
        ui_shot(window, "kiosk-paid-printed")
        shown = window.paid.print_button.isVisible()
        window._refresh_invoice()  # another snapshot of the settled sale: not printed twice
        await settle(0.3)
        window.paid.print_button.click()  # the shopper wants another copy
        second = await tcp_printer.wait(2)
        return invoice, data, second, shown, window

    invoice, data, second, shown, window = run(qloop, flow(), 60)
    assert shown
    assert f"Invoice {invoice.id}".encode() in data and b"Corner Caf" in data
    assert b"Espresso" in data and f"{invoice.price:,} USD".encode() in data
    assert data.rstrip(b"\x00").endswith(GS_CUT) or GS_CUT in data[-6:]  # cut last (the QR: tests/printing)
    assert len(tcp_printer.jobs) == 2 and second.startswith(data[:20])
    assert window.receipts.printed == {invoice.id}


def test_no_printer_means_no_print_button_and_a_bad_printer_is_said(kiosk_env, qloop):
    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        await kiosk_env.services.printer.configure({"kind": "none"})
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", (800, 480))
        await _to_settled_sale(kiosk_env, window)
        await settle()
        hidden = not window.paid.print_button.isVisible()
        window.receipts.config = await kiosk_env.services.printer.configure(
            {"kind": "file", "device": str(kiosk_env.tmp_path / "missing" / "lp0")})
        window.receipts.print(window.paid.invoice.id)
        await wait_until(lambda: "Could not print" in window.paid.message.text(), what="error shown")
        return hidden, window.paid.message.text()

    hidden, message = run(qloop, flow(), 60)
    assert hidden
    assert "printer at" in message and "No such file or directory" in message
