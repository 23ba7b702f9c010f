"""The whole app (Runtime: SQLite, Electrum, devnet, listeners) as a BTCPay client sees it: Greenfield over
real HTTP, an invoice paid and mined on the devnet, InvoiceSettled received and verified by BTCPay-Sig."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.api.conftest import wait_for
from tests.conftest import TEST_VPUB
from tests.greenfield.schema import validate

pytestmark = pytest.mark.slow


async def test_create_pay_mine_settled_webhook(app_runtime, btcpay_receiver):
    runtime = app_runtime
    services = runtime.services
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    store = await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id], speed_policy=1)
    key = (await services.apikeys.create(
        "woocommerce", ["invoices:write", "stores:read", "webhooks:write"])).key.reveal()
    base = runtime.urls["private"] + "/greenfield/api/v1"
    async with aiohttp.ClientSession(headers={"Authorization": f"token {key}"}) as http:
        async def call(method: str, path: str, **kw):
            async with http.request(method, base + path, **kw) as resp:
                body = await resp.json()
                assert resp.status == 200, body
                return body

        hook = await call("POST", f"/stores/{store.id}/webhooks", json={
            "url": btcpay_receiver.url, "authorizedEvents": {"everything": False, "specificEvents": [
                "InvoiceReceivedPayment", "InvoiceProcessing", "InvoiceSettled"]}})
        btcpay_receiver.secret = hook["secret"]
        invoice = await call("POST", f"/stores/{store.id}/invoices",
                             json={"amount": "0.0005", "currency": "BTC", "metadata": {"orderId": "WC-1"}})
        validate(invoice, "InvoiceData")
        assert invoice["checkoutLink"] == f"{runtime.urls['public']}/i/{invoice['id']}"
        [method] = await call("GET", f"/stores/{store.id}/invoices/{invoice['id']}/payment-methods")

        await runtime.devnet.pay(method["destination"], 50_000)
        await wait_for(lambda: "InvoiceProcessing" in _types(btcpay_receiver), timeout_s=30, what="processing")
        await runtime.devnet.mine(1)
        await wait_for(lambda: "InvoiceSettled" in _types(btcpay_receiver), timeout_s=30, what="settled webhook")

        settled = await call("GET", f"/stores/{store.id}/invoices/{invoice['id']}")
        validate(settled, "InvoiceData")
        assert settled["status"] == "Settled"
        [method] = await call("GET", f"/stores/{store.id}/invoices/{invoice['id']}/payment-methods")
        validate(method, "InvoicePaymentMethodDataModel")
        assert method["payments"][0]["status"] == "Settled" and method["due"] == "0.00000000"
    assert all(r["valid"] for r in btcpay_receiver.received)
    event = next(json.loads(r["body"]) for r in btcpay_receiver.received
                 if json.loads(r["body"])["type"] == "InvoiceSettled")
    validate(event, "WebhookInvoiceSettledEvent")
    assert event["invoiceId"] == invoice["id"] and event["manuallyMarked"] is False
    assert event["metadata"]["orderId"] == "WC-1"


def _types(receiver) -> set[str]:
    return {json.loads(r["body"])["type"] for r in receiver.received}
