"""One durable outbound delivery pipeline: outbox cursor -> delivery rows -> send with retries -> log.

A `DeliveryPipeline` runs two tasks for one `Channel`:
- the *consumer* reads committed outbox events after the channel's durable cursor (its
  ``event_cursors`` row) and writes the delivery rows they imply in the SAME transaction that advances
  the cursor (`EventBus.consume`): a crash, kill -9 included, never loses an event nor skips a delivery;
- the *sender* hands each due row to the channel and records the outcome on the row: delivered,
  retried later with exponential backoff (`RetryPolicy`), or failed (not retryable, or out of attempts).
  A row is marked only after its send returned, so a crash mid-send sends it again: at-least-once.

The rows are the delivery log; `redeliver` queues one again with a fresh attempt budget (same row, id and
body, so receivers can de-duplicate). Channels differ only in which rows an event implies and how one row
is sent: `webhook_dispatch.WebhookChannel` (signed HTTP) and `notifications.NotificationChannel` (SMTP
receipts and merchant notifications on tray, email, Apprise, plain webhooks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.db.models import NotificationDeliveryRow, WebhookDeliveryRow
from app.lifecycle import cancel_all
from app.services.delivery.retry import RetryPolicy
from app.services.events import EventBus, OutboxEvent
from app.services.writer import Writer

logger = logging.getLogger(__name__)

BATCH = 200  # outbox events per consumer transaction
Row = TypeVar("Row", WebhookDeliveryRow, NotificationDeliveryRow)  # the delivery tables
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"


@dataclass(frozen=True)
class Attempt:
    """How one send went: `error` None means delivered; otherwise it is tried again while `retryable`."""

    error: str | None = None
    retryable: bool = True
    status_code: int | None = None  # the HTTP answer, for webhook rows


class Channel(Protocol[Row]):
    """What differs between webhooks and notifications; the pipeline does the rest."""

    @property
    def consumer(self) -> str: ...  # its cursor in event_cursors

    @property
    def table(self) -> type[Row]: ...  # its delivery rows

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def plan(self, batch: list[OutboxEvent]) -> list[Row]:
        """New rows these events imply (id and content only: the pipeline sets status and times)."""
        ...

    async def exists(self, session: AsyncSession, row: Row) -> bool:
        """Is an equivalent row already written (an event read again after a restart)?"""
        ...

    async def send(self, row: Row) -> Attempt:
        """Try one delivery; raising is a bug, recorded as a retryable internal error."""
        ...


class DeliveryPipeline(Generic[Row]):
    def __init__(self, writer: Writer, events: EventBus, channel: Channel[Row], *, policy: RetryPolicy,
                 clock: Clock = utc_now) -> None:
        self._writer = writer
        self._events = events
        self.channel: Channel[Row] = channel
        self.policy = policy
        self._clock = clock
        self._consume_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.channel.open()
        self._unsubscribe = self._events.subscribe(lambda _event: self._consume_wake.set())
        self._consume_wake.set()
        self._send_wake.set()
        name = self.channel.consumer
        self._tasks = [asyncio.create_task(self._loop(self._consume_wake, self._consume_all), name=f"{name}-consumer"),
                       asyncio.create_task(self._loop(self._send_wake, self.send_due), name=f"{name}-sender")]

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await cancel_all(self._tasks)
        await self.channel.close()

    def wake(self) -> None:
        """Look for due rows now (a row was queued outside the consumer)."""
        self._send_wake.set()

    async def _loop(self, wake: asyncio.Event, step: Callable[[], Awaitable[float]]) -> None:
        while True:
            wake.clear()
            try:
                delay = await step()
            except Exception:
                logger.exception("%s: %s failed; retrying", self.channel.consumer, step.__name__)
                delay = 1.0
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel racing with the event.
            try:
                async with asyncio.timeout(max(0.0, min(delay, self.policy.poll_s))):
                    await wake.wait()
            except TimeoutError:
                pass

    # -- consumer: outbox -> delivery rows, with the cursor ----------------------------------------
    async def _consume_all(self) -> float:
        while await self.consume_once():
            pass
        return self.policy.poll_s

    async def consume_once(self) -> int:
        """Turn the next batch of outbox events into delivery rows; returns how many events were read."""
        read, added = await self._events.consume(self.channel.consumer, self.channel.plan, self._write, limit=BATCH)
        if added:
            self._send_wake.set()
        return read

    async def _write(self, session: AsyncSession, rows: list[Row]) -> int:
        now = self._clock()
        added = 0
        for row in rows:
            if not await self.channel.exists(session, row):  # autoflush: sees the rows added before it
                row.status, row.attempts, row.next_attempt_at, row.created_at = DeliveryStatus.PENDING, 0, now, now
                session.add(row)
                added += 1
        return added

    # -- sender: due rows -> channel -> outcome on the row -----------------------------------------
    async def send_due(self) -> float:
        """Attempt every due delivery; returns seconds until the next one is due."""
        table = self.channel.table
        pending = table.status == str(DeliveryStatus.PENDING)
        limit = asyncio.Semaphore(self.policy.concurrency)

        async def attempt(delivery_id: str | int) -> None:
            async with limit:
                await self._attempt(delivery_id)

        while True:
            query = (select(table.id).where(pending, table.next_attempt_at <= self._clock())
                     .order_by(table.next_attempt_at).limit(self.policy.concurrency * 5))
            async with self._writer.read() as session:
                due = list((await session.scalars(query)).all())
            if not due:
                break
            await asyncio.gather(*(attempt(d) for d in due))
        async with self._writer.read() as session:
            next_at = await session.scalar(select(func.min(table.next_attempt_at)).where(pending))
        return self.policy.poll_s if next_at is None else max(0.0, (next_at - self._clock()).total_seconds())

    async def _attempt(self, delivery_id: str | int) -> None:
        async with self._writer.read() as session:
            row = await session.get(self.channel.table, delivery_id)
        if row is None or row.status != DeliveryStatus.PENDING:
            return
        try:
            outcome = await self.channel.send(row)
        except Exception as exc:  # noqa: BLE001 - a bug in one delivery must not stop the others
            logger.exception("%s delivery %s crashed", self.channel.consumer, delivery_id)
            outcome = Attempt(f"internal_error: Internal error ({type(exc).__name__}).")
        await self._record(delivery_id, outcome)

    async def _record(self, delivery_id: str | int, outcome: Attempt) -> None:
        now = self._clock()
        async with self._writer.transaction() as session:
            row = await session.get(self.channel.table, delivery_id)
            if row is None or row.status != DeliveryStatus.PENDING:
                return
            row.attempts += 1
            row.last_error = outcome.error[:1000] if outcome.error else None
            if isinstance(row, WebhookDeliveryRow):  # only webhook rows keep the HTTP status
                row.last_status_code = outcome.status_code
            if outcome.error is None:
                row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.DELIVERED, now, None
            elif not outcome.retryable or row.attempts >= self.policy.max_attempts:
                row.status, row.next_attempt_at = DeliveryStatus.FAILED, None
            else:
                row.next_attempt_at = now + self.policy.delay_after(row.attempts)
            status, attempts = row.status, row.attempts
        logger.info("%s delivery %s attempt %d: %s -> %s", self.channel.consumer, delivery_id, attempts,
                    outcome.status_code or outcome.error or "ok", status)

    # -- the log ---------------------------------------------------------------------------------
    async def redeliver(self, delivery_id: str | int) -> Row:
        """Queue a delivery again now with a fresh attempt budget (same row: same id, same body)."""
        async with self._writer.transaction() as session:
            row = await session.get(self.channel.table, delivery_id)
            if row is None:
                raise DeliveryNotFound("Delivery not found.")
            if row.status == DeliveryStatus.PENDING and row.attempts == 0:
                raise Conflict("This delivery is already queued.", code="delivery_pending")
            row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, self._clock()
        self.wake()
        return row
