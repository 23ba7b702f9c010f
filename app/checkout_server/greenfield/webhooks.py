"""Greenfield webhooks: create, list, get, update (PUT), delete, deliveries, a delivery's request, redeliver.

They are RedWaves webhooks (WebhookService: secret in the keyring, delivery log, retries) with the
"greenfield" flavor: BTCPay event names, bodies and the `BTCPay-Sig` header (WebhookDispatcher).
"""

from __future__ import annotations

import json

from aiohttp import web

from app.checkout_server.greenfield.auth import GfCall
from app.checkout_server.greenfield.models import enum_value
from app.core.errors import ValidationError
from app.services.delivery.webhook_dispatch import DeliveryStatus, Flavor
from app.services.delivery.webhook_payloads import GREENFIELD_EVENT_TYPES, unix_s
from app.services.delivery.webhooks import DeliveryNotFound, Webhook, WebhookDelivery, WebhookNotFound


def webhook_data(webhook: Webhook, secret: str | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "id": webhook.id, "enabled": webhook.enabled, "automaticRedelivery": True, "url": webhook.url,
        "authorizedEvents": {"everything": not webhook.event_types, "specificEvents": list(webhook.event_types)},
    }
    if secret is not None:
        data["secret"] = secret
    return data


def delivery_data(delivery: WebhookDelivery) -> dict[str, object]:
    if delivery.status == DeliveryStatus.DELIVERED:
        status = "HttpSuccess"
    elif delivery.last_status_code is not None:
        status = "HttpError"
    elif delivery.status == DeliveryStatus.FAILED:
        status = "Failed"
    else:
        status = "Pending"  # queued, not attempted yet (BTCPay has no such state)
    data: dict[str, object] = {"id": delivery.id, "timestamp": unix_s(delivery.created_at),
                            "httpCode": delivery.last_status_code, "status": status}
    if delivery.last_error:
        data["errorMessage"] = delivery.last_error
    return data


def _events(body: dict[str, object]) -> list[str]:
    authorized = body.get("authorizedEvents") or {}
    if not isinstance(authorized, dict):
        raise ValidationError("'authorizedEvents' must be an object.", field="authorizedEvents")
    if authorized.get("everything", True) is not False:
        return []
    events = authorized.get("specificEvents") or []
    names = [enum_value(e, GREENFIELD_EVENT_TYPES) for e in events] if isinstance(events, list) else [None]
    unknown = next((e for e, name in zip(events, names, strict=False) if name is None), events)
    if None in names:
        raise ValidationError(f"Unknown event type {json.dumps(unknown)}; use one of "
                              f"{', '.join(GREENFIELD_EVENT_TYPES)}.", field="authorizedEvents.specificEvents")
    return list(dict.fromkeys(n for n in names if n is not None))


def _enabled(body: dict[str, object]) -> bool:
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValidationError("'enabled' must be true or false.", field="enabled")
    return enabled


async def _webhook(call: GfCall) -> Webhook:
    store_id = call.param("store_id")
    call.check_store(store_id)
    await call.services.stores.get(store_id)
    webhooks = call.services.webhooks
    webhook = await webhooks.get(call.param("webhook_id"))
    flavors = await webhooks.dispatcher.flavors(store_id)
    if webhook.store_id != store_id or flavors.get(webhook.id) != Flavor.GREENFIELD:
        raise WebhookNotFound("Webhook not found.")
    return webhook


async def _delivery(call: GfCall) -> WebhookDelivery:
    webhook = await _webhook(call)
    delivery = await call.services.webhooks.delivery(call.param("delivery_id"))
    if delivery.webhook_id != webhook.id:
        raise DeliveryNotFound("Delivery not found.")
    return delivery


async def list_webhooks(call: GfCall) -> list[dict[str, object]]:
    store_id = call.param("store_id")
    call.check_store(store_id)
    await call.services.stores.get(store_id)
    webhooks = call.services.webhooks
    flavors = await webhooks.dispatcher.flavors(store_id)
    return [webhook_data(w) for w in await webhooks.list(store_id) if flavors.get(w.id) == Flavor.GREENFIELD]


async def create_webhook(call: GfCall) -> dict[str, object]:
    store_id = call.param("store_id")
    call.check_store(store_id)
    body = await call.json()
    events, enabled = _events(body), _enabled(body)
    webhooks = call.services.webhooks
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise ValidationError("'secret' must be a string.", field="secret")
    saved = await webhooks.create(store_id, str(body.get("url") or ""), secret=secret or None, enabled=enabled,
                                  event_types=events, flavor=Flavor.GREENFIELD)
    shown_once = saved.secret.reveal() if saved.secret is not None else None
    return webhook_data(await webhooks.get(saved.webhook.id), shown_once)


async def get_webhook(call: GfCall) -> dict[str, object]:
    return webhook_data(await _webhook(call))


async def update_webhook(call: GfCall) -> dict[str, object]:
    webhook = await _webhook(call)
    body = await call.json()
    events = _events(body)
    changes: dict[str, object] = {"url": body.get("url", webhook.url), "enabled": _enabled(body)}
    if body.get("secret"):
        changes["secret"] = body["secret"]
    webhooks = call.services.webhooks
    saved = await webhooks.update(webhook.id, changes)
    await webhooks.dispatcher.set_flavor(webhook.id, Flavor.GREENFIELD, event_types=events)
    secret = saved.secret.reveal() if saved.secret is not None else None
    return webhook_data(await webhooks.get(webhook.id), secret)


async def delete_webhook(call: GfCall) -> web.Response:
    await call.services.webhooks.delete((await _webhook(call)).id)
    return web.Response(status=200)


async def list_deliveries(call: GfCall) -> list[dict[str, object]]:
    webhook = await _webhook(call)
    raw = call.request.query.get("count", "")
    digits = raw.isascii() and raw.isdigit()
    count = (int(raw) if len(raw) <= 4 else 1000) if digits else 50  # long digit strings: never int() them
    page = await call.services.webhooks.deliveries(webhook.id, limit=max(1, min(count, 1000)))
    return [delivery_data(d) for d in page.items]


async def get_delivery(call: GfCall) -> dict[str, object]:
    return delivery_data(await _delivery(call))


async def delivery_request(call: GfCall) -> web.Response:
    delivery = await _delivery(call)
    return web.Response(text=delivery.body, content_type="application/json")


async def redeliver(call: GfCall) -> str:
    delivery = await _delivery(call)
    return (await call.services.webhooks.redeliver(delivery.id)).id  # BTCPay answers the delivery id
