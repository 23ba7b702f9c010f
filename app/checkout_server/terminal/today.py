"""GET /t/today: today's payments of this till (a cashier), or of the store (a manager or the owner,
who may switch to this till's only). ``InvoiceService.today`` decides what a role may see."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.formats import btc_text, price_text
from app.checkout_server.shopper.pages import translator
from app.checkout_server.terminal.keys import ACTOR, TERMINAL
from app.checkout_server.terminal.nav import nav_links
from app.checkout_server.terminal.pages import render
from app.core.staff import Permission
from app.core.statuses import InvoiceStatus

STATUS_WORDS = {InvoiceStatus.PENDING: "Waiting", InvoiceStatus.PAID: "Seen", InvoiceStatus.CONFIRMED: "Confirming",
                InvoiceStatus.COMPLETE: "Paid", InvoiceStatus.EXPIRED: "Expired", InvoiceStatus.INVALID: "Invalid",
                InvoiceStatus.REFUNDED: "Refunded"}
COUNTED = frozenset({InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE})


async def today_page(request: web.Request) -> web.Response:
    terminal, actor = request[TERMINAL], request[ACTOR]
    whole_store = actor.may(Permission.VIEW_SALES, terminal.store_id) and request.query.get("scope") != "till"
    invoices = await request.app[SERVICES].invoices.today(
        terminal.store_id, terminal_id=None if whole_store else terminal.id, actor=actor)
    locale = translator(request).locale
    rows: list[dict[str, object]] = []
    totals: dict[str, Decimal] = {}
    for invoice in invoices:
        rows.append({"id": invoice.id, "time": invoice.created_at.astimezone().strftime("%H:%M"),
                     "amount": price_text(invoice.price, invoice.currency, locale),
                     "tip": price_text(invoice.tip, invoice.currency, locale) if invoice.tip else "",
                     "btc": btc_text(invoice.amount_due_sat, locale), "status": STATUS_WORDS[invoice.status],
                     "paid": invoice.status in COUNTED, "description": invoice.description[:80],
                     "here": invoice.terminal_id == terminal.id})
        if invoice.status in COUNTED:
            totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.price
    return render(request, "today.html", {
        "title": "Today", "rows": rows, "whole_store": whole_store,
        "may_switch": actor.may(Permission.VIEW_SALES, terminal.store_id),
        "totals": [price_text(amount, currency, locale) for currency, amount in sorted(totals.items())],
        "nav": nav_links(request, "today")})
