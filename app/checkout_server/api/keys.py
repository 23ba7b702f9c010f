"""AppKeys of the API."""

from __future__ import annotations

from aiohttp import web

from app.checkout_server.api.ratelimit import ApiLimits

API_LIMITS: web.AppKey[ApiLimits] = web.AppKey("api_limits", ApiLimits)
