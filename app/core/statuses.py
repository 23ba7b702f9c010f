"""Invoice, exception and payment statuses. Values are stable: they are stored and sent in webhooks."""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    PENDING = "pending"  # waiting for (the rest of) the payment
    PAID = "paid"  # full amount seen, not yet confirmed
    CONFIRMED = "confirmed"  # full amount has >= 1 confirmation, not yet the store's speed policy
    COMPLETE = "complete"  # settled by the speed policy (or marked): the merchant may ship
    EXPIRED = "expired"  # not paid in time; a payment within the monitoring window revives it
    INVALID = "invalid"  # failed to confirm in the monitoring window, or marked invalid
    REFUNDED = "refunded"  # marked refunded by the merchant after completion


class ExceptionStatus(StrEnum):
    """Why an invoice needs the merchant's attention. Priority when several apply (highest first):
    MARKED > FAILED_CONFIRM > PAID_LATE > PAID_OVER > PAID_PARTIAL > NONE."""

    NONE = "none"
    PAID_PARTIAL = "paid_partial"
    PAID_OVER = "paid_over"
    PAID_LATE = "paid_late"
    FAILED_CONFIRM = "failed_confirm"
    MARKED = "marked"


class PaymentState(StrEnum):
    MEMPOOL = "mempool"
    CONFIRMED = "confirmed"
    REPLACED = "replaced"  # vanished, had signalled BIP125 RBF
    DOUBLE_SPENT = "double_spent"  # vanished without signalling RBF
    REORGED_OUT = "reorged_out"  # vanished after having been mined
    SETTLED = "settled"  # a Lightning payment: the preimage was released, final (app/core/lightning.py)


OPEN_STATUSES: frozenset[InvoiceStatus] = frozenset(
    {InvoiceStatus.PENDING, InvoiceStatus.PAID, InvoiceStatus.CONFIRMED}
)
"""Still in progress: evaluate() will move them on. EXPIRED is in neither set (see docs/invoices.md)."""

FINAL_STATUSES: frozenset[InvoiceStatus] = frozenset(
    {InvoiceStatus.COMPLETE, InvoiceStatus.INVALID, InvoiceStatus.REFUNDED}
)
"""Never changed by evaluate(); only a merchant mark can move them."""

LIVE_PAYMENT_STATES: frozenset[PaymentState] = frozenset(
    {PaymentState.MEMPOOL, PaymentState.CONFIRMED, PaymentState.SETTLED})
LOST_PAYMENT_STATES: frozenset[PaymentState] = frozenset(
    {PaymentState.REPLACED, PaymentState.DOUBLE_SPENT, PaymentState.REORGED_OUT}
)
