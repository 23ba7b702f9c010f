"""Buyer receipts and merchant notifications, delivered at least once from the engine's outbox.

Two tasks, like webhook delivery:
- the *consumer* reads committed outbox events after its durable cursor (``event_cursors`` row
  ``notifications``), applies the store's settings and rules, and inserts one ``notification_deliveries``
  row per (channel, kind, recipient, event) in the SAME transaction that advances the cursor. The
  table's unique key makes a re-read after a crash insert nothing twice;
- the *sender* delivers due rows (rendering at send time from the event and the invoice) and records
  the outcome: retryable failures back off exponentially, others (and the last attempt) end as failed.

Nothing here runs inside the payment flow: a dead mail server only delays notifications.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.errors import NotFound, UserFacingError
from app.core.records import Invoice, Store
from app.db.models import NotificationDeliveryRow, OutboxEventRow
from app.net.notify import DeliveryFailed
from app.services.catalog.stores import StoreService
from app.services.delivery import notification_rules as rules
from app.services.delivery.email import EmailService, parse_config
from app.services.delivery.notification_channels import ChannelRegistry, EmailProvider
from app.services.delivery.retry import RetryPolicy
from app.services.events import EventBus, OutboxEvent, cached_lookup
from app.services.invoicing.invoices import InvoiceService
from app.services.writer import Writer

logger = logging.getLogger(__name__)

CONSUMER = "notifications"
BATCH = 200


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Kind(StrEnum):
    RECEIPT = "receipt"
    MERCHANT = "merchant"


@dataclass(frozen=True)
class NotificationDelivery:
    id: int
    store_id: str | None
    event_seq: int
    channel: str
    kind: str
    recipient: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _delivery(row: NotificationDeliveryRow) -> NotificationDelivery:
    return NotificationDelivery(row.id, row.store_id, row.event_seq, row.channel, row.kind, row.recipient,
                                DeliveryStatus(row.status), row.attempts, row.next_attempt_at, row.last_error,
                                row.created_at, row.delivered_at)


class NotificationService:
    def __init__(self, writer: Writer, events: EventBus, stores: StoreService, invoices: InvoiceService,
                 email: EmailService, channels: ChannelRegistry, *, policy: RetryPolicy | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._writer = writer
        self._events = events
        self._stores = stores
        self._invoices = invoices
        self._email = email
        self.channels = channels
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._consume_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.channels.start()
        self._unsubscribe = self._events.subscribe(lambda _event: self._consume_wake.set())
        self._consume_wake.set()
        self._send_wake.set()
        self._tasks = [asyncio.create_task(self._loop(self._consume_wake, self._consume_all), name="notify-consumer"),
                       asyncio.create_task(self._loop(self._send_wake, self.send_due), name="notify-sender")]

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.channels.stop()

    async def _loop(self, wake: asyncio.Event, step: Callable[[], Any]) -> None:
        while True:
            wake.clear()
            try:
                delay = await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("notification %s failed; retrying", step.__name__)
                delay = 1.0
            try:
                await asyncio.wait_for(wake.wait(), timeout=max(0.0, min(delay, self.policy.poll_s)))
            except TimeoutError:
                pass

    async def _consume_all(self) -> float:
        while await self.consume_once():
            pass
        return self.policy.poll_s

    # -- settings --------------------------------------------------------------------------------
    async def configure(self, store_id: str, config: Mapping[str, Any], *,
                        targets: Mapping[str, str | None] | None = None) -> Store:
        """Save channels and rules; ``targets`` maps channel name -> webhook URL or Apprise URL(s)
        (kept in the keyring; None removes)."""
        clean = rules.clean_notifications(config)
        await self._stores.get(store_id)
        for name, target in (targets or {}).items():
            if name not in clean["channels"]:
                raise UserFacingError(f"Unknown channel '{name}'.", code="invalid_channel_name", field="targets")
            await self.channels.set_target(store_id, name, target)
        return await self._stores.update(store_id, {"notifications": clean})

    # -- consumer: outbox -> delivery rows -------------------------------------------------------
    async def consume_once(self) -> int:
        """Turn the next batch of outbox events into delivery rows; returns how many events were read."""
        read, added = await self._events.consume(CONSUMER, self._plan_batch, self._write, limit=BATCH)
        if added:
            self._send_wake.set()
        return read

    async def _plan_batch(self, batch: list[OutboxEvent]) -> list[tuple[dict[str, Any], str | None]]:
        stores: dict[str, Store | None] = {}
        planned: list[tuple[dict[str, Any], str | None]] = []  # (row, invoice id for receipt de-dup)
        for event in batch:
            store = await self._store(stores, event.store_id)
            if store is not None:
                planned.extend(await self._plan(store, event))
        return planned

    async def _write(self, session: Any, planned: list[tuple[dict[str, Any], str | None]]) -> int:
        now = self._clock()
        added = 0
        for values, receipt_invoice in planned:
            if receipt_invoice and await self._receipt_sent(session, receipt_invoice, values["recipient"]):
                continue
            result = await session.execute(sqlite_insert(NotificationDeliveryRow).values(
                **values, status=str(DeliveryStatus.PENDING), attempts=0, next_attempt_at=now, created_at=now,
            ).on_conflict_do_nothing())
            added += result.rowcount or 0
        return added

    async def _store(self, cache: dict[str, Store | None], store_id: str | None) -> Store | None:
        return await cached_lookup(cache, store_id, self._stores.get)

    async def _plan(self, store: Store, event: OutboxEvent) -> list[tuple[dict[str, Any], str | None]]:
        config = parse_config(store.email)
        base = {"store_id": store.id, "event_seq": event.seq}
        planned: list[tuple[dict[str, Any], str | None]] = []
        if config.smtp and event.invoice_id and rules.receipt_due(config.receipt_on, event.type, event.payload):
            invoice = await self._invoice(event.invoice_id)
            if invoice is not None and invoice.buyer_email:
                planned.append(({**base, "channel": "email", "kind": str(Kind.RECEIPT),
                                 "recipient": invoice.buyer_email}, invoice.id))
        names = rules.channels_for(store.notifications, rules.triggers(event.type, event.payload))
        configured = store.notifications.get("channels") or {}
        for name in names:
            if name == "email":
                targets = [("email", addr) for addr in config.merchant_to] if config.smtp else []
            elif name == "tray":
                targets = [("tray", "tray")]
            else:
                targets = [(configured[name]["type"], name)]
            planned.extend(({**base, "channel": channel, "kind": str(Kind.MERCHANT), "recipient": recipient}, None)
                           for channel, recipient in targets)
        return planned

    @staticmethod
    async def _receipt_sent(session: Any, invoice_id: str, recipient: str) -> bool:
        """A receipt already planned for an earlier event of the same invoice (e.g. paid again after a reorg)."""
        seqs = select(OutboxEventRow.seq).where(OutboxEventRow.invoice_id == invoice_id)
        found = await session.scalar(select(NotificationDeliveryRow.id).where(
            NotificationDeliveryRow.kind == str(Kind.RECEIPT), NotificationDeliveryRow.recipient == recipient,
            NotificationDeliveryRow.event_seq.in_(seqs)).limit(1))
        return found is not None

    async def _invoice(self, invoice_id: str) -> Invoice | None:
        try:
            return await self._invoices.get(invoice_id)
        except NotFound:
            return None

    # -- sender: due rows -> providers -----------------------------------------------------------
    async def send_due(self) -> float:
        """Attempt every due delivery; returns seconds until the next one is due."""
        limit = asyncio.Semaphore(self.policy.concurrency)

        async def attempt(delivery_id: int) -> None:
            async with limit:
                await self._attempt(delivery_id)

        while True:
            query = (select(NotificationDeliveryRow.id)
                     .where(NotificationDeliveryRow.status == str(DeliveryStatus.PENDING),
                            NotificationDeliveryRow.next_attempt_at <= self._clock())
                     .order_by(NotificationDeliveryRow.next_attempt_at).limit(self.policy.concurrency * 5))
            async with self._writer.read() as session:
                due = list((await session.scalars(query)).all())
            if not due:
                break
            await asyncio.gather(*(attempt(d) for d in due))
        async with self._writer.read() as session:
            next_at = await session.scalar(select(func.min(NotificationDeliveryRow.next_attempt_at))
                                           .where(NotificationDeliveryRow.status == str(DeliveryStatus.PENDING)))
        if next_at is None:
            return self.policy.poll_s
        return max(0.0, (next_at - self._clock()).total_seconds())

    async def _attempt(self, delivery_id: int) -> None:
        async with self._writer.read() as session:
            row = await session.get(NotificationDeliveryRow, delivery_id)
            event = await session.get(OutboxEventRow, row.event_seq) if row is not None else None
        if row is None or row.status != DeliveryStatus.PENDING:
            return
        error: UserFacingError | None = None
        try:
            await self._deliver(row, event)
        except UserFacingError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a bug in one delivery must not stop the others
            logger.exception("notification delivery %s crashed", delivery_id)
            error = DeliveryFailed(f"Internal error ({type(exc).__name__}).", code="internal_error")
        await self._record(delivery_id, error)

    async def _deliver(self, row: NotificationDeliveryRow, event: OutboxEventRow | None) -> None:
        if event is None or event.invoice_id is None or row.store_id is None:
            raise DeliveryFailed("The event for this notification is gone.", code="event_missing", retryable=False)
        store = await self._stores.get(row.store_id)
        invoice = await self._invoices.get(event.invoice_id)
        if row.kind == Kind.RECEIPT:
            await self._email.send(store, row.recipient, self._email.render("receipt", store, invoice))
            return
        text = rules.label(rules.triggers(event.type, dict(event.payload))) or event.type
        rendered = self._email.render("merchant", store, invoice, label=text)
        provider = await self.channels.provider(store, row.channel, row.recipient)
        if isinstance(provider, EmailProvider):
            await provider.send_rendered(rendered)
        else:
            await provider.send(rendered.subject, rendered.text, url=self._email.invoice_link(store, invoice.id))

    async def _record(self, delivery_id: int, error: UserFacingError | None) -> None:
        now = self._clock()
        retryable = error is None or (isinstance(error, DeliveryFailed) and error.retryable)
        async with self._writer.transaction() as session:
            row = await session.get(NotificationDeliveryRow, delivery_id)
            if row is None or row.status != DeliveryStatus.PENDING:
                return
            row.attempts += 1
            row.last_error = f"{error.code}: {error.message}"[:1000] if error else None
            if error is None:
                row.status, row.delivered_at, row.next_attempt_at = str(DeliveryStatus.DELIVERED), now, None
            elif not retryable or row.attempts >= self.policy.max_attempts:
                row.status, row.next_attempt_at = str(DeliveryStatus.FAILED), None
            else:
                row.next_attempt_at = now + self.policy.delay_after(row.attempts)
            status, attempts = row.status, row.attempts
        logger.info("notification %s attempt %d: %s -> %s", delivery_id, attempts,
                    error.code if error else "ok", status)

    # -- the merchant's view ---------------------------------------------------------------------
    async def deliveries(self, store_id: str, *, limit: int = 100) -> list[NotificationDelivery]:
        query = (select(NotificationDeliveryRow).where(NotificationDeliveryRow.store_id == store_id)
                 .order_by(NotificationDeliveryRow.id.desc()).limit(limit))
        async with self._writer.read() as session:
            return [_delivery(row) for row in (await session.scalars(query)).all()]

    async def retry(self, delivery_id: int) -> None:
        """Send a failed delivery again now (after the merchant fixed the settings)."""
        async with self._writer.transaction() as session:
            row = await session.get(NotificationDeliveryRow, delivery_id)
            if row is None:
                raise NotFound(f"Notification delivery {delivery_id} not found.", code="delivery_not_found")
            row.status, row.attempts, row.next_attempt_at = str(DeliveryStatus.PENDING), 0, self._clock()
        self._send_wake.set()

    def wake(self) -> None:
        self._send_wake.set()
