"""Refunds at the till: POST /t/receipt/{id}/refund, GET /t/refund (requests), GET /t/refund/{refund_id},
POST /t/refund/{refund_id}/approve and …/cancel.

``RefundService.create(..., actor=)`` decides: a cashier's refund waits for approval (``requested``), a
manager's or the owner's is an open link at once, shown here as a QR the customer scans to claim it on
the public refund page. A manager approves or cancels the requests of their store; a cashier may
withdraw their own request. What a role may not do, the service refuses with its sentence.
"""

from __future__ import annotations

import asyncio
import base64

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.formats import btc_text, price_text
from app.checkout_server.shopper.pages import translator
from app.checkout_server.shopper.qr import qr_svg
from app.checkout_server.terminal.access import see_other
from app.checkout_server.terminal.charge import terminal_invoice
from app.checkout_server.terminal.keys import ACTOR, TERMINAL
from app.checkout_server.terminal.nav import nav_links
from app.checkout_server.terminal.pages import read_form, render
from app.core.errors import NotFound
from app.core.refunds import Refund, RefundRequest, RefundStatus, RefundVariant
from app.core.staff import Permission

VARIANTS = {"rate_then": RefundVariant.RATE_THEN, "current_rate": RefundVariant.CURRENT_RATE}
STATE_WORDS = {RefundStatus.REQUESTED: "Waiting for approval", RefundStatus.OPEN: "Link ready: the customer scans it",
               RefundStatus.CLAIMED: "Claimed", RefundStatus.PAID: "Paid", RefundStatus.EXPIRED: "Expired",
               RefundStatus.CANCELLED: "Cancelled"}


async def refund_sale(request: web.Request) -> web.StreamResponse:
    invoice, _store = await terminal_invoice(request)
    form = await read_form(request)
    variant = VARIANTS.get(form.get("variant", ""), RefundVariant.RATE_THEN)
    refund = await request.app[SERVICES].refunds.create(invoice.id, RefundRequest(variant), actor=request[ACTOR])
    return see_other(f"/t/refund/{refund.id}")


async def _own_refund(request: web.Request) -> Refund:
    refund = await request.app[SERVICES].refunds.get(request.match_info["refund_id"])
    if refund.store_id != request[TERMINAL].store_id:
        raise NotFound("This refund is not one of this store's.")
    return refund


def _row(request: web.Request, refund: Refund) -> dict[str, object]:
    locale = translator(request).locale
    return {"id": refund.id, "invoice_id": refund.invoice_id, "state": STATE_WORDS[refund.status],
            "status": str(refund.status), "btc": btc_text(refund.amount_sat, locale), "by": refund.created_by or "",
            "fiat": price_text(refund.fiat_amount, refund.currency, locale) if refund.fiat_amount is not None else ""}


def _may_approve(request: web.Request) -> bool:
    return request[ACTOR].may(Permission.APPROVE_REFUND, request[TERMINAL].store_id)


async def refunds_page(request: web.Request) -> web.Response:
    actor, store_id = request[ACTOR], request[TERMINAL].store_id
    page = await request.app[SERVICES].refunds.list(store_id=store_id, status=RefundStatus.REQUESTED, limit=100)
    mine = [r for r in page.items if _may_approve(request) or r.created_by == actor.name]
    return render(request, "refunds.html", {"title": "Refunds", "rows": [_row(request, r) for r in mine],
                                            "may_approve": _may_approve(request), "nav": nav_links(request, "refunds")})


async def refund_page(request: web.Request) -> web.Response:
    refund = await _own_refund(request)
    qr = None
    link = None
    if refund.status is RefundStatus.OPEN:
        link = await request.app[SERVICES].refunds.link_for(refund)
        svg = await asyncio.to_thread(qr_svg, link)
        qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    return render(request, "refund.html", {
        "title": "Refund", "refund": _row(request, refund), "link": link, "qr": qr,
        "may_approve": _may_approve(request) and refund.status is RefundStatus.REQUESTED,
        "may_withdraw": refund.status is RefundStatus.REQUESTED and refund.created_by == request[ACTOR].name,
        "nav": nav_links(request, "refunds")})


async def approve(request: web.Request) -> web.StreamResponse:
    refund = await _own_refund(request)
    await read_form(request)
    await request.app[SERVICES].refunds.approve(refund.id, actor=request[ACTOR])
    return see_other(f"/t/refund/{refund.id}")


async def cancel(request: web.Request) -> web.StreamResponse:
    refund = await _own_refund(request)
    await read_form(request)
    await request.app[SERVICES].refunds.cancel(refund.id, actor=request[ACTOR])
    return see_other(f"/t/refund/{refund.id}")
