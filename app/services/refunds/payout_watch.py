"""Where recorded payout transactions are: confirmation tracking, settling, recovery and rebroadcast.

Every payout_tx with a raw transaction that is not final (signed, broadcast, or replaced by an RBF bump) is
looked up on the server with ``ChainPort.tx_status`` (the histories of the addresses it pays, not
subscribed; "mined" only with a merkle proof checked against our headers):

* mined at the settled depth (``settled_confirmations``, the setting ``payout_settled_confirmations``): the
  payouts follow THAT version, whichever it is (``on_confirmed`` = PayoutService.on_tx_confirmed: it becomes
  confirmed, its other versions replaced, the payouts confirmed, refunds paid). Final: never looked at again;
* mined, not that deep yet: its height is recorded and the payouts follow that version (``follow_mined``);
  they stay ``broadcast`` and show their confirmations;
* no longer mined (a reorg took its block): its height goes back to 0 (confirmations 0);
* in the mempool but still recorded as signed (a crash between broadcast and its record): marked broadcast;
* missing: the current version (the one the payouts point to) is broadcast again, the SAME raw
  transaction; an older replaced version is left alone (its replacement spends the same coins).

It runs once at start (``check(hold=True)``, which also tells each hot wallet about the recorded
transactions so their coins are never chosen again), then after every new block or address change
(chain events) and at least every ``interval_s``. Each pass also runs ``sweep`` (RefundService.expire_due:
refund links past their time become expired), with or without a chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select

from app.chain.errors import BroadcastFailed, ChainError, NotConnected
from app.chain.models import ChainEvent, ConnectionChanged
from app.chain.payouts import tx_outputs
from app.core.payouts import SETTLED_CONFIRMATIONS, PayoutTx, PayoutTxStatus, confirmations
from app.db.models import PayoutRow, PayoutTxRow
from app.services.ports import ChainPort
from app.services.refunds.payouts import tx_family
from app.services.writer import Writer

logger = logging.getLogger(__name__)
IN_FLIGHT = (PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST, PayoutTxStatus.REPLACED)
CHECK_INTERVAL_S = 60.0
Sweep = Callable[[], Awaitable[int]]


class PayoutWatch:
    def __init__(self, writer: Writer, chain: ChainPort | None, *, on_confirmed: Callable[[str, int], Awaitable[None]],
                 mark_broadcast: Callable[[str], Awaitable[PayoutTx]], interval_s: float = CHECK_INTERVAL_S,
                 settled_confirmations: int = SETTLED_CONFIRMATIONS, sweep: Sweep | None = None) -> None:
        self._writer = writer
        self._chain = chain
        self._on_confirmed = on_confirmed
        self._mark_broadcast = mark_broadcast
        self._interval_s = interval_s
        self.settled_confirmations = max(1, settled_confirmations)
        self.sweep = sweep
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._lock = asyncio.Lock()
        self.last_check: datetime | None = None
        self.passes = 0  # completed passes of the loop (check + sweep)

    async def start(self) -> None:
        if self._task is not None or (self._chain is None and self.sweep is None):
            return
        if self._chain is not None:
            self._unsubscribe = self._chain.subscribe(self._on_event)
        self._task = asyncio.create_task(self._run(), name="payout watch")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Run a pass now (as a chain event does)."""
        self._wake.set()

    def _on_event(self, event: ChainEvent) -> None:
        if not isinstance(event, ConnectionChanged) or event.state.connected:
            self._wake.set()

    async def _run(self) -> None:
        hold = True  # the first pass is the recovery after a (re)start
        while True:
            try:
                await self.check(hold=hold)
                hold = False
            except Exception:  # noqa: BLE001 - logged; the next event or interval tries again
                logger.exception("payout watch: check failed")
            try:
                if self.sweep is not None and (expired := await self.sweep()):
                    logger.info("payout watch: %d refund link(s) expired", expired)
            except Exception:  # noqa: BLE001 - logged; the next pass tries again
                logger.exception("payout watch: refund expiry sweep failed")
            self.passes += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            self._wake.clear()

    async def check(self, *, hold: bool = False) -> None:
        if self._chain is None:
            return
        async with self._lock:
            await self._check(self._chain, hold=hold)

    async def _check(self, chain: ChainPort, *, hold: bool) -> None:
        async with self._writer.read() as session:
            rows = list((await session.scalars(select(PayoutTxRow).where(
                PayoutTxRow.status.in_([str(s) for s in IN_FLIGHT]), PayoutTxRow.raw_tx.is_not(None))
                .order_by(PayoutTxRow.created_at))).all())
            current = {i for i in (await session.scalars(select(PayoutRow.payout_tx_id).where(
                PayoutRow.payout_tx_id.in_([r.id for r in rows])))).all() if i is not None}
        if hold:
            await self._hold(chain, rows)
        for row in rows:
            assert row.raw_tx is not None and row.txid is not None
            status = await chain.tx_status(row.txid, [address for address, _sat in tx_outputs(row.raw_tx)])
            if status.state == "unknown":
                continue
            if status.state != "mined" and row.height > 0:
                logger.warning("payout tx %s (%s) mined at %d is no longer in the chain (reorg): %s", row.id,
                               row.txid, row.height, status.state)
                await self._set_height(row.id, 0)
            if status.state == "mined":
                if row.status == PayoutTxStatus.SIGNED:
                    await self._mark_broadcast(row.id)
                depth = confirmations(status.height, chain.state().tip_height)
                if depth >= self.settled_confirmations:
                    logger.info("payout tx %s (%s) settled: mined at %d, %d confirmations", row.id, row.txid,
                                status.height, depth)
                    await self._on_confirmed(row.id, status.height)
                elif row.height != status.height or row.id not in current:
                    logger.info("payout tx %s (%s) mined at %d (%d of %d confirmations)", row.id, row.txid,
                                status.height, depth, self.settled_confirmations)
                    family = await self.follow_mined(row.id, status.height)
                    current = (current - family) | {row.id}
            elif status.state == "mempool" and row.status == PayoutTxStatus.SIGNED:
                await self._mark_broadcast(row.id)
            elif status.state == "missing" and row.id in current:
                await self._rebroadcast(chain, row)
        self.last_check = datetime.now().astimezone()

    async def _set_height(self, payout_tx_id: str, height: int) -> None:
        async with self._writer.transaction() as session:
            row = await session.get(PayoutTxRow, payout_tx_id)
            if row is not None and row.status != PayoutTxStatus.CONFIRMED:
                row.height = height

    async def follow_mined(self, payout_tx_id: str, height: int) -> set[str]:
        """A version is mined but not settled: record its height; the payouts follow it (it is the one that
        can confirm now), its other versions are replaced. Not final: no events, statuses stay broadcast."""
        async with self._writer.transaction() as session:
            tx = await session.get(PayoutTxRow, payout_tx_id)
            if tx is None or tx.status in (PayoutTxStatus.CONFIRMED, PayoutTxStatus.FAILED):
                return set()
            tx.height = height
            tx.status = str(PayoutTxStatus.BROADCAST)
            family = await tx_family(session, tx)
            for other in family:
                if other.id != tx.id and other.status in IN_FLIGHT:
                    other.status, other.height = str(PayoutTxStatus.REPLACED), 0
            for payout in (await session.scalars(select(PayoutRow).where(
                    PayoutRow.payout_tx_id.in_([t.id for t in family])))).all():
                payout.payout_tx_id = tx.id
            return {t.id for t in family}

    async def _hold(self, chain: ChainPort, rows: list[PayoutTxRow]) -> None:
        by_wallet: dict[str, list[str]] = {}
        for row in rows:
            if row.raw_tx:
                by_wallet.setdefault(row.wallet_id, []).append(row.raw_tx)
        for wallet_id, raws in by_wallet.items():
            try:
                await chain.hold(wallet_id, raws)
            except ChainError as exc:  # not open (yet): its coins are guarded by the exclusion list too
                logger.info("payout watch: wallet %s not ready for its recorded txs (%s)", wallet_id,
                            type(exc).__name__)

    async def _rebroadcast(self, chain: ChainPort, row: PayoutTxRow) -> None:
        assert row.raw_tx is not None
        try:
            await chain.broadcast(row.raw_tx)
        except (BroadcastFailed, NotConnected) as exc:
            logger.warning("payout tx %s (%s) is not on the chain and was refused again: %s", row.id, row.txid,
                           exc.code)
            return
        logger.info("payout tx %s (%s) was missing: the same transaction was broadcast again", row.id, row.txid)
        if row.status == PayoutTxStatus.SIGNED:
            await self._mark_broadcast(row.id)
