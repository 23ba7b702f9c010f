"""The invoice state machine: the single source of the invoice rules. Pure: no I/O, no clock.

The engine recomputes an invoice from chain facts: ``evaluate(terms, previous, payments, now=...)``.
Only stickiness (final and marked invoices) and first-reached timestamps depend on ``previous``.
See docs/invoices.md for the rules in prose and a state diagram.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TypedDict

from app.core.errors import InvalidTransition, ValidationError
from app.core.money import validate_amount_sat
from app.core.payments import Payment, sorted_payments
from app.core.statuses import FINAL_STATUSES, OPEN_STATUSES, ExceptionStatus, InvoiceStatus

MAX_SPEED_POLICY = 6

_S = InvoiceStatus
_LEVEL = {_S.PAID: 1, _S.CONFIRMED: 2, _S.COMPLETE: 3}  # how far payment has progressed
_MARKABLE_FROM: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    _S.COMPLETE: frozenset({_S.PENDING, _S.PAID, _S.CONFIRMED, _S.EXPIRED, _S.INVALID}),
    _S.INVALID: frozenset({_S.PENDING, _S.PAID, _S.CONFIRMED, _S.EXPIRED}),
    _S.REFUNDED: frozenset({_S.COMPLETE}),
}


@dataclass(frozen=True)
class InvoiceTerms:
    """What was agreed when the invoice was created; never changes afterwards."""

    amount_due_sat: int
    created_at: datetime
    expires_at: datetime
    monitoring_until: datetime  # expires_at + the store's monitoring window
    speed_policy: int  # confirmations required for COMPLETE: 0..6
    underpaid_tolerance_pct: Decimal  # 0..100

    def __post_init__(self) -> None:
        validate_amount_sat(self.amount_due_sat)
        _check_timeline(self.created_at, self.expires_at, self.monitoring_until)
        _check_speed_policy(self.speed_policy)
        _check_tolerance(self.underpaid_tolerance_pct)

    @classmethod
    def starting(
        cls,
        amount_due_sat: int,
        *,
        created_at: datetime,
        expiry: timedelta,
        monitoring: timedelta,
        speed_policy: int,
        underpaid_tolerance_pct: Decimal = Decimal(0),
    ) -> InvoiceTerms:
        """Terms from a store's policy: expires ``expiry`` after creation, watched ``monitoring`` longer."""
        expires_at = created_at + expiry
        return cls(amount_due_sat, created_at, expires_at, expires_at + monitoring, speed_policy,
                   underpaid_tolerance_pct)

    @property
    def threshold_sat(self) -> int:
        """Paid when the accounted total reaches ceil(due * (100 - tolerance) / 100), and at least 1 sat."""
        exact = Fraction(self.amount_due_sat) * (100 - Fraction(self.underpaid_tolerance_pct)) / 100
        return max(1, math.ceil(exact))


@dataclass(frozen=True)
class InvoiceState:
    status: InvoiceStatus
    exception_status: ExceptionStatus
    paid_at: datetime | None
    confirmed_at: datetime | None
    completed_at: datetime | None
    amount_paid_sat: int  # accounted payments
    amount_confirmed_sat: int  # accounted payments with >= 1 confirmation
    remaining_sat: int  # max(0, due - paid)


@dataclass(frozen=True)
class Tally:
    """Sums over the payments that count: accounted, and first seen before monitoring_until."""

    paid_sat: int
    confirmed_sat: int  # >= 1 confirmation
    settled_sat: int  # >= speed_policy confirmations (0-conf: not held, see Payment.held)
    crossing: Payment | None  # the payment whose arrival reached the threshold


def tally(terms: InvoiceTerms, payments: Sequence[Payment], min_fee_rate_sat_vb: Fraction | None = None) -> Tally:
    """``min_fee_rate_sat_vb``: the store's minimum for 0-conf (app/core/fee_policy.py), or None."""
    counted = [p for p in sorted_payments(payments) if p.accounted and p.first_seen_at < terms.monitoring_until]
    return Tally(
        paid_sat=sum(p.amount_sat for p in counted),
        confirmed_sat=sum(p.amount_sat for p in counted if p.confirmations >= 1 or p.settled_off_chain),
        settled_sat=sum(p.amount_sat for p in counted if p.settled_off_chain or (
            p.confirmations >= terms.speed_policy and not p.held_below(min_fee_rate_sat_vb))),
        crossing=_crossing_payment(counted, terms.threshold_sat),
    )


def _crossing_payment(counted: Sequence[Payment], threshold_sat: int) -> Payment | None:
    running_sat = 0
    for payment in counted:
        running_sat += payment.amount_sat
        if running_sat >= threshold_sat:
            return payment
    return None


LOW_FEE_SHARE = Fraction(1, 2)  # a fee rate below half the next-blocks estimate is low


def is_low_fee(fee_sat: int, vsize: int, estimates_sat_per_kvb: Mapping[int, int]) -> bool:
    """Below LOW_FEE_SHARE of the estimate for the nearest confirmation target (sat/kvB, Electrum's
    unit). Without an estimate nothing is low."""
    if not estimates_sat_per_kvb or vsize <= 0:
        return False
    estimate_kvb = estimates_sat_per_kvb[min(estimates_sat_per_kvb)]
    return Fraction(fee_sat * 1000, vsize) < LOW_FEE_SHARE * estimate_kvb


def initial_state(terms: InvoiceTerms) -> InvoiceState:
    return InvoiceState(_S.PENDING, ExceptionStatus.NONE, None, None, None, 0, 0, terms.amount_due_sat)


def evaluate(
    terms: InvoiceTerms, previous: InvoiceState, payments: Sequence[Payment], *, now: datetime,
    min_fee_rate_sat_vb: Fraction | None = None,
) -> InvoiceState:
    """The invoice's state given every stored payment, at ``now``. Idempotent. ``min_fee_rate_sat_vb``:
    the store's minimum fee rate for 0-conf (only speed policy 0 completes unconfirmed), or None."""
    counts = tally(terms, payments, min_fee_rate_sat_vb)
    if is_status_fixed(terms, previous, now) and not _settled_on_time_off_chain(terms, previous, counts):  # the status never moves; amounts stay truthful
        if previous.status is _S.EXPIRED:
            return replace(previous, exception_status=_expired_exception(terms, counts), **_amounts(terms, counts))
        return replace(previous, **_amounts(terms, counts))
    progress = _progress(terms, counts)
    status = _status(terms, progress, now)
    level = _LEVEL.get(progress, 0)
    return InvoiceState(
        status=status,
        exception_status=_exception(terms, previous, status, counts),
        paid_at=(previous.paid_at or now) if level >= 1 else None,
        confirmed_at=(previous.confirmed_at or now) if level >= 2 else None,
        completed_at=(previous.completed_at or now) if level >= 3 else None,
        **_amounts(terms, counts),
    )


def is_status_fixed(terms: InvoiceTerms, state: InvoiceState, now: datetime) -> bool:
    """Final, marked, or expired with the monitoring window over: evaluate() leaves the status alone."""
    if state.status in FINAL_STATUSES or state.exception_status is ExceptionStatus.MARKED:
        return True
    return state.status is _S.EXPIRED and now >= terms.monitoring_until


def _settled_on_time_off_chain(terms: InvoiceTerms, previous: InvoiceState, counts: Tally) -> bool:
    """An EXPIRED invoice whose amount was reached by a Lightning payment settled before expiry: the
    money arrived on time (Electrum refuses it after, app/chain/lightning.py), however late RedWaves
    records it (a crash, a long stop), so the invoice completes instead of staying expired."""
    crossing = counts.crossing
    return (previous.status is _S.EXPIRED and crossing is not None and crossing.settled_off_chain
            and crossing.first_seen_at < terms.expires_at)


def _progress(terms: InvoiceTerms, counts: Tally) -> InvoiceStatus:
    """How far the payments have got, ignoring the clock: PENDING, PAID, CONFIRMED or COMPLETE."""
    threshold_sat = terms.threshold_sat
    if counts.paid_sat < threshold_sat:
        return _S.PENDING
    if counts.settled_sat >= threshold_sat:
        return _S.COMPLETE
    if counts.confirmed_sat >= threshold_sat:
        return _S.CONFIRMED
    return _S.PAID


def _status(terms: InvoiceTerms, progress: InvoiceStatus, now: datetime) -> InvoiceStatus:
    """The clock's say: unpaid past expiry is EXPIRED; paid but unsettled past monitoring is INVALID."""
    if progress is _S.PENDING:
        return _S.EXPIRED if now >= terms.expires_at else _S.PENDING
    if progress in (_S.PAID, _S.CONFIRMED) and now >= terms.monitoring_until:
        return _S.INVALID
    return progress


def _exception(
    terms: InvoiceTerms, previous: InvoiceState, status: InvoiceStatus, counts: Tally
) -> ExceptionStatus:
    """Highest-priority exception: FAILED_CONFIRM > PAID_LATE > PAID_OVER > PAID_PARTIAL > NONE."""
    if status is _S.INVALID:
        return ExceptionStatus.FAILED_CONFIRM
    if status in _LEVEL and _paid_late(terms, previous, counts):
        return ExceptionStatus.PAID_LATE
    if counts.paid_sat > terms.amount_due_sat:
        return ExceptionStatus.PAID_OVER
    if 0 < counts.paid_sat < terms.threshold_sat:
        return ExceptionStatus.PAID_PARTIAL
    return ExceptionStatus.NONE


def _expired_exception(terms: InvoiceTerms, counts: Tally) -> ExceptionStatus:
    """Expired for good: a full amount that only counts now (a restored payment) is flagged PAID_LATE."""
    if counts.paid_sat >= terms.threshold_sat:
        return ExceptionStatus.PAID_LATE
    return ExceptionStatus.PAID_PARTIAL if counts.paid_sat > 0 else ExceptionStatus.NONE


def arrived_at(payment: Payment) -> datetime:
    """When a payment provably existed: first seen by us, or the timestamp of the block that mined it
    if earlier (RedWaves was offline). The header's timestamp, not the median-time-past: see
    docs/invoices.md "On time while offline" for why and for the 2-hour tolerance."""
    if payment.block_time is not None and payment.block_time < payment.first_seen_at:
        return payment.block_time
    return payment.first_seen_at


def _paid_late(terms: InvoiceTerms, previous: InvoiceState, counts: Tally) -> bool:
    """The threshold was crossed by a payment that arrived (``arrived_at``) at/after expiry.

    An invoice already paid on time keeps that standing, so a fee bump (RBF) seen after expiry, which
    replaces an on-time payment with a new txid in the same sync, does not make it late.
    """
    crossed_late = counts.crossing is not None and arrived_at(counts.crossing) >= terms.expires_at
    paid_on_time = previous.paid_at is not None and previous.paid_at < terms.expires_at
    return crossed_late and not paid_on_time


class _Amounts(TypedDict):
    amount_paid_sat: int
    amount_confirmed_sat: int
    remaining_sat: int


def _amounts(terms: InvoiceTerms, counts: Tally) -> _Amounts:
    return {
        "amount_paid_sat": counts.paid_sat,
        "amount_confirmed_sat": counts.confirmed_sat,
        "remaining_sat": max(0, terms.amount_due_sat - counts.paid_sat),
    }


def mark(previous: InvoiceState, target: InvoiceStatus, *, now: datetime) -> InvoiceState:
    """A merchant's manual decision: COMPLETE or INVALID, or REFUNDED after COMPLETE. Sticky from then on."""
    if previous.status not in _MARKABLE_FROM.get(target, frozenset()):
        raise InvalidTransition(f"A {previous.status} invoice cannot be marked {target}", field="status")
    completed_at = now if target is _S.COMPLETE else previous.completed_at
    return replace(previous, status=target, exception_status=ExceptionStatus.MARKED, completed_at=completed_at)


def is_monitored(terms: InvoiceTerms, state: InvoiceState, now: datetime) -> bool:
    """Should the engine still watch the address and reconcile? Until monitoring ends, and after that
    only while an open status still awaits its last evaluate() (to EXPIRED or INVALID)."""
    return now < terms.monitoring_until or state.status in OPEN_STATUSES


def next_deadline(terms: InvoiceTerms, state: InvoiceState, now: datetime) -> datetime | None:
    """When evaluate() changes the status without chain input (may be in the past: evaluate now)."""
    if is_status_fixed(terms, state, now):
        return None
    if state.status is _S.PENDING:
        return terms.expires_at
    if state.status in (_S.PAID, _S.CONFIRMED):
        return terms.monitoring_until
    return None


def _check_timeline(created_at: datetime, expires_at: datetime, monitoring_until: datetime) -> None:
    if any(moment.tzinfo is None or moment.utcoffset() is None
           for moment in (created_at, expires_at, monitoring_until)):
        raise ValueError("invoice times must be timezone-aware (UTC)")
    if not created_at < expires_at <= monitoring_until:
        raise ValidationError("An invoice must expire after it is created", field="expires_at")


def _check_speed_policy(speed_policy: int) -> None:
    if isinstance(speed_policy, bool) or not isinstance(speed_policy, int) \
            or not 0 <= speed_policy <= MAX_SPEED_POLICY:
        raise ValidationError(f"Speed policy must be 0 to {MAX_SPEED_POLICY} confirmations",
                              field="speed_policy")


def _check_tolerance(tolerance_pct: Decimal) -> None:
    if not isinstance(tolerance_pct, Decimal) or not tolerance_pct.is_finite() \
            or not 0 <= tolerance_pct <= 100:
        raise ValidationError("Underpaid tolerance must be 0 to 100 percent", field="underpaid_tolerance_pct")
