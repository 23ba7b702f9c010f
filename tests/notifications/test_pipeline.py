"""The delivery pipeline itself, with a scripted channel over a real SQLite file: rows written with the
cursor, no duplicates after a restart, retry and give-up, crashes in a send, redelivery.

The channels' own behaviour (signed HTTP, SMTP, tray, Apprise) is in test_email.py, test_merchant.py and
the webhook tests of tests/api and tests/greenfield."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict
from app.core.events import DomainEvent
from app.db.engine import Database
from app.db.models import EventCursorRow, NotificationDeliveryRow
from app.services.delivery.pipeline import Attempt, DeliveryNotFound, DeliveryPipeline, DeliveryStatus
from app.services.delivery.retry import RetryPolicy
from app.services.events import EventBus, OutboxEvent, add_events
from app.services.writer import Writer

POLICY = RetryPolicy(max_attempts=3, base_delay_s=0.0, max_delay_s=0.0, poll_s=0.1)


class ScriptedChannel:
    """One row per event; a send returns the next outcome scripted for its event (an exception is raised),
    then success."""

    consumer = "test"
    table = NotificationDeliveryRow

    def __init__(self, **script: list[Attempt | Exception]) -> None:
        self.script = script  # "e<seq>" -> outcomes
        self.sent: list[int] = []
        self.opened = False

    async def open(self) -> None:
        self.opened = True

    async def close(self) -> None:
        self.opened = False

    async def plan(self, batch: list[OutboxEvent]) -> list[NotificationDeliveryRow]:
        return [NotificationDeliveryRow(store_id=e.store_id, event_seq=e.seq, channel="test", kind="merchant",
                                        recipient="r") for e in batch]

    async def exists(self, session: AsyncSession, row: NotificationDeliveryRow) -> bool:
        return await session.scalar(select(NotificationDeliveryRow.id)
                                    .where(NotificationDeliveryRow.event_seq == row.event_seq)) is not None

    async def send(self, row: NotificationDeliveryRow) -> Attempt:
        self.sent.append(row.id)
        outcomes = self.script.get(f"e{row.event_seq}") or [Attempt()]
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@asynccontextmanager
async def pipeline(tmp_path, channel: ScriptedChannel):
    db = Database(tmp_path / "delivery.sqlite3")
    await db.start()
    assert db.sessions is not None
    writer = Writer(db.sessions, db.path)
    events = EventBus(writer)
    await events.start()
    try:
        yield writer, events, DeliveryPipeline(writer, events, channel, policy=POLICY)
    finally:
        await events.stop()
        await writer.close()
        await db.stop()


async def _emit(writer: Writer, events: EventBus, count: int) -> None:
    async with writer.transaction() as session:
        await add_events(session, [DomainEvent(invoice_id=f"inv{i}", store_id="st") for i in range(count)])
    await events.dispatch()


async def _rows(writer: Writer) -> list[NotificationDeliveryRow]:
    async with writer.read() as session:
        return list((await session.scalars(select(NotificationDeliveryRow).order_by(NotificationDeliveryRow.id))).all())


async def test_rows_and_cursor_are_written_together_and_not_again_after_a_restart(tmp_path):
    channel = ScriptedChannel()
    async with pipeline(tmp_path, channel) as (writer, events, deliveries):
        await _emit(writer, events, 3)
        assert await deliveries.consume_once() == 3
        async with writer.read() as session:
            assert (await session.get(EventCursorRow, "test")).last_seq == 3
        assert [r.status for r in await _rows(writer)] == ["pending"] * 3
    async with pipeline(tmp_path, channel) as (writer, events, deliveries):  # same file: a restart
        assert await deliveries.consume_once() == 0
        await deliveries.send_due()
        assert [r.status for r in await _rows(writer)] == ["delivered"] * 3 and len(channel.sent) == 3


async def test_retry_then_give_up_non_retryable_and_crashes(tmp_path):
    channel = ScriptedChannel(e1=[Attempt("down"), RuntimeError("bug"), Attempt("down")],  # 3 tries: failed
                              e2=[Attempt("refused", retryable=False)])  # failed at once
    async with pipeline(tmp_path, channel) as (writer, events, deliveries):
        await _emit(writer, events, 2)
        await deliveries.consume_once()
        await deliveries.send_due()  # retries are due at once (base delay 0)
        first, second = await _rows(writer)
    assert (first.status, first.attempts, first.last_error) == (DeliveryStatus.FAILED, 3, "down")
    assert (second.status, second.attempts, second.last_error) == (DeliveryStatus.FAILED, 1, "refused")
    assert channel.sent.count(first.id) == 3 and channel.sent.count(second.id) == 1


async def test_a_crashing_send_is_recorded_and_retried(tmp_path):
    channel = ScriptedChannel(e1=[RuntimeError("bug")])
    async with pipeline(tmp_path, channel) as (writer, events, deliveries):
        await _emit(writer, events, 1)
        await deliveries.consume_once()
        await deliveries.send_due()
        [row] = await _rows(writer)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DELIVERED, 2, None)


async def test_redeliver_resets_the_budget_and_refuses_a_queued_row(tmp_path):
    channel = ScriptedChannel(e1=[Attempt("refused", retryable=False)])
    async with pipeline(tmp_path, channel) as (writer, events, deliveries):
        await _emit(writer, events, 1)
        await deliveries.consume_once()
        await deliveries.send_due()
        [row] = await _rows(writer)
        assert row.status == DeliveryStatus.FAILED
        again = await deliveries.redeliver(row.id)
        assert (again.status, again.attempts) == (DeliveryStatus.PENDING, 0)
        with pytest.raises(Conflict):
            await deliveries.redeliver(row.id)
        with pytest.raises(DeliveryNotFound):
            await deliveries.redeliver(12345)
        await deliveries.send_due()
        [row] = await _rows(writer)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 1) and channel.sent == [row.id, row.id]


async def test_start_opens_the_channel_and_delivers_in_the_background(tmp_path):
    channel = ScriptedChannel()
    async with pipeline(tmp_path, channel) as (writer, events, deliveries):
        await deliveries.start()
        assert channel.opened
        try:
            await _emit(writer, events, 2)
            async with asyncio.timeout(5):
                while len(channel.sent) < 2:  # noqa: ASYNC110 - the pipeline's own tasks send
                    await asyncio.sleep(0.02)
        finally:
            await deliveries.stop()
        assert not channel.opened and len(channel.sent) == 2
