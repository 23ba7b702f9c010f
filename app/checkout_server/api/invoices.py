"""Invoices: create, get, list with filters and paging, mark; payments per invoice and recent."""

from __future__ import annotations

import sqlite3

from app.checkout_server.api.closed_payments import (
    ChainCheckOut,
    InvoiceDetailOut,
    chain_check,
    invoice_detail,
)
from app.checkout_server.api.errors import Unauthorized
from app.checkout_server.api.links import CheckoutLinks, invoice_out
from app.checkout_server.api.messages import as_sent
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.invoices import (
    AllInvoicesQuery,
    InvoiceFilterQuery,
    InvoiceIn,
    InvoiceListQuery,
    InvoiceOut,
    InvoicePage,
    InvoicePaymentOut,
    MarkIn,
    PaymentList,
    PaymentOut,
    RecentPayments,
    RecentPaymentsQuery,
)
from app.core.errors import UserFacingError, ValidationError
from app.core.records import Invoice, Page
from app.core.statuses import InvoiceStatus
from app.services.admin.apikeys import Scope
from app.services.invoicing.invoices import InvoiceFilter

ANONYMOUS_SETTING = "anyone_can_create_invoice"


def invoice_filter(query: InvoiceFilterQuery, *, store_id: str | None,
                   store_ids: tuple[str, ...] | None) -> InvoiceFilter:
    statuses = None
    if query.status:
        statuses = query.status.split(",")
        bad = [s for s in statuses if s not in InvoiceStatus.__members__.values()]
        if bad:
            raise ValidationError(f"Unknown invoice status '{bad[0]}'.", code="invalid_status", field="status")
    return InvoiceFilter(store_id=store_id, store_ids=store_ids, status=statuses, created_from=query.created_from,
                         created_to=query.created_to, text=query.text, order_id=query.order_id)


async def _page(call: Call, page: Page) -> InvoicePage:
    links = CheckoutLinks(call.request, call.services)
    return InvoicePage(items=[await invoice_out(links, i) for i in page.items], total=page.total,
                       offset=page.offset, limit=page.limit)


async def create_invoice(call: Call) -> InvoiceOut:
    store = await call.store()
    if call.key is None and store.checkout.get(ANONYMOUS_SETTING) is not True:
        raise Unauthorized("Send an API key with the invoices:create scope.", code="missing_api_key")
    body = call.body_as(InvoiceIn)
    if (body.price is None) == (body.amount_sat is None) or (body.amount_sat is not None and body.currency):
        raise ValidationError("Give either 'price' (and optionally 'currency') or 'amount_sat'.",
                              code="invalid_price", field="price")
    price, currency = (body.price, body.currency) if body.price is not None else (str(body.amount_sat), "SAT")
    # Without a key: counted against the store's budget of open public invoices (429 public_invoice_budget).
    create = call.services.invoices.create if call.key is not None else call.services.public_invoices.create
    claim = call.idempotency
    links = CheckoutLinks(call.request, call.services)
    record = None
    if claim is not None:  # the Idempotency-Key's response is stored in the invoice's own transaction
        def record(conn: sqlite3.Connection, created: Invoice) -> None:
            claim.record_sync(conn, InvoiceOut.of(created, links.for_store(store, created.id)).model_dump_json())
    sent = "price" if body.price is not None else "amount_sat"  # errors name the field the client sent
    try:
        invoice = await create(
            store.id, price=price, currency=currency, order_id=body.order_id, description=body.description,
            buyer_email=body.buyer_email, metadata=body.metadata, redirect_url=body.redirect_url,
            notification_url=body.notification_url, items=body.items, expiry_s=body.expiry_s, record=record)
    except UserFacingError as exc:
        raise as_sent(exc, {"price": sent, "amount_sat": sent, "amount": sent},
                      (("Amount", "Price"),) if sent == "price" else ()) from None
    return InvoiceOut.of(invoice, links.for_store(store, invoice.id))


async def list_store_invoices(call: Call) -> InvoicePage:
    store = await call.store()
    query = call.query_as(InvoiceListQuery)
    flt = invoice_filter(query, store_id=store.id, store_ids=None)
    return await _page(call, await call.services.invoices.list(flt, offset=query.offset, limit=query.limit))


async def list_invoices(call: Call) -> InvoicePage:
    query = call.query_as(AllInvoicesQuery)
    if query.store_id:
        call.check_store(query.store_id)
    flt = invoice_filter(query, store_id=query.store_id, store_ids=call.store_ids)
    return await _page(call, await call.services.invoices.list(flt, offset=query.offset, limit=query.limit))


async def _invoice(call: Call) -> Invoice:
    invoice = await call.services.invoices.get(call.param("invoice_id"))
    call.check_store(invoice.store_id)
    return invoice


async def get_invoice(call: Call) -> InvoiceDetailOut:
    return await invoice_detail(call, await invoice_out(CheckoutLinks(call.request, call.services), await _invoice(call)))


async def mark_invoice(call: Call) -> InvoiceOut:
    invoice = await _invoice(call)
    body = call.body_as(MarkIn)
    marked = await call.services.invoices.mark(invoice.id, body.status)
    return await invoice_out(CheckoutLinks(call.request, call.services), marked)


async def invoice_payments(call: Call) -> PaymentList:
    return PaymentList(items=[PaymentOut.of(p) for p in (await _invoice(call)).payments])


async def recent_payments(call: Call) -> RecentPayments:
    query = call.query_as(RecentPaymentsQuery)
    store_ids = call.store_ids
    if query.store_id:
        call.check_store(query.store_id)
        store_ids = (query.store_id,)
    page = await call.services.payment_history.recent(store_ids=store_ids, offset=query.offset, limit=query.limit)
    return RecentPayments(items=[InvoicePaymentOut.of_entry(e) for e in page.items], total=page.total,
                          offset=page.offset, limit=page.limit)


def operations() -> list[Operation]:
    tag = "invoices"
    return [
        Operation("POST", "/stores/{store_id}/invoices", create_invoice, "Create an invoice", tag,
                  Scope.INVOICES_CREATE, InvoiceOut, body=InvoiceIn, status=201, anonymous=True, idempotent=True,
                  description="Without a key only when the store's `checkout.anyone_can_create_invoice` is "
                              "true; such calls are rate-limited per client address and refused with 429 "
                              "`public_invoice_budget` while the store has `checkout.public_invoice_budget` "
                              "(default 50) keyless invoices open and unpaid. With an `Idempotency-Key` "
                              "header a repeat returns the first response (409 `idempotency_key_reused` for "
                              "another body); the key is stored in the invoice's transaction. With the "
                              "store's `checkout.order_id_unique`, a second invoice for an `order_id` is "
                              "refused with 409 `order_id_exists`."),
        Operation("GET", "/stores/{store_id}/invoices", list_store_invoices, "List a store's invoices", tag,
                  Scope.INVOICES_READ, InvoicePage, query=InvoiceListQuery,
                  description="Each item is the full invoice, its `payments` included (as in "
                              "`GET /invoices/{invoice_id}`)."),
        Operation("GET", "/invoices", list_invoices, "List invoices of every store the key may see", tag,
                  Scope.INVOICES_READ, InvoicePage, query=AllInvoicesQuery),
        Operation("GET", "/invoices/{invoice_id}", get_invoice, "Get an invoice", tag, Scope.INVOICES_READ,
                  InvoiceDetailOut),
        Operation("POST", "/invoices/{invoice_id}/chain-check", chain_check,
                  "Check a closed invoice's address for payments after close", tag, Scope.INVOICES_WRITE,
                  ChainCheckOut,
                  description="Asks the bitcoin server now (not subscribing) for the history of a closed "
                              "invoice's address; payments found are recorded once per transaction and raise "
                              "`invoice.payment_after_close`, without changing the invoice's status. 409 "
                              "`invoice_monitored` while the invoice is still monitored, 503 "
                              "`chain_check_failed` when the server did not answer."),
        Operation("POST", "/invoices/{invoice_id}/mark", mark_invoice, "Mark complete, invalid or refunded", tag,
                  Scope.INVOICES_WRITE, InvoiceOut, body=MarkIn),
        Operation("GET", "/invoices/{invoice_id}/payments", invoice_payments, "Payments of an invoice", tag,
                  Scope.INVOICES_READ, PaymentList),
        Operation("GET", "/payments", recent_payments, "Recent payments, newest first", tag, Scope.INVOICES_READ,
                  RecentPayments, query=RecentPaymentsQuery),
    ]
