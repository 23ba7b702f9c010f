"""Low-fee payments: the 0-conf hold (and a store's minimum fee rate), the low-fee test, the fee carried through merges, one event."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from app.core.errors import ValidationError
from app.core.events import PaymentLowFee, diff_events
from app.core.fee_policy import (
    MAX_MIN_FEE_RATE_SAT_VB,
    MIN_FEE_RATE_SETTING,
    clean_min_fee_rate,
    min_fee_rate_of,
    parse_min_fee_rate,
)
from app.core.invoices import evaluate, initial_state, is_low_fee
from app.core.payments import ObservedOutput, PaymentFee, fee_text, low_fee_pending, merge_payments
from app.core.statuses import InvoiceStatus

from .fakes import make_terms, minutes

DUE = 100_000
ESTIMATE_50 = {2: 50_000, 6: 20_000}  # sat/kvB, as Electrum reports them
LOW = PaymentFee(fee_sat=141, vsize=141, low=True)
FINE = PaymentFee(fee_sat=141 * 60, vsize=141, low=False)


def paid(fee: PaymentFee | None, *, height: int = 0, policy: int = 0):
    terms = make_terms(DUE, policy=policy)
    out = ObservedOutput("tx", 0, DUE, height, True)
    payments = merge_payments([], [out], tip_height=200, now=minutes(1), fees={"tx": fee} if fee else None)
    return evaluate(terms, initial_state(terms), payments, now=minutes(1)), payments


def test_low_fee_is_below_half_the_next_blocks_estimate():
    assert is_low_fee(141, 141, ESTIMATE_50)  # 1 sat/vB vs 50
    assert not is_low_fee(25 * 141, 141, ESTIMATE_50)  # exactly half is not low
    assert is_low_fee(25 * 141 - 1, 141, ESTIMATE_50)
    assert not is_low_fee(141, 141, {})  # no estimate: nothing is low


def test_speed_policy_0_holds_a_low_fee_or_unconfirmed_parent_payment_at_paid():
    assert paid(LOW)[0].status is InvoiceStatus.PAID
    assert paid(FINE, height=-1)[0].status is InvoiceStatus.PAID  # CPFP risk
    assert paid(FINE)[0].status is InvoiceStatus.COMPLETE
    assert paid(None)[0].status is InvoiceStatus.COMPLETE  # not measured (yet): as before
    assert paid(LOW, height=190)[0].status is InvoiceStatus.COMPLETE  # confirmed: no longer held
    assert paid(LOW, policy=1)[0].status is InvoiceStatus.PAID  # other policies: unchanged


def test_a_stored_fee_is_kept_and_the_event_is_emitted_once():
    _, first = paid(LOW)
    assert first[0].fee == LOW and fee_text(first[0]) == "Fee rate: 1.0 sat/vB (low: confirmation may take long)"
    assert low_fee_pending(first)
    events = diff_events("inv", "store", initial_state(make_terms(DUE, policy=0)),
                         initial_state(make_terms(DUE, policy=0)), [], first)
    low = [e for e in events if isinstance(e, PaymentLowFee)]
    assert len(low) == 1 and low[0].to_payload()["fee_rate_sat_vb"] == "1.0"
    mined = merge_payments(first, [ObservedOutput("tx", 0, DUE, 195, True)], tip_height=200, now=minutes(2),
                           fees={"tx": FINE})
    assert mined[0].fee == LOW and not low_fee_pending(mined)  # first measurement kept
    assert fee_text(mined[0]) == "Fee rate: 1.0 sat/vB"
    again = diff_events("inv", "store", initial_state(make_terms(DUE, policy=0)),
                        initial_state(make_terms(DUE, policy=0)), first, mined)
    assert not [e for e in again if isinstance(e, PaymentLowFee)]
    assert FINE.rate_sat_vb == Decimal("60.0")


FIVE = PaymentFee(fee_sat=5 * 141, vsize=141, low=False)  # not low by the estimate (say 6: half is 3)


def paid_with_minimum(fee: PaymentFee | None, minimum: Fraction | None, *, height: int = 0, policy: int = 0):
    terms = make_terms(DUE, policy=policy)
    out = ObservedOutput("tx", 0, DUE, height, True)
    payments = merge_payments([], [out], tip_height=200, now=minutes(1), fees={"tx": fee} if fee else None)
    return evaluate(terms, initial_state(terms), payments, now=minutes(1), min_fee_rate_sat_vb=minimum).status


def test_a_store_minimum_holds_a_0_conf_payment_paying_less_at_paid():
    assert paid_with_minimum(FIVE, Fraction(10)) is InvoiceStatus.PAID
    assert paid_with_minimum(FIVE, Fraction(5)) is InvoiceStatus.COMPLETE  # exactly the minimum is enough
    assert paid_with_minimum(PaymentFee(5 * 141 - 1, 141, False), Fraction(5)) is InvoiceStatus.PAID
    assert paid_with_minimum(FIVE, Fraction(9, 2)) is InvoiceStatus.COMPLETE  # 4.5 sat/vB
    assert paid_with_minimum(FIVE, None) is InvoiceStatus.COMPLETE
    assert paid_with_minimum(LOW, Fraction(1, 2)) is InvoiceStatus.PAID  # low by the estimate still holds
    assert paid_with_minimum(FINE, Fraction(10), height=-1) is InvoiceStatus.PAID  # unconfirmed parent
    assert paid_with_minimum(FIVE, Fraction(10), height=190) is InvoiceStatus.COMPLETE  # mined
    assert paid_with_minimum(None, Fraction(10)) is InvoiceStatus.COMPLETE  # not measured (yet): as before
    assert paid_with_minimum(FIVE, Fraction(10), policy=1) is InvoiceStatus.PAID  # needs its confirmation anyway


@pytest.mark.parametrize("value, rate", [(5, Fraction(5)), ("2.5", Fraction(5, 2)), (" 10 ", Fraction(10)),
                                         ("0.1", Fraction(1, 10)), (MAX_MIN_FEE_RATE_SAT_VB, Fraction(10_000))])
def test_the_store_minimum_is_an_exact_positive_number(value, rate):
    assert parse_min_fee_rate(value) == rate
    assert min_fee_rate_of({MIN_FEE_RATE_SETTING: value}) == rate


@pytest.mark.parametrize("value", [0, -1, "0", "", "abc", "NaN", "Infinity", 2.5, Decimal("2.5"), True, None,
                                   10_001, "1e3x", [5]])
def test_a_bad_store_minimum_is_refused_naming_its_field(value):
    with pytest.raises(ValidationError) as refused:
        clean_min_fee_rate({MIN_FEE_RATE_SETTING: value})
    assert refused.value.field == MIN_FEE_RATE_SETTING and refused.value.code == "invalid_min_fee_rate_sat_vb"
    assert min_fee_rate_of({MIN_FEE_RATE_SETTING: value}) is None
    assert min_fee_rate_of({}) is None
