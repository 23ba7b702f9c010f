from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from app.core.events import (
    EVENT_TYPES,
    InvoiceCreated,
    InvoiceStatusChanged,
    PaymentConfirmed,
    PaymentReceived,
    PaymentStateChanged,
    diff_events,
)
from app.core.invoices import initial_state
from app.core.payments import Payment
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState

from .fakes import make_terms, minutes

STATE = initial_state(make_terms())
MEMPOOL = Payment("a", 0, 1_000, minutes(1), 0, 0, PaymentState.MEMPOOL, True, True, False)
MINED = replace(MEMPOOL, height=101, confirmations=1, state=PaymentState.CONFIRMED, ever_confirmed=True)


def diff(old_state=STATE, new_state=STATE, old=(), new=()):
    return diff_events("inv1", "store1", old_state, new_state, old, new)


def test_nothing_changed_means_no_events():
    assert diff() == []
    assert diff(old=[MEMPOOL], new=[MEMPOOL]) == []
    assert diff(old=[MINED], new=[replace(MINED, confirmations=5)]) == []  # more confirmations: no noise


def test_status_change():
    paid = replace(STATE, status=InvoiceStatus.PAID, amount_paid_sat=1_000, remaining_sat=0)
    [event] = diff(new_state=paid)
    assert event == InvoiceStatusChanged("inv1", "store1", InvoiceStatus.PENDING, InvoiceStatus.PAID,
                                         ExceptionStatus.NONE, ExceptionStatus.NONE, 1_000, 0)


def test_exception_only_change_is_a_status_change():
    [event] = diff(new_state=replace(STATE, exception_status=ExceptionStatus.PAID_PARTIAL))
    assert (event.old_exception, event.new_exception) == ("none", "paid_partial")


def test_amount_only_change_emits_no_status_event():
    assert diff(new_state=replace(STATE, amount_paid_sat=5, remaining_sat=1)) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ([], [MEMPOOL], [PaymentReceived]),
        ([], [MINED], [PaymentReceived, PaymentConfirmed]),
        ([MEMPOOL], [MINED], [PaymentConfirmed]),
        ([MEMPOOL], [replace(MEMPOOL, state=PaymentState.REPLACED, accounted=False)], [PaymentStateChanged]),
        ([MINED], [replace(MINED, state=PaymentState.REORGED_OUT, accounted=False)], [PaymentStateChanged]),
        ([MINED], [replace(MINED, state=PaymentState.MEMPOOL, confirmations=0)], [PaymentStateChanged]),
        ([replace(MINED, state=PaymentState.MEMPOOL)], [MINED], [PaymentStateChanged]),  # re-mined after a reorg
        ([replace(MEMPOOL, state=PaymentState.DOUBLE_SPENT, accounted=False)], [MEMPOOL], [PaymentStateChanged]),
    ],
)
def test_payment_events(old, new, expected):
    assert [type(event) for event in diff(old=old, new=new)] == expected


def test_payment_events_come_first_in_payment_order():
    second = replace(MEMPOOL, txid="b", first_seen_at=minutes(2))
    events = diff(new_state=replace(STATE, status=InvoiceStatus.PAID), new=[MEMPOOL, second])
    assert [(e.type, getattr(e, "txid", None)) for e in events] == [
        ("payment.received", "a"), ("payment.received", "b"), ("invoice.status_changed", None)]


def test_payloads_are_json_safe():
    events = [
        InvoiceCreated("inv1", "store1", 1_000, minutes(0), minutes(15), Decimal("12.50"), "USD"),
        *diff(new_state=replace(STATE, status=InvoiceStatus.PAID), new=[MINED]),
        *diff(old=[MINED], new=[replace(MINED, state=PaymentState.REORGED_OUT, accounted=False)]),
    ]
    payloads = [event.to_payload() for event in events]
    assert json.loads(json.dumps(payloads)) == payloads
    created, received, confirmed, changed, state_changed = payloads
    assert created == {"type": "invoice.created", "invoice_id": "inv1", "store_id": "store1", "amount_due_sat": 1_000,
                       "created_at": "2025-01-01T12:00:00+00:00", "expires_at": "2025-01-01T12:15:00+00:00",
                       "price": "12.50", "currency": "USD"}
    assert received == {"type": "payment.received", "invoice_id": "inv1", "store_id": "store1", "txid": "a",
                        "vout": 0, "amount_sat": 1_000, "first_seen_at": "2025-01-01T12:01:00+00:00",
                        "confirmations": 1}
    assert confirmed["type"] == "payment.confirmed" and confirmed["height"] == 101
    assert changed["new_status"] == "paid" and changed["old_exception"] == "none"
    assert state_changed == {"type": "payment.state_changed", "invoice_id": "inv1", "store_id": "store1",
                             "txid": "a", "vout": 0, "amount_sat": 1_000, "old_state": "confirmed",
                             "new_state": "reorged_out", "accounted": False}


def test_event_types_are_stable_and_registered():
    assert set(EVENT_TYPES) == {"invoice.created", "invoice.status_changed", "payment.received",
                                "payment.confirmed", "payment.settled", "payment.state_changed", "payment.low_fee",
                                "invoice.payment_after_close", "invoice.payment_after_close_confirmed",
                                "refund.created", "refund.claimed", "refund.paid", "refund.cancelled", "refund.expired",
                                "payout.created", "payout.approved", "payout.broadcast", "payout.confirmed",
                                "payout.cancelled", "payout.failed"}
    for name, cls in EVENT_TYPES.items():
        assert cls.type == name
