"""Money sent to an old address is not lost from view: the closed-invoice history check.

Electrum watches only what can still be paid (docs/engine.md "Closed invoices"); a closed invoice's
address (``invoices.monitored`` false) is instead asked about now and then with
``ChainPort.probe_history`` (the server's history, not subscribed, mined txs SPV-checked).

- **Periodic**, bounded per hour: at most ``closed_check_per_hour`` server requests an hour (each
  address costs one history request, plus two per transaction found on it), spent in small batches
  every ``closed_check_interval_s``. Order: invoices closed since the last tick first ("fresh",
  above the *head* mark), then the *pass*: a walk from the newest closed invoice to the oldest (the
  *tail* mark), which starts again at the newest when it reaches the oldest. Marks, the pass number
  and the hour's budget are in ``closed_check_state``, written with each batch's results, so a
  restart continues where it was.
- **On demand**: ``check_invoice`` (the window's "Check the chain for this address", REST
  ``POST /api/v1/invoices/{id}/chain-check``), counted in the same hourly budget but never refused by it.

What is found is recorded by ``closed_records.record_probe`` without changing the invoice.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain.history_probe import HistoryProbe
from app.core.closed_payments import ClosedPayment, FoundBy
from app.core.errors import AppError, Conflict, InvoiceNotFound, UserFacingError
from app.core.statuses import InvoiceStatus
from app.db.models import ClosedCheckStateRow, InvoiceRow
from app.db.types import UTCDateTime
from app.services.events import add_events
from app.services.invoicing.closed_records import Target, closed_payments_of, record_probe
from app.services.ports import ChainPort
from app.services.writer import Writer

logger = logging.getLogger(__name__)

STATE_NAME = "closed_invoices"
BATCH_MAX = 50  # addresses per probe: one round of pipelined requests on one connection
HOUR = timedelta(hours=1)
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class StillMonitored(Conflict):
    code = "invoice_monitored"


class ChainCheckFailed(UserFacingError):
    code = "chain_check_failed"
    http_status = 503


@dataclass(frozen=True)
class ClosedCheckProgress:
    pass_no: int
    checked_total: int  # addresses checked periodically since the first pass
    hour_used: int  # server requests spent in the current hour
    per_hour: int


class ClosedInvoiceWatch:
    def __init__(self, writer: Writer, chain: ChainPort | None, *, per_hour: int, interval_s: float,
                 clock: Clock = _utc_now) -> None:
        self._writer = writer
        self._chain = chain
        self.per_hour = max(0, per_hour)
        self._interval_s = max(0.05, interval_s)  # 0 in tests: back to back (the hourly budget still holds)
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._chain is None or self.per_hour == 0 or self._task is not None:
            return
        self._task = asyncio.create_task(self._run(), name="closed-invoice check")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                if self._ready():  # not while (re)syncing: start-up belongs to what can still be paid
                    await self.tick()
            except AppError as exc:  # offline, chain not running: next tick
                logger.info("closed-invoice check skipped: %s", exc)
            except Exception:  # noqa: BLE001 - the loop must outlive one bad tick
                logger.exception("closed-invoice check failed")
            await asyncio.sleep(self._interval_s)

    def _ready(self) -> bool:
        state = self._require_chain().state()
        return state.connected and state.synced

    # -- periodic ----------------------------------------------------------------------------------

    def batch_size(self) -> int:
        """Addresses per tick: the hourly budget spread over the ticks of an hour (at least 1)."""
        return max(1, min(BATCH_MAX, math.ceil(self.per_hour * self._interval_s / 3600)))

    async def tick(self) -> int:
        """One batch; returns how many addresses were checked (0: nothing closed, or budget spent)."""
        chain = self._require_chain()
        now = self._clock()
        async with self._writer.read() as session:
            state = await _state(session)
            _roll_hour(state, now)
            allowed = min(self.batch_size(), self.per_hour - state.hour_used)
            if allowed <= 0:
                return 0
            head = state.head_until, state.head_id
            if head[0] is None:
                head = await _newest_closed(session)
            fresh = await _targets(session, _after(head), ascending=True, limit=allowed) if head[0] else []
            walk = await _targets(session, _walk_filter(head, (state.tail_until, state.tail_id)),
                                  ascending=False, limit=allowed - len(fresh)) if head[0] else []
        targets = [t for t, _ in fresh + walk]
        probe = await chain.probe_history([t.address for t in targets]) if targets else _EMPTY
        async with self._writer.transaction() as session:
            state = await _state(session, for_write=True)
            _roll_hour(state, now)
            state.hour_used += probe.requests
            state.updated_at = now
            events = await record_probe(session, targets, probe, found_by=FoundBy.PERIODIC, now=now)
            await add_events(session, events, now=now)
            if not probe.failed:  # a failed address: the same batch again next tick
                state.checked_total += len(targets)
                walk_full = head[0] is None or len(walk) == allowed - len(fresh)
                _advance(state, head, fresh, walk, walk_full=walk_full, now=now)
        return len(probe.checked)

    async def progress(self) -> ClosedCheckProgress:
        async with self._writer.read() as session:
            state = await _state(session)
            _roll_hour(state, self._clock())
        return ClosedCheckProgress(pass_no=state.pass_no, checked_total=state.checked_total,
                                   hour_used=state.hour_used, per_hour=self.per_hour)

    # -- on demand ---------------------------------------------------------------------------------

    async def check_invoice(self, invoice_id: str) -> list[ClosedPayment]:
        """Ask the server now about this closed invoice's address; returns what is recorded for it."""
        chain = self._require_chain()
        async with self._writer.read() as session:
            row = await session.get(InvoiceRow, invoice_id)
        if row is None:
            raise InvoiceNotFound("Invoice not found.")
        if row.monitored:
            raise StillMonitored("This invoice is still monitored: payments to it show up by themselves.")
        target = Target(row.id, row.store_id, row.address, InvoiceStatus(row.status))
        probe = await chain.probe_history([target.address])
        if target.address not in probe.checked:
            raise ChainCheckFailed("The bitcoin server did not answer for this address; try again.")
        now = self._clock()
        async with self._writer.transaction() as session:
            state = await _state(session, for_write=True)
            _roll_hour(state, now)
            state.hour_used += probe.requests
            events = await record_probe(session, [target], probe, found_by=FoundBy.ON_DEMAND, now=now)
            await add_events(session, events, now=now)
        return (await self.payments_of([invoice_id])).get(invoice_id, [])

    async def payments_of(self, invoice_ids: Sequence[str]) -> dict[str, list[ClosedPayment]]:
        """Payments found after close, per invoice id (ids without any are left out)."""
        async with self._writer.read() as session:
            return dict(await closed_payments_of(session, invoice_ids))

    def _require_chain(self) -> ChainPort:
        if self._chain is None:
            raise ChainCheckFailed("RedWaves runs without a chain connection here.")
        return self._chain


_EMPTY = HistoryProbe(checked=(), failed=(), payments=(), tip_height=None, requests=0)
Key = tuple[datetime | None, str | None]


async def _state(session: AsyncSession, *, for_write: bool = False) -> ClosedCheckStateRow:
    row = await session.get(ClosedCheckStateRow, STATE_NAME)
    if row is None:
        row = ClosedCheckStateRow(name=STATE_NAME, pass_no=1, hour_used=0, checked_total=0)
        if for_write:
            session.add(row)
    return row


def _roll_hour(state: ClosedCheckStateRow, now: datetime) -> None:
    if state.hour_started_at is None or now - state.hour_started_at >= HOUR or now < state.hour_started_at:
        state.hour_started_at, state.hour_used = now, 0


_KEY = tuple_(InvoiceRow.monitoring_until, InvoiceRow.id)


def _key(key: Key) -> ColumnElement[tuple[datetime, str]]:
    return tuple_(literal(key[0], UTCDateTime()), literal(key[1], String()))


def _after(head: Key) -> ColumnElement[bool]:
    return _KEY > _key(head)


def _walk_filter(head: Key, tail: Key) -> ColumnElement[bool]:
    upper = _KEY <= _key(head)
    return upper if tail[0] is None else and_(upper, _KEY < _key(tail))


async def _newest_closed(session: AsyncSession) -> Key:
    newest = await session.scalar(select(func.max(InvoiceRow.monitoring_until)).where(InvoiceRow.monitored.is_(False)))
    if newest is None:
        return None, None
    top = await session.scalar(select(func.max(InvoiceRow.id)).where(
        InvoiceRow.monitored.is_(False), InvoiceRow.monitoring_until == newest))
    return newest, top


async def _targets(session: AsyncSession, where: ColumnElement[bool], *, ascending: bool,
                   limit: int) -> list[tuple[Target, Key]]:
    if limit <= 0:
        return []
    order = (InvoiceRow.monitoring_until.asc(), InvoiceRow.id.asc()) if ascending else \
        (InvoiceRow.monitoring_until.desc(), InvoiceRow.id.desc())
    rows = (await session.execute(
        select(InvoiceRow.id, InvoiceRow.store_id, InvoiceRow.address, InvoiceRow.status, InvoiceRow.monitoring_until)
        .where(InvoiceRow.monitored.is_(False), where).order_by(*order).limit(limit))).all()
    return [(Target(i, s, a, InvoiceStatus(st)), (until, i)) for i, s, a, st, until in rows]


def _advance(state: ClosedCheckStateRow, head: Key, fresh: list[tuple[Target, Key]],
             walk: list[tuple[Target, Key]], *, walk_full: bool, now: datetime) -> None:
    state.head_until, state.head_id = fresh[-1][1] if fresh else head
    if walk:
        state.tail_until, state.tail_id = walk[-1][1]
    if not walk_full:  # the walk reached the oldest closed invoice: the next pass starts at the newest
        state.pass_no += 1
        state.tail_until = state.tail_id = None
        state.pass_started_at = now
