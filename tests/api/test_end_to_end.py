"""The whole app (Runtime: SQLite, Electrum, devnet, listeners) driven over real HTTP, paid on the devnet."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.api.conftest import wait_for
from tests.conftest import TEST_VPUB

pytestmark = pytest.mark.slow


async def test_key_store_invoice_pay_webhook(app_runtime, receiver):
    services = app_runtime.services
    key = (await services.apikeys.bootstrap("e2e")).key.reveal()
    base = app_runtime.urls["private"] + "/api/v1"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as http:
        async def call(method: str, path: str, **kw):
            async with http.request(method, base + path, **kw) as resp:
                body = await resp.json()
                assert resp.status < 300, body
                return body

        wallet = await call("POST", "/wallets", json={"name": "main", "keys": TEST_VPUB})
        store = await call("POST", "/stores", json={"name": "Shop", "default_currency": "USD",
                                                    "wallet_ids": [wallet["id"]], "speed_policy": 1})
        hook = await call("POST", f"/stores/{store['id']}/webhooks", json={"url": receiver.url})
        receiver.secret = hook["secret"]
        invoice = await call("POST", f"/stores/{store['id']}/invoices", json={"amount_sat": 50_000})

        await app_runtime.devnet.pay(invoice["address"], 50_000)
        await wait_for(lambda: _types(receiver) >= {"invoice.created", "payment.received"}, timeout_s=30,
                       what="payment webhook")
        await app_runtime.devnet.mine(1)

        async def complete():
            return (await call("GET", f"/invoices/{invoice['id']}"))["status"] == "complete"

        await wait_for(complete, timeout_s=30, what="invoice complete")
        await wait_for(lambda: any(json.loads(r["body"])["invoice"]["status"] == "complete"
                                   for r in receiver.received), timeout_s=30, what="complete webhook")
    assert all(r["valid"] for r in receiver.received)


def _types(receiver) -> set[str]:
    return {json.loads(r["body"])["type"] for r in receiver.received}
