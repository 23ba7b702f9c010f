"""At-least-once webhook delivery from the engine's outbox.

Two tasks:
- the *consumer* reads committed outbox events after its durable cursor (``event_cursors`` row
  ``webhooks``) and writes one ``webhook_deliveries`` row per matching webhook, in the SAME transaction
  that advances the cursor: a crash never loses an event nor skips a delivery;
- the *sender* POSTs due deliveries, signed with the webhook's current secret, and records the outcome.
  Network errors, timeouts, 5xx, 408 and 429 are retried with exponential backoff; other answers end
  the delivery (2xx delivered, anything else failed), as does the last allowed attempt.

Each webhook has a *flavor* (``webhooks.flavor``): ``redwaves`` bodies and ``X-RedWaves-*`` headers
(docs/api.md), or ``greenfield``: BTCPay Server's event types, bodies and ``BTCPay-Sig`` header
(docs/greenfield.md). A greenfield hook's ``event_types`` are BTCPay event names (empty: all).

Pending rows are in the database, so they survive a restart. Outbound HTTP goes through one
aiohttp ClientSession whose connector comes from an injectable factory (Tor-only mode passes a SOCKS
connector).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import aiohttp
from sqlalchemy import func, select

from app import __version__
from app.core.errors import NotFound
from app.core.ids import new_id
from app.core.records import Invoice
from app.db.models import WebhookDeliveryRow, WebhookRow
from app.secrets import SecretStore
from app.services.delivery.retry import RetryPolicy
from app.services.delivery.webhook_payloads import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    GREENFIELD_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    delivery_body,
    greenfield_body,
    greenfield_event,
    sign,
)
from app.services.events import EventBus, OutboxEvent, cached_lookup
from app.services.invoicing.invoices import InvoiceService
from app.services.writer import Writer

logger = logging.getLogger(__name__)

CONSUMER = "webhooks"
BATCH = 200
RETRYABLE_STATUS = frozenset({408, 429})
ConnectorFactory = Callable[[], aiohttp.BaseConnector]


class Flavor(StrEnum):
    REDWAVES = "redwaves"
    GREENFIELD = "greenfield"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def secret_name(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        code = self.status_code
        return code is None or code >= 500 or code in RETRYABLE_STATUS


class WebhookDispatcher:
    def __init__(self, writer: Writer, events: EventBus, secrets_store: SecretStore, invoices: InvoiceService, *,
                 policy: RetryPolicy | None = None, connector_factory: ConnectorFactory | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._writer = writer
        self._events = events
        self._hooks_cache: dict[str, list[WebhookRow]] | None = None
        self._secrets = secrets_store
        self._invoices = invoices
        self.policy = policy or RetryPolicy(base_delay_s=10.0)
        self._connector_factory = connector_factory or (lambda: aiohttp.TCPConnector(limit=20))
        self._clock = clock
        self._consume_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s, sock_connect=min(5.0, self.policy.timeout_s))
        self._session = aiohttp.ClientSession(connector=self._connector_factory(), timeout=timeout,
                                              headers={"User-Agent": f"RedWaves/{__version__}"})
        self._unsubscribe = self._events.subscribe(lambda _event: self._consume_wake.set())
        self._consume_wake.set()
        self._send_wake.set()
        self._tasks = [asyncio.create_task(self._consume_loop(), name="webhook-consumer"),
                       asyncio.create_task(self._send_loop(), name="webhook-sender")]

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    def wake(self) -> None:
        self._send_wake.set()

    @staticmethod
    async def _sleep(event: asyncio.Event, timeout_s: float) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel racing with the event.
        try:
            async with asyncio.timeout(max(0.0, timeout_s)):
                await event.wait()
        except TimeoutError:
            pass

    # -- consumer: outbox -> delivery rows -------------------------------------------------------
    async def _consume_loop(self) -> None:
        while True:
            self._consume_wake.clear()
            try:
                while await self.consume_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("webhook consumer failed; retrying")
                await asyncio.sleep(1.0)
                self._consume_wake.set()
            await self._sleep(self._consume_wake, self.policy.poll_s)

    async def consume_once(self) -> int:
        """Turn the next batch of outbox events into delivery rows; returns how many events were read."""
        read, written = await self._events.consume(CONSUMER, self._plan, self._write, limit=BATCH)
        if written:
            self._send_wake.set()
        return read

    async def _plan(self, batch: list[OutboxEvent]) -> list[WebhookDeliveryRow]:
        hooks = await self._enabled_hooks()
        invoices: dict[str, Invoice | None] = {}
        rows: list[WebhookDeliveryRow] = []
        for event in batch:
            for hook in hooks.get(event.store_id or "", ()):
                if event.created_at < hook.created_at:
                    continue
                invoice = await self._invoice(invoices, event.invoice_id)
                row = (self._greenfield_row(hook, event, invoice) if hook.flavor == Flavor.GREENFIELD
                       else self._redwaves_row(hook, event, invoice))
                if row is not None:
                    rows.append(row)
        return rows

    @staticmethod
    async def _write(session: Any, rows: list[WebhookDeliveryRow]) -> int:
        added = 0
        for row in rows:
            exists = await session.scalar(select(WebhookDeliveryRow.id).where(
                WebhookDeliveryRow.webhook_id == row.webhook_id, WebhookDeliveryRow.event_seq == row.event_seq))
            if not exists:
                session.add(row)
                added += 1
        return added

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

    async def _invoice(self, cache: dict[str, Invoice | None], invoice_id: str | None) -> Invoice | None:
        return await cached_lookup(cache, invoice_id, self._invoices.get)

    def _redwaves_row(self, hook: WebhookRow, event: OutboxEvent,
                      invoice: Invoice | None) -> WebhookDeliveryRow | None:
        if hook.event_types and event.type not in hook.event_types:
            return None
        delivery_id = new_id("whd")
        body = delivery_body(delivery_id=delivery_id, event_seq=event.seq, event_type=event.type,
                             timestamp=event.created_at, store_id=event.store_id or "", event=event.payload,
                             invoice=invoice)
        return self._row(delivery_id, hook.id, event.seq, event.type, body)

    def _greenfield_row(self, hook: WebhookRow, event: OutboxEvent,
                        invoice: Invoice | None) -> WebhookDeliveryRow | None:
        mapped = greenfield_event(event.type, event.payload, invoice)
        if mapped is None or invoice is None or (hook.event_types and mapped[0] not in hook.event_types):
            return None
        btcpay_type, fields = mapped
        delivery_id = new_id("whd")
        body = greenfield_body(delivery_id=delivery_id, webhook_id=hook.id, btcpay_type=btcpay_type,
                               timestamp=event.created_at, invoice=invoice, fields=fields)
        return self._row(delivery_id, hook.id, event.seq, btcpay_type, body)

    def _row(self, delivery_id: str, webhook_id: str, seq: int, event_type: str, body: str) -> WebhookDeliveryRow:
        now = self._clock()
        return WebhookDeliveryRow(id=delivery_id, webhook_id=webhook_id, event_seq=seq, event_type=event_type,
                                  body=body, status=str(DeliveryStatus.PENDING), attempts=0, next_attempt_at=now,
                                  created_at=now)

    # -- flavor: how a webhook's deliveries are shaped ---------------------------------------------
    async def set_flavor(self, webhook_id: str, flavor: Flavor, *, event_types: list[str],
                         enabled: bool | None = None) -> None:
        """Set a webhook's flavor and its (flavor-specific) event types; optionally enable it in the same write.

        The caller validates `event_types` for the flavor (greenfield: GREENFIELD_EVENT_TYPES).
        """
        async with self._writer.transaction() as session:
            row = await session.get(WebhookRow, webhook_id)
            if row is None:
                raise NotFound("Webhook not found.", code="webhook_not_found")
            row.flavor = str(flavor)
            row.event_types = list(event_types)
            if enabled is not None:
                row.enabled = enabled
        self.invalidate_hooks()
        self._consume_wake.set()

    async def flavors(self, store_id: str) -> dict[str, Flavor]:
        """webhook id -> flavor, for one store's webhooks."""
        query = select(WebhookRow.id, WebhookRow.flavor).where(WebhookRow.store_id == store_id)
        async with self._writer.read() as session:
            rows = (await session.execute(query)).all()
        return {hook_id: Flavor(flavor or Flavor.REDWAVES) for hook_id, flavor in rows}

    # -- sender: due rows -> HTTP ----------------------------------------------------------------
    async def _send_loop(self) -> None:
        while True:
            self._send_wake.clear()
            try:
                delay = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("webhook sender failed; retrying")
                delay = 1.0
            await self._sleep(self._send_wake, min(delay, self.policy.poll_s))

    async def send_due(self) -> float:
        """Attempt every due delivery; returns seconds until the next one is due."""
        while True:
            now = self._clock()
            query = (select(WebhookDeliveryRow.id)
                     .where(WebhookDeliveryRow.status == str(DeliveryStatus.PENDING),
                            WebhookDeliveryRow.next_attempt_at <= now)
                     .order_by(WebhookDeliveryRow.next_attempt_at).limit(self.policy.concurrency * 5))
            async with self._writer.read() as session:
                due = list((await session.scalars(query)).all())
            if not due:
                break
            limit = asyncio.Semaphore(self.policy.concurrency)
            await asyncio.gather(*(self._attempt_limited(d, limit) for d in due))
        async with self._writer.read() as session:
            next_at = await session.scalar(select(func.min(WebhookDeliveryRow.next_attempt_at))
                                           .where(WebhookDeliveryRow.status == str(DeliveryStatus.PENDING)))
        if next_at is None:
            return self.policy.poll_s
        return max(0.0, (next_at - self._clock()).total_seconds())

    async def _attempt_limited(self, delivery_id: str, limit: asyncio.Semaphore) -> None:
        async with limit:
            await self._attempt(delivery_id)

    async def _attempt(self, delivery_id: str) -> None:
        async with self._writer.read() as session:
            row = await session.get(WebhookDeliveryRow, delivery_id)
            hook = await session.get(WebhookRow, row.webhook_id) if row is not None else None
        if row is None or hook is None or row.status != DeliveryStatus.PENDING:
            return
        if not hook.enabled:
            await self._record(delivery_id, _Outcome(None, "webhook disabled"), give_up=True)
            return
        secret = await asyncio.to_thread(self._secrets.get, secret_name(hook.id))
        if secret is None:
            await self._record(delivery_id, _Outcome(None, "webhook secret missing from keyring"), give_up=True)
            return
        outcome = await self._post(hook.url, row, secret.reveal(), Flavor(hook.flavor or Flavor.REDWAVES))
        await self._record(delivery_id, outcome, give_up=not outcome.retryable)

    async def _post(self, url: str, row: WebhookDeliveryRow, secret: str, flavor: Flavor) -> _Outcome:
        assert self._session is not None, "start() the dispatcher first"
        body = row.body.encode()
        if flavor == Flavor.GREENFIELD:
            headers = {"Content-Type": "application/json", GREENFIELD_SIGNATURE_HEADER: sign(secret, body)}
        else:
            headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body),
                       DELIVERY_HEADER: row.id, EVENT_HEADER: row.event_type}
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                await response.content.read(64 * 1024)
                return _Outcome(response.status, None if response.status < 300 else f"HTTP {response.status}")
        except TimeoutError:
            return _Outcome(None, f"timed out after {self.policy.timeout_s:g} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return _Outcome(None, f"{type(exc).__name__}: {exc}"[:500])

    async def _record(self, delivery_id: str, outcome: _Outcome, *, give_up: bool) -> None:
        now = self._clock()
        async with self._writer.transaction() as session:
            row = await session.get(WebhookDeliveryRow, delivery_id)
            if row is None or row.status != DeliveryStatus.PENDING:
                return
            row.attempts += 1
            row.last_status_code = outcome.status_code
            row.last_error = outcome.error
            if outcome.delivered:
                row.status, row.delivered_at, row.next_attempt_at = str(DeliveryStatus.DELIVERED), now, None
            elif give_up or row.attempts >= self.policy.max_attempts:
                row.status, row.next_attempt_at = str(DeliveryStatus.FAILED), None
            else:
                row.next_attempt_at = now + self.policy.delay_after(row.attempts)
            status, attempts = row.status, row.attempts
        logger.info("webhook delivery %s attempt %d: %s -> %s", delivery_id, attempts,
                    outcome.status_code or outcome.error, status)

