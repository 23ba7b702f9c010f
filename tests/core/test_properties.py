"""Properties of the rules over random payment histories."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.events import diff_events
from app.core.invoices import evaluate, initial_state, is_monitored
from app.core.payments import ObservedOutput, merge_payments
from app.core.statuses import FINAL_STATUSES, ExceptionStatus, InvoiceStatus, PaymentState

from .fakes import T0, make_terms

TIP = 200

observed_outputs = st.builds(
    ObservedOutput,
    txid=st.sampled_from("abcdef"),
    vout=st.integers(0, 1),
    amount_sat=st.integers(1, 80_000),
    height=st.sampled_from([-1, 0, TIP - 5, TIP - 1, TIP]),
    rbf=st.booleans(),
)
snapshots = st.lists(st.lists(observed_outputs, max_size=5), min_size=1, max_size=6)  # successive chain views
sync_minutes = st.lists(st.integers(0, 100), min_size=6, max_size=6).map(sorted)
terms_strategy = st.builds(
    make_terms,
    due_sat=st.integers(1, 150_000),
    policy=st.integers(0, 6),
    tolerance=st.sampled_from(["0", "1", "5", "50"]),
)


def history(terms, views, at_minutes):
    """Run the reconcile loop over successive chain views; yield after each step."""
    state, payments = initial_state(terms), ()
    for view, minute in zip(views, at_minutes, strict=False):
        now = T0 + timedelta(minutes=minute)
        new_payments = merge_payments(payments, view, tip_height=TIP, now=now)
        new_state = evaluate(terms, state, new_payments, now=now)
        yield state, payments, new_state, new_payments, now
        state, payments = new_state, new_payments


@settings(max_examples=300, deadline=None)
@given(terms_strategy, snapshots, sync_minutes)
def test_reconcile_is_idempotent_and_amounts_match_payments(terms, views, at_minutes):
    for _old_state, _old_payments, state, payments, now in history(terms, views, at_minutes):
        counted = [p for p in payments if p.accounted and p.first_seen_at < terms.monitoring_until]
        assert state.amount_paid_sat == sum(p.amount_sat for p in counted)
        assert state.amount_confirmed_sat == sum(p.amount_sat for p in counted if p.confirmations >= 1)
        assert state.remaining_sat == max(0, terms.amount_due_sat - state.amount_paid_sat)
        again = evaluate(terms, state, payments, now=now)
        assert again == state
        assert diff_events("i", "s", state, again, payments, payments) == []


@settings(max_examples=300, deadline=None)
@given(terms_strategy, snapshots, sync_minutes)
def test_merge_is_idempotent_and_never_forgets(terms, views, at_minutes):
    for _old_state, old_payments, _state, payments, now in history(terms, views, at_minutes):
        assert {p.outpoint for p in old_payments} <= {p.outpoint for p in payments}
        assert all(p.accounted == (p.state in {PaymentState.MEMPOOL, PaymentState.CONFIRMED}) for p in payments)
        view = [ObservedOutput(p.txid, p.vout, p.amount_sat, p.height, p.rbf) for p in payments if p.accounted]
        assert merge_payments(payments, view, tip_height=TIP, now=now) == payments


@settings(max_examples=300, deadline=None)
@given(terms_strategy, snapshots, sync_minutes)
def test_invariants_of_every_state(terms, views, at_minutes):
    for old_state, _old_payments, state, payments, now in history(terms, views, at_minutes):
        if old_state.status in FINAL_STATUSES:
            assert (state.status, state.exception_status) == (old_state.status, old_state.exception_status)
        if state.status is InvoiceStatus.PENDING:
            assert now < terms.expires_at
        if state.status in {InvoiceStatus.PAID, InvoiceStatus.CONFIRMED}:
            assert now < terms.monitoring_until and state.paid_at is not None
        if state.status is InvoiceStatus.COMPLETE and old_state.status is not InvoiceStatus.COMPLETE:
            assert state.completed_at is not None and state.amount_paid_sat >= terms.threshold_sat
        if state.exception_status is ExceptionStatus.PAID_PARTIAL:
            assert 0 < state.amount_paid_sat < terms.threshold_sat or state.status in FINAL_STATUSES
        if not is_monitored(terms, state, now):
            assert evaluate(terms, state, payments, now=now + timedelta(days=1)).status == state.status
