"""The receipt's e-mail form (a real SMTP peer, aiosmtpd) and "Print on the shop's printer" (a raw-TCP
ESC/POS printer on 127.0.0.1)."""

from __future__ import annotations

from tests.notifications.conftest import certs, smtp  # noqa: F401 - fixtures: a real SMTP peer (aiosmtpd)
from tests.printing.conftest import GS_CUT, tcp_printer  # noqa: F401 - the fixture: a raw-TCP printer
from tests.terminal.conftest import CASHIER_PIN, log_in, pair


async def _paid_sale(client, till, services) -> str:
    await pair(client, till.code)
    await log_in(client, till.cashier, CASHIER_PIN)
    response = await client.post("/t/charge", data={"cart": f"p:{till.shop.products[0].id}:2", "tip": "15"},
                                 allow_redirects=False)
    invoice_id = response.headers["Location"].rsplit("/", 1)[1]
    await services.invoices.mark(invoice_id, "complete")
    return invoice_id


async def test_email_the_receipt(client, till, services, smtp):  # noqa: F811
    box, port = await smtp.start()
    await services.email.configure(till.shop.store.id, {"host": "127.0.0.1", "port": port, "mode": "plain",
                                                        "from_address": "shop@example.com"})
    invoice_id = await _paid_sale(client, till, services)
    page = await (await client.get(f"/t/receipt/{invoice_id}")).text()
    assert f'action="/t/receipt/{invoice_id}/email"' in page
    wrong = await client.post(f"/t/receipt/{invoice_id}/email", data={"email": "not an address"})
    assert wrong.status == 422 and 'id="email-error"' in await wrong.text()
    sent = await client.post(f"/t/receipt/{invoice_id}/email", data={"email": "buyer@example.com"},
                             allow_redirects=False)
    assert sent.status == 303 and sent.headers["Location"] == f"/t/receipt/{invoice_id}?emailed=1"
    assert "The receipt was sent." in await (await client.get(sent.headers["Location"])).text()
    assert len(box.messages) == 1 and box.messages[0]["To"] == "buyer@example.com"
    assert invoice_id in box.messages[0].get_body(("plain",)).get_content()


async def test_print_on_the_shops_printer(client, till, services, tcp_printer):  # noqa: F811
    await services.printer.configure({"kind": "network", "host": "127.0.0.1", "port": str(tcp_printer.port),
                                      "columns": 48})
    invoice_id = await _paid_sale(client, till, services)
    page = await (await client.get(f"/t/receipt/{invoice_id}")).text()
    assert "Print on the shop's printer" in page
    printed = await client.post(f"/t/receipt/{invoice_id}/print", data={"go": "1"}, allow_redirects=False)
    assert printed.status == 303
    data = await tcp_printer.wait(1)
    assert invoice_id.encode() in data and b"Tip" in data and b"0.75 USD" in data and GS_CUT in data
