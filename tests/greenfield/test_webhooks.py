"""Greenfield webhooks: CRUD and delivery log in BTCPay's shapes; BTCPay events, bodies and BTCPay-Sig."""

from __future__ import annotations

import json

from app.chain.models import AddressesChanged
from app.core.payments import ObservedOutput
from app.core.records import Invoice
from tests.api.conftest import make_key, shop, wait_for
from tests.greenfield.conftest import token
from tests.greenfield.schema import validate

GF = "/greenfield/api/v1"
EVENT_SCHEMAS = {
    "InvoiceCreated": "WebhookInvoiceEvent", "InvoiceReceivedPayment": "WebhookInvoiceReceivedPaymentEvent",
    "InvoiceProcessing": "WebhookInvoiceProcessingEvent", "InvoiceSettled": "WebhookInvoiceSettledEvent",
    "InvoicePaymentSettled": "WebhookInvoicePaymentSettledEvent", "InvoiceInvalid": "WebhookInvoiceInvalidEvent",
    "InvoiceExpired": "WebhookInvoiceExpiredEvent",
}


async def _json(resp, status: int = 200):
    body = await resp.json()
    assert resp.status == status, body
    return body


def _events(receiver) -> list[dict]:
    return [json.loads(r["body"]) for r in receiver.received]


def _chain_changed(services, invoice: Invoice) -> None:
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))


async def test_invoice_lifecycle_webhooks_are_btcpay_events(client, services, btcpay_receiver):
    store = await shop(services)
    h = token(await make_key(services, "invoices:write", "webhooks:write"))
    created = await _json(await client.post(f"{GF}/stores/{store.id}/webhooks", json={"url": btcpay_receiver.url},
                                            headers=h))
    validate(created, "WebhookDataCreate")
    assert created["secret"] and created["authorizedEvents"] == {"everything": True, "specificEvents": []}
    btcpay_receiver.secret = created["secret"]

    invoice = await _json(await client.post(f"{GF}/stores/{store.id}/invoices",
                                            json={"amount": "10.00", "metadata": {"orderId": "WC-7"}}, headers=h))
    record = await services.invoices.get(invoice["id"])
    address = record.address
    services.fake_chain.outputs[address] = [ObservedOutput("cd" * 32, 1, 20000, 0, True)]
    _chain_changed(services, record)
    await wait_for(lambda: {e["type"] for e in _events(btcpay_receiver)} >= {
        "InvoiceCreated", "InvoiceReceivedPayment", "InvoiceProcessing"}, what="created/payment/processing")

    services.fake_chain.current.tip_height = 201
    services.fake_chain.outputs[address] = [ObservedOutput("cd" * 32, 1, 20000, 201, True)]
    _chain_changed(services, record)
    await wait_for(lambda: "InvoiceSettled" in {e["type"] for e in _events(btcpay_receiver)}, what="settled")
    await wait_for(lambda: "InvoicePaymentSettled" in {e["type"] for e in _events(btcpay_receiver)})

    assert all(r["valid"] and r["sig"].startswith("sha256=") for r in btcpay_receiver.received)
    assert not any(r["redwaves_headers"] for r in btcpay_receiver.received)
    events = _events(btcpay_receiver)
    for event in events:
        validate(event, EVENT_SCHEMAS[event["type"]])
        assert event["webhookId"] == created["id"] and event["storeId"] == store.id
        assert event["invoiceId"] == invoice["id"] and event["metadata"]["orderId"] == "WC-7"
        assert event["originalDeliveryId"] == event["deliveryId"] and event["isRedelivery"] is False
    by_type = {e["type"]: e for e in events}
    assert by_type["InvoiceReceivedPayment"]["afterExpiration"] is False
    assert by_type["InvoiceReceivedPayment"]["payment"]["value"] == "0.00020000"
    assert by_type["InvoiceProcessing"]["overPaid"] is False
    assert by_type["InvoiceSettled"]["manuallyMarked"] is False
    assert by_type["InvoicePaymentSettled"]["payment"]["status"] == "Settled"
    settled = await _json(await client.get(f"{GF}/stores/{store.id}/invoices/{invoice['id']}", headers=h))
    assert (settled["status"], settled["additionalStatus"]) == ("Settled", "None")


async def test_webhook_crud_deliveries_redeliver_and_event_filter(client, services, btcpay_receiver):
    store = await shop(services)
    h = token(await make_key(services, "invoices:write", "webhooks:write"))
    redwaves_hook = await services.webhooks.create(store.id, btcpay_receiver.url + "?redwaves")
    body = {"url": btcpay_receiver.url, "secret": "s" * 20,
            "authorizedEvents": {"everything": False, "specificEvents": ["InvoiceInvalid"]}}
    hook = await _json(await client.post(f"{GF}/stores/{store.id}/webhooks", json=body, headers=h))
    btcpay_receiver.secret = "s" * 20
    listed = await _json(await client.get(f"{GF}/stores/{store.id}/webhooks", headers=h))
    validate(listed, "WebhookDataList")
    assert [w["id"] for w in listed] == [hook["id"]]  # RedWaves-flavored hooks are not Greenfield's
    one = await _json(await client.get(f"{GF}/stores/{store.id}/webhooks/{hook['id']}", headers=h))
    validate(one, "WebhookData")
    assert "secret" not in one and one["authorizedEvents"]["specificEvents"] == ["InvoiceInvalid"]
    assert (await client.get(f"{GF}/stores/{store.id}/webhooks/{redwaves_hook.webhook.id}", headers=h)).status == 404

    invoice = await services.invoices.create(store.id, price="1.00")
    await _json(await client.post(f"{GF}/stores/{store.id}/invoices/{invoice.id}/status",
                                  json={"status": "Invalid"}, headers=h))
    await wait_for(lambda: btcpay_receiver.received, what="InvoiceInvalid")
    await wait_for(lambda: len(btcpay_receiver.received) >= 3, what="the RedWaves hook's deliveries too")
    greenfield = [e for e in _events(btcpay_receiver) if "webhookId" in e]
    assert [e["type"] for e in greenfield] == ["InvoiceInvalid"] and greenfield[0]["manuallyMarked"] is True
    validate(greenfield[0], "WebhookInvoiceInvalidEvent")

    base = f"{GF}/stores/{store.id}/webhooks/{hook['id']}"
    deliveries = await _json(await client.get(f"{base}/deliveries?count=10", headers=h))
    validate(deliveries, "WebhookDeliveryList")
    assert len(deliveries) == 1 and deliveries[0]["status"] == "HttpSuccess" and deliveries[0]["httpCode"] == 200
    delivery_id = deliveries[0]["id"]
    validate(await _json(await client.get(f"{base}/deliveries/{delivery_id}", headers=h)), "WebhookDeliveryData")
    request = await _json(await client.get(f"{base}/deliveries/{delivery_id}/request", headers=h))
    assert request == greenfield[0]
    assert await _json(await client.post(f"{base}/deliveries/{delivery_id}/redeliver", headers=h)) == delivery_id
    await wait_for(lambda: sum("webhookId" in e for e in _events(btcpay_receiver)) == 2, what="redelivery")
    assert all(r["valid"] for r in btcpay_receiver.received if b"webhookId" in r["body"])
    first, again = [e for e in _events(btcpay_receiver) if "webhookId" in e]
    assert first["isRedelivery"] is False and again["isRedelivery"] is True  # as BTCPay marks a redelivery
    assert again["originalDeliveryId"] == first["deliveryId"] and again["type"] == first["type"]

    update = {"url": btcpay_receiver.url, "enabled": False, "authorizedEvents": {"everything": True}}
    updated = await _json(await client.put(base, json=update, headers=h))
    validate(updated, "WebhookData")
    assert updated["enabled"] is False and updated["authorizedEvents"]["everything"] is True
    assert (await client.delete(base, headers=h)).status == 200
    assert (await _json(await client.get(base, headers=h), 404))["code"] == "webhook-not-found"
    bad = await client.post(f"{GF}/stores/{store.id}/webhooks", headers=h,
                            json={"url": btcpay_receiver.url,
                                  "authorizedEvents": {"everything": False, "specificEvents": ["Nope"]}})
    validate(await _json(bad, 422), "ValidationProblemDetails")
