"""The API feature module: `routes()` (all private) and `setup(app)`.

`setup` gives the private app its API limits and `no-store` caching for API answers. The API's
services (api keys, webhooks, ...) are built and started by the composition root (Services).
"""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.api import (
    apikeys,
    audit,
    exports,
    invoices,
    lightning,
    payouts,
    products,
    rates,
    refunds,
    server,
    stores,
    wallets,
    webhooks,
)
from app.checkout_server.api.keys import API_LIMITS
from app.checkout_server.api.operations import PREFIX, Operation, bind
from app.checkout_server.api.ratelimit import ApiLimits
from app.checkout_server.feature import Route
from app.checkout_server.keys import IS_PUBLIC

# Fixed paths before templated ones (/invoices/export before /invoices/{invoice_id}).
MODULES = (server, apikeys, stores, rates, wallets, products, exports, invoices, refunds, payouts, lightning,
           webhooks, audit)


def all_operations() -> list[Operation]:
    return [op for module in MODULES for op in module.operations()]


def routes() -> list[Route]:
    return [Route(op.method, op.full_path, bind(op), public=False, name=f"api.{op.operation_id}")
            for op in all_operations()]


async def _no_store(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(PREFIX + "/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


def setup(app: web.Application) -> None:
    if app[IS_PUBLIC]:
        return
    app[API_LIMITS] = ApiLimits()
    app.on_response_prepare.append(_no_store)
