"""Failed logins, counted per credential id and per peer; a valid credential is never refused.

Every local program and every onion shopper reaches us from 127.0.0.1, so a lockout by address
alone would let anyone lock the merchant out. Instead:

- A credential that names itself (an API key's public id ``rw_<id>_...``, the daemon's login) is
  always checked. A valid one passes whatever the counters say.
- A failure costs a token from the bucket of that credential id AND from the peer's bucket. When
  either is empty the failure is answered 429 (Retry-After) after a short penalty delay, so a
  guesser gets at most one answer per ``penalty_s`` per connection (and connections per client are
  capped by the listener, app/checkout_server/connections.py).
- Credentials that name no id (garbage, a wrong scheme) count against the peer only; they are
  never looked up.

Buckets are bounded (least recently used forgotten first), so a flood of ids cannot grow memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from app.checkout_server.api.ratelimit import RateLimiter
from app.checkout_server.exposure import client_address
from app.checkout_server.keys import SERVICES
from app.services.admin.apikeys import ID_BYTES, KEY_PREFIX, ApiKey

logger = logging.getLogger(__name__)

_KEY_ID = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{{2 * ID_BYTES}}})_.")


def api_key_id(token: str) -> str | None:
    """The public id of an API key (``rw_<12 hex>_<secret>``), or None when it is not shaped like one."""
    match = _KEY_ID.match(token)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Refusal:
    """A failed login the caller should answer 429 with ``Retry-After: retry_after_s``."""

    retry_after_s: float


class FailedLogins:
    """``capacity`` failures in a burst per credential id and per peer, refilled at ``per_minute``."""

    def __init__(self, capacity: int = 10, per_minute: float = 10, *, penalty_s: float = 0.5,
                 clock: Callable[[], float] = time.monotonic, max_tracked: int = 10_000) -> None:
        self.penalty_s = penalty_s
        self._by_id = RateLimiter(capacity, per_minute, clock=clock, max_clients=max_tracked)
        self._by_peer = RateLimiter(capacity, per_minute, clock=clock, max_clients=max_tracked)

    async def failed(self, peer: str, credential_id: str | None) -> Refusal | None:
        """Count one failure; a Refusal (after the penalty delay) when a budget is spent."""
        waits = [self._by_peer.consume(peer)]
        if credential_id is not None:
            waits.append(self._by_id.consume(f"id:{credential_id}"))
        wait = max(waits)
        if not wait:  # within budget: logged (bounded by the budget); over it only at debug level
            logger.info("failed API login (peer %s, key id %s)", peer, credential_id or "none")
            return None
        logger.debug("failed logins over budget (peer %s, id %s): retry in %.0f s", peer, credential_id, wait)
        if self.penalty_s > 0:
            await asyncio.sleep(self.penalty_s)
        return Refusal(wait)


async def check_api_key(request: web.Request, token: str | None, limits: FailedLogins) -> ApiKey | Refusal | None:
    """The valid key for ``token``; a Refusal (answer 429) when over budget; None: answer 401."""
    peer = client_address(request)
    key_id = api_key_id(token) if token else None
    if token is None or key_id is None:  # no valid key looks like this: nothing to look up
        return await limits.failed(peer, None)
    key = await request.app[SERVICES].apikeys.authenticate(token)
    if key is not None:
        return key
    return await limits.failed(peer, key_id)
