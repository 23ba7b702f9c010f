"""Every route declares itself public (shopper-facing) or private in this one table.

The public listener (LAN / onion) registers only public routes; anything else answers 404 there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from app.checkout_server import health

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    public: bool
    name: str | None = None


def route_table() -> list[Route]:
    return [
        Route("GET", "/health", health.health, public=False, name="health"),
    ]
