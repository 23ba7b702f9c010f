"""WebhookService.test ("Send test" in the window): one signed test event through the webhook channel's
send path, to a real receiver on 127.0.0.1, recorded in the delivery log; never retried by the sender;
redeliverable; in the webhook's flavor (BTCPay's InvoiceCreated on a made-up invoice for greenfield)."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.core.errors import Conflict
from app.services.delivery.webhook_dispatch import Flavor
from tests.api.conftest import Receiver, wait_for
from tests.greenfield.conftest import BTCPayReceiver


async def test_test_delivery_is_signed_logged_once_and_redeliverable(services) -> None:
    store = await services.stores.create("Shop")
    receiver = Receiver(statuses=[503])
    await receiver.start()
    try:
        saved = await services.webhooks.create(store.id, receiver.url)
        receiver.secret = saved.secret.reveal()
        failed = await services.webhooks.test(saved.webhook.id)
        assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 1, 503)
        assert failed.event_seq == -1 and failed.event_type == "webhook.test" and failed.next_attempt_at is None
        await asyncio.sleep(0.6)  # longer than the sender's poll: a failed test is not retried by itself
        assert len(receiver.received) == 1 and receiver.received[0]["valid"]
        assert receiver.received[0]["delivery"] == failed.id

        delivered = await services.webhooks.test(saved.webhook.id)
        assert (delivered.status, delivered.last_status_code, delivered.event_seq) == ("delivered", 200, -2)
        body = json.loads(receiver.received[1]["body"])
        assert body["type"] == "webhook.test" and body["event"] == {"test": True} and body["invoice"] is None
        log = (await services.webhooks.deliveries(saved.webhook.id)).items
        assert [d.id for d in log] == [delivered.id, failed.id]  # newest first

        await services.webhooks.redeliver(failed.id)
        again = await wait_for(lambda: _delivered(services, failed.id), what="redelivered test")
        assert again.attempts == 1 and receiver.received[2]["body"] == receiver.received[0]["body"]

        await services.webhooks.update(saved.webhook.id, {"enabled": False})
        with pytest.raises(Conflict) as disabled:
            await services.webhooks.test(saved.webhook.id)
        assert disabled.value.code == "webhook_disabled"
        assert len((await services.webhooks.deliveries(saved.webhook.id)).items) == 2  # nothing written
    finally:
        await receiver.stop()


async def _delivered(services, delivery_id):
    delivery = await services.webhooks.delivery(delivery_id)
    return delivery if delivery.status == "delivered" else None


async def test_greenfield_test_delivery_is_btcpay_shaped(services) -> None:
    store = await services.stores.create("Shop")
    receiver = BTCPayReceiver()
    await receiver.start()
    try:
        saved = await services.webhooks.create(store.id, receiver.url)
        receiver.secret = saved.secret.reveal()
        await services.webhooks.dispatcher.set_flavor(saved.webhook.id, Flavor.GREENFIELD, event_types=[])
        delivery = await services.webhooks.test(saved.webhook.id)
        assert delivery.status == "delivered" and delivery.event_type == "InvoiceCreated"
        [request] = receiver.received
        assert request["valid"] and request["redwaves_headers"] == []  # BTCPay-Sig only
        body = json.loads(request["body"])
        assert body["type"] == "InvoiceCreated" and body["storeId"] == store.id
        assert body["webhookId"] == saved.webhook.id and body["deliveryId"] == delivery.id
        assert body["invoiceId"].startswith("__test__") and body["invoiceId"].endswith("__test__")
        assert body["isRedelivery"] is False and isinstance(body["timestamp"], int)
    finally:
        await receiver.stop()
