"""The outbox, read back: committed domain events delivered to in-process subscribers in order.

Live subscribers (GUI bridge, websockets) get each event once, after its commit. Durable consumers
(webhooks, email) keep a cursor in `event_cursors` and call `read_since()` after a restart, so no
event is lost or skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import DomainEvent
from app.db.fastpath import compiled_insert
from app.db.models import EventCursorRow, OutboxEventRow
from app.services.writer import Writer

logger = logging.getLogger(__name__)

_OUTBOX: Table = OutboxEventRow.__table__  # type: ignore[assignment]  # declarative tables are Tables


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    type: str
    invoice_id: str | None
    store_id: str | None
    payload: dict[str, Any]
    created_at: datetime


def _to_event(row: OutboxEventRow) -> OutboxEvent:
    return OutboxEvent(row.seq, row.type, row.invoice_id, row.store_id, dict(row.payload), row.created_at)


async def add_events(session: AsyncSession, events: Iterable[DomainEvent], *, now: datetime | None = None) -> None:
    """Write events in the caller's transaction (commit first, then publish)."""
    when = now or datetime.now(UTC)
    rows = [{"type": e.type, "invoice_id": e.invoice_id, "store_id": e.store_id, "payload": e.to_payload(),
             "created_at": when} for e in events]
    if rows:
        await session.execute(insert(_OUTBOX), rows)
        session.info["outbox"] = True


def insert_events_sync(conn: sqlite3.Connection, events: Iterable[DomainEvent], *, now: datetime) -> list[OutboxEvent]:
    """The same as add_events, on the writer's sqlite3 connection (Writer.run_sync). Returns the
    rows as written (with their seq) so the bus can publish them after commit without a re-read."""
    compiled = compiled_insert(_OUTBOX)
    written = []
    for e in events:
        payload = e.to_payload()
        cursor = conn.execute(compiled.sql, compiled.params({
            "type": e.type, "invoice_id": e.invoice_id, "store_id": e.store_id, "payload": payload,
            "created_at": now}))
        seq = cursor.lastrowid
        assert seq is not None, "an INSERT always sets lastrowid"
        written.append(OutboxEvent(seq, e.type, e.invoice_id, e.store_id, payload, now))
    return written


RECENT = 4096  # dispatched events kept in memory for durable consumers catching up
SAFETY_POLL_S = 1.0  # the bus re-reads the outbox at least this often even without a wake-up
CURSOR_FLUSH_S = 5.0  # an idle consumer's cursor is persisted at least this often
T = TypeVar("T")
V = TypeVar("V")

Subscriber = Callable[[OutboxEvent], None]


class EventBus:
    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._subscribers: list[Subscriber] = []
        self._last_dispatched = 0
        self._known: dict[int, OutboxEvent] = {}
        self._unseen_commit = False
        self._recent: deque[OutboxEvent] = deque(maxlen=RECENT)  # dispatched, contiguous, immutable
        self._cursors: dict[str, int] = {}
        self._dirty_cursors: set[str] = set()
        self._cursor_flushed_at: dict[str, float] = {}
        self._wakeup = asyncio.Event()
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        writer.on_commit(self._on_commit)

    @property
    def last_seq(self) -> int:
        return self._last_dispatched

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    async def start(self) -> None:
        async with self._writer.read() as session:
            self._last_dispatched = (await session.scalar(select(func.max(OutboxEventRow.seq)))) or 0
        self._task = asyncio.create_task(self._run(), name="event-bus")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.dispatch()
        await self.flush_cursors()

    def _on_commit(self) -> None:
        """An ORM transaction wrote outbox rows this bus has not seen: read them back."""
        self._unseen_commit = True
        self._wakeup.set()

    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(SAFETY_POLL_S):
                    await self._wakeup.wait()
            except TimeoutError:
                self._unseen_commit = True  # safety net: never miss a committed event for long
            self._wakeup.clear()
            await self.dispatch()

    def committed(self, events: Iterable[OutboxEvent]) -> None:
        """Events the caller just committed (fast path): dispatched without re-reading the DB when
        they continue the sequence; otherwise dispatch() reads them back in order."""
        for event in events:
            self._known[event.seq] = event
        self._wakeup.set()

    async def dispatch(self) -> None:
        while True:
            batch: list[OutboxEvent] = []
            while self._last_dispatched + 1 + len(batch) in self._known:
                batch.append(self._known.pop(self._last_dispatched + 1 + len(batch)))
            if not batch:
                self._known = {k: v for k, v in self._known.items() if k > self._last_dispatched}
                if not self._unseen_commit and not self._known:
                    return
                self._unseen_commit = False
                batch = await self._read_db(self._last_dispatched, limit=500)
            if not batch:
                return
            for event in batch:
                self._last_dispatched = event.seq
                self._recent.append(event)
                for callback in list(self._subscribers):
                    try:
                        callback(event)
                    except Exception:
                        logger.exception("event subscriber failed on seq %s", event.seq)
            async with self._changed:
                self._changed.notify_all()

    async def wait_for(self, seq: int, timeout_s: float) -> bool:
        """Wait until events up to `seq` were dispatched (for tests and durable consumers)."""

        async def _reached() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self._last_dispatched >= seq)

        try:
            await asyncio.wait_for(_reached(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def read_since(self, seq: int, *, limit: int = 500, types: Sequence[str] | None = None,
                         dispatched_only: bool = False) -> list[OutboxEvent]:
        """Committed events after `seq`, in order. Recently dispatched events are served from memory;
        older ones and (unless `dispatched_only`) committed-but-not-yet-dispatched ones come from the
        outbox table. Durable consumers pass `dispatched_only`: dispatch wakes them for the rest."""
        recent = self._recent
        if recent and recent[0].seq <= seq + 1 and seq < self._last_dispatched:
            start = seq + 1 - recent[0].seq
            wanted = set(types) if types else None
            found = [e for e in itertools.islice(recent, start, None) if wanted is None or e.type in wanted]
            if len(found) >= limit or dispatched_only:
                return found[:limit]
            return found + await self._read_db(self._last_dispatched, limit=limit - len(found), types=types)
        if dispatched_only and seq >= self._last_dispatched and self._task is not None:
            return []
        return await self._read_db(seq, limit=limit, types=types)

    async def _read_db(self, seq: int, *, limit: int, types: Sequence[str] | None = None) -> list[OutboxEvent]:
        query = select(OutboxEventRow).where(OutboxEventRow.seq > seq).order_by(OutboxEventRow.seq).limit(limit)
        if types:
            query = query.where(OutboxEventRow.type.in_(types))
        async with self._writer.read() as session:
            return [_to_event(row) for row in (await session.scalars(query)).all()]

    # -- durable consumers ------------------------------------------------------------------------
    async def get_cursor(self, consumer: str) -> int:
        if consumer not in self._cursors:
            async with self._writer.read() as session:
                row = await session.get(EventCursorRow, consumer)
                self._cursors[consumer] = row.last_seq if row else 0
        return self._cursors[consumer]

    async def set_cursor(self, consumer: str, seq: int) -> None:
        async with self._writer.transaction() as session:
            await _save_cursor(session, consumer, seq)
        self._cursors[consumer] = max(self._cursors.get(consumer, 0), seq)
        self._dirty_cursors.discard(consumer)

    async def consume(self, consumer: str, plan: Callable[[list[OutboxEvent]], Awaitable[list[T]]],
                      write: Callable[[AsyncSession, list[T]], Awaitable[int]], *, limit: int = 200) -> tuple[int, int]:
        """One step of a durable consumer (webhooks, notifications): read the events after its cursor,
        `plan` what they imply, and `write` that together with the new cursor in one transaction.
        Returns (events read, rows written). A batch that implies nothing only moves the cursor in
        memory (persisted within CURSOR_FLUSH_S, and at stop): re-reading such events after a crash
        implies nothing again, so delivery stays at-least-once while idle events cost no write."""
        cursor = await self.get_cursor(consumer)
        batch = await self.read_since(cursor, limit=limit, dispatched_only=True)
        if not batch:
            return 0, 0
        planned = await plan(batch)
        last = batch[-1].seq
        loop_time = asyncio.get_running_loop().time()
        if not planned and loop_time - self._cursor_flushed_at.get(consumer, 0.0) < CURSOR_FLUSH_S:
            self._cursors[consumer] = last
            self._dirty_cursors.add(consumer)
            return len(batch), 0
        async with self._writer.transaction() as session:
            written = await write(session, planned) if planned else 0
            await _save_cursor(session, consumer, last)
        self._cursors[consumer] = last
        self._dirty_cursors.discard(consumer)
        self._cursor_flushed_at[consumer] = loop_time
        return len(batch), written

    async def flush_cursors(self) -> None:
        for consumer in list(self._dirty_cursors):
            await self.set_cursor(consumer, self._cursors[consumer])


async def cached_lookup(cache: dict[str, V | None], key: str | None, fetch: Callable[[str], Awaitable[V]]) -> V | None:
    """Durable consumers look the same store/invoice up for many events of a batch: once each, and
    None for one that no longer exists."""
    from app.core.errors import NotFound

    if key is None:
        return None
    if key not in cache:
        try:
            cache[key] = await fetch(key)
        except NotFound:
            cache[key] = None
    return cache[key]


async def _save_cursor(session: AsyncSession, consumer: str, seq: int) -> None:
    row = await session.get(EventCursorRow, consumer)
    if row is None:
        session.add(EventCursorRow(consumer=consumer, last_seq=seq))
    elif seq > row.last_seq:
        row.last_seq = seq
