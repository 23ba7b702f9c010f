"""Webhooks: signatures verified by a real loopback receiver, retries, give-up, redelivery, restarts."""

from __future__ import annotations

import json

from app.chain.models import AddressesChanged
from app.checkout_server.app import create_app
from app.core.payments import ObservedOutput
from app.services.delivery.retry import RetryPolicy
from tests.api.conftest import Receiver, Stack, auth, shop, wait_for

SECRET = "s3cret-s3cret-s3cret"


async def _deliveries(services, webhook_id):
    return (await services.webhooks.deliveries(webhook_id)).items


async def _closed_port() -> int:
    probe = Receiver()
    await probe.start()
    await probe.stop()
    return probe.port


async def test_signed_delivery_with_invoice_and_payment(client, services, admin_key, receiver):
    receiver.secret = SECRET
    store = await shop(services)
    h = auth(admin_key)
    resp = await client.post(f"/api/v1/stores/{store.id}/webhooks", json={"url": receiver.url, "secret": SECRET},
                             headers=h)
    assert resp.status == 201, await resp.text()
    hook = await resp.json()
    assert hook["secret"] == SECRET
    assert (await (await client.get(f"/api/v1/stores/{store.id}/webhooks/{hook['id']}", headers=h)).json())[
        "secret"] is None
    invoice = await services.invoices.create(store.id, price="10.00")
    await wait_for(lambda: receiver.received, what="first delivery")
    first = receiver.received[0]
    body = json.loads(first["body"])
    assert first["valid"] and first["delivery"] == body["delivery_id"]
    assert body["type"] == "invoice.created" and body["store_id"] == store.id
    assert body["invoice"]["id"] == invoice.id and body["invoice"]["amount_due_sat"] == 20000 and body["timestamp"]

    services.fake_chain.outputs[invoice.address] = [ObservedOutput("cd" * 32, 1, 20000, 0, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))
    await wait_for(lambda: any(json.loads(r["body"])["type"] == "payment.received" for r in receiver.received))
    payment_body = next(json.loads(r["body"]) for r in receiver.received
                        if json.loads(r["body"])["type"] == "payment.received")
    assert payment_body["payment"]["txid"] == "cd" * 32 and payment_body["payment"]["amount_sat"] == 20000
    assert all(r["valid"] for r in receiver.received)

    log = await (await client.get(f"/api/v1/stores/{store.id}/webhooks/{hook['id']}/deliveries", headers=h)).json()
    await wait_for(lambda: len(receiver.received) >= log["total"])
    delivered = [d for d in log["items"] if d["status"] == "delivered"]
    assert delivered and all(d["last_status_code"] == 200 for d in delivered)
    raw = services.settings.db_path.read_bytes() + services.settings.db_path.with_name(
        services.settings.db_path.name + "-wal").read_bytes()
    assert SECRET.encode() not in raw  # the secret is in keyring only


async def test_retry_on_5xx_429_and_network_errors_not_on_4xx(services, receiver):
    webhooks = services.webhooks
    receiver.statuses = [503, 429, 408]
    store = await shop(services)
    saved = await webhooks.create(store.id, receiver.url, event_types=["invoice.created"])
    receiver.secret = saved.secret.reveal()
    await services.invoices.create(store.id, price="1.00")
    await wait_for(lambda: len(receiver.received) == 4, what="3 retried failures then success")
    [delivery] = await _deliveries(services, saved.webhook.id)
    await wait_for(lambda: webhooks.delivery(delivery.id), what="row")
    done = await wait_for(lambda: _status(webhooks, delivery.id, "delivered"))
    assert done.attempts == 4 and done.last_status_code == 200
    assert len({r["delivery"] for r in receiver.received}) == 1  # same delivery id every time: de-duplicable

    receiver.statuses = [404]
    await webhooks.update(saved.webhook.id, {"event_types": ["invoice.status_changed"]})
    invoice = await services.invoices.create(store.id, price="1.00")
    await services.invoices.mark(invoice.id, "invalid")
    rows = await wait_for(lambda: _with_status(webhooks, saved.webhook.id, "failed"), what="4xx -> failed")
    assert rows[0].attempts == 1 and rows[0].last_status_code == 404


async def _status(webhooks, delivery_id, status):
    delivery = await webhooks.delivery(delivery_id)
    return delivery if delivery.status == status else None


async def _with_status(webhooks, webhook_id, status):
    return [d for d in (await webhooks.deliveries(webhook_id)).items if d.status == status]


async def test_receiver_down_then_up_gets_it_and_give_up_after_n(tmp_path):
    port = await _closed_port()
    stack = Stack(tmp_path, policy=RetryPolicy(max_attempts=200, base_delay_s=0.05, max_delay_s=0.1, timeout_s=2))
    services = await stack.start()
    receiver = Receiver(port=port)
    try:
        webhooks = services.webhooks
        store = await shop(services)
        saved = await webhooks.create(store.id, receiver.url, event_types=["invoice.created"])
        receiver.secret = saved.secret.reveal()
        await services.invoices.create(store.id, price="1.00")
        rows = await wait_for(lambda: _retried(webhooks, saved.webhook.id, 3), what="several failed attempts")
        assert rows[0].status == "pending" and rows[0].last_status_code is None and rows[0].last_error
        await receiver.start()
        await wait_for(lambda: receiver.received, what="delivery once the receiver is up")
        assert receiver.received[0]["valid"]
        await wait_for(lambda: _with_status(webhooks, saved.webhook.id, "delivered"), what="recorded")
    finally:
        await receiver.stop()
        await stack.stop()

    stack = Stack(tmp_path, policy=RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.01, timeout_s=2))
    services = await stack.start()
    try:
        webhooks = services.webhooks
        store = (await services.stores.list())[0]
        await services.invoices.create(store.id, price="1.00")
        failed = await wait_for(lambda: _with_status(webhooks, saved.webhook.id, "failed"), what="gave up")
        assert failed[0].attempts == 3
        redelivered = await webhooks.redeliver(failed[0].id)
        assert redelivered.status == "pending" and redelivered.attempts == 0
    finally:
        await stack.stop()


async def _retried(webhooks, webhook_id, attempts):
    rows = (await webhooks.deliveries(webhook_id)).items
    return rows if rows and rows[0].attempts >= attempts else None


async def test_pending_delivery_survives_restart(tmp_path):
    port = await _closed_port()
    policy = RetryPolicy(max_attempts=10, base_delay_s=0.5, max_delay_s=0.5, timeout_s=2)
    stack = Stack(tmp_path, policy=policy)
    services = await stack.start()
    webhooks = services.webhooks
    store = await shop(services)
    saved = await webhooks.create(store.id, f"http://127.0.0.1:{port}/hook")
    invoice = await services.invoices.create(store.id, price="1.00")
    await wait_for(lambda: _retried(webhooks, saved.webhook.id, 1), what="a failed attempt")
    await stack.stop()

    receiver = Receiver(saved.secret.reveal(), port=port)
    await receiver.start()
    try:
        services = await stack.start()
        await wait_for(lambda: receiver.received, what="delivery after restart")
        body = json.loads(receiver.received[0]["body"])
        assert receiver.received[0]["valid"] and body["invoice"]["id"] == invoice.id
        webhooks = services.webhooks
        await wait_for(lambda: _with_status(webhooks, saved.webhook.id, "delivered"))

        # Events committed while the dispatcher is stopped are picked up from its durable cursor.
        await webhooks.stop()
        missed = await services.invoices.create(store.id, price="2.00")
        await webhooks.start()
        await wait_for(lambda: any(json.loads(r["body"])["invoice"]["id"] == missed.id for r in receiver.received),
                       what="event from while stopped")
    finally:
        await receiver.stop()
        await stack.stop()


async def test_redeliver_through_api(aiohttp_client, services, admin_key, receiver):
    client = await aiohttp_client(create_app(services, public=False))
    h = auth(admin_key)
    store = await shop(services)
    resp = await client.post(f"/api/v1/stores/{store.id}/webhooks", json={"url": receiver.url}, headers=h)
    hook = await resp.json()
    receiver.secret = hook["secret"]
    assert len(hook["secret"]) >= 32
    await services.invoices.create(store.id, price="1.00")
    await wait_for(lambda: receiver.received)
    base = f"/api/v1/stores/{store.id}/webhooks/{hook['id']}/deliveries"
    [delivery] = (await (await client.get(base, headers=h)).json())["items"]
    await wait_for(lambda: _status(services.webhooks, delivery["id"], "delivered"))
    detail = await (await client.get(f"{base}/{delivery['id']}", headers=h)).json()
    assert detail["body"].encode() == receiver.received[0]["body"]
    resp = await client.post(f"{base}/{delivery['id']}/redeliver", headers=h)
    assert resp.status == 202
    await wait_for(lambda: len(receiver.received) == 2, what="redelivery")
    assert receiver.received[1]["delivery"] == delivery["id"] and receiver.received[1]["valid"]
    resp = await client.patch(f"/api/v1/stores/{store.id}/webhooks/{hook['id']}", json={"secret": ""}, headers=h)
    assert (await resp.json())["secret"] not in (None, hook["secret"])
    assert (await client.delete(f"/api/v1/stores/{store.id}/webhooks/{hook['id']}", headers=h)).status == 204
