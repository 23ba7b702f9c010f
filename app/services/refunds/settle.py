"""What a payout's fate does to its refund and invoice, inside the caller's transaction.

A confirmed payout pays its refund (``claimed -> paid``); the invoice becomes ``refunded`` once paid
refunds cover everything paid and none is pending (app/core/refunds.py ``fully_refunded``; only a
``complete`` invoice can be marked refunded, see docs/refunds.md). A payout cancelled before broadcast
cancels its refund, whose amount is then refundable again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import invoices as rules
from app.core.events import DomainEvent, RefundCancelled, RefundPaid, diff_events
from app.core.refunds import RefundStatus, check_refund_transition, fully_refunded
from app.core.statuses import InvoiceStatus
from app.db.mapping import to_invoice
from app.db.models import InvoiceRow, RefundRow
from app.services.invoicing.invoices import write_state


def effective_status(status: RefundStatus, expires_at: datetime, now: datetime) -> RefundStatus:
    """An open link past its time counts as expired before the row is swept (RefundService.expire_due)."""
    return RefundStatus.EXPIRED if status is RefundStatus.OPEN and now >= expires_at else status


async def refund_paid(session: AsyncSession, refund_id: str, *, payout_id: str, txid: str, height: int,
                      now: datetime) -> list[DomainEvent]:
    row = await session.get(RefundRow, refund_id)
    if row is None or row.status == RefundStatus.PAID:
        return []
    check_refund_transition(RefundStatus(row.status), RefundStatus.PAID)
    row.status = str(RefundStatus.PAID)
    events: list[DomainEvent] = [RefundPaid(row.invoice_id, row.store_id, refund_id=row.id, amount_sat=row.amount_sat,
                                            payout_id=payout_id, txid=txid, height=height)]
    return events + await invoice_after_refund(session, row.invoice_id, now=now)


async def refund_cancelled(session: AsyncSession, refund_id: str, *, reason: str) -> list[DomainEvent]:
    row = await session.get(RefundRow, refund_id)
    if row is None or row.status == RefundStatus.CANCELLED:
        return []
    check_refund_transition(RefundStatus(row.status), RefundStatus.CANCELLED)
    row.status = str(RefundStatus.CANCELLED)
    return [RefundCancelled(row.invoice_id, row.store_id, refund_id=row.id, amount_sat=row.amount_sat, reason=reason)]


async def invoice_after_refund(session: AsyncSession, invoice_id: str, *, now: datetime) -> list[DomainEvent]:
    """Mark the invoice refunded when its refunds now cover what was paid (and all are paid)."""
    invoice_row = await session.get(InvoiceRow, invoice_id)
    if invoice_row is None or invoice_row.status != InvoiceStatus.COMPLETE:
        return []
    refunds = (await session.execute(select(RefundRow.status, RefundRow.gross_sat, RefundRow.expires_at)
                                     .where(RefundRow.invoice_id == invoice_id))).all()
    invoice = to_invoice(invoice_row)
    pairs = [(effective_status(RefundStatus(status), expires_at, now), int(gross))
             for status, gross, expires_at in refunds]
    if not fully_refunded(invoice, pairs):
        return []
    new_state = rules.mark(invoice.state, InvoiceStatus.REFUNDED, now=now)
    write_state(invoice_row, new_state, monitored=rules.is_monitored(invoice.terms, new_state, now))
    return list(diff_events(invoice.id, invoice.store_id, invoice.state, new_state, (), ()))
