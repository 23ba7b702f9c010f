"""Web terminal routes (all public: phones and tablets reach the till on the LAN / onion listener) and
the feature's setup. Set up after the shopper feature: it reuses its catalogs (translator), headers,
QR images and live status routes."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from app.checkout_server.feature import Handler, Route
from app.checkout_server.shopper.assets import Assets
from app.checkout_server.shopper.ratelimit import TokenBuckets
from app.checkout_server.terminal import charge, login, pairing, pwa, receipt, refund, sale, today
from app.checkout_server.terminal.access import terminal_middleware
from app.checkout_server.terminal.keys import (
    CHARGE_LIMITER,
    PAIR_LIMITER,
    PAIR_TOTAL_LIMITER,
    REQUEST_LIMITER,
    TERMINAL_ASSETS,
    TERMINAL_JINJA,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
ID = "[A-Za-z0-9_-]{1,64}"
INVOICE = "{invoice_id:" + ID + "}"
REQUEST_BURST, REQUEST_PER_S = 120, 4.0  # every request of one till (the sale panel posts on each tap)


def routes() -> list[Route]:
    def r(method: str, path: str, handler: Handler, name: str) -> Route:
        return Route(method, path, handler, public=True, name=f"terminal.{name}")

    return [
        r("GET", "/t/pair", pairing.pair_page, "pair"),
        r("POST", "/t/pair", pairing.pair, "pair_post"),
        r("GET", "/t", pwa.to_start, "root"),
        r("GET", "/t/", login.people_page, "people"),
        r("GET", "/t/login/{person_id:" + ID + "}", login.login_page, "login"),
        r("POST", "/t/login/{person_id:" + ID + "}", login.login, "login_post"),
        r("POST", "/t/logout", login.logout, "logout"),
        r("GET", "/t/sale", sale.sale_page, "sale"),
        r("POST", "/t/sale", sale.sale_post, "sale_post"),
        r("POST", "/t/charge", sale.charge, "charge_post"),
        r("GET", f"/t/charge/{INVOICE}", charge.charge_page, "charge"),
        r("POST", f"/t/charge/{INVOICE}/cancel", charge.cancel_charge, "charge_cancel"),
        r("GET", f"/t/paid/{INVOICE}", charge.paid_page, "paid"),
        r("GET", f"/t/receipt/{INVOICE}", receipt.receipt_page, "receipt"),
        r("POST", f"/t/receipt/{INVOICE}/email", receipt.email_receipt, "receipt_email"),
        r("POST", f"/t/receipt/{INVOICE}/print", receipt.print_receipt, "receipt_print"),
        r("POST", f"/t/receipt/{INVOICE}/refund", refund.refund_sale, "receipt_refund"),
        r("GET", "/t/today", today.today_page, "today"),
        r("GET", "/t/refund", refund.refunds_page, "refunds"),
        r("GET", "/t/refund/{refund_id:" + ID + "}", refund.refund_page, "refund"),
        r("POST", "/t/refund/{refund_id:" + ID + "}/approve", refund.approve, "refund_approve"),
        r("POST", "/t/refund/{refund_id:" + ID + "}/cancel", refund.cancel, "refund_cancel"),
        r("GET", "/t/manifest.webmanifest", pwa.manifest, "manifest"),
        r("GET", "/t/sw.js", pwa.service_worker, "sw"),
        r("GET", "/t/offline.html", pwa.offline_page, "offline"),
        r("GET", "/t/icons/{name:icon-(?:192|512)\\.png}", pwa.icon, "icon"),
        r("GET", "/t/static/{name:[A-Za-z0-9_-]{1,64}\\.(?:css|js)}", pwa.static_file, "static"),
    ]


def setup(app: web.Application) -> None:
    app[TERMINAL_JINJA] = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    app[TERMINAL_ASSETS] = Assets(STATIC_DIR)
    app[REQUEST_LIMITER] = TokenBuckets(REQUEST_BURST, REQUEST_PER_S)
    app[CHARGE_LIMITER] = TokenBuckets(sale.CHARGE_BURST, sale.CHARGE_PER_MINUTE / 60)
    app[PAIR_LIMITER] = TokenBuckets(pairing.PAIR_BURST, pairing.PAIR_PER_MINUTE / 60)
    app[PAIR_TOTAL_LIMITER] = TokenBuckets(pairing.PAIR_TOTAL_BURST, pairing.PAIR_TOTAL_PER_MINUTE / 60)
    app.middlewares.append(terminal_middleware)
