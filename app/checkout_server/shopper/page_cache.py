"""Rendered checkout pages, kept briefly and dropped as soon as an event touches their invoice.

A shopper's page refreshes itself (meta refresh or polling), so the same page is asked for again
and again; rendering it from the database each time would cap throughput. Entries live at most
``ttl_s`` (the countdown text moves) and are invalidated by the live hub on every committed event.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class PageCache:
    def __init__(self, *, ttl_s: float = 5.0, max_entries: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, int, bytes]] = OrderedDict()
        self._generation: dict[str, int] = {}
        self._inflight: dict[Hashable, asyncio.Future[bytes]] = {}

    async def get_or_render(self, invoice_id: str, key: Hashable, render: Callable[[], Awaitable[bytes]]) -> bytes:
        """The cached page, or one render shared by every request that asks meanwhile (no stampede
        when an entry expires under load). A render's exception reaches all of its waiters."""
        body = self.get(invoice_id, key)
        if body is not None:
            return body
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request itself was cancelled
                return await render()  # the leading request went away: render for ourselves
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        generation = self.generation(invoice_id)
        try:
            body = await render()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._inflight[key]
        future.set_result(body)
        self.put(invoice_id, key, body, generation)
        return body

    def generation(self, invoice_id: str) -> int:
        return self._generation.get(invoice_id, 0)

    def get(self, invoice_id: str, key: Hashable) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, generation, body = entry
        if self._clock() - stored_at > self._ttl_s or generation != self.generation(invoice_id):
            self._entries.pop(key, None)
            return None
        return body

    def put(self, invoice_id: str, key: Hashable, body: bytes, generation: int) -> None:
        """Store a page rendered from data read while ``generation`` was current."""
        if generation != self.generation(invoice_id):
            return  # an event arrived while rendering: the page may be stale already
        self._entries[key] = (self._clock(), generation, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self, invoice_id: str) -> None:
        self._generation[invoice_id] = self.generation(invoice_id) + 1
        if len(self._generation) > 4 * self._max:
            self._generation.clear()  # generations only need to differ from cached ones
            self._entries.clear()
