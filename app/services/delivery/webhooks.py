"""Webhooks per store: URL, event types, a secret kept in keyring (never in the DB), a delivery log.

Delivery (outbox cursor, rows, retries) is the shared `DeliveryPipeline` with the webhook channel
(`webhook_dispatch.WebhookChannel`: flavors, bodies, signed HTTP), both owned by this service:
`start()`/`stop()` run them. `dispatcher` is the channel (the Greenfield API reads flavors there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.core.errors import Conflict, StoreNotFound, ValidationError
from app.core.events import EVENT_TYPES
from app.core.ids import new_id
from app.core.records import Page
from app.db.models import StoreRow, WebhookDeliveryRow, WebhookRow
from app.secrets import Secret, SecretStore
from app.services.delivery.pipeline import Attempt, DeliveryPipeline, DeliveryStatus, utc_now
from app.services.delivery.pipeline import (
    DeliveryNotFound as DeliveryNotFound,  # the checkout server's import
)
from app.services.delivery.retry import RetryPolicy
from app.services.delivery.webhook_dispatch import (
    ConnectorFactory,
    WebhookChannel,
    ping_row,
    secret_name,
    webhook_row,
)
from app.services.delivery.webhook_dispatch import (
    WebhookNotFound as WebhookNotFound,  # the checkout server's import
)
from app.services.events import EventBus
from app.services.invoicing.invoices import InvoiceService
from app.services.writer import Writer

logger = logging.getLogger(__name__)

MIN_SECRET_CHARS = 16
EDITABLE = ("url", "event_types", "enabled", "secret")


@dataclass(frozen=True)
class Webhook:
    id: str
    store_id: str
    url: str
    event_types: tuple[str, ...]  # empty: every event type
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class SavedWebhook:
    """A webhook plus its secret, returned only when the secret was just set (show it once)."""

    webhook: Webhook
    secret: Secret | None


@dataclass(frozen=True)
class WebhookDelivery:
    id: str
    webhook_id: str
    event_seq: int
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    body: str


def _to_webhook(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.store_id, row.url, tuple(row.event_types), row.enabled, row.created_at)


def _to_delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(row.id, row.webhook_id, row.event_seq, row.event_type, DeliveryStatus(row.status),
                           row.attempts, row.next_attempt_at, row.last_status_code, row.last_error,
                           row.created_at, row.delivered_at, row.body)


def _url(value: object) -> str:
    text = str(value or "").strip()
    parts = urlsplit(text) if len(text) <= 2000 else None
    try:
        ok = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok or any(c.isspace() or not c.isprintable() for c in text):  # no NUL or other control characters
        raise ValidationError("The webhook URL must be an http(s) URL.", code="invalid_url", field="url")
    return text


def mark_redelivery(body: str) -> str:
    """A Greenfield webhook body with ``isRedelivery: true``; other bodies unchanged."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict) or "isRedelivery" not in data or data["isRedelivery"] is True:
        return body
    data["isRedelivery"] = True
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _event_types(value: object) -> list[str]:
    types = list(dict.fromkeys(str(v) for v in (value if isinstance(value, Iterable) else [value])))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ValidationError(f"Unknown event type '{unknown[0]}'.", code="invalid_event_type", field="event_types")
    return types


def _secret(value: object) -> Secret:
    text = str(value or "").strip()
    if not text:
        return Secret(secrets.token_urlsafe(32))
    if not MIN_SECRET_CHARS <= len(text) <= 200:
        raise ValidationError(f"A webhook secret has {MIN_SECRET_CHARS} to 200 characters.",
                              code="invalid_secret", field="secret")
    return Secret(text)


def _clean(changes: Mapping[str, object]) -> dict[str, object]:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError(f"Unknown webhook field '{field}'.", code="unknown_field", field=field)
    out: dict[str, object] = {}
    if "url" in changes:
        out["url"] = _url(changes["url"])
    if "event_types" in changes:
        out["event_types"] = _event_types(changes["event_types"] or ())
    if "enabled" in changes:
        out["enabled"] = bool(changes["enabled"])
    return out


class WebhookService:
    def __init__(self, writer: Writer, events: EventBus, secrets_store: SecretStore, invoices: InvoiceService, *,
                 policy: RetryPolicy | None = None, connector_factory: ConnectorFactory | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._writer = writer
        self._secrets = secrets_store
        self._clock = clock
        policy = policy or RetryPolicy(base_delay_s=10.0)
        self.dispatcher = WebhookChannel(writer, secrets_store, invoices, timeout_s=policy.timeout_s,
                                         connector_factory=connector_factory)
        self.pipeline = DeliveryPipeline(writer, events, self.dispatcher, policy=policy, clock=clock)

    async def start(self) -> None:
        await self.pipeline.start()

    async def stop(self) -> None:
        await self.pipeline.stop()

    # -- webhooks --------------------------------------------------------------------------------
    async def create(self, store_id: str, url: str, *, event_types: Iterable[str] = (), secret: str | None = None,
                     enabled: bool = True, flavor: str = "redwaves") -> SavedWebhook:
        """`flavor="greenfield"` hooks carry BTCPay event names, validated by the caller (Greenfield API)."""
        foreign_events = flavor != "redwaves"
        values = _clean({"url": url, "event_types": [] if foreign_events else list(event_types), "enabled": enabled})
        if foreign_events:
            values["event_types"] = list(event_types)
        the_secret = _secret(secret)
        row = WebhookRow(id=new_id("whk"), store_id=store_id, flavor=flavor, created_at=self._clock(), **values)
        async with self._writer.transaction() as session:
            if await session.get(StoreRow, store_id) is None:
                raise StoreNotFound(f"Store {store_id} not found.")
            await asyncio.to_thread(self._secrets.set, secret_name(row.id), the_secret.reveal())
            session.add(row)
        self.dispatcher.invalidate_hooks()
        logger.info("webhook %s created for store %s", row.id, store_id)
        return SavedWebhook(_to_webhook(row), the_secret)

    async def update(self, webhook_id: str, changes: Mapping[str, object]) -> SavedWebhook:
        values = _clean(changes)
        new_secret = _secret(changes["secret"]) if "secret" in changes else None
        async with self._writer.transaction() as session:
            row = await webhook_row(session, webhook_id)
            for key, value in values.items():
                setattr(row, key, value)
            if new_secret is not None:
                await asyncio.to_thread(self._secrets.set, secret_name(webhook_id), new_secret.reveal())
        self.dispatcher.invalidate_hooks()
        return SavedWebhook(_to_webhook(row), new_secret)

    async def delete(self, webhook_id: str) -> None:
        async with self._writer.transaction() as session:
            row = await webhook_row(session, webhook_id)
            await session.delete(row)
        self.dispatcher.invalidate_hooks()
        await asyncio.to_thread(self._secrets.delete, secret_name(webhook_id))
        logger.info("webhook %s deleted", webhook_id)

    async def get(self, webhook_id: str) -> Webhook:
        async with self._writer.read() as session:
            return _to_webhook(await webhook_row(session, webhook_id))

    async def list(self, store_id: str) -> list[Webhook]:
        query = select(WebhookRow).where(WebhookRow.store_id == store_id).order_by(WebhookRow.created_at)
        async with self._writer.read() as session:
            return [_to_webhook(r) for r in (await session.scalars(query)).all()]

    # -- delivery log ----------------------------------------------------------------------------
    async def deliveries(self, webhook_id: str, *, offset: int = 0, limit: int = 50) -> Page:
        await self.get(webhook_id)
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.webhook_id == webhook_id)
        async with self._writer.read() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
            newest = (WebhookDeliveryRow.created_at.desc(), WebhookDeliveryRow.event_seq.desc())
            rows = (await session.scalars(query.order_by(*newest).offset(offset).limit(limit))).all()
        return Page(items=tuple(_to_delivery(r) for r in rows), total=total, offset=offset, limit=limit)

    async def delivery(self, delivery_id: str) -> WebhookDelivery:
        async with self._writer.read() as session:
            row = await session.get(WebhookDeliveryRow, delivery_id)
        if row is None:
            raise DeliveryNotFound("Delivery not found.")
        return _to_delivery(row)

    async def redeliver(self, delivery_id: str) -> WebhookDelivery:
        """Send the same body (same delivery id) again, with a fresh attempt budget. A Greenfield body
        says so (``isRedelivery: true``, as BTCPay's redeliveries do); its ``originalDeliveryId`` is
        this row's id either way."""
        async with self._writer.transaction() as session:
            row = await session.get(WebhookDeliveryRow, delivery_id)
            if row is not None and not (row.status == DeliveryStatus.PENDING and row.attempts == 0):
                row.body = mark_redelivery(row.body)
        return _to_delivery(await self.pipeline.redeliver(delivery_id))

    async def test(self, webhook_id: str) -> WebhookDelivery:
        """Send a signed test event to the webhook now, once, and return its row in the delivery log.

        Same path as every delivery (`WebhookChannel.send`: the hook's flavor, secret and headers); the row
        (negative event_seq, body from `ping_row`) is written first with no due time, so the
        sender never picks it up, and gets the outcome of this one attempt: delivered or failed, never
        retried by itself. "Redeliver" sends it again like any other delivery.
        """
        now = self._clock()
        async with self._writer.transaction() as session:
            hook = await webhook_row(session, webhook_id)
            if not hook.enabled:
                raise Conflict("This webhook is disabled: enable it to send a test.", code="webhook_disabled")
            lowest = await session.scalar(select(func.min(WebhookDeliveryRow.event_seq))
                                          .where(WebhookDeliveryRow.webhook_id == webhook_id))
            row = ping_row(hook, min(0, lowest or 0) - 1, now)
            row.status, row.attempts, row.next_attempt_at, row.created_at = DeliveryStatus.PENDING, 0, None, now
            session.add(row)
        outcome = await self.dispatcher.send(row)
        return await self._record_test(row.id, outcome)

    async def _record_test(self, delivery_id: str, outcome: Attempt) -> WebhookDelivery:
        async with self._writer.transaction() as session:
            row = await session.get(WebhookDeliveryRow, delivery_id)
            if row is None:  # the webhook was deleted meanwhile
                raise DeliveryNotFound("Delivery not found.")
            row.attempts += 1
            row.last_error = outcome.error[:1000] if outcome.error else None
            row.last_status_code = outcome.status_code
            row.next_attempt_at = None
            if outcome.error is None:
                row.status, row.delivered_at = DeliveryStatus.DELIVERED, self._clock()
            else:
                row.status = DeliveryStatus.FAILED
        logger.info("webhook %s test delivery %s: %s -> %s", row.webhook_id, delivery_id,
                    outcome.status_code or outcome.error or "ok", row.status)
        return _to_delivery(row)
