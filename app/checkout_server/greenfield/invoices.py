"""Greenfield invoices: create, get, list (orderId, status, textSearch, startDate, endDate, skip, take),
payment methods of an invoice, mark Settled or Invalid."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from app.checkout_server.api.links import CheckoutLinks
from app.checkout_server.api.messages import as_sent
from app.checkout_server.greenfield.auth import GfCall
from app.checkout_server.greenfield.fields import optional_text
from app.checkout_server.greenfield.models import (
    MARKS,
    currency_in,
    decimal_str,
    enum_value,
    invoice_data,
    invoice_payment_methods,
    statuses_for,
)
from app.core.errors import InvoiceNotFound, UserFacingError, ValidationError
from app.core.limits import bounded_decimal
from app.core.records import Invoice, Store
from app.services.invoicing.idempotency import OrderIdTaken
from app.services.invoicing.invoices import InvoiceFilter

MAX_TAKE = 1000
MAX_QUERY_INT = 253_402_300_798  # skip, take, startDate/endDate (+1 s): still a datetime (year 9999)
MAX_EXPIRATION_MINUTES = 7 * 24 * 60  # RedWaves' longest invoice: 7 days


def checkout_link(call: GfCall, store: Store, invoice_id: str) -> str:
    """RedWaves' checkout page, in the order of app/checkout_server/api/links.py (never 0.0.0.0)."""
    link = CheckoutLinks(call.request, call.services).for_store(store, invoice_id)
    return link or f"{call.request.url.origin()}/i/{invoice_id}"


async def _store(call: GfCall) -> Store:
    store_id = call.param("store_id")
    call.check_store(store_id)
    return await call.services.stores.get(store_id)


async def _invoice(call: GfCall, store: Store) -> Invoice:
    invoice = await call.services.invoices.get(call.param("invoice_id"))
    if invoice.store_id != store.id:
        raise InvoiceNotFound("Invoice not found.")
    return invoice


def _amount(value: object) -> str:
    if value is None:
        raise ValidationError("RedWaves needs an amount: top-up invoices are not supported.", field="amount")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValidationError("'amount' must be a decimal string or a number.", field="amount")
    return decimal_str(value) if isinstance(value, Decimal) else str(value).strip()


def _expiry_s(checkout: dict[str, object]) -> int | None:
    minutes = checkout.get("expirationMinutes")
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int | Decimal):
        raise ValidationError("'expirationMinutes' must be a number.", field="checkout.expirationMinutes")
    if not 0 < minutes <= MAX_EXPIRATION_MINUTES:  # the parser bounded the number; this keeps int() small
        raise ValidationError(f"'expirationMinutes' must be 1 to {MAX_EXPIRATION_MINUTES}.",
                              field="checkout.expirationMinutes")
    return int(Decimal(minutes) * 60)


# RedWaves' names for what a Greenfield client sent: errors name the client's field, in its words.
SENT_AS = {"price": "amount", "amount_sat": "amount", "currency": "currency", "order_id": "metadata.orderId",
           "description": "metadata.itemDesc", "buyer_email": "metadata.buyerEmail",
           "redirect_url": "checkout.redirectURL", "expiry_s": "checkout.expirationMinutes"}
WORDS = (("Price", "Amount"), ("prices", "amounts"), ("Expiry must be 60 s to 7 days",
                                                       f"'expirationMinutes' must be 1 to {MAX_EXPIRATION_MINUTES}"))


async def create_invoice(call: GfCall) -> dict[str, object]:
    try:
        return await _create_invoice(call)
    except UserFacingError as exc:
        raise as_sent(exc, SENT_AS, WORDS) from None


async def _create_invoice(call: GfCall) -> dict[str, object]:
    store = await _store(call)
    body = await call.json()
    metadata = {} if body.get("metadata") is None else body["metadata"]
    checkout = {} if body.get("checkout") is None else body["checkout"]
    if not isinstance(metadata, dict) or not isinstance(checkout, dict):
        raise ValidationError("'metadata' and 'checkout' must be JSON objects.", field="metadata")
    try:
        invoice = await call.services.invoices.create(
            store.id, price=_amount(body.get("amount")),
            currency=currency_in(optional_text(body.get("currency"), "currency")),
            order_id=optional_text(metadata.get("orderId"), "metadata.orderId"),
            description=optional_text(metadata.get("itemDesc"), "metadata.itemDesc") or "",
            buyer_email=optional_text(metadata.get("buyerEmail"), "metadata.buyerEmail"), metadata=call.plain(metadata),
            redirect_url=optional_text(checkout.get("redirectURL"), "checkout.redirectURL"), expiry_s=_expiry_s(checkout))
    except OrderIdTaken as taken:  # checkout.order_id_unique: metadata.orderId + store is the natural key
        invoice = await call.services.invoices.get(taken.invoice_id)
    return invoice_data(invoice, checkout_link(call, store, invoice.id))


async def get_invoice(call: GfCall) -> dict[str, object]:
    store = await _store(call)
    invoice = await _invoice(call, store)
    return invoice_data(invoice, checkout_link(call, store, invoice.id))


def _int_query(call: GfCall, name: str, default: int | None) -> int | None:
    raw = call.request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(bounded_decimal(raw, name))  # bounded first: int(Decimal("1e999999")) takes seconds
    except ArithmeticError:
        raise ValidationError(f"'{name}' must be a number.", field=name) from None
    if not 0 <= value <= MAX_QUERY_INT:
        raise ValidationError(f"'{name}' must be 0 to {MAX_QUERY_INT}.", field=name)
    return value


def _filter(call: GfCall, store: Store) -> InvoiceFilter:
    query = call.request.query
    statuses = [s for name in query.getall("status", []) for part in name.split(",") for s in statuses_for(part)]
    if query.getall("status", []) and not statuses:
        raise ValidationError("Unknown invoice status.", field="status")
    start, end = _int_query(call, "startDate", None), _int_query(call, "endDate", None)
    return InvoiceFilter(store_id=store.id, status=statuses or None, text=query.get("textSearch") or None,
                         created_from=datetime.fromtimestamp(start, UTC) if start is not None else None,
                         created_to=datetime.fromtimestamp(end + 1, UTC) if end is not None else None)


async def list_invoices(call: GfCall) -> list[dict[str, object]]:
    store = await _store(call)
    skip = _int_query(call, "skip", 0) or 0
    take = min(_int_query(call, "take", MAX_TAKE) or 0, MAX_TAKE)
    if take == 0:
        return []
    base = _filter(call, store)
    order_ids = [o for o in call.request.query.getall("orderId", []) if o]
    invoices = call.services.invoices
    if len(order_ids) <= 1:
        flt = replace(base, order_id=order_ids[0] if order_ids else None)
        items = list((await invoices.list(flt, offset=skip, limit=take)).items)
    else:  # several orders: one query each, merged newest first
        found: dict[str, Invoice] = {}
        for order_id in dict.fromkeys(order_ids):
            page = await invoices.list(replace(base, order_id=order_id), limit=MAX_TAKE)
            found.update((i.id, i) for i in page.items)
        items = sorted(found.values(), key=lambda i: (i.created_at, i.id), reverse=True)[skip:skip + take]
    return [invoice_data(i, checkout_link(call, store, i.id)) for i in items]


async def invoice_methods(call: GfCall) -> list[dict[str, object]]:
    store = await _store(call)
    only_accounted = call.request.query.get("onlyAccountedPayments", "true").lower() != "false"
    return invoice_payment_methods(await _invoice(call, store), only_accounted=only_accounted)


async def mark_invoice(call: GfCall) -> dict[str, object]:
    store = await _store(call)
    invoice = await _invoice(call, store)
    status = enum_value((await call.json()).get("status"), MARKS)  # case-insensitive, as in BTCPay
    if status is None:
        raise ValidationError("Mark an invoice 'Settled' or 'Invalid'.", field="status")
    marked = await call.services.invoices.mark(invoice.id, MARKS[status])
    return invoice_data(marked, checkout_link(call, store, marked.id))
