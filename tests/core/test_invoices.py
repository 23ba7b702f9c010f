"""The invoice rules, one by one, on hand-built payments."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.core.errors import InvalidAmount, InvalidTransition, ValidationError
from app.core.invoices import (
    InvoiceState,
    InvoiceTerms,
    evaluate,
    initial_state,
    is_monitored,
    mark,
    next_deadline,
)
from app.core.payments import Payment
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState

from .fakes import T0, make_terms, minutes

S, E = InvoiceStatus, ExceptionStatus
DUE = 100_000
TERMS = make_terms(DUE, policy=2)  # expires at minute 15, monitored until minute 75


def pay(amount=DUE, confs=0, *, at=1, txid=None, accounted=True):
    state = PaymentState.CONFIRMED if confs else PaymentState.MEMPOOL
    if not accounted:
        state = PaymentState.DOUBLE_SPENT
    return Payment(txid or f"tx{amount}_{confs}_{at}", 0, amount, minutes(at), 100 if confs else 0, confs, state,
                   accounted, False, confs > 0)


def state_of(payments, at, *, terms=TERMS, previous=None):
    return evaluate(terms, previous or initial_state(terms), payments, now=minutes(at))


def test_initial_state():
    assert initial_state(TERMS) == InvoiceState(S.PENDING, E.NONE, None, None, None, 0, 0, DUE)


@pytest.mark.parametrize(
    ("payments", "at", "status", "exception"),
    [
        ([], 1, S.PENDING, E.NONE),
        ([], 15, S.EXPIRED, E.NONE),
        ([pay(40_000)], 2, S.PENDING, E.PAID_PARTIAL),
        ([pay(40_000)], 20, S.EXPIRED, E.PAID_PARTIAL),
        ([pay(DUE)], 2, S.PAID, E.NONE),  # mempool counts
        ([pay(DUE, 1)], 2, S.CONFIRMED, E.NONE),
        ([pay(DUE, 2)], 2, S.COMPLETE, E.NONE),
        ([pay(60_000, 2), pay(40_000, 0, at=2)], 3, S.PAID, E.NONE),  # every needed payment must confirm
        ([pay(60_000, 2), pay(40_000, 1, at=2)], 3, S.CONFIRMED, E.NONE),
        ([pay(60_000, 5), pay(40_000, 2, at=2)], 3, S.COMPLETE, E.NONE),
        ([pay(DUE + 1)], 2, S.PAID, E.PAID_OVER),
        ([pay(DUE + 1, 6)], 2, S.COMPLETE, E.PAID_OVER),
        ([pay(DUE, 0, at=16)], 17, S.PAID, E.PAID_LATE),
        ([pay(DUE + 5, 2, at=16)], 17, S.COMPLETE, E.PAID_LATE),  # late beats over
        ([pay(50_000), pay(50_000, at=16)], 17, S.PAID, E.PAID_LATE),  # the crossing payment was late
        ([pay(DUE), pay(10_000, at=16)], 17, S.PAID, E.PAID_OVER),  # crossed on time; the extra is just over
        ([pay(DUE, 0, at=75)], 76, S.EXPIRED, E.NONE),  # after monitoring_until: ignored
        ([pay(DUE)], 75, S.INVALID, E.FAILED_CONFIRM),
        ([pay(DUE, 1)], 75, S.INVALID, E.FAILED_CONFIRM),
        ([pay(DUE, 2)], 75, S.COMPLETE, E.NONE),  # settled in time, evaluated late
        ([pay(DUE, accounted=False)], 2, S.PENDING, E.NONE),
        ([pay(DUE, 2, accounted=False), pay(30_000, 2)], 2, S.PENDING, E.PAID_PARTIAL),
    ],
)
def test_status_rules(payments, at, status, exception):
    state = state_of(payments, at)
    assert (state.status, state.exception_status) == (status, exception)


@pytest.mark.parametrize(
    ("due", "tolerance", "threshold"),
    [(100_000, "0", 100_000), (100_000, "1", 99_000), (100_000, "0.5", 99_500), (999, "10", 900),
     (1_001, "10", 901), (3, "33.33", 3), (1, "50", 1), (1_000, "100", 1), (7, "99.99", 1)],
)
def test_threshold_is_due_minus_tolerance_rounded_up(due, tolerance, threshold):
    terms = make_terms(due, tolerance=tolerance)
    assert terms.threshold_sat == threshold
    assert state_of([pay(threshold)], 2, terms=terms).status == S.PAID
    if threshold > 1:
        assert state_of([pay(threshold - 1)], 2, terms=terms).status == S.PENDING


def test_within_tolerance_is_not_partial():
    terms = make_terms(DUE, tolerance="2", policy=0)
    state = state_of([pay(98_000)], 2, terms=terms)
    assert (state.status, state.exception_status, state.remaining_sat) == (S.COMPLETE, E.NONE, 2_000)


def test_amounts():
    state = state_of([pay(30_000, 3), pay(20_000, 0, at=2), pay(99, 1, accounted=False), pay(5, at=80)], 3)
    assert (state.amount_paid_sat, state.amount_confirmed_sat, state.remaining_sat) == (50_000, 30_000, 50_000)
    over = state_of([pay(DUE + 7)], 3)
    assert (over.amount_paid_sat, over.remaining_sat) == (DUE + 7, 0)


def test_timestamps_are_set_once_and_cleared_when_stepping_back():
    paid = state_of([pay(DUE)], 2)
    assert (paid.paid_at, paid.confirmed_at, paid.completed_at) == (minutes(2), None, None)
    still = state_of([pay(DUE)], 3, previous=paid)
    assert still.paid_at == minutes(2)
    confirmed = state_of([pay(DUE, 1)], 4, previous=still)
    assert (confirmed.paid_at, confirmed.confirmed_at) == (minutes(2), minutes(4))
    reorged = state_of([pay(DUE)], 5, previous=confirmed)
    assert (reorged.status, reorged.paid_at, reorged.confirmed_at) == (S.PAID, minutes(2), None)
    lost = state_of([pay(DUE, accounted=False)], 6, previous=reorged)
    assert (lost.status, lost.paid_at) == (S.PENDING, None)


def test_jumping_straight_to_complete_sets_every_timestamp():
    state = state_of([pay(DUE, 6)], 3)
    assert state.paid_at == state.confirmed_at == state.completed_at == minutes(3)


def test_failed_confirm_keeps_the_paid_timestamp():
    paid = state_of([pay(DUE)], 2)
    invalid = state_of([pay(DUE)], 75, previous=paid)
    assert (invalid.status, invalid.paid_at, invalid.completed_at) == (S.INVALID, minutes(2), None)


@pytest.mark.parametrize(
    "sticky",
    [
        replace(initial_state(TERMS), status=S.COMPLETE, completed_at=minutes(3)),
        replace(initial_state(TERMS), status=S.INVALID, exception_status=E.FAILED_CONFIRM),
        replace(initial_state(TERMS), status=S.REFUNDED, exception_status=E.MARKED),
        replace(initial_state(TERMS), status=S.INVALID, exception_status=E.MARKED),
    ],
)
@pytest.mark.parametrize("payments", [[], [pay(DUE, 6)], [pay(DUE, accounted=False)], [pay(DUE * 2)]])
def test_final_and_marked_states_never_move(sticky, payments):
    state = state_of(payments, 5, previous=sticky)
    assert (state.status, state.exception_status) == (sticky.status, sticky.exception_status)
    assert (state.paid_at, state.confirmed_at, state.completed_at) == (
        sticky.paid_at, sticky.confirmed_at, sticky.completed_at)
    assert state.amount_paid_sat == sum(p.amount_sat for p in payments if p.accounted)


def test_expired_is_revived_by_a_late_payment_only_while_monitored():
    expired = state_of([], 20)
    assert state_of([pay(DUE, at=30)], 30, previous=expired).status == S.PAID
    # A payment first seen in the window but only counted after it ended does not revive it.
    assert state_of([pay(DUE, at=30)], 75, previous=expired).status == S.EXPIRED


def test_fee_bump_after_expiry_of_an_on_time_payment_is_not_late():
    on_time = state_of([pay(DUE, at=1)], 1)
    bumped = [pay(DUE, at=1, accounted=False, txid="old"), pay(DUE, at=30, txid="new")]
    assert state_of(bumped, 30, previous=on_time).exception_status == E.NONE
    # Without an on-time record, the same payments are late.
    assert state_of(bumped, 30).exception_status == E.PAID_LATE


@pytest.mark.parametrize(
    ("status", "target", "allowed"),
    [
        (S.PENDING, S.COMPLETE, True), (S.PAID, S.COMPLETE, True), (S.CONFIRMED, S.COMPLETE, True),
        (S.EXPIRED, S.COMPLETE, True), (S.INVALID, S.COMPLETE, True), (S.COMPLETE, S.COMPLETE, False),
        (S.REFUNDED, S.COMPLETE, False),
        (S.PENDING, S.INVALID, True), (S.PAID, S.INVALID, True), (S.CONFIRMED, S.INVALID, True),
        (S.EXPIRED, S.INVALID, True), (S.INVALID, S.INVALID, False), (S.COMPLETE, S.INVALID, False),
        (S.REFUNDED, S.INVALID, False),
        (S.COMPLETE, S.REFUNDED, True), (S.PAID, S.REFUNDED, False), (S.INVALID, S.REFUNDED, False),
        (S.REFUNDED, S.REFUNDED, False),
        (S.PENDING, S.PAID, False), (S.PENDING, S.PENDING, False), (S.PAID, S.EXPIRED, False),
        (S.COMPLETE, S.CONFIRMED, False),
    ],
)
def test_mark(status, target, allowed):
    previous = replace(state_of([pay(DUE)], 2), status=status)
    if not allowed:
        with pytest.raises(InvalidTransition) as caught:
            mark(previous, target, now=minutes(9))
        assert caught.value.http_status == 409 and status.value in str(caught.value)
        return
    marked = mark(previous, target, now=minutes(9))
    assert (marked.status, marked.exception_status) == (target, E.MARKED)
    assert marked.paid_at == previous.paid_at and marked.amount_paid_sat == previous.amount_paid_sat
    assert marked.completed_at == (minutes(9) if target is S.COMPLETE else previous.completed_at)
    assert evaluate(TERMS, marked, [], now=minutes(10)).status == target  # sticky


def test_marked_invalid_can_still_be_marked_complete():
    invalid = mark(initial_state(TERMS), S.INVALID, now=minutes(1))
    assert mark(invalid, S.COMPLETE, now=minutes(2)).status == S.COMPLETE


@pytest.mark.parametrize(
    ("status", "exception", "at", "monitored", "deadline"),
    [
        (S.PENDING, E.NONE, 1, True, minutes(15)),
        (S.PENDING, E.PAID_PARTIAL, 16, True, minutes(15)),  # overdue: evaluate now
        (S.PAID, E.NONE, 5, True, minutes(75)),
        (S.CONFIRMED, E.PAID_LATE, 30, True, minutes(75)),
        (S.PAID, E.NONE, 80, True, minutes(75)),  # still open after the window: needs its last evaluate
        (S.EXPIRED, E.NONE, 30, True, None),
        (S.EXPIRED, E.PAID_PARTIAL, 75, False, None),
        (S.COMPLETE, E.NONE, 30, True, None),  # watched to record double-spends; status won't move
        (S.COMPLETE, E.NONE, 75, False, None),
        (S.INVALID, E.FAILED_CONFIRM, 80, False, None),
        (S.INVALID, E.MARKED, 5, True, None),
        (S.REFUNDED, E.MARKED, 90, False, None),
    ],
)
def test_monitoring_and_deadlines(status, exception, at, monitored, deadline):
    state = replace(initial_state(TERMS), status=status, exception_status=exception)
    assert is_monitored(TERMS, state, minutes(at)) is monitored
    assert next_deadline(TERMS, state, minutes(at)) == deadline


def test_terms_from_store_policy():
    terms = InvoiceTerms.starting(5_000, created_at=T0, expiry=timedelta(minutes=30), monitoring=timedelta(hours=24),
                                  speed_policy=0)
    assert terms.expires_at == minutes(30)
    assert terms.monitoring_until == minutes(30 + 24 * 60)
    assert terms.underpaid_tolerance_pct == 0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (dict(amount_due_sat=0), InvalidAmount),
        (dict(amount_due_sat=1.5), InvalidAmount),
        (dict(speed_policy=7), ValidationError),
        (dict(speed_policy=-1), ValidationError),
        (dict(speed_policy=True), ValidationError),
        (dict(underpaid_tolerance_pct=Decimal("100.01")), ValidationError),
        (dict(underpaid_tolerance_pct=Decimal(-1)), ValidationError),
        (dict(underpaid_tolerance_pct=0.5), ValidationError),
        (dict(underpaid_tolerance_pct=Decimal("NaN")), ValidationError),
        (dict(expires_at=T0), ValidationError),
        (dict(monitoring_until=minutes(14)), ValidationError),
        (dict(created_at=datetime(2025, 1, 1)), ValueError),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_terms_are_validated(changes, error):
    fields = dict(amount_due_sat=DUE, created_at=T0, expires_at=minutes(15), monitoring_until=minutes(75),
                  speed_policy=1, underpaid_tolerance_pct=Decimal(0)) | changes
    with pytest.raises(error):
        InvoiceTerms(**fields)


def test_times_in_other_timezones_compare_correctly():
    cet = timezone(timedelta(hours=1))
    assert evaluate(TERMS, initial_state(TERMS), [], now=datetime(2025, 1, 1, 13, 10, tzinfo=cet)).status == S.PENDING
    assert evaluate(TERMS, initial_state(TERMS), [], now=datetime(2025, 1, 1, 13, 15, tzinfo=cet)).status == S.EXPIRED


@pytest.mark.parametrize(
    ("payments", "exception"),
    [([], E.NONE), ([pay(40_000)], E.PAID_PARTIAL), ([pay(DUE, 3)], E.PAID_LATE)],
)
def test_expired_after_monitoring_keeps_its_status_but_tells_the_truth(payments, exception):
    expired = replace(initial_state(TERMS), status=S.EXPIRED, exception_status=E.PAID_PARTIAL)
    state = state_of(payments, 80, previous=expired)
    assert (state.status, state.exception_status) == (S.EXPIRED, exception)
    assert state.paid_at is None
