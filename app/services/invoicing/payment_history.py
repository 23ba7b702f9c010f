"""Payments across invoices, newest first (the API's recent-payments list)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app.core.payments import Payment
from app.core.records import Page
from app.db.mapping import to_payment
from app.db.models import InvoiceRow, PaymentRow
from app.services.writer import Writer


@dataclass(frozen=True)
class InvoicePayment:
    invoice_id: str
    store_id: str
    payment: Payment


class PaymentHistoryService:
    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    async def recent(self, *, store_ids: Sequence[str] | None = None, offset: int = 0, limit: int = 50) -> Page:
        query = select(PaymentRow, InvoiceRow.store_id).join(InvoiceRow, InvoiceRow.id == PaymentRow.invoice_id)
        if store_ids is not None:
            query = query.where(InvoiceRow.store_id.in_(list(store_ids)))
        # every payment has its invoice (a foreign key): without a store filter, count payments alone
        counted = query if store_ids is not None else select(PaymentRow.id)
        async with self._writer.read() as session:
            total = await session.scalar(select(func.count()).select_from(counted.subquery())) or 0
            rows = (await session.execute(query.order_by(PaymentRow.first_seen_at.desc(), PaymentRow.id.desc())
                                          .offset(offset).limit(limit))).all()
        items = tuple(InvoicePayment(p.invoice_id, store_id, to_payment(p)) for p, store_id in rows)
        return Page(items=items, total=total, offset=offset, limit=limit)
