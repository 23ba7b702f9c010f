"""Token buckets per client (invoice creation from the ready store): burst, then a steady rate."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    """``capacity`` requests at once, refilled at ``rate_per_s``; at most ``max_clients`` tracked
    (least recently seen forgotten first, so a flood of addresses cannot grow memory)."""

    def __init__(self, capacity: float = 10, rate_per_s: float = 10 / 60, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.rate_per_s = rate_per_s
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """Take a token; returns 0 when allowed, else the seconds until one is available."""
        now = self._clock()
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate_per_s)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate_per_s
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return wait
