"""Domain events, carried through the outbox (the DB layer persists them with a sequence number).

``diff_events`` derives them from two snapshots, so a reconciliation that changes nothing emits nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import ClassVar

from app.core.invoices import InvoiceState
from app.core.payments import Payment
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState


@dataclass(frozen=True)
class DomainEvent:
    invoice_id: str
    store_id: str

    type: ClassVar[str] = "event"

    def to_payload(self) -> dict[str, object]:
        """JSON-safe: ints, bools, strings, None; datetimes as ISO 8601, Decimals as strings."""
        payload: dict[str, object] = {"type": self.type}
        for field in fields(self):
            payload[field.name] = _json_safe(getattr(self, field.name))
        return payload


def _json_safe(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class InvoiceCreated(DomainEvent):
    amount_due_sat: int
    created_at: datetime
    expires_at: datetime
    price: Decimal | None = None
    currency: str | None = None

    type: ClassVar[str] = "invoice.created"


@dataclass(frozen=True)
class InvoiceStatusChanged(DomainEvent):
    """Also how expiry, invalidation and merchant marks are announced."""

    old_status: InvoiceStatus
    new_status: InvoiceStatus
    old_exception: ExceptionStatus
    new_exception: ExceptionStatus
    amount_paid_sat: int = 0
    remaining_sat: int = 0

    type: ClassVar[str] = "invoice.status_changed"


@dataclass(frozen=True)
class PaymentEvent(DomainEvent):
    txid: str
    vout: int
    amount_sat: int


@dataclass(frozen=True)
class PaymentReceived(PaymentEvent):
    first_seen_at: datetime
    confirmations: int

    type: ClassVar[str] = "payment.received"


@dataclass(frozen=True)
class PaymentConfirmed(PaymentEvent):
    """The payment's first confirmation (not repeated after a reorg; that is a state change)."""

    height: int
    confirmations: int

    type: ClassVar[str] = "payment.confirmed"


@dataclass(frozen=True)
class PaymentSettled(PaymentEvent):
    """A Lightning payment settled (its preimage released): final at once, never confirmed on-chain."""

    payment_hash: str
    settled_at: datetime

    type: ClassVar[str] = "payment.settled"


@dataclass(frozen=True)
class PaymentStateChanged(PaymentEvent):
    """Replaced, double-spent, reorged out, restored, or back to the mempool / re-mined after a reorg."""

    old_state: PaymentState
    new_state: PaymentState
    accounted: bool

    type: ClassVar[str] = "payment.state_changed"


@dataclass(frozen=True)
class PaymentLowFee(PaymentEvent):
    """Once per payment: its fee rate was below the minimum when measured (docs/invoices.md)."""

    fee_sat: int
    vsize: int
    fee_rate_sat_vb: Decimal

    type: ClassVar[str] = "payment.low_fee"


@dataclass(frozen=True)
class PaymentAfterClose(DomainEvent):
    """Once per (invoice, txid): money found on a closed (no longer monitored) invoice's address by the
    closed-invoice history check (app/services/invoicing/closed_watch.py). The invoice's status is NOT
    changed: ``status`` is its status, as it stays. ``found_by``: ``periodic`` or ``on_demand``."""

    txid: str
    address: str
    amount_sat: int
    height: int  # > 0 only when verified (merkle proof checked against our headers)
    verified: bool
    status: InvoiceStatus
    found_by: str

    type: ClassVar[str] = "invoice.payment_after_close"


@dataclass(frozen=True)
class PaymentAfterCloseConfirmed(DomainEvent):
    """Once per (invoice, txid), after PaymentAfterClose: the transaction first found unconfirmed is
    now proven mined (SPV). Not sent when it was already proven mined when first found."""

    txid: str
    address: str
    amount_sat: int
    height: int

    type: ClassVar[str] = "invoice.payment_after_close_confirmed"


@dataclass(frozen=True)
class RefundEvent(DomainEvent):
    """Refund events carry the refunded invoice's id; ``amount_sat`` is what the shopper receives."""

    refund_id: str
    amount_sat: int


@dataclass(frozen=True)
class RefundCreated(RefundEvent):
    gross_sat: int
    fee_sat: int
    variant: str
    fiat_amount: Decimal | None
    currency: str
    expires_at: datetime
    created_by: str | None = None

    type: ClassVar[str] = "refund.created"


@dataclass(frozen=True)
class RefundClaimed(RefundEvent):
    payout_id: str
    destination: str

    type: ClassVar[str] = "refund.claimed"


@dataclass(frozen=True)
class RefundPaid(RefundEvent):
    payout_id: str
    txid: str
    height: int

    type: ClassVar[str] = "refund.paid"


@dataclass(frozen=True)
class RefundCancelled(RefundEvent):
    """Cancelled by the merchant, or its payout was cancelled before broadcast."""

    reason: str  # "cancelled" | "payout_cancelled"

    type: ClassVar[str] = "refund.cancelled"


@dataclass(frozen=True)
class RefundExpired(RefundEvent):
    """The link's time ran out unclaimed; its amount is refundable again."""

    type: ClassVar[str] = "refund.expired"


@dataclass(frozen=True)
class PayoutEvent(DomainEvent):
    """Payout events: ``invoice_id`` is the refunded invoice's for a refund's payout, "" for a direct payout."""

    payout_id: str
    amount_sat: int
    refund_id: str | None


@dataclass(frozen=True)
class PayoutCreated(PayoutEvent):
    wallet_id: str
    destination: str
    status: str

    type: ClassVar[str] = "payout.created"


@dataclass(frozen=True)
class PayoutApproved(PayoutEvent):
    auto: bool  # approved at creation under the store's payouts_auto_approve_sat
    approved_by: str | None = None

    type: ClassVar[str] = "payout.approved"


@dataclass(frozen=True)
class PayoutBroadcast(PayoutEvent):
    payout_tx_id: str
    txid: str

    type: ClassVar[str] = "payout.broadcast"


@dataclass(frozen=True)
class PayoutConfirmed(PayoutEvent):
    payout_tx_id: str
    txid: str
    height: int

    type: ClassVar[str] = "payout.confirmed"


@dataclass(frozen=True)
class PayoutCancelled(PayoutEvent):
    type: ClassVar[str] = "payout.cancelled"


@dataclass(frozen=True)
class PayoutFailed(PayoutEvent):
    error: str

    type: ClassVar[str] = "payout.failed"


EVENT_TYPES: Mapping[str, type[DomainEvent]] = {
    cls.type: cls
    for cls in (InvoiceCreated, InvoiceStatusChanged, PaymentReceived, PaymentConfirmed, PaymentSettled,
                PaymentStateChanged,
                PaymentLowFee, PaymentAfterClose, PaymentAfterCloseConfirmed, RefundCreated, RefundClaimed,
                RefundPaid, RefundCancelled, RefundExpired, PayoutCreated, PayoutApproved, PayoutBroadcast,
                PayoutConfirmed, PayoutCancelled, PayoutFailed)
}


def diff_events(
    invoice_id: str,
    store_id: str,
    old_state: InvoiceState,
    new_state: InvoiceState,
    old_payments: Sequence[Payment],
    new_payments: Sequence[Payment],
) -> list[DomainEvent]:
    """Exactly the events a transition implies: payment events in arrival order, then the status change."""
    previous = {payment.outpoint: payment for payment in old_payments}
    events: list[DomainEvent] = []
    for payment in new_payments:
        events.extend(_payment_events(invoice_id, store_id, previous.get(payment.outpoint), payment))
    if (old_state.status, old_state.exception_status) != (new_state.status, new_state.exception_status):
        events.append(InvoiceStatusChanged(
            invoice_id, store_id,
            old_status=old_state.status, new_status=new_state.status,
            old_exception=old_state.exception_status, new_exception=new_state.exception_status,
            amount_paid_sat=new_state.amount_paid_sat, remaining_sat=new_state.remaining_sat,
        ))
    return events


def _payment_events(invoice_id: str, store_id: str, old: Payment | None, new: Payment) -> list[DomainEvent]:
    ids = (invoice_id, store_id, new.txid, new.vout, new.amount_sat)
    events: list[DomainEvent] = []
    if old is None:
        events.append(PaymentReceived(*ids, first_seen_at=new.first_seen_at, confirmations=new.confirmations))
        if new.lightning is not None:
            events.append(PaymentSettled(*ids, payment_hash=new.lightning.payment_hash, settled_at=new.first_seen_at))
    first_confirmation = new.ever_confirmed and (old is None or not old.ever_confirmed)
    if first_confirmation:
        events.append(PaymentConfirmed(*ids, height=new.height, confirmations=new.confirmations))
    if old is not None and old.state is not new.state and not first_confirmation:
        events.append(PaymentStateChanged(*ids, old_state=old.state, new_state=new.state, accounted=new.accounted))
    if new.fee is not None and new.fee.low and (old is None or old.fee is None):
        events.append(PaymentLowFee(*ids, fee_sat=new.fee.fee_sat, vsize=new.fee.vsize,
                                    fee_rate_sat_vb=new.fee.rate_sat_vb))
    return events
