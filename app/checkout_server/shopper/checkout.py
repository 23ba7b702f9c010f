"""The invoice checkout page, its status (JSON and websocket), QR image and receipt."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from aiohttp import web

from app.checkout_server.connections import WS_SLOTS
from app.checkout_server.exposure import client_address
from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.formats import datetime_text
from app.checkout_server.shopper.i18n import Translator
from app.checkout_server.shopper.invoice_view import (
    LIGHTNING,
    ONCHAIN,
    REDIRECT_STATUSES,
    chosen_method,
    invoice_context,
    qr_payload,
    receipt_rows,
    status_payload,
)
from app.checkout_server.shopper.keys import FRAMEABLE, HUB, KNOWN_INVOICES, PAGE_CACHE
from app.checkout_server.shopper.live import drain
from app.checkout_server.shopper.pages import (
    html_response,
    keep_query,
    not_found_page,
    render,
    render_bytes,
    translator,
)
from app.checkout_server.shopper.qr import qr_svg
from app.core.errors import InvoiceNotFound
from app.core.records import Invoice, Store

if TYPE_CHECKING:
    from app.services.container import Services

logger = logging.getLogger(__name__)

REFRESH_S = 10  # JS-off pages reload themselves this often while the invoice is open
REDIRECT_DELAY_S = 5


def devnet_enabled(request: web.Request) -> bool:
    return request.app[SERVICES].devnet is not None


async def load(request: web.Request) -> tuple[Invoice, Store]:
    services = request.app[SERVICES]
    invoice_id = request.match_info["invoice_id"]
    if not request.app[KNOWN_INVOICES].might_exist(invoice_id):
        raise InvoiceNotFound("Invoice not found.")  # certain: no database read (known_invoices.py)
    invoice = await services.invoices.get(invoice_id)
    store = await services.stores.get(invoice.store_id)
    return invoice, store


def logo_url(store: Store) -> str | None:
    return f"/s/{store.id}/logo" if store.checkout.get("logo") else None


async def invoice_page(request: web.Request) -> web.Response:
    modal = request.query.get("view") == "modal"
    if modal:
        request[FRAMEABLE] = True
    invoice_id = request.match_info["invoice_id"]
    tr = translator(request)
    cache = request.app[PAGE_CACHE]
    query = keep_query(request)
    key = ("invoice", invoice_id, tr.code, query, devnet_enabled(request))
    body = cache.get(invoice_id, key)  # a cached page: its invoice exists
    if body is None:
        if not request.app[KNOWN_INVOICES].might_exist(invoice_id):
            return not_found_page(request)  # the sprayed-id path: a filter lookup and pre-rendered bytes

        async def render() -> bytes:
            invoice, store = await load(request)
            return render_bytes(request, "invoice.html", _page_context(request, invoice, store, modal, query))

        body = await cache.get_or_render(invoice_id, key, render)
    return html_response(body, tr.code, frameable=modal)


def qr_url(invoice: Invoice, method: str, lightning: bool) -> str:
    """The QR image's URL. It names everything the payload depends on (the amount still due, the tab,
    whether the BOLT11 was on offer), so a cached image never shows a stale payment request."""
    params = {"sat": str(invoice.remaining_sat or invoice.amount_due_sat)}
    if lightning:  # the BOLT11 is on offer: the Lightning QR, or the unified URI with it
        params.update({"method": method, "ln": "1"})
    return f"/i/{invoice.id}/qr.svg?{urlencode(params)}"


def _page_context(request: web.Request, invoice: Invoice, store: Store, modal: bool, query: str) -> dict[str, object]:
    tr = translator(request)
    now = datetime.now(UTC)
    method = chosen_method(request.query.get("method"), invoice, now)
    context = invoice_context(invoice, store, tr, now, method=method)
    redirect = invoice.redirect_url if invoice.status in REDIRECT_STATUSES and not modal else None
    context.update({
        "modal": modal,
        "query": query,
        "logo_url": logo_url(store),
        # the tabs are plain links (no JS needed); the page of the other tab keeps lang and view
        "tab_urls": {m: f"/i/{invoice.id}{keep_query(request, method=m)}" for m in (ONCHAIN, LIGHTNING)},
        # a separate, cacheable image (the amount in its URL): the page stays small (bench P4)
        "qr": qr_url(invoice, method, bool(context["lightning"])) if context["payable"] else None,
        "refresh_s": REFRESH_S if context["is_open"] and not redirect else None,
        "redirect_url": redirect,
        "redirect_delay_s": REDIRECT_DELAY_S,
        "devnet": devnet_enabled(request) and context["is_open"],
        "scripts": ("checkout.js",),
    })
    return context


async def invoice_status(request: web.Request) -> web.Response:
    invoice, store = await load(request)
    payload = status_payload(invoice, translator(request), label=store.name)
    return web.json_response(payload, headers={"Cache-Control": "no-store"})


async def invoice_qr(request: web.Request) -> web.Response:
    invoice, store = await load(request)
    # The URL carries the amount still due and the tab (qr_url), so a cached image is never stale; the
    # payload itself always follows the invoice as it is now.
    now = datetime.now(UTC)
    payload = qr_payload(invoice, chosen_method(request.query.get("method"), invoice, now), now, store.name)
    svg = await asyncio.to_thread(qr_svg, payload)  # ~20 ms of pure Python
    return web.Response(body=svg, content_type="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=600"})


async def receipt_page(request: web.Request) -> web.Response:
    invoice, store = await load(request)
    tr = translator(request)
    context = invoice_context(invoice, store, tr)
    context.update({"payments": receipt_rows(invoice, tr), "logo_url": logo_url(store), "query": keep_query(request),
                    "created_text": datetime_text(invoice.created_at, tr.locale),
                    "refresh_s": REFRESH_S if context["is_open"] else None})
    return render(request, "receipt.html", context)


async def invoice_ws(request: web.Request) -> web.StreamResponse:
    """Sends the status JSON on connect and after every committed event for the invoice."""
    hub = request.app[HUB]
    invoice, store = await load(request)  # unknown id: 404 before any upgrade
    if hub.full:
        raise web.HTTPServiceUnavailable(reason="Too many live connections; the page falls back to polling.")
    slots, client = request.app[WS_SLOTS], client_address(request)
    if not slots.take(client):  # one client cannot hold every slot
        raise web.HTTPTooManyRequests(reason="Too many live connections from your address; the page falls back "
                                             "to polling.")
    try:
        return await _live_socket(request, invoice, store)
    finally:
        slots.give_back(client)


async def _live_socket(request: web.Request, invoice: Invoice, store: Store) -> web.WebSocketResponse:
    services = request.app[SERVICES]
    hub = request.app[HUB]
    tr = translator(request)
    ws = web.WebSocketResponse(heartbeat=25.0, max_msg_size=4096)
    await ws.prepare(request)
    queue = hub.watch(invoice.id, ws)
    try:
        invoice = await services.invoices.get(invoice.id)  # re-read after subscribing: no event missed
        await ws.send_json(status_payload(invoice, tr, label=store.name))
        pump = asyncio.create_task(_pump(ws, queue, services, invoice.id, tr, store.name), name="checkout-ws-pump")
        try:
            async for _message in ws:
                pass  # the client has nothing to say; reading keeps close frames and pings flowing
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
    finally:
        hub.unwatch(invoice.id, ws, queue)
    return ws


async def _pump(ws: web.WebSocketResponse, queue: asyncio.Queue[str], services: Services, invoice_id: str,
                tr: Translator, label: str) -> None:
    while not ws.closed:
        await drain(queue)
        invoice = await services.invoices.get(invoice_id)
        try:
            await ws.send_json(status_payload(invoice, tr, label=label))
        except ConnectionResetError:
            return
