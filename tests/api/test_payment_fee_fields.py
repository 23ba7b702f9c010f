"""The API's payment object carries the fee rate, low-fee flag and block time."""

from __future__ import annotations

from datetime import UTC, datetime

from app.checkout_server.api.schemas.invoices import PaymentOut
from app.core.payments import Payment, PaymentFee
from app.core.statuses import PaymentState

SEEN = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_payment_out_has_fee_rate_and_block_time():
    payment = Payment("ab" * 32, 0, 10_000, SEEN, 0, 0, PaymentState.MEMPOOL, True, True, False,
                      fee=PaymentFee(fee_sat=150, vsize=141, low=True))
    body = PaymentOut.of(payment).model_dump(mode="json")
    assert body["fee_sat"] == 150 and body["vsize"] == 141 and body["low_fee"] is True
    assert body["fee_rate_sat_vb"] == "1.0" and body["block_time"] is None
    unmeasured = PaymentOut.of(Payment("cd" * 32, 1, 10_000, SEEN, 5, 1, PaymentState.CONFIRMED, True, False, True,
                                       block_time=SEEN)).model_dump(mode="json")
    assert unmeasured["fee_rate_sat_vb"] is None and unmeasured["low_fee"] is False
    assert unmeasured["block_time"].startswith("2026-12-02T10:00:00")
