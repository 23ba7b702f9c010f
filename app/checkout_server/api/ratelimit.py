"""Token buckets per client address, in memory (anonymous invoice creation; failed logins build on
them in app/checkout_server/logins.py)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.checkout_server.logins import FailedLogins


class RateLimiter:
    """`capacity` requests in a burst, refilled at `per_minute`; at most `max_clients` tracked."""

    def __init__(self, capacity: int, per_minute: float, *, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = 10_000) -> None:
        self.capacity = capacity
        self._rate_s = per_minute / 60.0
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, client: str) -> float:
        tokens, stamp = self._buckets.get(client, (float(self.capacity), self._clock()))
        return min(float(self.capacity), tokens + (self._clock() - stamp) * self._rate_s)

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when a request is allowed now. Consumes nothing."""
        tokens = self._tokens(client)
        return 0.0 if tokens >= 1 else (1 - tokens) / self._rate_s

    def consume(self, client: str) -> float:
        """Take one token; returns 0 when allowed, else the seconds to wait (nothing is taken)."""
        wait = self.retry_after(client)
        if wait == 0.0:
            self._buckets[client] = (self._tokens(client) - 1, self._clock())
            self._buckets.move_to_end(client)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        return wait


@dataclass
class ApiLimits:
    """Per-application limits; tests replace `app[API_LIMITS]` before the app starts."""

    failed_auth: FailedLogins = field(default_factory=lambda: _failed_logins())
    anonymous_invoices: RateLimiter = field(default_factory=lambda: RateLimiter(10, 30))
    max_json_bytes: int = 64 * 1024


def _failed_logins() -> FailedLogins:
    from app.checkout_server.logins import FailedLogins

    return FailedLogins()
