"""AppKeys of the refund page feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

if TYPE_CHECKING:
    from app.checkout_server.refunds.form import FormTokens
    from app.checkout_server.shopper.ratelimit import TokenBuckets

REFUND_JINJA: web.AppKey[jinja2.Environment] = web.AppKey("refund_jinja", jinja2.Environment)
FORM_TOKENS: web.AppKey[FormTokens] = web.AppKey("refund_form_tokens")
CLAIM_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("refund_claim_limiter")  # per refund id
