"""What a feature package contributes to the server: its routes and an optional setup.

Each route declares itself public (shopper-facing) or private; the public listener (LAN / onion)
registers only public routes, so anything else answers 404 there. `setup(app)` installs templates,
middlewares and cleanup contexts. `app.checkout_server.routes` lists the features.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    public: bool
    name: str | None = None


def no_routes() -> list[Route]:
    return []


@dataclass(frozen=True)
class Feature:
    routes: Callable[[], list[Route]] = no_routes
    setup: Callable[[web.Application], None] | None = None
