"""Payout statuses (app/core/payouts.py): every allowed and refused transition, and when a payout may be cancelled."""

from __future__ import annotations

import itertools

import pytest

from app.core.errors import ValidationError
from app.core.payouts import (
    PAYOUT_TRANSITIONS,
    PayoutStatus,
    PayoutTxStatus,
    can_cancel,
    check_label,
    check_payout_transition,
)

P = PayoutStatus
ALLOWED = {
    (P.AWAITING_APPROVAL, P.APPROVED), (P.AWAITING_APPROVAL, P.CANCELLED),
    (P.APPROVED, P.IN_PROGRESS), (P.APPROVED, P.CANCELLED),
    (P.IN_PROGRESS, P.BROADCAST), (P.IN_PROGRESS, P.CONFIRMED), (P.IN_PROGRESS, P.APPROVED),
    (P.IN_PROGRESS, P.CANCELLED), (P.IN_PROGRESS, P.FAILED),
    (P.BROADCAST, P.CONFIRMED), (P.BROADCAST, P.FAILED),
    (P.CONFIRMED, P.BROADCAST), (P.FAILED, P.APPROVED),
}


@pytest.mark.parametrize(("old", "new"), list(itertools.product(P, P)))
def test_payout_transitions(old, new):
    if (old, new) in ALLOWED:
        check_payout_transition(old, new)
    else:
        with pytest.raises(ValidationError) as err:
            check_payout_transition(old, new)
        assert err.value.code == "invalid_transition"


def test_every_status_has_a_transition_entry():
    assert set(PAYOUT_TRANSITIONS) == set(P)
    assert not PAYOUT_TRANSITIONS[P.CANCELLED]  # final: a cancelled payout never pays
    assert PAYOUT_TRANSITIONS[P.AWAITING_APPROVAL] == {P.APPROVED, P.CANCELLED}  # nothing is built unapproved


@pytest.mark.parametrize(("status", "tx", "ok"), [
    (P.AWAITING_APPROVAL, None, True), (P.APPROVED, None, True),
    (P.IN_PROGRESS, PayoutTxStatus.BUILT, True),  # an unsigned PSBT: nothing can confirm
    (P.IN_PROGRESS, PayoutTxStatus.SIGNED, False),  # it may be on the network already
    (P.BROADCAST, PayoutTxStatus.BROADCAST, False), (P.CONFIRMED, PayoutTxStatus.CONFIRMED, False),
    (P.CANCELLED, None, False), (P.FAILED, None, False),
])
def test_cancel_only_before_anything_can_confirm(status, tx, ok):
    assert can_cancel(status, tx) is ok


def test_label_is_bounded_and_stripped():
    assert check_label("  rent  ") == "rent"
    with pytest.raises(ValidationError):
        check_label("x" * 201)
