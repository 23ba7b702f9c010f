"""Every route declares itself public (shopper-facing) or private in this one table.

The public listener (LAN / onion) registers only public routes; anything else answers 404 there.
Each feature package contributes its own list through a module with `routes() -> list[Route]` and
an optional `setup(app: web.Application) -> None` (templates, middlewares, cleanup contexts).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FEATURES = (
    "app.checkout_server.exposure",
    "app.checkout_server.health",
    "app.checkout_server.shopper.routes",
    "app.checkout_server.api.routes",
    "app.checkout_server.greenfield.routes",
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    public: bool
    name: str | None = None


def feature_modules() -> list[ModuleType]:
    modules = []
    for name in FEATURES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:  # a feature package not written yet
            if exc.name is None or not name.startswith(exc.name):
                raise
    return modules


def route_table() -> list[Route]:
    return [route for module in feature_modules() for route in module.routes()]
