"""A sale with JavaScript off, as plain forms over HTTP: keypad, products, tip, charge, QR, paid, receipt, today."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from app.checkout_server.shopper.qr import qr_svg
from app.core.lightning import unified_uri
from tests.checkout.conftest import pay_fake, wait_status
from tests.terminal.conftest import CASHIER_PIN, MANAGER_PIN, hidden, log_in, make_till, pair


async def _ready(client, till, person=None, pin=CASHIER_PIN):
    await pair(client, till.code)
    await log_in(client, person or till.cashier, pin)


async def _post(client, html: str, **button):
    fields = {name: hidden(html, name) for name in ("cart", "entry", "tip")}
    fields.update(button)
    response = await client.post("/t/sale", data=fields)
    assert response.status == 200, await response.text()
    return await response.text()


async def _keypad_sale(client, till) -> str:
    """12.50 on the keypad, two espressos, a 10% tip: the form after each button, as a browser posts it."""
    html = await (await client.get("/t/sale")).text()
    for key in ("1", "2", "5", "0"):
        html = await _post(client, html, key=key)
    assert hidden(html, "entry") == "1250" and "$12.50" in html
    html = await _post(client, html, add="1")
    espresso = till.shop.products[0]
    html = await _post(client, html, product=espresso.id)
    html = await _post(client, html, inc="1")
    assert hidden(html, "cart") == f"a:1250:1;p:{espresso.id}:2"
    html = await _post(client, html, set_tip="10")
    assert re.search(r'id="subtotal">\$17.50<', html) and re.search(r'id="tip-total">\$1.75<', html)
    assert re.search(r'id="total">\$19.25<', html)
    return html


async def _charge(client, html: str) -> str:
    fields = {name: hidden(html, name) for name in ("cart", "entry", "tip")}
    response = await client.post("/t/charge", data=fields, allow_redirects=False)
    assert response.status == 303, await response.text()
    return response.headers["Location"].rsplit("/", 1)[1]


async def test_keypad_sale_with_tip_reaches_the_qr_then_the_paid_screen(client, till, services):
    await _ready(client, till)
    invoice_id = await _charge(client, await _keypad_sale(client, till))
    invoice = await services.invoices.get(invoice_id)
    assert invoice.price == Decimal("19.25") and invoice.tip == Decimal("1.75")
    assert invoice.created_by == till.cashier.id and invoice.terminal_id == till.terminal.id
    assert invoice.metadata["pos"] == {"source": "terminal", "terminal_id": till.terminal.id, "subtotal": "17.50",
                                       "discount": "0.00", "tip": "1.75"}
    assert [(i["name"], i["qty"]) for i in invoice.items] == [("Amount", 1), ("Espresso", 2)]
    page = await client.get(f"/t/charge/{invoice_id}")
    html = await page.text()
    assert page.status == 200 and "$19.25" in html and "<dt>Tip</dt><dd>$1.75</dd>" in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    payload = unified_uri(invoice, datetime.now(UTC), till.shop.store.name)
    assert re.search(r'id="qr-link" href="([^"]+)"', html).group(1).replace("&amp;", "&") == payload
    src = re.search(r'id="qr" src="([^"]+)"', html).group(1).replace("&amp;", "&")
    image = await client.get(src)
    assert image.content_type == "image/svg+xml" and await image.read() == qr_svg(payload)
    assert (await client.get(f"/t/paid/{invoice_id}", allow_redirects=False)).headers["Location"] == \
        f"/t/charge/{invoice_id}"  # still waiting: the paid screen sends back to the QR

    pay_fake(services, invoice, invoice.amount_due_sat)
    await wait_status(services, invoice_id, "paid")
    moved = await client.get(f"/t/charge/{invoice_id}", allow_redirects=False)
    assert moved.status == 303 and moved.headers["Location"] == f"/t/paid/{invoice_id}"
    seen = await (await client.get(f"/t/paid/{invoice_id}")).text()
    assert "Payment seen — waiting for 1 confirmation" in seen and "The sale is not settled yet" in seen
    assert '<meta http-equiv="refresh" content="10">' in seen  # JS off: it keeps following the invoice
    await services.invoices.mark(invoice_id, "complete")
    done = await (await client.get(f"/t/paid/{invoice_id}")).text()
    assert "Paid — thank you!" in done and 'http-equiv="refresh"' not in done
    assert f'href="/t/receipt/{invoice_id}"' in done


async def test_charge_straight_from_the_keypad_and_empty_sale(client, till, services):
    await _ready(client, till)
    empty = await client.post("/t/charge", data={"cart": "", "entry": "", "tip": ""})
    assert empty.status == 422 and "Type an amount or tap a product first." in await empty.text()
    response = await client.post("/t/charge", data={"cart": "", "entry": "500", "tip": "", "discount": "10"},
                                 allow_redirects=False)
    invoice = await services.invoices.get(response.headers["Location"].rsplit("/", 1)[1])
    assert invoice.price == Decimal("4.50") and invoice.tip is None
    assert invoice.metadata["pos"]["discount"] == "0.50"


async def test_custom_tip_and_a_wrong_one(client, till):
    await _ready(client, till)
    html = await (await client.get("/t/sale")).text()
    html = await _post(client, html, product=till.shop.products[1].id)
    html = await _post(client, html, set_tip="custom")
    assert 'name="tip_amount"' in html
    wrong = await client.post("/t/sale", data={"cart": hidden(html, "cart"), "tip": "custom", "tip_amount": "abc",
                                               "apply": "1"})
    assert "Enter the tip as an amount" in await wrong.text()
    right = await client.post("/t/sale", data={"cart": hidden(html, "cart"), "tip": "custom", "tip_amount": "0.60",
                                               "apply": "1"})
    assert re.search(r'id="total">\$4.00<', await right.text())


async def test_receipt_page_print_and_shop_printer(client, till, services):
    await _ready(client, till)
    invoice_id = await _charge(client, await _keypad_sale(client, till))
    await services.invoices.mark(invoice_id, "complete")
    html = await (await client.get(f"/t/receipt/{invoice_id}")).text()
    assert "Corner Café" in html and "Tip" in html and "1.75 USD" in html and "19.25 USD" in html
    assert '<button type="button" class="button primary wide" id="print" hidden>Print</button>' in html
    assert "print.js" in html and "onclick" not in html
    assert "Print on the shop's printer" not in html  # the system printer is the window's, not this page's
    assert 'action="/t/receipt/' not in html or "/email" not in html  # no SMTP set up: no e-mail form


async def test_today_cashier_sees_only_this_till_manager_the_store(aiohttp_client, services):
    from app.checkout_server.app import create_app

    counter = await make_till(services)
    patio = await make_till(services, shop=counter.shop, name="Patio")
    at_counter = await aiohttp_client(create_app(services, public=True))
    at_patio = await aiohttp_client(create_app(services, public=True))
    await _ready(at_counter, counter)
    await _ready(at_patio, patio)
    here = await _charge(at_counter, await (await at_counter.post("/t/sale", data={"entry": "300"})).text())
    there = await _charge(at_patio, await (await at_patio.post("/t/sale", data={"entry": "700"})).text())
    today = await (await at_counter.get("/t/today")).text()
    assert "this till" in today and here in today and there not in today
    assert "The whole store" not in today  # a cashier has no store view
    assert (await at_counter.get(f"/t/charge/{there}")).status == 404  # another till's invoice
    assert (await at_counter.get(f"/t/receipt/{there}")).status == 404
    await at_counter.post("/t/logout")
    await log_in(at_counter, counter.manager, MANAGER_PIN)
    store_view = await (await at_counter.get("/t/today")).text()
    assert "the whole store" in store_view and here in store_view and there in store_view
    till_view = await (await at_counter.get("/t/today?scope=till")).text()
    assert here in till_view and there not in till_view


async def test_a_refused_action_shows_the_services_sentence(client, till, services):
    await _ready(client, till)
    other = await services.stores.create("Other shop", default_currency="USD", wallet_ids=till.shop.store.wallet_ids)
    await services.staff.update(till.cashier.id, store_ids=[other.id])
    response = await client.post("/t/charge", data={"cart": "", "entry": "300", "tip": ""}, allow_redirects=False)
    text = await response.text()
    assert response.status == 403 and "Ana may not sell in this store." in text  # InvoiceService's refusal
    assert 'href="/t/sale"' not in text  # her role no longer sells here: the page offers no sale
    page = await (await client.get("/t/sale")).text()
    assert "Ana may not sell in Corner Café." in page and 'id="sale-form"' not in page


async def test_a_tip_alone_is_not_a_sale(client, till):
    await _ready(client, till)
    response = await client.post("/t/charge", data={"cart": "", "tip": "custom", "tip_amount": "2.00"})
    assert response.status == 422 and "Type an amount or tap a product first." in await response.text()


async def test_cancel_a_charge_the_customer_will_not_pay(client, till, services):
    await _ready(client, till)
    response = await client.post("/t/charge", data={"cart": "", "entry": "250"}, allow_redirects=False)
    invoice_id = response.headers["Location"].rsplit("/", 1)[1]
    assert 'id="cancel-charge"' in await (await client.get(f"/t/charge/{invoice_id}")).text()
    cancelled = await client.post(f"/t/charge/{invoice_id}/cancel", data={"go": "1"}, allow_redirects=False)
    assert cancelled.status == 303 and cancelled.headers["Location"] == "/t/sale"
    assert (await services.invoices.get(invoice_id)).status == "invalid"
    page = await (await client.get(f"/t/paid/{invoice_id}")).text()
    assert "This payment did not go through" in page
    again = await client.post(f"/t/charge/{invoice_id}/cancel", data={"go": "1"})
    assert again.status in (403, 409) and 'id="error-message"' in await again.text()  # the service's sentence
