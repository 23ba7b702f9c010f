"""Payments to an invoice's address, and how a fresh chain view is merged into the stored ones.

A payment is never deleted: when the chain stops reporting it, it is kept with ``accounted=False`` and a
state saying why (replaced, double-spent, reorged out), so the merchant can see what happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from app.core.statuses import LOST_PAYMENT_STATES, PaymentState

MEMPOOL_HEIGHT = 0
MEMPOOL_UNCONFIRMED_PARENT_HEIGHT = -1


@dataclass(frozen=True)
class ObservedOutput:
    """What the chain reports NOW for one output paying an invoice's address."""

    txid: str
    vout: int
    amount_sat: int
    height: int  # > 0 mined at that height; 0 mempool; -1 mempool with an unconfirmed parent
    rbf: bool  # the transaction signals BIP125 replaceability
    block_time: datetime | None = None  # mined: the SPV-verified block header's timestamp (UTC)

    def __post_init__(self) -> None:
        if not self.txid or self.vout < 0 or self.height < MEMPOOL_UNCONFIRMED_PARENT_HEIGHT:
            raise ValueError(f"malformed output {self.txid}:{self.vout} at height {self.height}")
        if isinstance(self.amount_sat, bool) or not isinstance(self.amount_sat, int) or self.amount_sat <= 0:
            raise ValueError(f"output amount must be a positive int of satoshis, got {self.amount_sat!r}")

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True)
class PaymentFee:
    """A paying transaction's fee and vsize, and whether its rate was below the minimum when first
    measured (the engine's rule, docs/invoices.md "Low-fee payments")."""

    fee_sat: int
    vsize: int
    low: bool

    @property
    def rate(self) -> Fraction:
        """Exact fee rate in sat/vB (fee_sat * 1000 / vsize sat/kvB)."""
        return Fraction(self.fee_sat, self.vsize)

    @property
    def rate_sat_vb(self) -> Decimal:
        """Fee rate in sat/vB, rounded down to 0.1."""
        return (Decimal(self.fee_sat) / Decimal(self.vsize)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


@dataclass(frozen=True)
class LightningProof:
    """A settled Lightning payment's proof: the payment hash RedWaves issued and the preimage released."""

    payment_hash: str  # hex, 64 chars
    preimage: str  # hex, 64 chars; sha256(preimage) == payment_hash


@dataclass(frozen=True)
class Payment:
    """A stored payment. ``height`` is the last height seen (kept when the payment vanishes).

    A Lightning payment (``lightning`` set) has ``txid`` = its payment hash, ``vout`` 0, height and
    confirmations 0 and state SETTLED: it is final, and the chain's views never touch it."""

    txid: str
    vout: int
    amount_sat: int
    first_seen_at: datetime
    height: int
    confirmations: int
    state: PaymentState
    accounted: bool  # counts towards the invoice total
    rbf: bool
    ever_confirmed: bool  # sticky: was mined at least once
    block_time: datetime | None = None  # header timestamp of the block it was last seen mined in
    fee: PaymentFee | None = None  # None until measured (the parents could not be read yet)
    lightning: LightningProof | None = None

    @property
    def settled_off_chain(self) -> bool:
        """A Lightning payment: final when recorded, whatever the speed policy."""
        return self.lightning is not None

    @property
    def method(self) -> str:
        """'lightning' or 'onchain' (stored in payments.method, sent in the APIs)."""
        return "lightning" if self.lightning is not None else "onchain"

    @property
    def held(self) -> bool:
        """Unconfirmed and risky for 0-conf: low fee, or an unconfirmed parent (CPFP risk)."""
        return self.held_below(None)

    def held_below(self, min_fee_rate_sat_vb: Fraction | None) -> bool:
        """``held``, or unconfirmed and paying less than the store's minimum fee rate (sat/vB), if any."""
        if self.confirmations > 0 or self.lightning is not None:
            return False
        return self.height == MEMPOOL_UNCONFIRMED_PARENT_HEIGHT or (self.fee is not None and (
            self.fee.low or (min_fee_rate_sat_vb is not None and self.fee.rate < min_fee_rate_sat_vb)))

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"

    @property
    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.first_seen_at, self.txid, self.vout)


def low_fee_pending(payments: Iterable[Payment]) -> bool:
    """Is a counted payment still unconfirmed with a low fee (the checkout's and window's warning)?"""
    return any(p.accounted and p.confirmations == 0 and p.fee is not None and p.fee.low for p in payments)


def fee_text(payment: Payment) -> str:
    """'Fee rate: 1.0 sat/vB (low: confirmation may take long)', or '' before it is measured."""
    if payment.fee is None:
        return ""
    low = payment.fee.low and payment.confirmations == 0
    return f"Fee rate: {payment.fee.rate_sat_vb} sat/vB" + (" (low: confirmation may take long)" if low else "")


def confirmations_at(height: int, tip_height: int) -> int:
    """Confirmations of an output mined at ``height``; a mined output has at least 1 even if our tip lags."""
    if height <= 0:
        return 0
    return max(1, tip_height - height + 1)


def merge_payments(
    existing: Sequence[Payment],
    observed: Sequence[ObservedOutput],
    *,
    tip_height: int,
    now: datetime,
    fees: Mapping[str, PaymentFee] | None = None,
) -> tuple[Payment, ...]:
    """The stored payments updated with a COMPLETE, synced view of the address (pure, idempotent).
    ``fees``: txid -> fee measured now; a stored payment keeps the fee it was first given."""
    seen = {output.outpoint: output for output in observed}
    # Lightning payments are not on the chain: kept as they are, never "vanished"
    merged = {payment.outpoint: payment if payment.lightning is not None else _vanished(payment)
              for payment in existing if payment.outpoint not in seen}
    previous = {payment.outpoint: payment for payment in existing}
    for outpoint, output in seen.items():
        known = previous.get(outpoint)
        fee = known.fee if known is not None and known.fee is not None else (fees or {}).get(output.txid)
        merged[outpoint] = _observed(known, output, tip_height=tip_height, now=now, fee=fee)
    return sorted_payments(merged.values())


def sorted_payments(payments: Iterable[Payment]) -> tuple[Payment, ...]:
    """Arrival order: (first_seen_at, txid, vout)."""
    return tuple(sorted(payments, key=lambda payment: payment.sort_key))


def _observed(
    payment: Payment | None, output: ObservedOutput, *, tip_height: int, now: datetime, fee: PaymentFee | None
) -> Payment:
    """Upsert: a new payment, an update of a known one, or the restoration of a vanished one."""
    mined = output.height > 0
    return Payment(
        txid=output.txid,
        vout=output.vout,
        amount_sat=output.amount_sat,
        first_seen_at=payment.first_seen_at if payment else now,
        height=output.height,
        confirmations=confirmations_at(output.height, tip_height),
        state=PaymentState.CONFIRMED if mined else PaymentState.MEMPOOL,
        accounted=True,
        rbf=output.rbf,
        ever_confirmed=mined or (payment is not None and payment.ever_confirmed),
        block_time=output.block_time if mined else None,
        fee=fee,
    )


def _vanished(payment: Payment) -> Payment:
    """The chain no longer reports this payment: say why, and stop counting it."""
    if payment.state in LOST_PAYMENT_STATES:
        return payment
    return replace(payment, state=lost_state(payment), accounted=False, confirmations=0)


def lost_state(payment: Payment) -> PaymentState:
    if payment.state is PaymentState.CONFIRMED:
        return PaymentState.REORGED_OUT
    if payment.rbf:
        return PaymentState.REPLACED
    return PaymentState.DOUBLE_SPENT
