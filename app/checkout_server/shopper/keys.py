"""AppKeys owned by the shopper package (kept apart from other features' keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

if TYPE_CHECKING:
    from app.checkout_server.shopper.assets import Assets
    from app.checkout_server.shopper.i18n import Catalogs, Translator
    from app.checkout_server.shopper.known_invoices import KnownInvoices
    from app.checkout_server.shopper.live import LiveHub
    from app.checkout_server.shopper.page_cache import PageCache
    from app.checkout_server.shopper.ratelimit import TokenBuckets

JINJA: web.AppKey[jinja2.Environment] = web.AppKey("shopper_jinja", jinja2.Environment)
CATALOGS: web.AppKey[Catalogs] = web.AppKey("shopper_catalogs")
ASSETS: web.AppKey[Assets] = web.AppKey("shopper_assets")
HUB: web.AppKey[LiveHub] = web.AppKey("shopper_live_hub")
PAGE_CACHE: web.AppKey[PageCache] = web.AppKey("shopper_page_cache")
KNOWN_INVOICES: web.AppKey[KnownInvoices] = web.AppKey("shopper_known_invoices")  # which ids exist
NOT_FOUND_PAGES: web.AppKey[dict[tuple[str, bool], bytes]] = web.AppKey("shopper_not_found_pages", dict)
INVOICE_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("shopper_invoice_limiter")  # per client
STORE_INVOICE_LIMITER: web.AppKey[TokenBuckets] = web.AppKey("shopper_store_invoice_limiter")  # per store

# Per-request values.
FRAMEABLE: web.RequestKey[bool] = web.RequestKey("shopper_frameable", bool)  # the modal view may be framed
TRANSLATOR: web.RequestKey[Translator] = web.RequestKey("shopper_translator")
