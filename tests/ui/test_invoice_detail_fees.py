"""The invoice detail panel shows each payment's fee rate, and says when it is low."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.core.payments import Payment, PaymentFee
from app.core.statuses import InvoiceStatus, PaymentState
from app.ui.invoice_detail import InvoiceDetailPanel
from tests.ui.conftest import ARTIFACTS, run
from tests.ui.fakes import FakeServices, fake_context, make_store

pytestmark = pytest.mark.gui
TXID = "ab" * 32


def _with_payment(invoice, fee: PaymentFee | None, confirmations: int):
    payment = Payment(TXID, 0, invoice.amount_due_sat, datetime.now(UTC), 101 if confirmations else 0, confirmations,
                      PaymentState.CONFIRMED if confirmations else PaymentState.MEMPOOL, True, True, confirmations > 0,
                      fee=fee)
    return replace(invoice, status=InvoiceStatus.PAID, amount_paid_sat=invoice.amount_due_sat, payments=(payment,),
                   paid_at=datetime.now(UTC))


def test_fee_rate_line_low_while_unconfirmed(qloop, qtbot, tmp_path):
    services = FakeServices()
    store = make_store()
    invoice = run(qloop, services.invoices.create(store.id, price="10"))
    panel = InvoiceDetailPanel(fake_context(tmp_path, services))
    qtbot.addWidget(panel)
    panel.show()
    panel.set_invoice(_with_payment(invoice, None, 0))
    assert panel._fees.isHidden()  # not measured yet: no line
    panel.set_invoice(_with_payment(invoice, PaymentFee(141, 141, low=True), 0))
    assert panel._fees.isVisible()
    assert panel._fees.text() == "ababab…abab: Fee rate: 1.0 sat/vB (low: confirmation may take long)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for w, h in ((800, 480), (1280, 800)):
        panel.resize(w, h)
        panel.grab().save(str(ARTIFACTS / f"invoice-detail-low-fee-{w}x{h}.png"))
    panel.set_invoice(_with_payment(invoice, PaymentFee(141, 141, low=True), 1))
    assert panel._fees.text() == "ababab…abab: Fee rate: 1.0 sat/vB"
