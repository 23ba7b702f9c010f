"""Payouts: money the shop sends (a claimed refund, a supplier, a batch of employees). Pure rules and records.

A payout moves ``awaiting_approval -> approved -> in_progress (tx built) -> broadcast -> confirmed``, or
ends ``cancelled`` / ``failed``. Its transaction is a ``PayoutTx`` (one per build; an RBF bump is a new
row that ``replaces`` the old one). See docs/refunds.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from app.core.errors import ValidationError
from app.core.limits import check_text

MAX_LABEL_CHARS = 200
MAX_PAYOUTS_PER_CALL = 500  # approve / pay / export at most this many at once
DUST_SAT = 546  # below this, a P2PKH output is not relayed; we refuse smaller payouts for every type
SETTLED_CONFIRMATIONS = 6  # default depth at which a payout is final (settings.payout_settled_confirmations)


class PayoutStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"  # a transaction is built (and maybe signed), not known to be broadcast
    BROADCAST = "broadcast"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class PayoutTxKind(StrEnum):
    HOT = "hot"  # built and signed here
    PSBT = "psbt"  # built here, signed elsewhere (hardware wallet)


class PayoutTxStatus(StrEnum):
    BUILT = "built"
    SIGNED = "signed"  # raw_tx recorded: it may be on the network already
    BROADCAST = "broadcast"
    CONFIRMED = "confirmed"
    REPLACED = "replaced"
    FAILED = "failed"


_P = PayoutStatus
PAYOUT_TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    _P.AWAITING_APPROVAL: frozenset({_P.APPROVED, _P.CANCELLED}),
    _P.APPROVED: frozenset({_P.IN_PROGRESS, _P.CANCELLED}),
    # back to approved: its unsigned transaction was abandoned (nothing signed can confirm)
    # confirmed straight from in_progress: found mined after a crash before it was marked broadcast
    _P.IN_PROGRESS: frozenset({_P.BROADCAST, _P.CONFIRMED, _P.APPROVED, _P.CANCELLED, _P.FAILED}),
    _P.BROADCAST: frozenset({_P.CONFIRMED, _P.FAILED}),
    _P.CONFIRMED: frozenset({_P.BROADCAST}),  # a reorg took its block away; it is back in the mempool
    _P.FAILED: frozenset({_P.APPROVED}),  # retried, only once no version of its transaction can confirm
    _P.CANCELLED: frozenset(),
}
CANCELLABLE: frozenset[PayoutStatus] = frozenset({_P.AWAITING_APPROVAL, _P.APPROVED, _P.IN_PROGRESS})
"""IN_PROGRESS only while its transaction is an unsigned PSBT (``PayoutTxStatus.BUILT``): see can_cancel."""
FINAL_PAYOUT_STATUSES: frozenset[PayoutStatus] = frozenset({_P.CONFIRMED, _P.CANCELLED, _P.FAILED})


def check_payout_transition(old: PayoutStatus, new: PayoutStatus) -> None:
    """ValidationError(code="invalid_transition") unless the payout may go from ``old`` to ``new``."""
    if new not in PAYOUT_TRANSITIONS[old]:
        raise ValidationError(f"A payout that is {old.value.replace('_', ' ')} cannot become "
                              f"{new.value.replace('_', ' ')}.", code="invalid_transition", field="status")


def can_cancel(status: PayoutStatus, tx_status: PayoutTxStatus | None) -> bool:
    """Only before anything that can confirm exists: never once a transaction was signed or broadcast."""
    if status is _P.IN_PROGRESS:
        return tx_status is None or tx_status is PayoutTxStatus.BUILT
    return status in CANCELLABLE


def check_label(label: str) -> str:
    return check_text(label.strip(), MAX_LABEL_CHARS, "label")


@dataclass(frozen=True)
class Payout:
    id: str
    store_id: str
    wallet_id: str
    refund_id: str | None
    destination: str
    amount_sat: int
    label: str
    status: PayoutStatus
    created_at: datetime
    approved_at: datetime | None
    payout_tx_id: str | None
    error: str | None
    created_by: str | None
    confirmations: int = 0  # of its current transaction (0: not mined); final (confirmed) at the settled depth


def confirmations(height: int, tip_height: int | None) -> int:
    """Blocks on top of (and including) ``height``; 0 when not mined or our tip is behind."""
    if height <= 0 or tip_height is None or tip_height < height:
        return 0
    return tip_height - height + 1


@dataclass(frozen=True)
class PayoutTx:
    id: str
    wallet_id: str
    kind: PayoutTxKind
    status: PayoutTxStatus
    psbt: str | None  # base64 unsigned (psbt kind)
    raw_tx: str | None  # signed hex, written BEFORE broadcast
    txid: str | None  # known before broadcast
    fee_sat: int
    fee_rate: Decimal  # sat/vB
    replaces_id: str | None
    change_address: str | None
    created_at: datetime
    broadcast_at: datetime | None
    confirmed_at: datetime | None
    height: int


FeeTarget = Literal["next_block", "hour", "day", "custom"]


@dataclass(frozen=True)
class FeeChoice:
    target: FeeTarget
    sat_per_vb: Decimal | None = None  # required for "custom"


@dataclass(frozen=True)
class FeeOptions:
    """sat/vB for each target from the server's estimates (None: no estimate available)."""

    next_block: Decimal | None
    hour: Decimal | None
    day: Decimal | None


@dataclass(frozen=True)
class PsbtExport:
    payout_tx_id: str
    psbt_base64: str
    filename: str
    fee_sat: int
    outputs: tuple[tuple[str, int], ...]  # (address, amount_sat) the signer must show, change excluded


@dataclass(frozen=True)
class PlannedInput:
    txid: str
    vout: int
    amount_sat: int
    address: str

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True)
class PayoutPlan:
    """What paying a set of approved payouts would spend and pay, built exactly as the payment will be but
    neither signed for the record nor sent (coin control before "Pay now"). ``sat_per_vb``: the rate the fee
    choice resolved to (pay with ``FeeChoice("custom", sat_per_vb)`` to build this same transaction)."""

    wallet_id: str
    inputs: tuple[PlannedInput, ...]
    outputs: tuple[tuple[str, int], ...]  # every output in order, change included
    change_address: str | None
    change_sat: int
    fee_sat: int
    vsize: int
    fee_rate: Decimal  # fee_sat / vsize
    sat_per_vb: Decimal

    @property
    def outpoints(self) -> tuple[str, ...]:
        return tuple(i.outpoint for i in self.inputs)

    @property
    def input_sat(self) -> int:
        return sum(i.amount_sat for i in self.inputs)
