"""AppKeys of the API and access to its services (attached by the composition root, or by setup())."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from app.checkout_server.api.ratelimit import ApiLimits

API_LIMITS: web.AppKey[ApiLimits] = web.AppKey("api_limits", ApiLimits)
FEATURES = ("apikeys", "webhooks", "product_images", "address_usage", "payment_history")


def feature(services: Any, name: str) -> Any:
    """`services.<name>` once the lead wires it into Services; until then `services.extras[name]`."""
    found = getattr(services, name, None)
    if found is None:
        found = getattr(services, "extras", {}).get(name)
    if found is None:
        raise LookupError(f"service {name!r} is not attached")
    return found
