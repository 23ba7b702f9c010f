"""Webhooks per store: CRUD, delivery log, redeliver."""

from __future__ import annotations

from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.common import Paging
from app.checkout_server.api.schemas.webhooks import (
    DeliveryOut,
    DeliveryPage,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookUpdate,
)
from app.services.admin.apikeys import Scope
from app.services.delivery.webhooks import (
    DeliveryNotFound,
    SavedWebhook,
    Webhook,
    WebhookDelivery,
    WebhookNotFound,
)


def _out(saved: SavedWebhook) -> WebhookOut:
    return WebhookOut.of(saved.webhook, saved.secret.reveal() if saved.secret is not None else None)


async def _webhook(call: Call) -> Webhook:
    store = await call.store()
    webhook = await call.services.webhooks.get(call.param("webhook_id"))
    if webhook.store_id != store.id:
        raise WebhookNotFound("Webhook not found.")
    return webhook


async def _delivery(call: Call) -> WebhookDelivery:
    webhook = await _webhook(call)
    delivery = await call.services.webhooks.delivery(call.param("delivery_id"))
    if delivery.webhook_id != webhook.id:
        raise DeliveryNotFound("Delivery not found.")
    return delivery


async def list_webhooks(call: Call) -> WebhookList:
    store = await call.store()
    return WebhookList(items=[WebhookOut.of(w) for w in await call.services.webhooks.list(store.id)])


async def create_webhook(call: Call) -> WebhookOut:
    store = await call.store()
    body = call.body_as(WebhookIn)
    saved = await call.services.webhooks.create(store.id, body.url, event_types=body.event_types or (),
                                                  secret=body.secret,
                                                  enabled=body.enabled if body.enabled is not None else True)
    return _out(saved)


async def get_webhook(call: Call) -> WebhookOut:
    return WebhookOut.of(await _webhook(call))


async def update_webhook(call: Call) -> WebhookOut:
    webhook = await _webhook(call)
    return _out(await call.services.webhooks.update(webhook.id,
                                                      call.body_as(WebhookUpdate).model_dump(exclude_unset=True)))


async def delete_webhook(call: Call) -> None:
    await call.services.webhooks.delete((await _webhook(call)).id)


async def list_deliveries(call: Call) -> DeliveryPage:
    webhook = await _webhook(call)
    paging = call.query_as(Paging)
    page = await call.services.webhooks.deliveries(webhook.id, offset=paging.offset, limit=paging.limit)
    return DeliveryPage(items=[DeliveryOut.of(d) for d in page.items], total=page.total, offset=page.offset,
                        limit=page.limit)


async def get_delivery(call: Call) -> DeliveryOut:
    return DeliveryOut.of(await _delivery(call), with_body=True)


async def redeliver(call: Call) -> DeliveryOut:
    delivery = await _delivery(call)
    return DeliveryOut.of(await call.services.webhooks.redeliver(delivery.id))


def operations() -> list[Operation]:
    tag = "webhooks"
    base = "/stores/{store_id}/webhooks"
    one = base + "/{webhook_id}"
    scope = Scope.WEBHOOKS_WRITE
    return [
        Operation("GET", base, list_webhooks, "List a store's webhooks", tag, scope, WebhookList),
        Operation("POST", base, create_webhook, "Create a webhook (the secret is returned once)", tag, scope,
                  WebhookOut, body=WebhookIn, status=201),
        Operation("GET", one, get_webhook, "Get a webhook", tag, scope, WebhookOut),
        Operation("PATCH", one, update_webhook, "Update a webhook or rotate its secret", tag, scope, WebhookOut,
                  body=WebhookUpdate),
        Operation("DELETE", one, delete_webhook, "Delete a webhook and its delivery log", tag, scope, status=204),
        Operation("GET", one + "/deliveries", list_deliveries, "Delivery log, newest event first", tag, scope,
                  DeliveryPage, query=Paging),
        Operation("GET", one + "/deliveries/{delivery_id}", get_delivery, "One delivery with its signed body", tag,
                  scope, DeliveryOut),
        Operation("POST", one + "/deliveries/{delivery_id}/redeliver", redeliver,
                  "Send a delivery again (same delivery id)", tag, scope, DeliveryOut, status=202),
    ]
