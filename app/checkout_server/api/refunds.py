"""Refunds of an invoice: preview the calculation, create (the shopper gets a link), list, get, cancel."""

from __future__ import annotations

from app.checkout_server.api.idempotent import RECORDED_AFTER
from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.refunds import (
    RefundCalculationOut,
    RefundIn,
    RefundList,
    RefundListQuery,
    RefundOut,
    RefundPage,
)
from app.core.errors import NotFound
from app.core.records import Invoice
from app.core.refunds import Refund
from app.services.admin.apikeys import Scope


def actor(call: Call) -> str:
    return f"api:{call.key.id}" if call.key is not None else "api"


async def refund_out(call: Call, refund: Refund) -> RefundOut:
    return RefundOut.of(refund, await call.services.refunds.link_for(refund))


async def _invoice(call: Call) -> Invoice:
    invoice = await call.services.invoices.get(call.param("invoice_id"))
    call.check_store(invoice.store_id)
    return invoice


async def _refund(call: Call) -> Refund:
    refund = await call.services.refunds.get(call.param("refund_id"))
    if call.key is not None and not call.key.can_access_store(refund.store_id):
        raise NotFound("Refund not found.", code="refund_not_found")  # other stores' refunds do not exist here
    return refund


async def preview_refund(call: Call) -> RefundCalculationOut:
    invoice = await _invoice(call)
    calc = await call.services.refunds.preview(invoice.id, call.body_as(RefundIn).request())
    return RefundCalculationOut.of(calc)


async def create_refund(call: Call) -> RefundOut:
    invoice = await _invoice(call)
    refund = await call.services.refunds.create(invoice.id, call.body_as(RefundIn).request(), actor=actor(call))
    return await refund_out(call, refund)


async def invoice_refunds(call: Call) -> RefundList:
    invoice = await _invoice(call)
    return RefundList(items=[await refund_out(call, r) for r in await call.services.refunds.for_invoice(invoice.id)])


async def list_refunds(call: Call) -> RefundPage:
    query = call.query_as(RefundListQuery)
    if query.store_id:
        call.check_store(query.store_id)
    elif call.store_ids is not None:
        call.require_unrestricted()
    page = await call.services.refunds.list(store_id=query.store_id, status=query.refund_status(),
                                            limit=query.limit, offset=query.offset)
    return RefundPage(items=[await refund_out(call, r) for r in page.items], total=page.total, offset=page.offset,
                      limit=page.limit)


async def get_refund(call: Call) -> RefundOut:
    return await refund_out(call, await _refund(call))


async def cancel_refund(call: Call) -> RefundOut:
    refund = await _refund(call)
    return await refund_out(call, await call.services.refunds.cancel(refund.id))


def operations() -> list[Operation]:
    tag = "refunds"
    return [
        Operation("POST", "/invoices/{invoice_id}/refunds/preview", preview_refund,
                  "Calculate a refund without creating it", tag, Scope.REFUNDS_READ, RefundCalculationOut,
                  body=RefundIn,
                  description="The same calculation `POST /invoices/{invoice_id}/refunds` would store: gross, fee, "
                              "what the shopper receives, the rate used. Refusals: 409 `not_refundable`, "
                              "`refund_exceeds_paid`, `nothing_overpaid`; 422 `rate_required`; 503 "
                              "`rate_unavailable`."),
        Operation("POST", "/invoices/{invoice_id}/refunds", create_refund, "Refund an invoice", tag,
                  Scope.REFUNDS_WRITE, RefundOut, body=RefundIn, status=201, idempotent=True,
                  description="Creates an open refund and its public `link` (e-mailed to the invoice's buyer "
                              "e-mail when there is one). The shopper gives an address on that page once; the "
                              "refund then becomes a payout (`payout_id`). Partial refunds add up and never "
                              "exceed what was paid. " + RECORDED_AFTER),
        Operation("GET", "/invoices/{invoice_id}/refunds", invoice_refunds, "Refunds of an invoice", tag,
                  Scope.REFUNDS_READ, RefundList),
        Operation("GET", "/refunds", list_refunds, "List refunds, newest first", tag, Scope.REFUNDS_READ, RefundPage,
                  query=RefundListQuery,
                  description="A key restricted to some stores must name one with `store_id`."),
        Operation("GET", "/refunds/{refund_id}", get_refund, "Get a refund", tag, Scope.REFUNDS_READ, RefundOut),
        Operation("POST", "/refunds/{refund_id}/cancel", cancel_refund, "Cancel a refund", tag, Scope.REFUNDS_WRITE,
                  RefundOut,
                  description="An open refund; or a claimed one whose payout has no signed transaction yet "
                              "(the payout is cancelled with it). 409 `invalid_transition` otherwise."),
    ]
