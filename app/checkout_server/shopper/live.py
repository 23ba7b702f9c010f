"""Live status: one EventBus subscription fans committed events out to checkout websockets.

Each socket has a small queue of "something changed" signals; its pump coalesces them and sends
the invoice's current status (read after the commit), so a burst of events costs one read.
The hub also invalidates cached pages of the touched invoice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode, web

from app.checkout_server.shopper.page_cache import PageCache

if TYPE_CHECKING:
    from app.services.events import EventBus, OutboxEvent

logger = logging.getLogger(__name__)

QUEUE_SIZE = 8


class LiveHub:
    def __init__(self, events: EventBus | None, cache: PageCache, *, max_sockets: int = 2000) -> None:
        self._events = events
        self._cache = cache
        self._max_sockets = max_sockets
        self._watchers: dict[str, set[asyncio.Queue[str]]] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def full(self) -> bool:
        return len(self._sockets) >= self._max_sockets

    @property
    def socket_count(self) -> int:
        return len(self._sockets)

    def start(self) -> None:
        if self._events is not None and self._unsubscribe is None:
            self._unsubscribe = self._events.subscribe(self._on_event)

    async def stop(self) -> None:
        """Close every open socket (on app shutdown) and stop listening."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        sockets = list(self._sockets)
        await asyncio.gather(*(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
                               for ws in sockets), return_exceptions=True)

    def _on_event(self, event: OutboxEvent) -> None:
        invoice_id = event.invoice_id
        if not invoice_id:
            return
        self._cache.invalidate(invoice_id)
        for queue in self._watchers.get(invoice_id, ()):
            try:
                queue.put_nowait(event.type)
            except asyncio.QueueFull:
                pass  # already signalled; the pump sends the latest state anyway

    def watch(self, invoice_id: str, ws: web.WebSocketResponse) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._watchers.setdefault(invoice_id, set()).add(queue)
        self._sockets.add(ws)
        return queue

    def unwatch(self, invoice_id: str, ws: web.WebSocketResponse, queue: asyncio.Queue[str]) -> None:
        self._sockets.discard(ws)
        queues = self._watchers.get(invoice_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._watchers[invoice_id]


async def drain(queue: asyncio.Queue[str]) -> list[str]:
    """Wait for one signal, then take whatever else is already queued."""
    signals = [await queue.get()]
    while not queue.empty():
        signals.append(queue.get_nowait())
    return signals
