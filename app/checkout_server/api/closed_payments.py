"""Payments found after an invoice closed (docs/engine.md "Closed invoices"): the on-demand chain check
and the `payments_after_close` of an invoice's JSON. They never change the invoice's status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from app.checkout_server.api.operations import Call
from app.checkout_server.api.schemas.common import ResponseModel, SatAmount
from app.checkout_server.api.schemas.invoices import InvoiceOut
from app.core.closed_payments import ClosedPayment, ClosedPaymentState, FoundBy


class ClosedPaymentOut(ResponseModel):
    txid: str
    address: str
    amount_sat: SatAmount = Field(description="What the transaction pays the invoice's address.")
    height: int = Field(description="> 0 only when verified (merkle proof checked against our headers).")
    verified: bool
    state: ClosedPaymentState = Field(description="unconfirmed, confirmed (proven mined) or gone (no longer in "
                                                  "the server's history: reorged out, dropped).")
    found_by: FoundBy
    first_seen_at: datetime
    last_seen_at: datetime
    confirmed_at: datetime | None
    gone_at: datetime | None

    @classmethod
    def of(cls, payment: ClosedPayment) -> ClosedPaymentOut:
        return cls(txid=payment.txid, address=payment.address, amount_sat=payment.amount_sat, height=payment.height,
                   verified=payment.verified, state=payment.state, found_by=payment.found_by,
                   first_seen_at=payment.first_seen_at, last_seen_at=payment.last_seen_at,
                   confirmed_at=payment.confirmed_at, gone_at=payment.gone_at)


class InvoiceDetailOut(InvoiceOut):
    payments_after_close: list[ClosedPaymentOut] = Field(default_factory=list, description=(
        "Money found on the address after the invoice closed (no longer monitored), by the periodic "
        "closed-invoice check or `POST /invoices/{invoice_id}/chain-check`. Not counted in the amounts or "
        "the status."))

    @classmethod
    def with_closed(cls, invoice: InvoiceOut, payments: Sequence[ClosedPayment]) -> InvoiceDetailOut:
        return cls.model_validate({**invoice.model_dump(), "payments_after_close": [
            ClosedPaymentOut.of(p) for p in payments]})


class ChainCheckOut(ResponseModel):
    invoice_id: str
    payments_after_close: list[ClosedPaymentOut]


async def chain_check(call: Call) -> ChainCheckOut:
    invoice = await call.services.invoices.get(call.param("invoice_id"))
    call.check_store(invoice.store_id)
    found = await call.services.closed_watch.check_invoice(invoice.id)
    return ChainCheckOut(invoice_id=invoice.id, payments_after_close=[ClosedPaymentOut.of(p) for p in found])


async def invoice_detail(call: Call, invoice: InvoiceOut) -> InvoiceDetailOut:
    found = await call.services.closed_watch.payments_of([invoice.id])
    return InvoiceDetailOut.with_closed(invoice, found.get(invoice.id, []))
