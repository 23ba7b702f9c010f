"""Recording what the closed-invoice history check found, in the caller's (writer) transaction.

One ``closed_invoice_payments`` row per (invoice, txid), for transactions paying the address that are
NOT among the invoice's own payments (those were seen while it was monitored). First found: the row
and ``invoice.payment_after_close``. Found again: the row is updated (height, proof, last seen); the
first time a transaction first seen unconfirmed is proven mined, ``invoice.payment_after_close_confirmed``.
Missing from a history read in full: the row becomes ``gone`` (reorged out, dropped); back again, it
is unconfirmed/confirmed again, without a new first event. The invoice row is never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain.history_probe import HistoryPayment, HistoryProbe
from app.core.closed_payments import ClosedPayment, ClosedPaymentState, FoundBy, next_state
from app.core.events import DomainEvent, PaymentAfterClose, PaymentAfterCloseConfirmed
from app.core.statuses import InvoiceStatus
from app.db.models import ClosedInvoicePaymentRow, PaymentRow


@dataclass(frozen=True)
class Target:
    """A closed invoice whose address is checked."""

    invoice_id: str
    store_id: str
    address: str
    status: InvoiceStatus


def to_closed_payment(row: ClosedInvoicePaymentRow) -> ClosedPayment:
    return ClosedPayment(
        invoice_id=row.invoice_id, txid=row.txid, address=row.address, amount_sat=row.amount_sat,
        height=row.height, verified=row.verified, state=ClosedPaymentState(row.state),
        found_by=FoundBy(row.found_by), first_seen_at=row.first_seen_at, last_seen_at=row.last_seen_at,
        confirmed_at=row.confirmed_at, gone_at=row.gone_at)


async def closed_payments_of(session: AsyncSession, invoice_ids: Iterable[str]) -> dict[str, list[ClosedPayment]]:
    ids = list(invoice_ids)
    out: dict[str, list[ClosedPayment]] = defaultdict(list)
    if not ids:
        return out
    rows = (await session.scalars(select(ClosedInvoicePaymentRow)
                                  .where(ClosedInvoicePaymentRow.invoice_id.in_(ids))
                                  .order_by(ClosedInvoicePaymentRow.first_seen_at, ClosedInvoicePaymentRow.id))).all()
    for row in rows:
        out[row.invoice_id].append(to_closed_payment(row))
    return out


async def record_probe(session: AsyncSession, targets: Sequence[Target], probe: HistoryProbe, *,
                       found_by: FoundBy, now: datetime) -> list[DomainEvent]:
    """Apply one probe's answer for ``targets`` (only addresses in ``probe.checked`` count)."""
    checked = set(probe.checked)
    done = [t for t in targets if t.address in checked]
    if not done:
        return []
    ids = [t.invoice_id for t in done]
    own = set((await session.execute(select(PaymentRow.invoice_id, PaymentRow.txid)
                                     .where(PaymentRow.invoice_id.in_(ids)))).all())
    rows = (await session.scalars(select(ClosedInvoicePaymentRow)
                                  .where(ClosedInvoicePaymentRow.invoice_id.in_(ids)))).all()
    known = {(r.invoice_id, r.txid): r for r in rows}
    paid: dict[str, list[HistoryPayment]] = defaultdict(list)
    for payment in probe.payments:
        paid[payment.address].append(payment)
    events: list[DomainEvent] = []
    for target in done:
        seen = {p.txid: p for p in paid.get(target.address, ()) if (target.invoice_id, p.txid) not in own}
        for payment in seen.values():
            row = known.get((target.invoice_id, payment.txid))
            if row is None:
                session.add(_new_row(target, payment, found_by, now))
                events.append(PaymentAfterClose(
                    target.invoice_id, target.store_id, txid=payment.txid, address=target.address,
                    amount_sat=payment.value_sat, height=payment.height, verified=payment.verified,
                    status=target.status, found_by=str(found_by)))
            elif _update_row(row, payment, now):
                events.append(PaymentAfterCloseConfirmed(target.invoice_id, target.store_id, txid=payment.txid,
                                                         address=target.address, amount_sat=payment.value_sat,
                                                         height=payment.height))
        for (invoice_id, txid), row in known.items():
            if invoice_id == target.invoice_id and txid not in seen and row.state != ClosedPaymentState.GONE:
                row.state, row.gone_at, row.height, row.verified = ClosedPaymentState.GONE, now, 0, False
    return events


def _new_row(target: Target, payment: HistoryPayment, found_by: FoundBy, now: datetime) -> ClosedInvoicePaymentRow:
    return ClosedInvoicePaymentRow(
        invoice_id=target.invoice_id, txid=payment.txid, address=target.address, amount_sat=payment.value_sat,
        height=payment.height, verified=payment.verified, state=next_state(payment.verified),
        found_by=found_by, first_seen_at=now, last_seen_at=now,
        confirmed_at=now if payment.verified else None, gone_at=None)


def _update_row(row: ClosedInvoicePaymentRow, payment: HistoryPayment, now: datetime) -> bool:
    """Refresh a known row; True when this is the transaction's first proof of being mined."""
    first_proof = payment.verified and row.confirmed_at is None
    row.height, row.verified, row.amount_sat = payment.height, payment.verified, payment.value_sat
    row.state, row.last_seen_at, row.gone_at = next_state(payment.verified), now, None
    if first_proof:
        row.confirmed_at = now
    return first_proof
