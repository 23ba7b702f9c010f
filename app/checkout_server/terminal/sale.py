"""GET/POST /t/sale (keypad, product grid, cart, discount, tip) and POST /t/charge (the invoice).

Every button of the sale is a submit button of one form (cart.py keeps the sale in its fields), so the
whole sale works with JavaScript off; sale.js sends the same form in the background and swaps the sale
panel, and moves keypad digits without a round trip. The charge creates the invoice through
``InvoiceService.create(..., actor=<the person at this till>, tip=...)``: what a role may not do, the
service refuses and the page shows its sentence.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.formats import price_text
from app.checkout_server.shopper.pages import translator
from app.checkout_server.terminal import cart
from app.checkout_server.terminal.access import see_other
from app.checkout_server.terminal.keys import ACTOR, CHARGE_LIMITER, TERMINAL
from app.checkout_server.terminal.nav import nav_links
from app.checkout_server.terminal.pages import read_form, render
from app.core.errors import UserFacingError
from app.core.records import Product, Store
from app.core.staff import Permission

logger = logging.getLogger(__name__)

CHARGE_BURST, CHARGE_PER_MINUTE = 10, 12  # new invoices per terminal
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "00", "0", "back")
OTHER = "Other"


async def _store_and_products(request: web.Request) -> tuple[Store, list[Product]]:
    services = request.app[SERVICES]
    store = await services.stores.get(request[TERMINAL].store_id)
    return store, await services.products.list(store.id)


def _grid(products: Sequence[Product], store: Store, request: web.Request) -> list[dict[str, object]]:
    """Products by category (alphabetical; products without one last, under "Other")."""
    locale = translator(request).locale
    groups: dict[str, list[dict[str, object]]] = {}
    for product in sorted(products, key=lambda p: (p.category == "", p.category.casefold(), p.name.casefold())):
        if product.archived:
            continue
        groups.setdefault(product.category or OTHER, []).append({
            "id": product.id, "name": product.name, "sold_out": product.stock == 0,
            "price": price_text(product.price, store.default_currency, locale)})
    return [{"name": name, "slug": f"c{index}", "products": items} for index, (name, items) in enumerate(groups.items())]


def sale_context(request: web.Request, store: Store, products: Sequence[Product], sale: cart.Sale,
                 error: str | None = None) -> dict[str, object]:
    locale = translator(request).locale
    currency = store.default_currency
    totals = cart.price(sale, products, currency)

    def money(minor: int) -> str:
        return price_text(totals.money(minor), currency, locale)

    lines = [{"index": line.index, "name": line.name, "qty": line.qty, "total": money(line.total_minor)}
             for line in totals.lines]
    return {"title": f"Sale · {store.name}", "store": store, "sale": sale, "grid": _grid(products, store, request),
            "lines": lines, "entry_text": money(int(sale.entry or 0)), "places": totals.places,
            "subtotal": money(totals.subtotal), "discount": money(totals.discount) if totals.discount else None,
            "tip": money(totals.tip) if totals.tip else None, "total": money(totals.total),
            "tip_error": totals.tip_error, "presets": cart.TIP_PRESETS, "keys": KEYS, "error": error,
            "may_sell": request[ACTOR].may(Permission.SELL, store.id), "nav": nav_links(request, "sale"),
            "scripts": ("sale.js",)}


async def sale_page(request: web.Request) -> web.Response:
    store, products = await _store_and_products(request)
    return render(request, "sale.html", sale_context(request, store, products, cart.Sale()))


def apply_action(sale: cart.Sale, form: dict[str, str]) -> cart.Sale:
    """The button that sent the form (each has its own name)."""
    if "key" in form:
        return cart.press(sale, form["key"])
    if "add" in form:
        return cart.add_entry(sale)
    if "product" in form:
        return cart.add_product(sale, form["product"][:64])
    for name, delta in (("inc", 1), ("dec", -1)):
        if form.get(name, "").isdigit():
            return cart.change_qty(sale, int(form[name]), delta)
    if "set_tip" in form:
        return replace(sale, tip=form["set_tip"] if form["set_tip"] in cart.TIP_CHOICES else "")
    if "new_sale" in form:
        return cart.Sale()
    return sale  # "apply": the discount and custom tip fields as typed


async def sale_post(request: web.Request) -> web.Response:
    form = await read_form(request)
    store, products = await _store_and_products(request)
    sale = apply_action(cart.read_sale(form), form)
    return render(request, "sale.html", sale_context(request, store, products, sale))


async def charge(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    store, products = await _store_and_products(request)
    sale = cart.read_sale(form)
    totals = cart.price(sale, products, store.default_currency, entry_counts=True)
    if totals.tip_error or totals.subtotal <= 0 or totals.total <= 0:  # a tip alone is no sale
        error = totals.tip_error or "Type an amount or tap a product first."
        return render(request, "sale.html", sale_context(request, store, products, sale, error), status=422)
    terminal, actor = request[TERMINAL], request[ACTOR]
    wait_s = request.app[CHARGE_LIMITER].take(terminal.id)
    if wait_s > 0:
        return render(request, "sale.html", sale_context(
            request, store, products, sale, "This till made many invoices in a short time. Wait a moment."),
            status=429, headers={"Retry-After": str(math.ceil(wait_s))})
    try:
        invoice = await request.app[SERVICES].invoices.create(
            store.id, price=totals.money(totals.total), currency=store.default_currency,
            description=cart.description(totals), items=cart.invoice_items(totals),
            metadata=cart.pos_metadata(totals, terminal.id), actor=actor,
            tip=totals.money(totals.tip) if totals.tip else None)
    except UserFacingError as exc:
        if exc.http_status >= 500 and exc.http_status != 503:
            raise
        logger.info("terminal %s: charge refused (%s)", terminal.id, exc.code)
        return render(request, "sale.html", sale_context(request, store, products, sale, str(exc)),
                      status=exc.http_status)
    logger.info("terminal %s: invoice %s for %s %s", terminal.id, invoice.id, Decimal(invoice.price), invoice.currency)
    return see_other(f"/t/charge/{invoice.id}")
