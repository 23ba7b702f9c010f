"""Refund page routes (public: the shopper opens the link on the LAN / public listener or the onion)
and the feature's setup. Set up after the shopper feature: it renders with the shopper's catalogs,
assets, base template and error pages (route names start with ``shopper.`` for the form guard and
the HTML error middleware)."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from app.checkout_server.feature import Route
from app.checkout_server.refunds import page
from app.checkout_server.refunds.form import FormTokens
from app.checkout_server.refunds.keys import CLAIM_LIMITER, FORM_TOKENS, REFUND_JINJA
from app.checkout_server.shopper.ratelimit import TokenBuckets
from app.checkout_server.shopper.routes import TEMPLATES_DIR as SHOPPER_TEMPLATES

TEMPLATES_DIR = Path(__file__).parent / "templates"
REFUND = "/refund/{refund_id:[A-Za-z0-9_-]{1,64}}"


def routes() -> list[Route]:
    return [
        Route("GET", REFUND, page.refund_page, public=True, name="shopper.refund"),
        Route("POST", REFUND, page.refund_claim, public=True, name="shopper.refund_claim"),
    ]


def setup(app: web.Application) -> None:
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES_DIR), jinja2.FileSystemLoader(SHOPPER_TEMPLATES)])
    app[REFUND_JINJA] = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                           undefined=jinja2.StrictUndefined)
    app[FORM_TOKENS] = FormTokens()
    app[CLAIM_LIMITER] = TokenBuckets(page.CLAIM_BURST, page.CLAIM_PER_MINUTE / 60)
