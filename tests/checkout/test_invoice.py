"""Invoice checkout page states (as rendered without JS), status JSON, websocket, receipt, devnet buttons."""

import asyncio
import re
from dataclasses import replace
from urllib.parse import unquote

from app.checkout_server.app import create_app
from app.checkout_server.shopper.i18n import Catalogs
from app.checkout_server.shopper.invoice_view import invoice_context
from app.core.statuses import InvoiceStatus
from tests.checkout.conftest import FakeDevnet, make_shop, pay_fake, wait_for, wait_status

HTML = {"Accept": "text/html"}


async def test_pending_page_has_everything_to_pay_without_js(client, shop):
    invoice = shop.invoice
    html = await (await client.get(f"/i/{invoice.id}")).text()
    assert "Corner Café" in html and "Order 42" in html
    assert "0.00020000\u00a0BTC" in html and "$10.00" in html
    assert f'src="/i/{invoice.id}/qr.svg?sat=20000"' in html
    uri = re.search(r'id="open-wallet" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert uri.startswith(f"bitcoin:{invoice.address}?amount=0.00020000")
    assert unquote(uri).endswith("label=Corner Café&message=Order 42")
    for field in ("f-amount", "f-address", "f-uri"):
        assert f'id="{field}"' in html and f'data-copy="{field}" hidden' in html  # copy buttons need JS
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in html
    assert 'id="countdown">in 15 minutes' in html or 'id="countdown">in 14 minutes' in html
    assert 'aria-live="polite"' in html and "Waiting for payment" in html
    assert "Pay with devnet" not in html  # no devnet here


async def test_partial_payment_shows_remaining(client, services, shop):
    pay_fake(services, shop.invoice, 5000)
    await wait_for(lambda: _paid(services, shop.invoice.id, 5000))
    await wait_for(lambda: _page_has(client, f"/i/{shop.invoice.id}", "Partial payment received"))
    html = await (await client.get(f"/i/{shop.invoice.id}")).text()
    assert "Still to pay:" in html and "0.00015000\u00a0BTC" in html
    assert 'id="partial" hidden' not in html
    assert 'value="0.00015000"' in html and "amount=0.00015000" in html
    status = await (await client.get(f"/i/{shop.invoice.id}/status")).json()
    assert status["remainingSat"] == 15000 and status["partial"] and status["payable"]
    qr = await client.get(f"/i/{shop.invoice.id}/qr.svg?sat=15000")
    assert qr.content_type == "image/svg+xml" and b"<svg" in await qr.read()


async def _paid(services, invoice_id, sat):
    return (await services.invoices.get(invoice_id)).amount_paid_sat == sat


async def _page_has(client, path, text):
    return text in await (await client.get(path)).text()


async def test_paid_page_hides_payment_and_redirects_to_merchant(client, services):
    shop = await make_shop(services, redirect_url="https://merchant.example/thanks?order=42")
    pay_fake(services, shop.invoice, shop.invoice.amount_due_sat)
    await wait_status(services, shop.invoice.id, "paid")
    await wait_for(lambda: _page_has(client, f"/i/{shop.invoice.id}", "Payment received"))
    html = await (await client.get(f"/i/{shop.invoice.id}")).text()
    assert 'id="pay" aria-label="Payment details" hidden' in html
    assert ('<noscript><meta http-equiv="refresh" content="5;url=https://merchant.example/thanks?order=42">'
            in html.replace("&amp;", "&"))
    assert 'href="https://merchant.example/thanks?order=42"' in html
    modal = await (await client.get(f"/i/{shop.invoice.id}?view=modal")).text()
    assert "url=https://merchant.example" not in modal  # the modal's parent page decides


async def test_final_states_wording(shop):
    tr = Catalogs().get("en")
    expected = {
        InvoiceStatus.CONFIRMED: "Payment confirmed", InvoiceStatus.COMPLETE: "Payment complete",
        InvoiceStatus.EXPIRED: "Invoice expired", InvoiceStatus.INVALID: "Invoice invalid",
    }
    for status, title in expected.items():
        context = invoice_context(replace(shop.invoice, status=status), shop.store, tr)
        assert context["status_title"] == title and not context["payable"]
    expired = invoice_context(replace(shop.invoice, status=InvoiceStatus.EXPIRED), shop.store, tr)
    assert "Do not send money" in expired["status_message"]


async def test_websocket_sends_status_on_connect_and_on_events(client, services, shop):
    async with client.ws_connect(f"/i/{shop.invoice.id}/ws?lang=de") as ws:
        first = await asyncio.wait_for(ws.receive_json(), 5)
        assert first["status"] == "pending" and first["title"] == "Warten auf Zahlung"
        await services.invoices.mark(shop.invoice.id, "invalid")
        update = await asyncio.wait_for(ws.receive_json(), 5)
        assert update["status"] == "invalid" and not update["open"]
    unknown = await client.get("/i/unknownid0000000000000/ws")
    assert unknown.status == 404


async def test_marked_complete_page_updates_after_event(client, services, shop):
    assert "Waiting for payment" in await (await client.get(f"/i/{shop.invoice.id}")).text()
    await services.invoices.mark(shop.invoice.id, "complete")
    await wait_for(lambda: _page_has(client, f"/i/{shop.invoice.id}", "Payment complete"), timeout_s=3)


async def test_receipt_lists_payments(client, services, shop):
    empty = await (await client.get(f"/i/{shop.invoice.id}/receipt")).text()
    assert "No payment has been seen yet." in empty
    pay_fake(services, shop.invoice, 20000, height=200, txid="bb" * 32)
    await wait_for(lambda: _paid(services, shop.invoice.id, 20000))
    html = await (await client.get(f"/i/{shop.invoice.id}/receipt")).text()
    assert "bb" * 32 + ":0" in html and "0.00020000\u00a0BTC" in html
    assert "Confirmed" in html and "<td class=\"num\">1</td>" in html


async def test_devnet_routes_are_404_without_devnet(client, shop):
    for action in ("pay", "mine"):
        response = await client.post(f"/i/{shop.invoice.id}/devnet/{action}", headers=HTML, allow_redirects=False)
        assert response.status == 404


async def test_devnet_buttons_call_the_devnet(aiohttp_client, services, shop):
    services.devnet = FakeDevnet()
    client = await aiohttp_client(create_app(services, public=True))
    html = await (await client.get(f"/i/{shop.invoice.id}?lang=de")).text()
    assert f'action="/i/{shop.invoice.id}/devnet/pay?lang=de"' in html and "Einen Block minen" in html
    response = await client.post(f"/i/{shop.invoice.id}/devnet/pay?lang=de", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == f"/i/{shop.invoice.id}?lang=de"
    response = await client.post(f"/i/{shop.invoice.id}/devnet/mine", allow_redirects=False)
    assert response.status == 303
    assert services.devnet.calls == [("pay", shop.invoice.address, 20000), ("mine", 1)]
    assert (await client.post("/i/unknownid0000000000000/devnet/mine", headers=HTML)).status == 404
