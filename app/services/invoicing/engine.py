"""The payment engine: recomputes invoices from chain state, commits, then publishes.

Every path (a chain notification, a new block, a reconnect, the start-up sweep, a periodic sweep, an
expiry deadline) ends in the same `_reconcile()`: load the invoice and its payments, merge the
chain's current view of the address (app.core.payments.merge_payments), evaluate the rules
(app.core.invoices.evaluate), and write state + payments + outbox events in one transaction. It is
idempotent, so running it again (after a crash, twice, concurrently queued) changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, exists, or_, select

from app.chain.errors import ChainNotRunning, LightningError
from app.chain.models import (
    AddressesChanged,
    AddressView,
    ChainEvent,
    ConnectionChanged,
    LightningPaid,
    TipChanged,
)
from app.core import invoices as rules
from app.core.events import diff_events
from app.core.fee_policy import min_fee_rate_of
from app.core.lightning import lightning_payment
from app.core.payments import Payment, PaymentFee, merge_payments, sorted_payments
from app.core.records import Invoice
from app.core.statuses import InvoiceStatus
from app.db.mapping import apply_payment, to_invoice, to_payment
from app.db.models import InvoiceRow, PaymentRow, StoreRow
from app.lifecycle import cancel_all
from app.services.events import add_events
from app.services.invoicing.invoices import write_state
from app.services.ports import ChainPort, LightningNodePort
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

logger = logging.getLogger(__name__)
BATCH = 200
WRITE_CHUNK = 16  # invoices changed per write transaction
WATCH_AHEAD = 100  # receive addresses subscribed beyond the newest invoice's
WATCH_MARGIN = 20
LIGHTNING_RECOVERY_WINDOW = timedelta(days=30)  # issued hashes asked about after a start or reconnect
FEE_CACHE_MAX = 50_000  # txids measured (or tried while mined) this run; cleared when full

_PushedView = tuple[str, int | None, AddressView]  # (wallet id, tip height, view) from AddressesChanged


class PaymentEngine:
    def __init__(self, writer: Writer, wallets: WalletService, chain: ChainPort | None, *,
                 sweep_interval_s: float = 60.0, tick_s: float = 1.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 lightning: LightningNodePort | None = None) -> None:
        self._writer = writer
        self._lightning = lightning
        self._lightning_paid: dict[str, LightningPaid] = {}  # payment hash -> settled, to record
        self._withdraw_pending: set[str] = set()  # paid on-chain in the transaction being written
        self._withdraw_wanted: set[str] = set()  # payment hashes paid on-chain: the node must refuse them
        self._lightning_recovery = True  # ask the node which issued hashes are paid (start, reconnect)
        self._wallets = wallets
        self._chain = chain
        self._sweep_interval_s = sweep_interval_s
        self._tick_s = tick_s
        self._clock = clock
        self._dirty_addresses: set[str] = set()
        # address -> (wallet id, tip, view) as pushed by the chain; see on_chain_event / _fetch_views
        self._pushed_views: dict[str, _PushedView] = {}
        self._full_sweep = True
        self._paid_sweep = False
        self._watch_wanted: dict[str, tuple[int, int]] = {}  # wallet -> (first, last) look-ahead index to add
        self._unwatch_wanted: dict[str, set[str]] = defaultdict(set)  # wallet -> addresses whose monitoring ended
        self._watched_up_to: dict[str, int] = {}
        self._due_ids: set[str] = set()
        self._fees: dict[str, PaymentFee] = {}  # txid -> measured fee (merge keeps a stored one)
        self._fee_tried: set[str] = set()  # mined txids whose fee could not be read: not asked again
        self._wake = asyncio.Event()
        self._watch_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe_chain: Callable[[], None] | None = None
        self.reconciled = 0
        self.changed = 0

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._watched_up_to = await self._wallets.open_all(watch_ahead=WATCH_AHEAD)
        self._full_sweep = True
        self._wake.set()
        if self._chain is not None:
            self._unsubscribe_chain = self._chain.subscribe(self.on_chain_event)
        self._tasks = [
            asyncio.create_task(self._worker(), name="engine-worker"),
            asyncio.create_task(self._ticker(), name="engine-ticker"),
            asyncio.create_task(self._watcher(), name="engine-watcher"),
        ]

    async def stop(self) -> None:
        if self._unsubscribe_chain is not None:
            self._unsubscribe_chain()
            self._unsubscribe_chain = None
        await cancel_all(self._tasks)

    # -- inputs --------------------------------------------------------------------------------
    def on_chain_event(self, event: ChainEvent) -> None:
        """Called on our loop by the chain watcher (subscribed in start()). Only marks work; the worker does it."""
        if isinstance(event, AddressesChanged):
            self._dirty_addresses.update(event.addresses)
            for address in event.addresses:  # a change without a view voids an older pushed one
                self._pushed_views.pop(address, None)
            for view in event.views:
                if view.complete and view.address in event.addresses:
                    self._pushed_views[view.address] = (event.wallet_id, event.tip_height, view)
        elif isinstance(event, TipChanged):
            self._paid_sweep = True  # confirmations moved for every invoice with payments
        elif isinstance(event, ConnectionChanged):
            self._full_sweep = True  # catch up with everything that happened while away
            self._lightning_recovery = True
        elif isinstance(event, LightningPaid):
            self._lightning_paid[event.payment_hash] = event
        self._wake.set()

    def invoice_created(self, invoice: Invoice) -> None:
        """A fresh address has nothing to reconcile; Electrum reports any payment once subscribed.
        Electrum is asked to watch WATCH_AHEAD addresses beyond the newest invoice, so most
        invoices find their address already subscribed (one call per WATCH_AHEAD invoices)."""
        wallet_id, index = invoice.wallet_id, invoice.derivation_index
        watched_up_to = self._watched_up_to.get(wallet_id, -1)
        if index + WATCH_MARGIN >= watched_up_to:
            target = index + WATCH_AHEAD
            first, _last = self._watch_wanted.get(wallet_id, (watched_up_to + 1, target))
            self._watch_wanted[wallet_id] = (first, target)
            self._watched_up_to[wallet_id] = target
            self._watch_wake.set()

    def request_lightning_recovery(self) -> None:
        """The node (re)started: record what it settled while RedWaves was not listening."""
        self._lightning_recovery = True
        self._wake.set()

    def request_full_sweep(self) -> None:
        self._full_sweep = True
        self._wake.set()

    # -- loops ---------------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._do_pending_work()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("engine pass failed; retrying on the next event or tick")
                await asyncio.sleep(1.0)
                self._full_sweep = True
                self._wake.set()

    async def _ticker(self) -> None:
        last_sweep = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(self._tick_s)
            now_mono = asyncio.get_running_loop().time()
            if now_mono - last_sweep >= self._sweep_interval_s:
                last_sweep = now_mono
                self._full_sweep = True
            ids = await self._due_invoice_ids()
            if ids or self._full_sweep:
                self._due_ids.update(ids)
                self._wake.set()

    async def _watcher(self) -> None:
        """Asks Electrum to watch more addresses; apart from reconciliation, which never waits on it."""
        while True:
            await self._watch_wake.wait()
            self._watch_wake.clear()
            try:
                await self._flush_watches()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("watching new addresses failed; retrying")
                await asyncio.sleep(1.0)
                self._watch_wake.set()

    async def _do_pending_work(self) -> None:
        if self._lightning_recovery:
            self._lightning_recovery = False
            await self._recover_lightning()
        if self._lightning_paid:
            paid, self._lightning_paid = self._lightning_paid, {}
            try:
                await self._record_lightning(list(paid.values()))
            except BaseException:
                for payment_hash, event in paid.items():  # keep them for the retry
                    self._lightning_paid.setdefault(payment_hash, event)
                raise
        if self._full_sweep:
            self._full_sweep = False
            self._paid_sweep = False
            self._dirty_addresses.clear()
            self._pushed_views.clear()
            self._due_ids = set()
            await self.reconcile_where(InvoiceRow.monitored.is_(True))
            return
        if self._paid_sweep:
            self._paid_sweep = False
            has_payment = exists().where(PaymentRow.invoice_id == InvoiceRow.id)
            await self.reconcile_where(and_(InvoiceRow.monitored.is_(True), has_payment))
        if self._dirty_addresses:
            addresses, self._dirty_addresses = list(self._dirty_addresses), set()
            pushed = {a: self._pushed_views.pop(a) for a in addresses if a in self._pushed_views}
            for start in range(0, len(addresses), BATCH):
                await self.reconcile_where(InvoiceRow.address.in_(addresses[start:start + BATCH]), pushed)
        if self._due_ids:
            ids, self._due_ids = list(self._due_ids), set()
            await self.reconcile_where(InvoiceRow.id.in_(ids))

    async def _flush_watches(self) -> None:
        """Look-ahead additions, then the addresses whose monitoring ended (after their commit). A
        failed call keeps its work for the retry; a crash before it is undone by the next start,
        which watches the monitored set from SQLite (WalletService.open_all)."""
        if self._chain is None:
            return
        while self._watch_wanted:
            wallet_id, (first, last) = next(iter(self._watch_wanted.items()))
            await self._wallets.watch_range(wallet_id, first, last)
            if self._watch_wanted.get(wallet_id) == (first, last):
                del self._watch_wanted[wallet_id]
        while self._withdraw_wanted and self._lightning is not None:
            payment_hash = self._withdraw_wanted.pop()
            node_wallet = self._lightning.lightning_wallet()
            if node_wallet is None:
                self._withdraw_wanted.clear()
                break
            try:
                await self._lightning.withdraw_lightning_invoice(node_wallet, payment_hash)
            except BaseException:
                self._withdraw_wanted.add(payment_hash)
                raise
        while self._unwatch_wanted:
            wallet_id, addresses = self._unwatch_wanted.popitem()
            try:
                await self._wallets.unwatch(wallet_id, addresses)
            except BaseException:
                self._unwatch_wanted[wallet_id] |= addresses
                raise

    def _monitoring_ended(self, ended: Iterable[tuple[str, str]]) -> None:
        """Committed: these (wallet, address) are no longer monitored; they leave the watch set."""
        for wallet_id, address in ended:
            self._unwatch_wanted[wallet_id].add(address)
            self._watch_wake.set()

    async def _due_invoice_ids(self) -> list[str]:
        now = self._clock()
        query = select(InvoiceRow.id).where(
            InvoiceRow.monitored.is_(True),
            or_(and_(InvoiceRow.status == str(InvoiceStatus.PENDING), InvoiceRow.expires_at <= now),
                InvoiceRow.monitoring_until <= now),
        ).limit(1000)
        async with self._writer.read() as session:
            return list((await session.scalars(query)).all())

    # -- reconciliation ------------------------------------------------------------------------
    def _chain_ready(self) -> tuple[bool, int]:
        if self._chain is None:
            return False, 0
        state = self._chain.state()
        ready = bool(state.connected and state.synced and state.tip_height)
        return ready, state.tip_height or 0

    async def reconcile_where(self, condition: Any, pushed: dict[str, _PushedView] | None = None) -> None:
        """Reconcile every invoice matching `condition`, in batches, oldest first; `pushed`: views the
        chain sent with its AddressesChanged events, used instead of fetching where still valid."""
        last_key = ""
        while True:
            query = (select(InvoiceRow.id, InvoiceRow.wallet_id, InvoiceRow.address)
                     .where(condition, InvoiceRow.id > last_key).order_by(InvoiceRow.id).limit(BATCH))
            async with self._writer.read() as session:
                batch = (await session.execute(query)).all()
            if not batch:
                return
            last_key = batch[-1].id
            await self._reconcile_batch(batch, pushed or {})

    async def _reconcile_batch(self, batch: Sequence[Any], pushed: dict[str, _PushedView]) -> None:
        ready, tip = self._chain_ready()
        views: dict[str, AddressView] = {}
        if ready:
            by_wallet: dict[str, list[str]] = defaultdict(list)
            for item in batch:
                wallet_id, view_tip, view = pushed.get(item.address) or (None, None, None)
                # A pushed view is used only with the tip it was computed at (reorg-safe, like a fetch).
                if view is not None and wallet_id == item.wallet_id and view_tip == tip:
                    views[item.address] = view
                else:
                    pushed.pop(item.address, None)  # read it instead; never go back to the older one
                    by_wallet[item.wallet_id].append(item.address)
            for wallet_id, addresses in by_wallet.items():
                for view in await self._fetch_views(wallet_id, addresses):
                    if view.complete:
                        views[view.address] = view
            await self._measure_fees(batch, views)
        now = self._clock()
        ids = [item.id for item in batch]
        # Read pass without the write lock: most reconciliations change nothing.
        async with self._writer.read() as session:
            rows, payment_rows = await self._load(session, ids)
            minimums = await self._min_fee_rates(session, rows.values())
            changed = [i for i in ids if i in rows and self._plan(rows[i], payment_rows[i], views.get(rows[i].address),
                                                                  tip, now, ready, minimums) is not None]
        self.reconciled += len(ids)
        if not changed:
            return
        # Write pass: recompute on fresh rows inside the transaction (a merchant mark may have landed).
        # Small transactions: the loop (the GUI's, in the desktop app) gets control back between them.
        for start in range(0, len(changed), WRITE_CHUNK):
            chunk = changed[start:start + WRITE_CHUNK]
            ended: list[tuple[str, str]] = []
            async with self._writer.transaction() as session:
                rows, payment_rows = await self._load(session, chunk)
                minimums = await self._min_fee_rates(session, rows.values())
                for invoice_id in chunk:
                    if invoice_id in rows:
                        row = rows[invoice_id]
                        was_monitored = row.monitored
                        await self._apply(session, row, payment_rows[invoice_id], views.get(row.address), tip, now,
                                          ready, minimums)
                        if was_monitored and not row.monitored:
                            ended.append((row.wallet_id, row.address))
            self._monitoring_ended(ended)
            if self._withdraw_pending:
                self._withdraw_wanted |= self._withdraw_pending
                self._withdraw_pending = set()
                self._watch_wake.set()

    async def _fetch_views(self, wallet_id: str, addresses: list[str]) -> Sequence[AddressView]:
        """Read the chain's current views, and drop the views pushed for them before this result came
        back. The watcher hands events and call results to our loop in the order Electrum's thread
        made them, so an older pushed view is always among those dropped (using it after this read
        would step back); a newer one dropped by the same rule only costs a read."""
        if self._chain is None:
            return ()
        views = await self._chain.address_views(wallet_id, addresses)
        for address in addresses:
            self._pushed_views.pop(address, None)
        return views

    async def _measure_fees(self, batch: Sequence[Any], views: dict[str, AddressView]) -> None:
        """Fee of each newly seen paying transaction, through the chain (its inputs' values), and
        whether it is low: below LOW_FEE_SHARE of the next-blocks estimate when measured unconfirmed."""
        if self._chain is None:
            return
        wanted: dict[str, dict[str, bool]] = defaultdict(dict)  # wallet -> txid -> unconfirmed
        for item in batch:
            view = views.get(item.address)
            for output in view.outputs if view is not None else ():
                if output.txid not in self._fees and output.txid not in self._fee_tried:
                    wanted[item.wallet_id][output.txid] = output.height <= 0
        if not wanted:
            return
        if len(self._fees) + len(self._fee_tried) > FEE_CACHE_MAX:
            self._fees.clear()
            self._fee_tried.clear()
        try:
            estimates = await self._chain.fee_estimates()
            for wallet_id, txids in wanted.items():
                measured = await self._chain.tx_fees(wallet_id, txids)
                for txid, unconfirmed in txids.items():
                    fee = measured.get(txid)
                    if fee is not None:
                        low = unconfirmed and rules.is_low_fee(fee.fee_sat, fee.vsize, estimates)
                        self._fees[txid] = PaymentFee(fee.fee_sat, fee.vsize, low)
                    elif not unconfirmed:
                        self._fee_tried.add(txid)
        except Exception:  # noqa: BLE001 - fees are informational until measured; never block a pass
            logger.warning("measuring payment fees failed; retrying on the next pass", exc_info=True)

    @staticmethod
    async def _load(session: Any, ids: Sequence[str]) -> tuple[dict[str, InvoiceRow], dict[str, list[PaymentRow]]]:
        rows = {r.id: r for r in (await session.scalars(select(InvoiceRow).where(InvoiceRow.id.in_(ids)))).all()}
        payment_rows: dict[str, list[PaymentRow]] = defaultdict(list)
        for p in (await session.scalars(select(PaymentRow).where(PaymentRow.invoice_id.in_(ids)))).all():
            payment_rows[p.invoice_id].append(p)
        return rows, payment_rows

    @staticmethod
    async def _min_fee_rates(session: Any, rows: Iterable[InvoiceRow]) -> dict[str, Fraction | None]:
        """store id -> the store's minimum fee rate for 0-conf (checkout.min_fee_rate_sat_vb), read
        with the invoices so a changed setting applies from the next pass; only speed-0 invoices ask."""
        wanted = {row.store_id for row in rows if row.speed_policy == 0}
        if not wanted:
            return {}
        found = await session.execute(select(StoreRow.id, StoreRow.checkout).where(StoreRow.id.in_(wanted)))
        return {store_id: min_fee_rate_of(checkout or {}) for store_id, checkout in found.all()}

    def _plan(self, row: InvoiceRow, payment_rows: list[PaymentRow], view: AddressView | None, tip: int,
              now: datetime, ready: bool, minimums: dict[str, Fraction | None],
              settled: Sequence[Payment] = ()) -> tuple[Any, ...] | None:
        """What reconciliation would write for this invoice, or None if nothing changes. ``settled``:
        Lightning payments to add (final; a known one is not added twice)."""
        old = to_invoice(row, [to_payment(p) for p in payment_rows])
        payments: Sequence[Payment] = old.payments
        if view is not None:
            payments = merge_payments(old.payments, view.outputs, tip_height=tip, now=now, fees=self._fees)
        known = {p.outpoint for p in payments}
        if any(p.outpoint not in known for p in settled):
            payments = sorted_payments([*payments, *(p for p in settled if p.outpoint not in known)])
        # Without a fresh chain view, never end monitoring: the payment may have confirmed meanwhile.
        eval_now = now if ready else min(now, old.monitoring_until - timedelta(microseconds=1))
        new_state = rules.evaluate(old.terms, old.state, payments, now=eval_now,
                                   min_fee_rate_sat_vb=minimums.get(row.store_id))
        monitored = rules.is_monitored(old.terms, new_state, eval_now)
        if new_state == old.state and tuple(payments) == tuple(old.payments) and monitored == row.monitored:
            return None
        events = diff_events(row.id, row.store_id, old.state, new_state, old.payments, payments)
        return new_state, payments, events, monitored

    async def _apply(self, session: Any, row: InvoiceRow, payment_rows: list[PaymentRow],
                     view: AddressView | None, tip: int, now: datetime, ready: bool,
                     minimums: dict[str, Fraction | None], settled: Sequence[Payment] = ()) -> None:
        plan = self._plan(row, payment_rows, view, tip, now, ready, minimums, settled)
        if plan is None:
            return
        new_state, payments, events, monitored = plan
        if row.payment_hash and not any(p.lightning is not None for p in payments) \
                and any(p.lightning is None for p in payments):
            # paid on-chain (even partly): the BOLT11 is withdrawn after the commit, so no invoice is paid both ways
            self._withdraw_pending.add(row.payment_hash)
        self.changed += 1
        write_state(row, new_state, monitored=monitored)
        by_outpoint = {(p.txid, p.vout): p for p in payment_rows}
        for payment in payments:
            existing = by_outpoint.get((payment.txid, payment.vout))
            if existing is None:
                existing = PaymentRow(invoice_id=row.id, txid=payment.txid, vout=payment.vout)
                session.add(existing)
            apply_payment(existing, payment)
        await session.flush()
        await add_events(session, events, now=now)
        if events:
            logger.info("invoice %s: %s", row.id, ", ".join(e.type for e in events))

    # -- Lightning -------------------------------------------------------------------------------
    async def _record_lightning(self, paid: Sequence[LightningPaid]) -> None:
        """Record settled Lightning payments on their invoices: one transaction per chunk, idempotent."""
        by_hash = {event.payment_hash: event for event in paid}
        hashes = list(by_hash)
        ready, tip = self._chain_ready()
        now = self._clock()
        for start in range(0, len(hashes), WRITE_CHUNK):
            chunk = hashes[start:start + WRITE_CHUNK]
            ended: list[tuple[str, str]] = []
            async with self._writer.transaction() as session:
                ids = list((await session.scalars(select(InvoiceRow.id).where(InvoiceRow.payment_hash.in_(chunk)))).all())
                rows, payment_rows = await self._load(session, ids)
                minimums = await self._min_fee_rates(session, rows.values())
                for row in rows.values():
                    event = by_hash[str(row.payment_hash)]
                    payment = lightning_payment(payment_hash=event.payment_hash, preimage=event.preimage,
                                                amount_msat=event.amount_msat, settled_at=event.settled_at)
                    was_monitored = row.monitored
                    # ``ready``: the chain's state only decides expiry here; the payment itself is final
                    await self._apply(session, row, payment_rows[row.id], None, tip, now, ready, minimums, (payment,))
                    if was_monitored and not row.monitored:
                        ended.append((row.wallet_id, row.address))
            self._monitoring_ended(ended)
            missing = set(chunk) - {str(r.payment_hash) for r in rows.values()}
            for payment_hash in missing:
                logger.warning("lightning payment %s… settled for no known invoice", payment_hash[:16])

    async def _recover_lightning(self) -> None:
        """Ask the node which issued, unrecorded payment hashes are paid (a crash between Electrum's
        fulfilment and our commit; a long stop): they are recorded like a live LightningPaid."""
        if self._lightning is None or (wallet_id := self._lightning.lightning_wallet()) is None:
            return
        since = self._clock() - LIGHTNING_RECOVERY_WINDOW
        has_lightning = exists().where(PaymentRow.invoice_id == InvoiceRow.id, PaymentRow.method == "lightning")
        query = (select(InvoiceRow.payment_hash)
                 .where(InvoiceRow.payment_hash.is_not(None), InvoiceRow.expires_at >= since,
                        InvoiceRow.status.in_((str(InvoiceStatus.PENDING), str(InvoiceStatus.EXPIRED))),
                        ~has_lightning))
        async with self._writer.read() as session:
            hashes = [h for h in (await session.scalars(query)).all() if h]
        found: list[LightningPaid] = []
        try:
            for start in range(0, len(hashes), BATCH):
                found.extend(await self._lightning.lightning_paid(wallet_id, hashes[start:start + BATCH]))
        except (LightningError, ChainNotRunning) as exc:
            logger.warning("could not ask the Lightning node for paid invoices: %s; retrying on reconnect", exc)
            return
        for event in found:
            self._lightning_paid.setdefault(event.payment_hash, event)
        if found:
            logger.info("lightning: %d payment(s) settled while unrecorded; recording them", len(found))
