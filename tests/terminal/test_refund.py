"""Refunds at the till: a cashier's refund waits for approval (she cannot approve it), a manager approves
it at the same till and the customer gets the link as a QR."""

from __future__ import annotations

import base64
import re

from app.checkout_server.shopper.qr import qr_svg
from tests.checkout.conftest import pay_fake, wait_status
from tests.terminal.conftest import CASHIER_PIN, MANAGER_PIN, log_in, pair


async def test_cashier_requests_manager_approves(client, till, services):
    await pair(client, till.code)
    await log_in(client, till.cashier, CASHIER_PIN)
    response = await client.post("/t/charge", data={"cart": f"p:{till.shop.products[0].id}:2"}, allow_redirects=False)
    invoice = await services.invoices.get(response.headers["Location"].rsplit("/", 1)[1])
    before = await (await client.get(f"/t/receipt/{invoice.id}")).text()
    assert 'id="refund-form"' not in before  # nothing paid yet: nothing to refund
    pay_fake(services, invoice, invoice.amount_due_sat)
    await wait_status(services, invoice.id, "paid")
    assert 'id="refund-form"' not in await (await client.get(f"/t/receipt/{invoice.id}")).text()  # not settled
    await services.invoices.mark(invoice.id, "complete")
    receipt = await (await client.get(f"/t/receipt/{invoice.id}")).text()
    assert 'id="refund-form"' in receipt and "(a manager approves it)" in receipt
    asked = await client.post(f"/t/receipt/{invoice.id}/refund", data={"variant": "rate_then"}, allow_redirects=False)
    assert asked.status == 303, re.sub(r"\s+", " ", await asked.text())[-600:]
    refund_id = asked.headers["Location"].rsplit("/", 1)[1]
    assert (await services.refunds.get(refund_id)).status == "requested"
    page = await (await client.get(f"/t/refund/{refund_id}")).text()
    assert "Waiting for approval" in page and "Withdraw my request" in page and 'id="approve"' not in page
    refused = await client.post(f"/t/refund/{refund_id}/approve", data={"go": "1"})
    assert refused.status == 403 and "A cashier may not approve refunds or payouts." in await refused.text()
    assert refund_id in await (await client.get("/t/refund")).text()  # her own request

    await client.post("/t/logout")
    await log_in(client, till.manager, MANAGER_PIN)
    listed = await (await client.get("/t/refund")).text()
    assert f'href="/t/refund/{refund_id}"' in listed and "Ana" in listed
    approved = await client.post(f"/t/refund/{refund_id}/approve", data={"go": "1"})
    page = await approved.text()
    assert approved.status == 200 and "Link ready: the customer scans it" in page
    link = re.search(r'id="refund-link">([^<]+)<', page).group(1)
    assert link.endswith(f"/refund/{refund_id}")
    src = re.search(r'id="refund-qr" src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(src) == qr_svg(link)
    assert (await services.refunds.get(refund_id)).status == "open"
