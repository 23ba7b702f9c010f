"""The webhook channel of the delivery pipeline: which ``webhook_deliveries`` rows an outbox event
implies, and one signed POST per attempt.

A delivery is one row per (webhook, event) for every enabled webhook of the event's store created before
the event. Each webhook has a *flavor* (``webhooks.flavor``): ``redwaves`` bodies and ``X-RedWaves-*``
headers (docs/api.md), or ``greenfield``: BTCPay Server's event types, bodies and ``BTCPay-Sig`` header
(docs/greenfield.md); a greenfield hook's ``event_types`` are BTCPay event names (empty: all). The body
is fixed when the row is written; each attempt signs it with the webhook's current secret (keyring).
Network errors, timeouts, 5xx, 408 and 429 are retried; any other answer ends the delivery (2xx
delivered, anything else failed). Outbound HTTP goes through one aiohttp ClientSession whose connector
comes from an injectable factory (Tor-only mode passes a SOCKS connector). A test delivery ("Send test",
`ping_row`) is a row with a negative ``event_seq`` and no invoice, sent through the same `send`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import __version__
from app.core.errors import NotFound
from app.core.ids import new_id
from app.core.records import Invoice
from app.db.models import WebhookDeliveryRow, WebhookRow
from app.secrets import SecretStore
from app.services.delivery.pipeline import Attempt
from app.services.delivery.pipeline import DeliveryStatus as DeliveryStatus  # the checkout server's import
from app.services.delivery.webhook_payloads import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    GREENFIELD_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    delivery_body,
    greenfield_body,
    greenfield_event,
    sign,
    unix_s,
)
from app.services.events import OutboxEvent, cached_lookup
from app.services.invoicing.invoices import InvoiceService
from app.services.writer import Writer

RETRYABLE_STATUS = frozenset({408, 429})
TEST_EVENT_TYPE = "webhook.test"  # a redwaves hook's test delivery ("Send test")
GREENFIELD_TEST_EVENT_TYPE = "InvoiceCreated"  # BTCPay's default test event, on a made-up invoice
ConnectorFactory = Callable[[], aiohttp.BaseConnector]


class Flavor(StrEnum):
    REDWAVES = "redwaves"
    GREENFIELD = "greenfield"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


def secret_name(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


async def webhook_row(session: AsyncSession, webhook_id: str) -> WebhookRow:
    row = await session.get(WebhookRow, webhook_id)
    if row is None:
        raise WebhookNotFound("Webhook not found.")
    return row


def http_attempt(status_code: int) -> Attempt:
    delivered = 200 <= status_code < 300
    return Attempt(None if delivered else f"HTTP {status_code}", status_code=status_code,
                   retryable=status_code >= 500 or status_code in RETRYABLE_STATUS)


class WebhookChannel:
    consumer = "webhooks"
    table = WebhookDeliveryRow

    def __init__(self, writer: Writer, secrets_store: SecretStore, invoices: InvoiceService, *, timeout_s: float,
                 connector_factory: ConnectorFactory | None = None) -> None:
        self._writer = writer
        self._secrets = secrets_store
        self._invoices = invoices
        self._timeout_s = timeout_s
        self._connector_factory = connector_factory or (lambda: aiohttp.TCPConnector(limit=20))
        self._hooks_cache: dict[str, list[WebhookRow]] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._timeout_s, sock_connect=min(5.0, self._timeout_s))
        self._session = aiohttp.ClientSession(connector=self._connector_factory(), timeout=timeout,
                                              headers={"User-Agent": f"RedWaves/{__version__}"})

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- which rows an event implies -------------------------------------------------------------
    async def plan(self, batch: list[OutboxEvent]) -> list[WebhookDeliveryRow]:
        hooks = await self._enabled_hooks()
        invoices: dict[str, Invoice | None] = {}
        rows: list[WebhookDeliveryRow] = []
        for event in batch:
            for hook in hooks.get(event.store_id or "", ()):
                if event.created_at < hook.created_at:
                    continue
                invoice = await cached_lookup(invoices, event.invoice_id, self._invoices.get)
                if (row := _row(hook, event, invoice)) is not None:
                    rows.append(row)
        return rows

    async def exists(self, session: AsyncSession, row: WebhookDeliveryRow) -> bool:
        found = await session.scalar(select(WebhookDeliveryRow.id).where(
            WebhookDeliveryRow.webhook_id == row.webhook_id, WebhookDeliveryRow.event_seq == row.event_seq))
        return found is not None

    def invalidate_hooks(self) -> None:
        """Webhooks were created, changed or deleted: re-read them for the next batch."""
        self._hooks_cache = None

    async def _enabled_hooks(self) -> dict[str, list[WebhookRow]]:
        if self._hooks_cache is None:
            async with self._writer.read() as session:
                rows = (await session.scalars(select(WebhookRow).where(WebhookRow.enabled.is_(True)))).all()
            by_store: dict[str, list[WebhookRow]] = defaultdict(list)
            for row in rows:
                by_store[row.store_id].append(row)
            self._hooks_cache = by_store
        return self._hooks_cache

    # -- flavor: how a webhook's deliveries are shaped ---------------------------------------------
    async def set_flavor(self, webhook_id: str, flavor: Flavor, *, event_types: list[str],
                         enabled: bool | None = None) -> None:
        """Set a webhook's flavor and its (flavor-specific) event types; optionally enable it in the same write.

        The caller validates `event_types` for the flavor (greenfield: GREENFIELD_EVENT_TYPES).
        """
        async with self._writer.transaction() as session:
            row = await webhook_row(session, webhook_id)
            row.flavor = str(flavor)
            row.event_types = list(event_types)
            if enabled is not None:
                row.enabled = enabled
        self.invalidate_hooks()

    async def flavors(self, store_id: str) -> dict[str, Flavor]:
        """webhook id -> flavor, for one store's webhooks."""
        query = select(WebhookRow.id, WebhookRow.flavor).where(WebhookRow.store_id == store_id)
        async with self._writer.read() as session:
            rows = (await session.execute(query)).all()
        return {hook_id: Flavor(flavor or Flavor.REDWAVES) for hook_id, flavor in rows}

    # -- one attempt -----------------------------------------------------------------------------
    async def send(self, row: WebhookDeliveryRow) -> Attempt:
        async with self._writer.read() as session:
            hook = await session.get(WebhookRow, row.webhook_id)
        if hook is None or not hook.enabled:
            return Attempt("webhook disabled", retryable=False)
        secret = await asyncio.to_thread(self._secrets.get, secret_name(hook.id))
        if secret is None:
            return Attempt("webhook secret missing from keyring", retryable=False)
        body = row.body.encode()
        headers = {"Content-Type": "application/json"}
        if hook.flavor == Flavor.GREENFIELD:
            headers[GREENFIELD_SIGNATURE_HEADER] = sign(secret.reveal(), body)
        else:
            headers.update({SIGNATURE_HEADER: sign(secret.reveal(), body), DELIVERY_HEADER: row.id,
                            EVENT_HEADER: row.event_type})
        return await self._post(hook.url, body, headers)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        if self._session is None:
            return Attempt("webhooks are stopping")
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                await response.content.read(64 * 1024)
                return http_attempt(response.status)
        except TimeoutError:
            return Attempt(f"timed out after {self._timeout_s:g} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Attempt(f"{type(exc).__name__}: {exc}"[:500])


def _row(hook: WebhookRow, event: OutboxEvent, invoice: Invoice | None) -> WebhookDeliveryRow | None:
    """The delivery of one event to one hook, in the hook's flavor; None when the hook does not want it."""
    delivery_id = new_id("whd")
    if hook.flavor == Flavor.GREENFIELD:
        mapped = greenfield_event(event.type, event.payload, invoice)
        if mapped is None or invoice is None or (hook.event_types and mapped[0] not in hook.event_types):
            return None
        event_type = mapped[0]
        body = greenfield_body(delivery_id=delivery_id, webhook_id=hook.id, btcpay_type=event_type,
                               timestamp=event.created_at, invoice=invoice, fields=mapped[1])
    else:
        if hook.event_types and event.type not in hook.event_types:
            return None
        event_type = event.type
        body = delivery_body(delivery_id=delivery_id, event_seq=event.seq, event_type=event_type,
                             timestamp=event.created_at, store_id=event.store_id or "", event=event.payload,
                             invoice=invoice)
    return WebhookDeliveryRow(id=delivery_id, webhook_id=hook.id, event_seq=event.seq, event_type=event_type,
                              body=body)


def ping_row(hook: WebhookRow, event_seq: int, timestamp: datetime) -> WebhookDeliveryRow:
    """A test delivery for `hook` in its flavor: no invoice behind it, signed and sent like any other.

    redwaves: type ``webhook.test``, ``event`` says ``{"test": true}``, ``invoice`` null. greenfield: as
    BTCPay's "Test webhook", an ``InvoiceCreated`` for a made-up ``__test__…__test__`` invoice id.
    `event_seq` is negative (no outbox event has it), so it never collides with a real delivery.
    """
    delivery_id = new_id("whd")
    if hook.flavor == Flavor.GREENFIELD:
        event_type = GREENFIELD_TEST_EVENT_TYPE
        body = json.dumps({
            "deliveryId": delivery_id, "webhookId": hook.id, "originalDeliveryId": delivery_id, "isRedelivery": False,
            "type": event_type, "timestamp": unix_s(timestamp), "storeId": hook.store_id,
            "invoiceId": f"__test__{secrets.token_hex(8)}__test__", "metadata": {},
        }, separators=(",", ":"))
    else:
        event_type = TEST_EVENT_TYPE
        body = delivery_body(delivery_id=delivery_id, event_seq=event_seq, event_type=event_type,
                             timestamp=timestamp, store_id=hook.store_id, event={"test": True}, invoice=None)
    return WebhookDeliveryRow(id=delivery_id, webhook_id=hook.id, event_seq=event_seq, event_type=event_type,
                              body=body)
