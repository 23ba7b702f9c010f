"""AppKeys of the API and access to its services (built by the composition root: app.services.container)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from app.checkout_server.api.ratelimit import ApiLimits

API_LIMITS: web.AppKey[ApiLimits] = web.AppKey("api_limits", ApiLimits)
def feature(services: Any, name: str) -> Any:
    """`services.<name>` (apikeys, webhooks, product_images, address_usage, payment_history)."""
    found = getattr(services, name, None)
    if found is None:
        raise LookupError(f"service {name!r} is not available")
    return found
