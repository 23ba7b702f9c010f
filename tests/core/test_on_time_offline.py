"""On time while offline: a payment first seen after expiry, mined in a block stamped before it."""

from __future__ import annotations

from app.core.invoices import arrived_at, evaluate, initial_state
from app.core.payments import ObservedOutput, Payment, merge_payments
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState

from .fakes import make_terms, minutes

DUE = 100_000
TERMS = make_terms(DUE, policy=1)  # expires at minute 15, monitored until minute 75


def mined(*, seen_at: int, block_at: int | None, txid: str = "tx") -> Payment:
    return Payment(txid, 0, DUE, minutes(seen_at), 100, 1, PaymentState.CONFIRMED, True, False, True,
                   block_time=None if block_at is None else minutes(block_at))


def test_first_seen_after_expiry_but_mined_before_it_is_on_time():
    state = evaluate(TERMS, initial_state(TERMS), [mined(seen_at=40, block_at=14)], now=minutes(40))
    assert (state.status, state.exception_status) == (InvoiceStatus.COMPLETE, ExceptionStatus.NONE)


def test_mined_at_or_after_expiry_is_paid_late():
    for block_at in (15, 16):
        state = evaluate(TERMS, initial_state(TERMS), [mined(seen_at=40, block_at=block_at)], now=minutes(40))
        assert state.exception_status is ExceptionStatus.PAID_LATE


def test_an_expired_invoice_whose_payment_shows_up_mined_in_time_is_not_late():
    expired = evaluate(TERMS, initial_state(TERMS), [], now=minutes(30))  # restarted, chain not synced yet
    assert expired.status is InvoiceStatus.EXPIRED
    state = evaluate(TERMS, expired, [mined(seen_at=31, block_at=10)], now=minutes(31))
    assert (state.status, state.exception_status) == (InvoiceStatus.COMPLETE, ExceptionStatus.NONE)
    again = evaluate(TERMS, state, [mined(seen_at=31, block_at=10)], now=minutes(32))
    assert again == state  # idempotent


def test_unmined_or_later_block_time_changes_nothing():
    assert arrived_at(mined(seen_at=5, block_at=None)) == minutes(5)
    assert arrived_at(mined(seen_at=5, block_at=9)) == minutes(5)  # seen before it was mined
    assert arrived_at(mined(seen_at=40, block_at=9)) == minutes(9)


def test_merge_keeps_the_block_time_of_a_mined_output_and_drops_it_when_unmined():
    out = ObservedOutput("tx", 0, DUE, 100, False, block_time=minutes(14))
    (payment,) = merge_payments([], [out], tip_height=100, now=minutes(40))
    assert payment.block_time == minutes(14)
    reorged_to_mempool = ObservedOutput("tx", 0, DUE, 0, False)
    (again,) = merge_payments([payment], [reorged_to_mempool], tip_height=100, now=minutes(41))
    assert again.block_time is None and again.first_seen_at == minutes(40)
