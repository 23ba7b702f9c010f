"""Refund amounts (app/core/refunds.py): every variant, fees, rounding, partial refunds, BTC-priced invoices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import UserFacingError
from app.core.records import Invoice, Store
from app.core.refunds import (
    RefundRequest,
    RefundStatus,
    RefundVariant,
    already_refunded,
    calculate_refund,
    check_refund_transition,
    clean_refund_options,
    fully_refunded,
    is_refundable,
    refund_settings,
    refundable_sat,
)
from app.core.statuses import ExceptionStatus, InvoiceStatus

V = RefundVariant
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def invoice(*, paid: int = 100_000, due: int = 100_000, price: str = "50.00", currency: str = "USD",
            rate: str | None = "50000", status: InvoiceStatus = InvoiceStatus.COMPLETE,
            exception: ExceptionStatus = ExceptionStatus.NONE) -> Invoice:
    return Invoice(
        id="inv1", store_id="sto1", wallet_id="wal1", address="bcrt1qexample", derivation_index=0,
        price=Decimal(price), currency=currency, rate=None if rate is None else Decimal(rate),
        rate_source=None if rate is None else "manual", amount_due_sat=due, order_id=None, description="",
        buyer_email=None, items=(), metadata={}, redirect_url=None, notification_url=None, speed_policy=1,
        underpaid_tolerance_pct=Decimal(0), status=status, exception_status=exception, amount_paid_sat=paid,
        amount_confirmed_sat=paid, created_at=T0, expires_at=T0 + timedelta(minutes=15),
        monitoring_until=T0 + timedelta(days=1), paid_at=T0, confirmed_at=T0, completed_at=T0)


def calc(inv: Invoice, req: RefundRequest, *, rate: str | None = None, already: int = 0):
    return calculate_refund(inv, req, current_rate=None if rate is None else Decimal(rate),
                            current_rate_source=None if rate is None else "kraken", already_refunded_sat=already)


def code_of(inv: Invoice, req: RefundRequest, **kw: object) -> str:
    with pytest.raises(UserFacingError) as err:
        calc(inv, req, **kw)  # type: ignore[arg-type]
    return err.value.code


# -- variants --------------------------------------------------------------------------------------

def test_rate_then_refunds_the_paid_sats_with_their_fiat_value_then():
    result = calc(invoice(), RefundRequest(V.RATE_THEN))
    assert (result.gross_sat, result.fee_sat, result.amount_sat) == (100_000, 0, 100_000)
    assert result.fiat_amount == Decimal("50.00") and result.rate == Decimal(50000) and result.rate_source == "manual"
    assert result.refundable_sat == 100_000 and result.already_refunded_sat == 0


def test_rate_then_is_capped_by_what_is_still_refundable():
    result = calc(invoice(), RefundRequest(V.RATE_THEN), already=30_000)
    assert result.gross_sat == 70_000 and result.refundable_sat == 70_000 and result.fiat_amount == Decimal("35.00")


def test_current_rate_converts_the_fiat_value_then_at_todays_rate_rounded_down():
    # 100,000 sat at 50,000 USD/BTC = 50.00 USD; at 60,000 that is 83,333.33 sat -> 83,333
    result = calc(invoice(), RefundRequest(V.CURRENT_RATE), rate="60000")
    assert result.gross_sat == 83_333 and result.rate == Decimal(60000) and result.rate_source == "kraken"
    assert result.fiat_amount == Decimal("50.00")


def test_current_rate_above_what_was_paid_is_refused():
    # the bitcoin price fell: 50 USD now buys 125,000 sat, more than the 100,000 paid
    assert code_of(invoice(), RefundRequest(V.CURRENT_RATE), rate="40000") == "refund_exceeds_paid"


def test_current_rate_without_a_current_rate_is_rate_unavailable():
    assert code_of(invoice(), RefundRequest(V.CURRENT_RATE)) == "rate_unavailable"


def test_overpaid_refunds_only_the_part_above_the_amount_due():
    over = invoice(paid=130_000, exception=ExceptionStatus.PAID_OVER)
    assert calc(over, RefundRequest(V.OVERPAID)).gross_sat == 30_000
    assert calc(over, RefundRequest(V.OVERPAID), already=10_000).gross_sat == 20_000  # earlier refunds count first
    assert code_of(over, RefundRequest(V.OVERPAID), already=30_000) == "nothing_overpaid"
    assert code_of(invoice(), RefundRequest(V.OVERPAID)) == "nothing_overpaid"


def test_custom_fiat_at_todays_rate_and_custom_btc():
    fiat = calc(invoice(), RefundRequest(V.CUSTOM_FIAT, Decimal("10.00")), rate="40000")
    assert fiat.gross_sat == 25_000 and fiat.fiat_amount == Decimal("10.00")
    btc = calc(invoice(), RefundRequest(V.CUSTOM_BTC, Decimal("0.0004")))
    assert btc.gross_sat == 40_000 and btc.rate == Decimal(50000) and btc.fiat_amount == Decimal("20.00")


@pytest.mark.parametrize(("variant", "amount", "code"), [
    (V.CUSTOM_BTC, None, "invalid_amount"),
    (V.CUSTOM_BTC, Decimal(0), "invalid_amount"),
    (V.CUSTOM_BTC, Decimal("-0.001"), "invalid_amount"),
    (V.CUSTOM_BTC, Decimal("0.000000001"), "invalid_amount"),  # 9 decimal places
    (V.CUSTOM_BTC, Decimal("0.00100001"), "refund_exceeds_paid"),
    (V.CUSTOM_BTC, Decimal("1E+40"), "number_too_large"),
    (V.CUSTOM_BTC, Decimal("NaN"), "number_too_large"),
    (V.CUSTOM_FIAT, Decimal("10.005"), "invalid_amount"),  # USD has 2 places
    (V.CUSTOM_FIAT, Decimal("60.00"), "refund_exceeds_paid"),
])
def test_custom_amounts_are_checked(variant, amount, code):
    assert code_of(invoice(), RefundRequest(variant, amount), rate="50000") == code


def test_btc_priced_invoices_refuse_the_fiat_variants():
    btc = invoice(price="0.001", currency="BTC", rate=None)
    assert code_of(btc, RefundRequest(V.CURRENT_RATE), rate="50000") == "rate_required"
    assert code_of(btc, RefundRequest(V.CUSTOM_FIAT, Decimal("5")), rate="50000") == "rate_required"
    result = calc(btc, RefundRequest(V.RATE_THEN))
    assert result.gross_sat == 100_000 and result.fiat_amount is None and result.rate is None
    assert calc(btc, RefundRequest(V.CUSTOM_BTC, Decimal("0.0001"))).gross_sat == 10_000


# -- fees and rounding -----------------------------------------------------------------------------

def test_percentage_fee_rounds_down_and_fixed_fee_adds():
    result = calc(invoice(paid=100_001, due=100_001), RefundRequest(V.RATE_THEN, fee_pct=Decimal("2.5"),
                                                                    fee_fixed_sat=1_000))
    # 2.5 % of 100,001 = 2,500.025 -> 2,500; + 1,000 fixed
    assert (result.gross_sat, result.fee_sat, result.amount_sat) == (100_001, 3_500, 96_501)


@pytest.mark.parametrize(("pct", "fixed", "code"), [
    (Decimal(100), 0, "invalid_amount"), (Decimal(-1), 0, "invalid_amount"), (Decimal(0), -1, "invalid_amount"),
    (Decimal(0), 99_500, "invalid_amount"),  # leaves 500 sat: below dust
    (Decimal(0), True, "invalid_amount"),
])
def test_bad_fees_are_refused(pct, fixed, code):
    assert code_of(invoice(), RefundRequest(V.RATE_THEN, fee_pct=pct, fee_fixed_sat=fixed)) == code


def test_note_is_bounded():
    assert code_of(invoice(), RefundRequest(V.RATE_THEN, note="x" * 501)) == "too_long"


# -- which invoices, partial refunds, refunded status ------------------------------------------------

@pytest.mark.parametrize(("status", "exception", "paid", "ok"), [
    (InvoiceStatus.COMPLETE, ExceptionStatus.NONE, 100_000, True),
    (InvoiceStatus.CONFIRMED, ExceptionStatus.PAID_OVER, 130_000, True),
    (InvoiceStatus.EXPIRED, ExceptionStatus.PAID_LATE, 100_000, True),
    (InvoiceStatus.INVALID, ExceptionStatus.FAILED_CONFIRM, 100_000, True),
    (InvoiceStatus.INVALID, ExceptionStatus.MARKED, 0, False),
    (InvoiceStatus.PENDING, ExceptionStatus.PAID_PARTIAL, 50_000, False),
    (InvoiceStatus.PAID, ExceptionStatus.NONE, 100_000, False),
    (InvoiceStatus.REFUNDED, ExceptionStatus.NONE, 100_000, False),
])
def test_is_refundable(status, exception, paid, ok):
    inv = invoice(paid=paid, status=status, exception=exception)
    assert is_refundable(inv) is ok
    if not ok:
        assert code_of(inv, RefundRequest(V.RATE_THEN)) == "not_refundable"


def test_nothing_left_is_refused():
    assert refundable_sat(invoice(), 100_000) == 0 and refundable_sat(invoice(), 120_000) == 0
    assert code_of(invoice(), RefundRequest(V.CUSTOM_BTC, Decimal("0.0001")), already=100_000) == "refund_exceeds_paid"


def test_live_refunds_count_and_refunded_needs_all_paid():
    S = RefundStatus
    refunds = [(S.PAID, 60_000), (S.EXPIRED, 50_000), (S.CANCELLED, 10_000), (S.CLAIMED, 40_000)]
    assert already_refunded(refunds) == 100_000
    inv = invoice()
    assert not fully_refunded(inv, refunds)  # one is still only claimed
    assert fully_refunded(inv, [(S.PAID, 60_000), (S.PAID, 40_000), (S.EXPIRED, 5_000)])
    assert not fully_refunded(inv, [(S.PAID, 60_000)])
    assert not fully_refunded(inv, [(S.PAID, 60_000), (S.PAID, 40_000), (S.OPEN, 1_000)])
    assert not fully_refunded(invoice(paid=0), [])


@settings(max_examples=200, deadline=None)
@given(paid=st.integers(1_000, 10**12), parts=st.lists(st.integers(1, 10**12), min_size=1, max_size=8),
       pct=st.decimals(0, 50, places=2))
def test_partial_refunds_add_up_and_never_exceed_what_was_paid(paid, parts, pct):
    inv = invoice(paid=paid, due=paid)
    already = 0
    for part in parts:
        req = RefundRequest(V.CUSTOM_BTC, Decimal(part).scaleb(-8), fee_pct=pct)
        try:
            result = calc(inv, req, already=already)
        except UserFacingError as exc:
            assert exc.code in ("refund_exceeds_paid", "invalid_amount")
            assert part > paid - already or part - part * pct / 100 < 546 or paid - already <= 0
            continue
        assert result.gross_sat == part and result.fee_sat + result.amount_sat == result.gross_sat
        assert 0 <= result.fee_sat <= part * pct / 100
        already += result.gross_sat
        assert already <= paid


@settings(max_examples=200, deadline=None)
@given(paid=st.integers(10_000, 10**10), rate_then=st.integers(1_000, 10**6), rate_now=st.integers(1_000, 10**6))
def test_current_rate_never_refunds_more_fiat_than_it_names(paid, rate_then, rate_now):
    inv = invoice(paid=paid, due=paid, rate=str(rate_then))
    try:
        result = calc(inv, RefundRequest(V.CURRENT_RATE), rate=str(rate_now))
    except UserFacingError as exc:
        assert exc.code in ("refund_exceeds_paid", "invalid_amount")
        return
    assert result.fiat_amount is not None and result.gross_sat <= paid
    # the sats refunded are worth at most the fiat value then, and not a sat less
    assert result.gross_sat * rate_now <= paid * rate_then < (result.gross_sat + 1) * rate_now
    if rate_now == rate_then:
        assert result.gross_sat == paid


def test_refund_transitions():
    check_refund_transition(RefundStatus.OPEN, RefundStatus.CLAIMED)
    check_refund_transition(RefundStatus.CLAIMED, RefundStatus.PAID)
    for old, new in [(RefundStatus.PAID, RefundStatus.OPEN), (RefundStatus.EXPIRED, RefundStatus.CLAIMED),
                     (RefundStatus.CANCELLED, RefundStatus.OPEN), (RefundStatus.OPEN, RefundStatus.PAID)]:
        with pytest.raises(UserFacingError) as err:
            check_refund_transition(old, new)
        assert err.value.code == "invalid_transition"


# -- store settings --------------------------------------------------------------------------------

def _store(**checkout: object) -> Store:
    return Store(id="sto1", name="Shop", default_currency="USD", speed_policy=1, expiry_s=900, monitoring_s=86400,
                 underpaid_tolerance_pct=Decimal(0), rate_source="manual", rate_spread_pct=Decimal(0),
                 wallet_ids=("wal1",), checkout=dict(checkout))


def test_store_refund_settings_defaults_and_checks():
    defaults = refund_settings(_store())
    assert defaults.refund_link_days == 30 and defaults.payouts_auto_approve_sat == 0
    assert not defaults.auto_approves(1)
    custom = refund_settings(_store(payouts_auto_approve_sat=50_000, refund_link_days=7))
    assert custom.auto_approves(50_000) and not custom.auto_approves(50_001)
    assert custom.link_lifetime == timedelta(days=7)
    assert clean_refund_options({"refund_link_days": 10}) == {"refund_link_days": 10}
    for bad in ({"refund_link_days": 0}, {"refund_link_days": 366}, {"refund_link_days": "7"},
                {"payouts_auto_approve_sat": -1}, {"payouts_auto_approve_sat": 1.5}):
        with pytest.raises(UserFacingError) as err:
            clean_refund_options(bad)
        assert err.value.field == next(iter(bad))

