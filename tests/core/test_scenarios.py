"""Adversity scenarios, end to end through merge_payments -> evaluate -> diff_events."""

from __future__ import annotations

import pytest

from app.core.events import InvoiceStatusChanged, PaymentConfirmed, PaymentReceived, PaymentStateChanged
from app.core.statuses import PaymentState

from .fakes import Engine, make_terms, minutes

DUE = 100_000


def types(events):
    return [event.type for event in events]


def test_unpaid_invoice_expires_and_stays_expired_after_monitoring():
    engine = Engine(make_terms(DUE))
    assert engine.sync(minutes(1)) == []
    assert engine.status == ("pending", "none")
    [changed] = engine.sync(minutes(15))
    assert isinstance(changed, InvoiceStatusChanged) and changed.new_status == "expired"
    assert engine.sync(minutes(80)) == []
    engine.chain.pay("late", DUE)
    engine.sync(minutes(90))  # first seen after monitoring_until: recorded, ignored by the status
    assert engine.status == ("expired", "none")
    assert engine.payment("late").accounted and engine.state.amount_paid_sat == 0


@pytest.mark.parametrize(
    ("policy", "steps"),
    [
        (0, ["complete"]),
        (1, ["paid", "complete"]),
        (2, ["paid", "confirmed", "complete"]),
        (6, ["paid", "confirmed", "confirmed", "confirmed", "confirmed", "confirmed", "complete"]),
    ],
)
def test_zero_conf_to_complete_for_each_speed_policy(policy, steps):
    engine = Engine(make_terms(DUE, policy=policy))
    engine.chain.pay("tx1", DUE)
    seen = []
    engine.sync(minutes(1))
    seen.append(engine.state.status.value)
    engine.chain.mine("tx1")
    for n in range(2, 2 + policy):
        engine.sync(minutes(n))
        seen.append(engine.state.status.value)
        engine.chain.add_blocks()
    assert seen[: len(steps)] == steps
    assert engine.state.status == "complete" and engine.state.exception_status == "none"
    assert engine.state.paid_at and engine.state.completed_at
    assert engine.state.amount_paid_sat == DUE and engine.state.remaining_sat == 0


def test_partial_then_remainder():
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", 40_000)
    events = engine.sync(minutes(1))
    assert types(events) == ["payment.received", "invoice.status_changed"]
    assert engine.status == ("pending", "paid_partial")
    assert engine.state.remaining_sat == 60_000
    engine.chain.pay("b", 60_000)
    engine.sync(minutes(2))
    assert engine.status == ("paid", "none")
    engine.chain.mine("a", "b")
    engine.sync(minutes(3))
    assert engine.status == ("complete", "none")


def test_partial_payment_expires_with_paid_partial():
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", 40_000)
    engine.sync(minutes(1))
    engine.sync(minutes(16))
    assert engine.status == ("expired", "paid_partial")


def test_overpay_progresses_with_paid_over():
    engine = Engine(make_terms(DUE, policy=1))
    engine.chain.pay("a", DUE + 1)
    engine.sync(minutes(1))
    assert engine.status == ("paid", "paid_over")
    engine.chain.mine("a")
    engine.sync(minutes(2))
    assert engine.status == ("complete", "paid_over")


def test_rbf_redirect_sends_invoice_back_to_pending_and_keeps_the_payment():
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", DUE, rbf=True)
    engine.sync(minutes(1))
    assert engine.status == ("paid", "none")
    engine.chain.drop("a")  # replaced by a tx paying someone else
    events = engine.sync(minutes(2))
    assert engine.status == ("pending", "none")
    lost = engine.payment("a")
    assert (lost.state, lost.accounted) == (PaymentState.REPLACED, False)
    assert types(events) == ["payment.state_changed", "invoice.status_changed"]
    assert engine.state.paid_at is None and engine.state.amount_paid_sat == 0


def test_rbf_redirect_past_expiry_leaves_it_expired():
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", DUE, rbf=True)
    engine.sync(minutes(1))
    engine.chain.drop("a")
    engine.sync(minutes(20))
    assert engine.status == ("expired", "none")


def test_rbf_redirect_of_one_of_two_payments_leaves_a_partial():
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", 50_000)
    engine.chain.pay("b", 50_000, rbf=True)
    engine.sync(minutes(1))
    engine.chain.drop("b")
    engine.sync(minutes(2))
    assert engine.status == ("pending", "paid_partial")


@pytest.mark.parametrize("at_minute", [5, 30])  # before and after expiry
def test_rbf_fee_bump_keeping_the_output_stays_paid_and_on_time(at_minute):
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", DUE, rbf=True)
    engine.sync(minutes(1))
    engine.chain.drop("a")
    engine.chain.pay("a2", DUE, rbf=True)  # same output, higher fee, new txid
    events = engine.sync(minutes(at_minute))
    assert engine.status == ("paid", "none")
    assert [p.txid for p in engine.payments if p.accounted] == ["a2"]
    assert engine.state.amount_paid_sat == DUE
    assert types(events) == ["payment.state_changed", "payment.received"]
    engine.chain.mine("a2")
    engine.sync(minutes(at_minute + 1))
    assert engine.status == ("complete", "none")


def test_double_spend_is_like_a_redirect():
    engine = Engine(make_terms(DUE, policy=0))
    engine.chain.pay("a", 30_000)
    engine.sync(minutes(1))
    engine.chain.pay("b", 70_000)
    engine.sync(minutes(2))
    assert engine.status == ("complete", "none")  # 0-conf store: complete, and sticky from now on
    engine.chain.drop("b")
    engine.sync(minutes(3))
    assert engine.payment("b").state == PaymentState.DOUBLE_SPENT
    assert engine.status == ("complete", "none")
    assert engine.state.amount_paid_sat == 30_000  # the amounts stay truthful


def test_double_spend_before_completion_goes_back_to_pending_partial():
    engine = Engine(make_terms(DUE, policy=1))
    engine.chain.pay("a", 30_000)
    engine.chain.pay("b", 70_000)
    engine.sync(minutes(1))
    engine.chain.drop("b")
    engine.sync(minutes(2))
    assert engine.status == ("pending", "paid_partial")
    assert engine.payment("b").state == PaymentState.DOUBLE_SPENT


def test_reorg_removing_the_tx_then_mempool_then_reincluded():
    engine = Engine(make_terms(DUE, policy=2))
    engine.chain.pay("a", DUE)
    engine.sync(minutes(1))
    engine.chain.mine("a")
    events = engine.sync(minutes(2))
    assert engine.status == ("confirmed", "none")
    assert [type(e) for e in events] == [PaymentConfirmed, InvoiceStatusChanged]
    confirmed_at = engine.state.confirmed_at

    engine.chain.drop("a")  # reorged out entirely
    events = engine.sync(minutes(3))
    assert engine.status == ("pending", "none")
    assert engine.payment("a").state == PaymentState.REORGED_OUT
    assert engine.state.confirmed_at is None and engine.state.paid_at is None

    engine.chain.pay("a", DUE)  # back in the mempool
    events = engine.sync(minutes(4))
    assert engine.status == ("paid", "none")
    [restored, _] = events
    assert isinstance(restored, PaymentStateChanged)
    assert (restored.old_state, restored.new_state, restored.accounted) == ("reorged_out", "mempool", True)
    assert engine.payment("a").first_seen_at == minutes(1)

    engine.chain.mine("a")  # re-included
    events = engine.sync(minutes(5))
    assert engine.status == ("confirmed", "none")
    assert engine.state.confirmed_at == minutes(5) != confirmed_at
    assert not any(isinstance(e, PaymentConfirmed) for e in events)  # first confirmation only once
    engine.chain.add_blocks()
    engine.sync(minutes(6))
    assert engine.status == ("complete", "none")


def test_reorg_back_to_mempool_steps_status_back():
    engine = Engine(make_terms(DUE, policy=2))
    engine.chain.pay("a", DUE)
    engine.chain.mine("a")
    engine.sync(minutes(1))
    assert engine.status == ("confirmed", "none")
    engine.chain.unmine("a")
    events = engine.sync(minutes(2))
    assert engine.status == ("paid", "none")
    assert engine.payment("a").state == PaymentState.MEMPOOL and engine.payment("a").confirmations == 0
    assert types(events) == ["payment.state_changed", "invoice.status_changed"]


def test_paid_late_within_monitoring_window_progresses():
    engine = Engine(make_terms(DUE))
    engine.sync(minutes(16))
    assert engine.status == ("expired", "none")
    engine.chain.pay("late", DUE)
    engine.sync(minutes(20))
    assert engine.status == ("paid", "paid_late")
    engine.chain.mine("late")
    engine.sync(minutes(21))
    assert engine.status == ("complete", "paid_late")


def test_late_remainder_of_an_on_time_partial_is_paid_late():
    engine = Engine(make_terms(DUE))
    engine.chain.pay("a", 50_000)
    engine.sync(minutes(1))
    engine.chain.pay("b", 50_000)
    engine.sync(minutes(30))
    assert engine.status == ("paid", "paid_late")


def test_monitoring_window_over_while_unconfirmed_is_invalid_failed_confirm():
    engine = Engine(make_terms(DUE, policy=1))
    engine.chain.pay("a", DUE)
    engine.sync(minutes(1))
    engine.sync(minutes(75))
    assert engine.status == ("invalid", "failed_confirm")
    assert engine.state.paid_at == minutes(1)
    engine.chain.mine("a")
    engine.sync(minutes(76))
    assert engine.status == ("invalid", "failed_confirm")  # final: the merchant may mark it complete


def test_monitoring_window_over_while_confirmed_but_short_of_policy():
    engine = Engine(make_terms(DUE, policy=6))
    engine.chain.pay("a", DUE)
    engine.chain.mine("a")
    engine.sync(minutes(1))
    assert engine.status == ("confirmed", "none")
    engine.sync(minutes(75))
    assert engine.status == ("invalid", "failed_confirm")


def test_tolerance_accepts_a_small_underpayment():
    engine = Engine(make_terms(DUE, policy=1, tolerance="1"))
    engine.chain.pay("a", 99_000)
    engine.sync(minutes(1))
    assert engine.status == ("paid", "none")
    assert engine.state.remaining_sat == 1_000


def test_tolerance_rejects_more_than_allowed():
    engine = Engine(make_terms(DUE, policy=1, tolerance="1"))
    engine.chain.pay("a", 98_999)
    engine.sync(minutes(1))
    assert engine.status == ("pending", "paid_partial")


def test_payment_events_when_a_payment_arrives_already_mined():
    engine = Engine(make_terms(DUE, policy=1))
    engine.chain.pay("a", DUE)
    engine.chain.mine("a")
    events = engine.sync(minutes(1))
    assert [type(e) for e in events] == [PaymentReceived, PaymentConfirmed, InvoiceStatusChanged]


def test_reconciling_twice_yields_no_new_events():
    engine = Engine(make_terms(DUE, policy=2))
    engine.chain.pay("a", 60_000, rbf=True)
    engine.chain.pay("b", 60_000)
    engine.chain.mine("b")
    for minute in (1, 2, 20, 30, 80):
        engine.sync(minutes(minute))
        before = (engine.state, engine.payments)
        assert engine.sync(minutes(minute)) == []
        assert (engine.state, engine.payments) == before
        if minute == 2:
            engine.chain.drop("a")
