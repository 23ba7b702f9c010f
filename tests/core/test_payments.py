from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.payments import ObservedOutput, Payment, confirmations_at, merge_payments
from app.core.statuses import PaymentState

from .fakes import minutes

TIP = 100


def out(txid="a", amount=1_000, height=0, *, vout=0, rbf=False):
    return ObservedOutput(txid, vout, amount, height, rbf)


def merge(existing, observed, at=2, tip=TIP):
    return merge_payments(existing, observed, tip_height=tip, now=minutes(at))


def stored(txid="a", *, state=PaymentState.MEMPOOL, height=0, rbf=False, ever=False, accounted=True, at=1):
    return Payment(txid, 0, 1_000, minutes(at), height, confirmations_at(height, TIP), state, accounted, rbf, ever)


@pytest.mark.parametrize(("height", "tip", "confs"), [(0, 100, 0), (-1, 100, 0), (100, 100, 1), (95, 100, 6),
                                                      (101, 100, 1)])
def test_confirmations(height, tip, confs):
    assert confirmations_at(height, tip) == confs


@pytest.mark.parametrize(
    ("height", "state", "confs", "ever"),
    [(0, PaymentState.MEMPOOL, 0, False), (-1, PaymentState.MEMPOOL, 0, False), (99, PaymentState.CONFIRMED, 2, True)],
)
def test_new_output_becomes_an_accounted_payment(height, state, confs, ever):
    [payment] = merge([], [out(height=height, rbf=True)])
    assert payment == Payment("a", 0, 1_000, minutes(2), height, confs, state, True, True, ever)
    assert payment.outpoint == "a:0"


def test_update_keeps_first_seen_and_counts_confirmations():
    [payment] = merge([stored()], [out(height=TIP - 2)], at=9)
    assert payment.first_seen_at == minutes(1)
    assert (payment.state, payment.confirmations, payment.ever_confirmed) == (PaymentState.CONFIRMED, 3, True)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (stored(state=PaymentState.CONFIRMED, height=99, ever=True), PaymentState.REORGED_OUT),
        (stored(rbf=True), PaymentState.REPLACED),
        (stored(rbf=False), PaymentState.DOUBLE_SPENT),
        (stored(rbf=True, ever=True), PaymentState.REPLACED),  # was mined once, but in the mempool when it vanished
    ],
)
def test_vanished_payment_is_kept_unaccounted(before, after):
    [payment] = merge([before], [])
    assert (payment.state, payment.accounted, payment.confirmations) == (after, False, 0)
    assert payment.first_seen_at == before.first_seen_at and payment.ever_confirmed == before.ever_confirmed


@pytest.mark.parametrize("lost", [PaymentState.REPLACED, PaymentState.DOUBLE_SPENT, PaymentState.REORGED_OUT])
def test_lost_payment_still_absent_stays_as_is(lost):
    before = stored(state=lost, accounted=False, rbf=True)
    assert merge([before], [], at=50) == (before,)


def test_vanished_payment_that_reappears_is_restored():
    lost = stored(state=PaymentState.REORGED_OUT, accounted=False, ever=True, height=99)
    [payment] = merge([lost], [out(height=0)])
    assert (payment.state, payment.accounted, payment.ever_confirmed) == (PaymentState.MEMPOOL, True, True)
    assert payment.first_seen_at == minutes(1)


def test_confirmed_payment_back_in_the_mempool():
    [payment] = merge([stored(state=PaymentState.CONFIRMED, height=99, ever=True)], [out(height=0)])
    assert (payment.state, payment.confirmations, payment.ever_confirmed) == (PaymentState.MEMPOOL, 0, True)


def test_order_is_first_seen_then_txid_then_vout():
    existing = [stored("z", at=1), stored("b", at=3)]
    observed = [out("z"), out("b"), out("m", vout=1), out("m", vout=0), out("c")]
    merged = merge(existing, observed, at=3)
    assert [(p.txid, p.vout) for p in merged] == [("z", 0), ("b", 0), ("c", 0), ("m", 0), ("m", 1)]


def test_merge_is_idempotent_and_input_order_free():
    existing = [stored("x", rbf=True), stored("y", state=PaymentState.CONFIRMED, height=98, ever=True)]
    observed = [out("a", height=99), out("y", height=98)]
    once = merge(existing, observed)
    assert merge(once, observed, at=5) == once
    assert merge(list(reversed(existing)), list(reversed(observed))) == once


def test_only_the_observed_amount_and_flags_are_taken_from_the_chain():
    before = stored(rbf=True)
    [payment] = merge([before], [out(rbf=False)])
    assert payment == replace(before, rbf=False)


@pytest.mark.parametrize(
    "kwargs",
    [dict(amount_sat=0), dict(amount_sat=-5), dict(amount_sat=True), dict(vout=-1), dict(height=-2), dict(txid="")],
)
def test_malformed_observed_output(kwargs):
    fields = dict(txid="a", vout=0, amount_sat=1, height=0, rbf=False) | kwargs
    with pytest.raises(ValueError):
        ObservedOutput(**fields)
