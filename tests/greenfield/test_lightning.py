"""Greenfield: BTC-LN (BTCPay 2.x's Lightning id) beside BTC-CHAIN in invoice payment methods and in the
webhooks of a Lightning payment. Only the Lightning node is fake (tests/fake_lightning.py)."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.api.conftest import ln, ln_client, make_key, wait_for
from tests.fake_lightning import open_channel_view
from tests.greenfield.conftest import token
from tests.greenfield.schema import validate, validate_array
from tests.greenfield.test_webhooks import EVENT_SCHEMAS

GF = "/greenfield/api/v1"
__all__ = ["ln", "ln_client"]  # the fixtures (tests/api/conftest.py)
HOT_SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"


async def _store(ln, *, lightning: bool = True):
    services = ln.services
    hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
    await services.lightning.enable(hot.id)
    ln.lightning.open(open_channel_view())
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.stores.create("Cafe", default_currency="USD", wallet_ids=[hot.id],
                                        checkout={"lightning": lightning})


async def _json(resp, status: int = 200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_payment_methods_list_lightning_beside_onchain(ln, ln_client):
    store = await _store(ln)
    h = token(await make_key(ln.services, "invoices:write", "stores:read"))
    created = await _json(await ln_client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": "5.00"}, headers=h))
    assert created["checkout"]["paymentMethods"] == ["BTC-CHAIN", "BTC-LN"]
    record = await ln.services.invoices.get(created["id"])
    url = f"{GF}/stores/{store.id}/invoices/{created['id']}/payment-methods"
    methods = await _json(await ln_client.get(url, headers=h))
    validate_array(methods, "InvoicePaymentMethodDataModel")
    onchain, lightning = methods
    assert onchain["paymentMethod"] == "BTC-CHAIN" and onchain["destination"] == record.address
    assert lightning == {
        "paymentMethod": "BTC-LN", "cryptoCode": "BTC", "destination": record.bolt11,
        "paymentLink": f"lightning:{record.bolt11}", "rate": "50000", "paymentMethodPaid": "0.00000000",
        "totalPaid": "0.00000000", "due": "0.00010000", "amount": "0.00010000", "networkFee": "0.00000000",
        "payments": [], "activated": True, "additionalData": {}}
    ln.lightning.settle(record.payment_hash)
    await wait_for(lambda: _settled(ln_client, store.id, created["id"], h), what="Settled")
    methods = await _json(await ln_client.get(url, headers=h))
    validate_array(methods, "InvoicePaymentMethodDataModel")
    onchain, lightning = methods
    assert onchain["payments"] == [] and onchain["paymentMethodPaid"] == "0.00000000"
    assert lightning["paymentMethodPaid"] == lightning["totalPaid"] == "0.00010000" and lightning["due"] == "0.00000000"
    [payment] = lightning["payments"]
    assert payment["id"] == record.payment_hash and payment["status"] == "Settled"
    assert payment["destination"] == record.bolt11 and payment["value"] == "0.00010000"
    store_methods = await _json(await ln_client.get(f"{GF}/stores/{store.id}/payment-methods", headers=h))
    assert store_methods == [{"paymentMethodId": "BTC-CHAIN", "enabled": True},
                             {"paymentMethodId": "BTC-LN", "enabled": True}]
    info = await _json(await ln_client.get(f"{GF}/server/info", headers=h))
    assert info["supportedPaymentMethods"] == ["BTC-CHAIN", "BTC-LN"]


async def _settled(client, store_id: str, invoice_id: str, h: dict) -> bool:
    got = await (await client.get(f"{GF}/stores/{store_id}/invoices/{invoice_id}", headers=h)).json()
    return got["status"] == "Settled"


async def test_store_without_lightning_lists_onchain_only(ln, ln_client):
    store = await _store(ln, lightning=False)
    h = token(await make_key(ln.services, "invoices:write", "stores:read"))
    created = await _json(await ln_client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": "5.00"}, headers=h))
    assert created["checkout"]["paymentMethods"] == ["BTC-CHAIN"]
    methods = await _json(await ln_client.get(f"{GF}/stores/{store.id}/invoices/{created['id']}/payment-methods",
                                              headers=h))
    assert [m["paymentMethod"] for m in methods] == ["BTC-CHAIN"]
    assert await _json(await ln_client.get(f"{GF}/stores/{store.id}/payment-methods", headers=h)) == [
        {"paymentMethodId": "BTC-CHAIN", "enabled": True}]


async def test_lightning_payment_webhooks_carry_btc_ln(ln, ln_client, btcpay_receiver):
    store = await _store(ln)
    h = token(await make_key(ln.services, "invoices:write", "webhooks:write"))
    hook = await _json(await ln_client.post(f"{GF}/stores/{store.id}/webhooks", json={"url": btcpay_receiver.url},
                                            headers=h))
    btcpay_receiver.secret = hook["secret"]
    created = await _json(await ln_client.post(f"{GF}/stores/{store.id}/invoices", json={"amount": "5.00"}, headers=h))
    record = await ln.services.invoices.get(created["id"])
    ln.lightning.settle(record.payment_hash)

    def types() -> set[str]:
        return {json.loads(r["body"])["type"] for r in btcpay_receiver.received}

    await wait_for(lambda: types() >= {"InvoiceCreated", "InvoiceReceivedPayment", "InvoiceSettled"},
                   what="created/received/settled")
    events = [json.loads(r["body"]) for r in btcpay_receiver.received]
    assert all(r["valid"] for r in btcpay_receiver.received)
    for event in events:
        validate(event, EVENT_SCHEMAS[event["type"]])
    received = next(e for e in events if e["type"] == "InvoiceReceivedPayment")
    assert received["paymentMethodId"] == "BTC-LN" and received["afterExpiration"] is False
    assert received["payment"]["id"] == record.payment_hash and received["payment"]["status"] == "Settled"
    assert received["payment"]["destination"] == record.bolt11
    assert next(e for e in events if e["type"] == "InvoiceSettled")["manuallyMarked"] is False
