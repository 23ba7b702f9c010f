"""AppKeys and RequestKeys of the web terminal feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

if TYPE_CHECKING:
    from app.checkout_server.shopper.assets import Assets
    from app.checkout_server.shopper.ratelimit import TokenBuckets
    from app.core.staff import Actor
    from app.services.staff.terminals import Terminal

TERMINAL_JINJA: web.AppKey[jinja2.Environment] = web.AppKey("terminal_jinja", jinja2.Environment)
TERMINAL_ASSETS: web.AppKey[Assets] = web.AppKey("terminal_assets")
REQUEST_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("terminal_request_limiter")  # every /t request, per terminal
CHARGE_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("terminal_charge_limiter")  # new invoices, per terminal
PAIR_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("terminal_pair_limiter")  # pairing attempts, per address
PAIR_TOTAL_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("terminal_pair_total_limiter")  # every address together

# Per-request values, set by the device middleware (app/checkout_server/terminal/access.py).
TERMINAL: web.RequestKey[Terminal] = web.RequestKey("terminal_device")
ACTOR: web.RequestKey[Actor] = web.RequestKey("terminal_actor")
