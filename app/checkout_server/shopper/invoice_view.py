"""What a shopper sees of an invoice: wording per status, amounts per locale, the status JSON, and which
payment method (on-chain or Lightning) the page shows with which QR payload."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from app.checkout_server.shopper.formats import (
    btc_amount,
    btc_text,
    datetime_text,
    fiat_text,
    price_text,
    relative_text,
)
from app.checkout_server.shopper.i18n import Translator
from app.core.lightning import lightning_uri, offer_open, paid_over_lightning, unified_uri
from app.core.money import format_btc
from app.core.payments import low_fee_pending
from app.core.records import Invoice, Store
from app.core.statuses import LIVE_PAYMENT_STATES, OPEN_STATUSES, InvoiceStatus

REDIRECT_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE})
PAYABLE = InvoiceStatus.PENDING
ONCHAIN, LIGHTNING = "onchain", "lightning"
METHODS = (ONCHAIN, LIGHTNING)


def chosen_method(requested: str | None, invoice: Invoice, now: datetime) -> str:
    """The tab the page shows: Lightning only when asked for (``?method=lightning``) and still on offer."""
    return LIGHTNING if requested == LIGHTNING and offer_open(invoice, now) else ONCHAIN


def qr_payload(invoice: Invoice, method: str, now: datetime, label: str = "") -> str:
    """What the page's QR encodes: ``lightning:LNBC…`` on the Lightning tab, else the unified BIP21 URI
    (``bitcoin:ADDR?amount=…&lightning=LNBC…`` while the BOLT11 is on offer, plain BIP21 after)."""
    if method == LIGHTNING and offer_open(invoice, now) and invoice.bolt11:
        return lightning_uri(invoice.bolt11)
    return unified_uri(invoice, now, label[:100])


def confirmations(invoice: Invoice) -> int:
    """Confirmations of the least-confirmed payment that counts (0 while any is in the mempool)."""
    live = [p.confirmations for p in invoice.payments if p.accounted and p.state in LIVE_PAYMENT_STATES]
    return min(live) if live else 0


def status_texts(invoice: Invoice, tr: Translator, now: datetime | None = None) -> tuple[str, str]:
    """(title, explanation) for the shopper, in their language."""
    _ = tr.gettext
    status = invoice.status
    paid = btc_text(invoice.amount_paid_sat, tr.locale)
    remaining = btc_text(invoice.remaining_sat, tr.locale)
    if status == InvoiceStatus.PENDING and invoice.amount_paid_sat > 0:
        return (_("Partial payment received"),
                _("We received %(paid)s. Please send the remaining %(remaining)s to the same address.")
                % {"paid": paid, "remaining": remaining})
    if status == InvoiceStatus.PENDING and offer_open(invoice, now or datetime.now(UTC)):
        return (_("Waiting for payment"),
                _("Pay on-chain or over Lightning with the details below. This page updates by itself."))
    if status == InvoiceStatus.PENDING:
        return (_("Waiting for payment"),
                _("Send the amount below to the address shown. This page updates by itself."))
    if status == InvoiceStatus.PAID:
        return (_("Payment received"),
                _("Your payment was seen on the network and is waiting for confirmation. You may close this page."))
    if status == InvoiceStatus.CONFIRMED:
        count = confirmations(invoice)
        return (_("Payment confirmed"),
                tr.ngettext("Your payment has %(count)d confirmation. The shop is waiting for the final ones.",
                            "Your payment has %(count)d confirmations. The shop is waiting for the final ones.",
                            count) % {"count": count})
    if status == InvoiceStatus.COMPLETE:
        return (_("Payment complete"), _("Thank you! The shop has received your payment."))
    if status == InvoiceStatus.EXPIRED:
        if invoice.amount_paid_sat > 0:
            return (_("Invoice expired"),
                    _("This invoice expired before the full amount arrived. Please contact the shop about "
                      "the %(paid)s you sent.") % {"paid": paid})
        return (_("Invoice expired"),
                _("This invoice expired before a payment arrived. Do not send money to this address; "
                  "ask the shop for a new invoice."))
    if status == InvoiceStatus.INVALID:
        return (_("Invoice invalid"),
                _("The payment for this invoice could not be confirmed. Please contact the shop."))
    return (_("Refunded"), _("The shop has marked this invoice as refunded."))


def status_payload(invoice: Invoice, tr: Translator, *, label: str = "", now: datetime | None = None) -> dict[str, object]:
    """The JSON sent over the websocket and by /status (amount fields in sat, text localized)."""
    now = now or datetime.now(UTC)
    title, message = status_texts(invoice, tr, now)
    seconds_left = max(0, int((invoice.expires_at - now).total_seconds()))
    lightning = offer_open(invoice, now)
    return {
        "invoiceId": invoice.id,
        "status": str(invoice.status),
        "exceptionStatus": str(invoice.exception_status),
        "amountDueSat": invoice.amount_due_sat,
        "amountPaidSat": invoice.amount_paid_sat,
        "remainingSat": invoice.remaining_sat,
        "remainingBtc": format_btc(invoice.remaining_sat),
        "remainingText": btc_text(invoice.remaining_sat, tr.locale),
        "paidText": btc_text(invoice.amount_paid_sat, tr.locale),
        "partial": invoice.status == PAYABLE and invoice.amount_paid_sat > 0,
        "paymentUri": qr_payload(invoice, ONCHAIN, now, label),
        "lightning": lightning,  # the BOLT11 is on offer (the page shows the On-chain / Lightning tabs)
        "lightningUri": lightning_uri(invoice.bolt11) if lightning and invoice.bolt11 else None,
        "paidOverLightning": paid_over_lightning(invoice),
        "confirmations": confirmations(invoice),
        "expiresAt": invoice.expires_at.isoformat(),
        "secondsLeft": seconds_left,
        "open": invoice.status in OPEN_STATUSES,
        "payable": invoice.status == PAYABLE,
        "redirectUrl": invoice.redirect_url if invoice.status in REDIRECT_STATUSES else None,
        "title": title,
        "message": message,
    }


def _item_rows(invoice: Invoice, tr: Translator) -> list[dict[str, str]]:
    rows = []
    for item in invoice.items[:100]:
        name = str(item.get("name") or item.get("description") or "")[:200]
        quantity = item.get("quantity")
        price = item.get("unit_price")
        currency = str(item.get("currency") or invoice.currency)
        price_str = ""
        if price is not None:
            try:
                price_str = price_text(Decimal(str(price)), currency, tr.locale)
            except (InvalidOperation, ValueError):
                price_str = str(price)[:40]
        rows.append({"name": name, "quantity": str(quantity) if quantity is not None else "", "price": price_str})
    return rows


def invoice_context(invoice: Invoice, store: Store, tr: Translator, now: datetime | None = None,
                    method: str = ONCHAIN) -> dict[str, object]:
    now = now or datetime.now(UTC)
    title, message = status_texts(invoice, tr, now)
    due = invoice.remaining_sat or invoice.amount_due_sat
    lightning = offer_open(invoice, now)
    method = method if lightning else ONCHAIN
    return {
        "invoice": invoice,
        "store": store,
        "status": str(invoice.status),
        "status_title": title,
        "status_message": message,
        "is_open": invoice.status in OPEN_STATUSES,
        "payable": invoice.status == PAYABLE,
        "partial": invoice.status == PAYABLE and invoice.amount_paid_sat > 0,
        "items": _item_rows(invoice, tr),
        "amount_text": btc_text(invoice.amount_due_sat, tr.locale),
        "fiat_text": fiat_text(invoice.price, invoice.currency, tr.locale),
        "due_text": btc_text(due, tr.locale),
        "due_amount_local": btc_amount(due, tr.locale),
        "due_btc": format_btc(due),
        "paid_text": btc_text(invoice.amount_paid_sat, tr.locale),
        "payment_uri": qr_payload(invoice, method, now, store.name),
        "onchain_uri": qr_payload(invoice, ONCHAIN, now, store.name),
        "lightning": lightning,
        "method": method,
        "bolt11": invoice.bolt11 if lightning else None,
        "paid_over_lightning": paid_over_lightning(invoice),
        "expires_in": relative_text(invoice.expires_at - now, tr.locale) if invoice.expires_at > now else "",
        "expires_at_text": datetime_text(invoice.expires_at, tr.locale),
        "seconds_left": max(0, int((invoice.expires_at - now).total_seconds())),
        "confirmations": confirmations(invoice),
        "low_fee": low_fee_pending(invoice.payments),
    }


def receipt_rows(invoice: Invoice, tr: Translator) -> list[dict[str, object]]:
    _ = tr.gettext
    state_names = {"mempool": _("Unconfirmed"), "confirmed": _("Confirmed"), "replaced": _("Replaced"),
                   "double_spent": _("Double-spent"), "reorged_out": _("Dropped by a reorg"),
                   "settled": _("Paid over Lightning")}
    return [{"txid": p.txid, "vout": p.vout, "amount": btc_text(p.amount_sat, tr.locale),
             "confirmations": p.confirmations, "state": state_names.get(str(p.state), str(p.state)),
             "seen": datetime_text(p.first_seen_at, tr.locale), "counted": p.accounted,
             "lightning": p.lightning is not None}  # txid is then the payment hash (no output index)
            for p in invoice.payments]
