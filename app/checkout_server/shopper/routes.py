"""Shopper routes (all public: they are what the LAN / onion listener is for) and package setup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from app.checkout_server.feature import Route
from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper import checkout, devnet_controls, images, store
from app.checkout_server.shopper.assets import Assets, modal_script, static_file
from app.checkout_server.shopper.i18n import Catalogs
from app.checkout_server.shopper.keys import (
    ASSETS,
    CATALOGS,
    HUB,
    INVOICE_LIMITER,
    JINJA,
    KNOWN_INVOICES,
    NOT_FOUND_PAGES,
    PAGE_CACHE,
    STORE_INVOICE_LIMITER,
)
from app.checkout_server.shopper.known_invoices import KnownInvoices
from app.checkout_server.shopper.live import LiveHub
from app.checkout_server.shopper.page_cache import PageCache
from app.checkout_server.shopper.pages import html_error_middleware
from app.checkout_server.shopper.ratelimit import TokenBuckets
from app.checkout_server.shopper.security import add_security_headers
from app.core.public_invoices import STORE_BURST, STORE_PER_MINUTE

TEMPLATES_DIR = Path(__file__).parent / "templates"
INVOICE = "/i/{invoice_id:[A-Za-z0-9_-]{1,64}}"
STORE = "/s/{store_id:[A-Za-z0-9_-]{1,64}}"


def routes() -> list[Route]:
    return [
        Route("GET", INVOICE, checkout.invoice_page, public=True, name="shopper.invoice"),
        Route("GET", f"{INVOICE}/status", checkout.invoice_status, public=True, name="shopper.invoice_status"),
        Route("GET", f"{INVOICE}/ws", checkout.invoice_ws, public=True, name="shopper.invoice_ws"),
        Route("GET", f"{INVOICE}/qr.svg", checkout.invoice_qr, public=True, name="shopper.qr"),
        Route("GET", f"{INVOICE}/receipt", checkout.receipt_page, public=True, name="shopper.receipt"),
        Route("POST", f"{INVOICE}/devnet/pay", devnet_controls.devnet_pay, public=True, name="shopper.devnet_pay"),
        Route("POST", f"{INVOICE}/devnet/mine", devnet_controls.devnet_mine, public=True, name="shopper.devnet_mine"),
        Route("GET", STORE, store.store_page, public=True, name="shopper.store"),
        Route("POST", f"{STORE}/checkout", store.store_checkout, public=True, name="shopper.store_checkout"),
        Route("GET", f"{STORE}/logo", images.store_logo, public=True, name="shopper.store_logo"),
        Route("GET", STORE + "/p/{product_id:[A-Za-z0-9_-]{1,64}}/image", images.product_image, public=True,
              name="shopper.product_image"),
        Route("GET", "/static/{name:[A-Za-z0-9_-]{1,64}\\.[a-z]{2,4}}", static_file, public=True,
              name="shopper.static"),
        Route("GET", "/modal/redwaves.js", modal_script, public=True, name="shopper.modal_js"),
    ]


def setup(app: web.Application) -> None:
    aiohttp_jinja2.setup(app, app_key=JINJA, loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                         autoescape=True, default_helpers=False, trim_blocks=True, lstrip_blocks=True,
                         undefined=jinja2.StrictUndefined)
    app[CATALOGS] = Catalogs()
    app[ASSETS] = Assets()
    cache = PageCache()
    app[PAGE_CACHE] = cache
    app[HUB] = LiveHub(app[SERVICES].events, cache)
    app[KNOWN_INVOICES] = KnownInvoices.shared(app[SERVICES].invoices)
    app[NOT_FOUND_PAGES] = {}
    app[INVOICE_LIMITER] = TokenBuckets()
    app[STORE_INVOICE_LIMITER] = TokenBuckets(STORE_BURST, STORE_PER_MINUTE / 60)
    app.middlewares.append(html_error_middleware)
    app.on_response_prepare.append(add_security_headers)
    app.on_shutdown.append(_close_sockets)
    app.cleanup_ctx.append(_live_hub)


async def _live_hub(app: web.Application) -> AsyncIterator[None]:
    app[HUB].start()
    app[KNOWN_INVOICES].start()
    yield
    await app[KNOWN_INVOICES].stop()
    await app[HUB].stop()


async def _close_sockets(app: web.Application) -> None:
    await app[HUB].stop()
