"""GET /t/charge/{invoice_id} (the QR the customer scans) and GET /t/paid/{invoice_id}.

The charge screen shows what the checkout page would: the unified BIP21 URI (with ``lightning=`` while
the BOLT11 is on offer) or, on the Lightning tab, ``lightning:LNBC…``; the QR image is the checkout's
own (``/i/{id}/qr.svg``). The customer sees the amount with its subtotal, discount and tip. Live
status: with JavaScript the checkout's websocket (``/i/{id}/ws``, polling ``/i/{id}/status`` as a
fallback); without it the page reloads itself every few seconds. Once the invoice is no longer
waiting for a payment both go to the paid screen, which follows the store's speed policy.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from app.checkout_server.keys import SERVICES
from app.checkout_server.shopper.checkout import qr_url
from app.checkout_server.shopper.formats import btc_text, fiat_text, price_text
from app.checkout_server.shopper.invoice_view import (
    LIGHTNING,
    ONCHAIN,
    chosen_method,
    confirmations,
    qr_payload,
)
from app.checkout_server.shopper.pages import translator
from app.checkout_server.terminal.access import see_other
from app.checkout_server.terminal.keys import ACTOR, TERMINAL
from app.checkout_server.terminal.nav import nav_links
from app.checkout_server.terminal.pages import read_form, render
from app.core.errors import InvoiceNotFound
from app.core.lightning import lightning_first, offer_open, paid_over_lightning
from app.core.receipts import build_receipt
from app.core.records import Invoice, Store
from app.core.staff import Permission
from app.core.statuses import InvoiceStatus

REFRESH_S = 3  # JS off: the charge screen reloads itself this often
PAID_REFRESH_S = 10  # JS off: the paid screen, until the payment is complete
SEEN = frozenset({InvoiceStatus.PAID, InvoiceStatus.CONFIRMED})


async def terminal_invoice(request: web.Request) -> tuple[Invoice, Store]:
    """The invoice, if it belongs to this till's store (and, for a cashier, to this till)."""
    services = request.app[SERVICES]
    terminal, actor = request[TERMINAL], request[ACTOR]
    invoice = await services.invoices.get(request.match_info["invoice_id"])
    own_till = invoice.terminal_id == terminal.id
    if invoice.store_id != terminal.store_id or not (own_till or actor.may(Permission.VIEW_SALES, invoice.store_id)):
        raise InvoiceNotFound("This invoice is not one of this till's.")
    return invoice, await services.stores.get(invoice.store_id)


def amount_rows(invoice: Invoice, store: Store, request: web.Request) -> list[tuple[str, str]]:
    """Subtotal, discount and tip as the customer should see them (from the receipt model)."""
    receipt = build_receipt(store, invoice)
    locale = translator(request).locale
    rows = []
    if receipt.subtotal is not None and (receipt.discount or receipt.tip):
        rows.append(("Subtotal", price_text(receipt.subtotal, invoice.currency, locale)))
    if receipt.discount:
        rows.append(("Discount", "−" + price_text(receipt.discount, invoice.currency, locale)))
    if receipt.tip:
        rows.append(("Tip", price_text(receipt.tip, invoice.currency, locale)))
    return rows


async def charge_page(request: web.Request) -> web.StreamResponse:
    invoice, store = await terminal_invoice(request)
    if invoice.status != InvoiceStatus.PENDING:
        return see_other(f"/t/paid/{invoice.id}")
    now = datetime.now(UTC)
    requested = request.query.get("method") or (LIGHTNING if lightning_first(invoice, store, now) else None)
    method = chosen_method(requested, invoice, now)
    lightning = offer_open(invoice, now)
    locale = translator(request).locale
    return render(request, "charge.html", {
        "title": f"Charge · {store.name}", "invoice": invoice, "store": store, "method": method,
        "lightning": lightning, "payload": qr_payload(invoice, method, now, store.name),
        "qr": qr_url(invoice, method, lightning), "rows": amount_rows(invoice, store, request),
        "fiat": fiat_text(invoice.price, invoice.currency, locale),
        "btc": btc_text(invoice.remaining_sat or invoice.amount_due_sat, locale),
        "partial": invoice.amount_paid_sat > 0, "paid_text": btc_text(invoice.amount_paid_sat, locale),
        "tabs": {m: f"/t/charge/{invoice.id}?method={m}" for m in (ONCHAIN, LIGHTNING)},
        "refresh_s": REFRESH_S, "scripts": ("charge.js",), "nav": nav_links(request, "")})


async def cancel_charge(request: web.Request) -> web.StreamResponse:
    """The customer will not pay: the invoice is withdrawn (marked invalid) while nothing is paid on it.
    A seller may do this to their own pending invoice; the service refuses anything else with its sentence."""
    invoice, _store = await terminal_invoice(request)
    await read_form(request)
    await request.app[SERVICES].invoices.mark(invoice.id, InvoiceStatus.INVALID, actor=request[ACTOR])
    return see_other("/t/sale")


def paid_state(invoice: Invoice) -> tuple[str, str, str]:
    """(state, headline, note) by the store's speed policy: complete, seen but waiting, or failed."""
    if invoice.status == InvoiceStatus.COMPLETE:
        note = "Paid over Lightning." if paid_over_lightning(invoice) else "The payment is settled."
        return "complete", "Paid — thank you!", note
    if invoice.status in SEEN:
        needed = max(1, invoice.speed_policy - confirmations(invoice))
        return ("waiting", f"Payment seen — waiting for {needed} confirmation{'' if needed == 1 else 's'}",
                "The sale is not settled yet. This screen updates by itself; you can start a new sale.")
    if invoice.status == InvoiceStatus.REFUNDED:
        return "failed", "Refunded", "This invoice was marked refunded."
    return "failed", "This payment did not go through", (
        "The invoice expired, was cancelled, or its payment was not confirmed. Start a new sale to charge again.")


async def paid_page(request: web.Request) -> web.StreamResponse:
    invoice, store = await terminal_invoice(request)
    if invoice.status == InvoiceStatus.PENDING:
        return see_other(f"/t/charge/{invoice.id}")
    state, headline, note = paid_state(invoice)
    locale = translator(request).locale
    return render(request, "paid.html", {
        "title": headline, "invoice": invoice, "store": store, "state": state, "headline": headline, "note": note,
        "fiat": fiat_text(invoice.price, invoice.currency, locale), "btc": btc_text(invoice.amount_paid_sat, locale),
        "rows": amount_rows(invoice, store, request), "refresh_s": PAID_REFRESH_S if state == "waiting" else None,
        "scripts": ("charge.js",) if state == "waiting" else (), "nav": nav_links(request, "")})
