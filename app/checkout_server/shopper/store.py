"""The ready store: a catalog with a cart that is a plain form, and checkout into an invoice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.cart import (
    MAX_QUANTITY,
    QTY_PREFIX,
    CartError,
    build_cart,
    cart_description,
    cart_items,
    parse_quantities,
)
from app.checkout_server.shopper.formats import price_text
from app.checkout_server.shopper.keys import INVOICE_LIMITER, STORE_INVOICE_LIMITER
from app.checkout_server.shopper.pages import error_page, keep_query, render, translator
from app.core.errors import InvalidAmount, RateUnavailable, StoreHasNoWallet, StoreNotFound, ValidationError
from app.core.public_invoices import PublicBudgetReached, PublicInvoicesOff
from app.core.records import Product, Store

logger = logging.getLogger(__name__)

MAX_FORM_BYTES = 32 * 1024


async def _open_store(request: web.Request) -> Store:
    store = await request.app[SERVICES].stores.get(request.match_info["store_id"])
    if store.archived:
        raise StoreNotFound("Store not found.")
    return store


async def _render_store(request: web.Request, store: Store, *, status: int = 200, error: str | None = None,
                        quantities: Mapping[str, str] | None = None, email: str = "") -> web.Response:
    tr = translator(request)
    services = request.app[SERVICES]
    products = await services.products.list(store.id)
    ordering = await services.public_invoices.allowed(store, has_catalogue=bool(products))
    rows = [{"id": p.id, "name": p.name, "description": p.description, "category": p.category,
             "price": price_text(p.price, store.default_currency, tr.locale), "raw_price": str(p.price),
             "image": f"/s/{store.id}/p/{p.id}/image", "sold_out": p.stock == 0,
             "max": min(MAX_QUANTITY, p.stock) if p.stock is not None else MAX_QUANTITY,
             "quantity": (quantities or {}).get(f"{QTY_PREFIX}{p.id}", "0")} for p in products]
    context = {"store": store, "products": rows, "error": error, "email": email, "query": keep_query(request),
               "ordering": ordering,
               "logo_url": f"/s/{store.id}/logo" if store.checkout.get("logo") else None,
               "scripts": ("store.js",), "body_class": "store-wide"}
    return render(request, "store.html", context, status=status)


async def store_page(request: web.Request) -> web.Response:
    return await _render_store(request, await _open_store(request))


def client_key(request: web.Request) -> str:
    """Rate-limit key: the peer address (behind Tor every shopper is 127.0.0.1: one shared bucket)."""
    return request.remote or "unknown"


def _retry_after(wait_s: float) -> dict[str, str]:
    return {"Retry-After": str(int(wait_s) + 1)}


async def store_checkout(request: web.Request) -> web.Response:
    store = await _open_store(request)
    services = request.app[SERVICES]
    _ = translator(request).gettext
    if request.content_length is None or request.content_length > MAX_FORM_BYTES:
        return error_page(request, 413, _("Your order form is too large. Please order fewer items at once."))
    products = await services.products.list(store.id)
    if not await services.public_invoices.allowed(store, has_catalogue=bool(products)):
        return _not_taking_orders(request)
    wait_s = request.app[INVOICE_LIMITER].take(client_key(request))
    if wait_s > 0:
        return error_page(request, 429, headers=_retry_after(wait_s))
    wait_s = request.app[STORE_INVOICE_LIMITER].take(store.id)  # every client together (many addresses)
    if wait_s > 0:
        return error_page(request, 429, _("This shop is receiving many orders right now. Please try again in a "
                                          "minute."), headers=_retry_after(wait_s))
    return await _checkout(request, store, products)


def _not_taking_orders(request: web.Request) -> web.Response:
    _ = translator(request).gettext
    return error_page(request, 403, _("This shop does not take orders on this page. Please ask the shop how to "
                                      "pay."), title=_("Not taking orders here"))


async def _checkout(request: web.Request, store: Store, products: list[Product]) -> web.Response:
    _ = translator(request).gettext
    form = await request.post()
    fields = {k: str(v)[:20] for k, v in form.items() if k.startswith(QTY_PREFIX) and isinstance(v, str)}
    email = str(form.get("buyer_email") or "").strip()[:320]
    try:
        lines = build_cart(parse_quantities(form, _), products, _)
        total = sum((line.total for line in lines), start=lines[0].product.price * 0)
        invoice = await request.app[SERVICES].public_invoices.create(
            store.id, has_catalogue=True, price=total, currency=store.default_currency,
            description=cart_description(lines), buyer_email=email or None,
            items=cart_items(lines, store.default_currency), redirect_url=store.checkout.get("redirect_url") or None)
    except PublicInvoicesOff:
        return _not_taking_orders(request)
    except PublicBudgetReached as exc:
        return error_page(request, 429, _("This shop has many unpaid orders open right now and cannot take more "
                                          "for the moment. Please try again in a few minutes."),
                          title=_("This shop is busy"), headers=_retry_after(exc.retry_after_s))
    except CartError as exc:
        return await _render_store(request, store, status=422, error=str(exc), quantities=fields, email=email)
    except (RateUnavailable, StoreHasNoWallet):
        logger.warning("store %s cannot create invoices now", store.id)
        return error_page(request, 503, _("This shop cannot take bitcoin payments right now. Please try again later."))
    except ValidationError as exc:
        return await _render_store(request, store, status=422, error=_validation_message(exc, _),
                                   quantities=fields, email=email)
    raise web.HTTPSeeOther(f"/i/{invoice.id}{keep_query(request)}")


def _validation_message(exc: ValidationError, _: Callable[[str], str]) -> str:
    if exc.field == "buyer_email":
        return _("That email address does not look right. Leave it empty or correct it.")
    if isinstance(exc, InvalidAmount):
        return _("The order total must be more than zero.")
    return _("We could not create your invoice. Please review your order.")
