"""Bitcart daemon events (new_block, new_transaction, new_payment, verified_tx), fed by RedWaves' outbox
and the chain tip, delivered to websocket subscribers and to per-wallet polling queues (get_updates).

Only invoices in a loaded wallet's daemon store produce wallet events; new_block goes to everyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, Protocol

from app.chain.models import ChainEvent, TipChanged
from app.core.errors import NotFound
from app.lifecycle import cancel_all
from app.services.compat.bitcart.requests import STATUS_STR, electrum_status, format_sent, live_txids
from app.services.compat.bitcart.wallets import DaemonWallets
from app.services.events import EventBus, OutboxEvent
from app.services.invoicing.invoices import InvoiceService

logger = logging.getLogger(__name__)

POLLING_CAP = 100  # Bitcart's POLLING_CAP: updates kept per wallet between two get_updates calls
SUBSCRIBER_BACKLOG = 1000
_PAYMENT_TYPES = ("payment.received", "payment.confirmed", "payment.state_changed", "invoice.status_changed")
_SEEN_LIMIT = 10_000

Notification = dict[str, Any]


class Subscription:
    """One websocket's feed. ``wallet_key`` None receives every wallet's events (as in Bitcart)."""

    def __init__(self, unsubscribe: Callable[[Subscription], None]) -> None:
        self.queue: asyncio.Queue[Notification] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        self.wallet_key: str | None = None
        self._unsubscribe = unsubscribe

    def wants(self, wallet_key: str | None) -> bool:
        return wallet_key is None or self.wallet_key is None or self.wallet_key == wallet_key

    def close(self) -> None:
        self._unsubscribe(self)


class ChainEvents(Protocol):
    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]: ...


class DaemonEvents:
    def __init__(self, bus: EventBus, wallets: DaemonWallets, invoices: InvoiceService,
                 tip_height: Callable[[], int | None], *, chain: ChainEvents | None = None,
                 polling_cap: int = POLLING_CAP, tip_poll_s: float = 1.0) -> None:
        self._bus = bus
        self._chain = chain
        self._unsubscribe_chain: Callable[[], None] | None = None
        self._wallets = wallets
        self._invoices = invoices
        self._tip_height = tip_height
        self._cap = polling_cap
        self._tip_poll_s = tip_poll_s
        self._queues: dict[str, deque[dict[str, Any]]] = {}
        self._subscriptions: list[Subscription] = []
        self._inbox: asyncio.Queue[OutboxEvent] = asyncio.Queue()
        self._last_payment: OrderedDict[str, tuple[Any, ...]] = OrderedDict()
        self._height: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe_bus: Callable[[], None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._height = self._tip_height()
        self._unsubscribe_bus = self._bus.subscribe(self._on_outbox)
        if self._chain is not None:
            self._unsubscribe_chain = self._chain.subscribe(self.on_chain_event)
        self._tasks = [asyncio.create_task(self._translate(), name="daemon-events"),
                       asyncio.create_task(self._watch_tip(), name="daemon-tip")]

    async def stop(self) -> None:
        if self._unsubscribe_bus is not None:
            self._unsubscribe_bus()
            self._unsubscribe_bus = None
        if self._unsubscribe_chain is not None:
            self._unsubscribe_chain()
            self._unsubscribe_chain = None
        await cancel_all(self._tasks)

    # -- consumers -----------------------------------------------------------------------------

    def subscribe(self) -> Subscription:
        subscription = Subscription(self._subscriptions.remove)
        self._subscriptions.append(subscription)
        return subscription

    def take_updates(self, wallet_key: str) -> list[dict[str, Any]]:
        queue = self._queues.pop(wallet_key, None)
        self._queues[wallet_key] = deque(maxlen=self._cap)
        return list(queue or ())

    def forget(self, wallet_key: str) -> None:
        self._queues.pop(wallet_key, None)

    def on_chain_event(self, event: ChainEvent) -> None:
        """A new tip, pushed by the chain watcher (subscribed in start()); polling covers it too."""
        if isinstance(event, TipChanged):
            self._new_height(event.height)

    # -- producers -----------------------------------------------------------------------------

    def _on_outbox(self, event: OutboxEvent) -> None:
        if event.type in _PAYMENT_TYPES and event.store_id and self._wallets.by_store(event.store_id):
            self._inbox.put_nowait(event)

    async def _translate(self) -> None:
        while True:
            event = await self._inbox.get()
            try:
                await self._handle(event)
            except NotFound:
                logger.debug("daemon events: invoice %s vanished", event.invoice_id)
            except Exception:
                logger.exception("daemon events: failed on outbox seq %s", event.seq)

    async def _handle(self, event: OutboxEvent) -> None:
        keys = [w.key for w in self._wallets.by_store(event.store_id or "")]
        payload = event.payload
        invoice = await self._invoices.get(event.invoice_id) if event.invoice_id is not None else None
        # A Lightning payment has no transaction: Bitcart sends only new_payment for it (tx_hashes = [rhash])
        lightning = invoice is not None and any(p.lightning is not None and p.txid == payload.get("txid")
                                                for p in invoice.payments)
        if event.type == "payment.received" and not lightning:
            self._emit_all(keys, {"event": "new_transaction", "tx": payload["txid"]})
        elif event.type == "payment.confirmed":
            self._emit_all(keys, {"event": "verified_tx", "tx": payload["txid"], "height": payload["height"]})
        if invoice is None:
            return
        status = electrum_status(invoice)
        tx_hashes = live_txids(invoice)
        signature = (status, tuple(tx_hashes), invoice.amount_paid_sat)
        if self._last_payment.get(invoice.id) == signature:
            return
        self._last_payment[invoice.id] = signature
        self._last_payment.move_to_end(invoice.id)
        while len(self._last_payment) > _SEEN_LIMIT:
            self._last_payment.popitem(last=False)
        self._emit_all(keys, {"event": "new_payment", "address": invoice.id, "status": int(status),
                              "status_str": STATUS_STR[status], "tx_hashes": tx_hashes,
                              "sent_amount": format_sent(invoice.amount_paid_sat)})

    async def _watch_tip(self) -> None:
        while True:
            await asyncio.sleep(self._tip_poll_s)
            height = self._tip_height()
            if height is not None:
                self._new_height(height)

    def _new_height(self, height: int) -> None:
        if self._height is not None and height <= self._height:
            return
        self._height = height
        data = {"event": "new_block", "height": height}
        self._publish(dict(data), None)
        for wallet in self._wallets.loaded():
            self._queue(wallet.key).append(dict(data))

    def _emit_all(self, keys: list[str], data: dict[str, Any]) -> None:
        for key in keys:
            self._queue(key).append(dict(data))
            self._publish(dict(data), key)

    def _queue(self, key: str) -> deque[dict[str, Any]]:
        return self._queues.setdefault(key, deque(maxlen=self._cap))

    def _publish(self, data: dict[str, Any], wallet_key: str | None) -> None:
        notification = {"updates": [data], "wallet": wallet_key, "currency": "BTC"}
        for subscription in list(self._subscriptions):
            if not subscription.wants(wallet_key):
                continue
            try:
                subscription.queue.put_nowait(notification)
            except asyncio.QueueFull:
                logger.warning("daemon websocket too slow: dropped a %s notification", data["event"])
