"""The receipt of a kiosk sale (real services on SQLite, payment through the engine): the e-mail (text and
HTML, through a real SMTP peer) and the thermal print carry the same lines: items, subtotal, discount,
tip, total in fiat and BTC, rate, address, txid and time; merchant input is escaped in the HTML."""

from __future__ import annotations

from decimal import Decimal

from app.core.printers import PrinterKind
from app.core.statuses import InvoiceStatus
from tests.notifications.conftest import certs, make_store, pay, service_stack, smtp, wait_status  # noqa: F401
from tests.printing.conftest import GS_CUT, GS_QR

HOSTILE = '<img src=x onerror="alert(1)">'
TXID = "ab" * 32


async def _kiosk_sale(svc, **store_settings):
    store = await make_store(svc, "Corner <Café>", **store_settings)
    await svc.rates.set_manual_rate("USD", Decimal("50000"))
    items = [{"product_id": "prd_1", "name": "Espresso", "qty": 2, "quantity": 2, "price": "2.50",
              "unit_price": "2.50", "currency": "USD"},
             {"product_id": None, "name": HOSTILE, "qty": 1, "quantity": 1, "price": "18.20", "unit_price": "18.20",
              "currency": "USD"}]
    metadata = {"pos": {"source": "kiosk", "subtotal": "23.20", "discount": "1.16", "tip": "3.31"}}
    invoice = await svc.invoices.create(store.id, price="25.35", currency="USD", description="2 x Espresso, …",
                                        items=items, metadata=metadata)
    await pay(svc, invoice, confirm=True)
    return store, await wait_status(svc, invoice.id, InvoiceStatus.COMPLETE)


LINES = ("Subtotal", "23.20 USD", "Discount", "-1.16 USD", "Tip", "3.31 USD", "Total", "25.35 USD",
         "0.00050700 BTC", "50,000 USD/BTC", "5.00 USD", "18.20 USD", TXID)


async def test_emailed_receipt_has_every_line_escaped(tmp_path, smtp):  # noqa: F811
    inbox, port = await smtp.start()
    async with service_stack(tmp_path) as svc:
        store, invoice = await _kiosk_sale(svc)
        await svc.email.configure(store.id, {"host": "127.0.0.1", "port": port, "mode": "plain",
                                             "from_address": "shop@example.com", "receipt_on": "never"})
        assert await svc.pos.send_receipt(invoice.id, "buyer@example.com") == "buyer@example.com"
        await inbox.wait(1)
    [mail] = inbox.to("buyer@example.com")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    when = (invoice.paid_at or invoice.created_at).strftime("%Y-%m-%d %H:%M UTC")
    for part in (text, html):
        for line in (*LINES, invoice.address, when):
            assert line in part, (line, part)
    assert "Subtotal: 23.20 USD" in text and "Tip: 3.31 USD" in text and f"Transaction: {TXID}" in text
    assert "2 x Espresso  5.00 USD" in text and HOSTILE in text  # text is text
    assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "Corner &lt;Café&gt;" in html and "<Café>" not in html
    assert "white-space: nowrap\">-1.16 USD" in html  # amounts never wrap in the mail either


async def test_printed_receipt_of_the_same_sale(tmp_path):
    device = tmp_path / "lp0"
    async with service_stack(tmp_path) as svc:
        store, invoice = await _kiosk_sale(svc)
        await svc.email.configure(store.id, {"host": "127.0.0.1", "from_address": "shop@example.com",
                                             "public_url": "https://shop.example"})  # links use the public URL
        config = await svc.printer.configure({"kind": "file", "device": str(device), "columns": 32})
        assert config.kind == PrinterKind.FILE
        await svc.printer.print_receipt(invoice.id)
    data = device.read_bytes()
    for line in (*LINES[:-1], "Corner <Caf", f"Invoice {invoice.id}"):
        assert line.encode() in data, line
    assert TXID[:32].encode() in data and TXID[32:].encode() in data  # 32 columns: the txid in two whole lines
    assert GS_QR in data and f"https://shop.example/i/{invoice.id}".encode() in data  # the invoice link as QR
    assert GS_CUT in data[-8:]
