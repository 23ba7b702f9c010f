"""GET /t/receipt/{invoice_id} (a print view), POST …/email (PosService.send_receipt), POST …/print
(PrinterService.print_receipt on the shop's thermal printer).

The page is the receipt model every face uses (app/core/receipts.py); its print stylesheet hides
everything but the receipt, and a Print button (print.js: ``window.print()``; no inline script, the
CSP forbids it) appears only when JavaScript runs. E-mail and the shop's printer are plain forms, shown
only when the store has e-mail set up / a thermal printer is configured.
"""

from __future__ import annotations

import logging

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.terminal.access import see_other
from app.checkout_server.terminal.charge import terminal_invoice
from app.checkout_server.terminal.keys import ACTOR
from app.checkout_server.terminal.nav import nav_links
from app.checkout_server.terminal.pages import read_form, render
from app.core.errors import UserFacingError
from app.core.refunds import is_refundable
from app.core.staff import Permission

logger = logging.getLogger(__name__)

NOTICES = {"emailed": "The receipt was sent.", "printed": "The receipt is printing on the shop's printer."}


async def _render(request: web.Request, *, status: int = 200, error: str | None = None, email: str = "",
                  notice: str | None = None) -> web.Response:
    services = request.app[SERVICES]
    invoice, store = await terminal_invoice(request)
    actor = request[ACTOR]
    receipt = await services.pos.receipt(invoice.id)
    printer = await services.printer.config()
    return render(request, "receipt.html", {
        "title": f"Receipt · {store.name}", "invoice": invoice, "receipt": receipt,
        "email_ready": await services.pos.email_ready(store.id), "printer": printer.escpos,
        "printer_name": printer.describe(), "error": error, "email": email, "scripts": ("print.js",),
        "refundable": is_refundable(invoice) and actor.may(Permission.REQUEST_REFUND, store.id),
        "may_approve": actor.may(Permission.APPROVE_REFUND, store.id),
        "notice": notice or next((text for key, text in NOTICES.items() if request.query.get(key) == "1"), None),
        "nav": nav_links(request, "")}, status=status)


async def receipt_page(request: web.Request) -> web.Response:
    return await _render(request)


async def email_receipt(request: web.Request) -> web.StreamResponse:
    invoice, _store = await terminal_invoice(request)
    form = await read_form(request)
    to = form.get("email", "").strip()[:320]
    try:
        await request.app[SERVICES].pos.send_receipt(invoice.id, to)
    except UserFacingError as exc:
        if exc.http_status >= 500:
            raise
        return await _render(request, status=exc.http_status, error=str(exc), email=to)
    return see_other(f"/t/receipt/{invoice.id}?emailed=1")


async def print_receipt(request: web.Request) -> web.StreamResponse:
    invoice, _store = await terminal_invoice(request)
    await read_form(request)
    try:
        await request.app[SERVICES].printer.print_receipt(invoice.id)
    except UserFacingError as exc:
        logger.warning("terminal print of %s failed: %s", invoice.id, exc.code)
        return await _render(request, status=exc.http_status if exc.http_status < 500 else 503,
                             notice=f"Not printed: {exc}")
    return see_other(f"/t/receipt/{invoice.id}?printed=1")
