"""Refunds and payouts from the window on the real runtime (SQLite, Electrum, embedded devnet): an invoice paid
by the devnet and mined to complete, Refund… in its detail, Confirm, the link shown and stored; the refund
listed in the detail with its state; then the Payouts view: a payout to a supplier created, approved, and
its PSBT exported from the watch-only wallet."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from app.core.payouts import PayoutStatus
from app.core.refunds import RefundStatus, RefundVariant
from app.core.statuses import InvoiceStatus
from app.ui.payouts_new import NewPayoutDialog
from app.ui.payouts_pay import FeeDialog
from app.ui.psbt_dialog import PsbtExportDialog
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, shots, wait_until
from tests.ui.scenario import settle

pytestmark = [pytest.mark.gui, pytest.mark.slow]
SUPPLIER = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


async def _paid_invoice(services):
    wallet = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id],
                                         speed_policy=1)
    invoice = await services.invoices.create(store.id, price="12.50", description="Two coffees")
    await services.devnet.pay(invoice.address, invoice.amount_due_sat)
    await wait_until(lambda: _status(services, invoice.id, InvoiceStatus.PAID, InvoiceStatus.CONFIRMED,
                                     InvoiceStatus.COMPLETE), timeout_s=30, what="paid")
    await services.devnet.mine(1)
    await wait_until(lambda: _status(services, invoice.id, InvoiceStatus.COMPLETE), timeout_s=30, what="complete")
    return invoice


async def _status(services, invoice_id, *statuses):
    return (await services.invoices.get(invoice_id)).status in statuses


def test_refund_from_the_window_then_a_payout(gui, qloop):
    services = gui.runtime.services
    run(qloop, wait_until(lambda: gui.wizard, what="first-run wizard")).reject()
    run(qloop, wait_until(lambda: gui.runtime.chain.state().synced, timeout_s=30, what="chain synced"))
    invoice = run(qloop, _paid_invoice(services), 90)
    run(qloop, gui._first_run_check())
    window, view = gui.window, gui.views["Invoices"]
    window.showNormal()
    window.show_view("Invoices")
    view.apply_filters()
    run(qloop, wait_until(lambda: view.select_invoice(invoice.id), what="row"))
    refunds = view.detail.refunds
    run(qloop, wait_until(lambda: view.detail.invoice is not None and view.detail.invoice.id == invoice.id
                          and view.detail.invoice.status == InvoiceStatus.COMPLETE, what="detail"))
    assert refunds.isVisible() and refunds.refund_button.isEnabled()
    refunds.refund_button.click()
    dialog = run(qloop, wait_until(lambda: refunds.dialog, what="refund dialog"))
    run(qloop, wait_until(lambda: dialog.calculation is not None, what="preview"))
    assert dialog.calc_labels["amount"].text() == "0.00025000 BTC" and dialog.calc_labels["fiat"].text() == "$12.50"
    dialog.choose(RefundVariant.CUSTOM_FIAT)
    dialog.custom.setText("5,00")
    dialog.set_fee("pct", "2")
    run(qloop, wait_until(lambda: dialog.calculation is not None and dialog.calculation.gross_sat == 10000,
                          what="custom preview"))
    assert dialog.calc_labels["fee"].text() == "0.00000200 BTC"
    dialog.confirm.click()
    refund = run(qloop, wait_until(lambda: dialog.refund, timeout_s=15, what="refund created"))
    assert dialog.link_edit.text().endswith(f"/refund/{refund.id}") and dialog.link_edit.text().startswith("http")
    assert dialog.qr.text_value == dialog.link_edit.text()
    shots(dialog, "refund-dialog-runtime-link", lambda: run(qloop, settle(0.2)))
    stored = run(qloop, services.refunds.for_invoice(invoice.id))
    assert [(r.id, r.status, r.amount_sat, r.fee_sat, r.created_by) for r in stored] == [
        (refund.id, RefundStatus.OPEN, 9800, 200, "window")]
    dialog.accept()
    run(qloop, wait_until(lambda: refunds.table.rowCount() == 1, what="refund listed"))
    assert refunds.table.item(0, 2).text() == "Link sent, not claimed"

    payouts = gui.views["Payouts"]
    window.show_view("Payouts")
    run(qloop, wait_until(lambda: payouts.stores, what="payouts view loaded"))
    payouts.buttons["new"].click()
    new = payouts.dialog
    assert isinstance(new, NewPayoutDialog)
    new.destination.setText(SUPPLIER)
    new.amount.setText("5000")
    new.unit.setCurrentText("sat")
    new.label.setText("milk")
    new.submit()
    run(qloop, wait_until(lambda: payouts.table.rowCount() == 1, timeout_s=15, what="payout listed"))
    assert payouts.table.item(0, 4).text() == "Awaiting approval"
    payouts.select_ids([payouts.items[0].id])
    payouts.buttons["approve"].click()
    run(qloop, wait_until(lambda: payouts.items and payouts.items[0].status is PayoutStatus.APPROVED, what="approved"))
    payouts.select_ids([payouts.items[0].id])
    assert payouts.buttons["export"].isEnabled() and not payouts.buttons["pay"].isEnabled()
    payouts.buttons["export"].click()
    fee = payouts.dialog
    assert isinstance(fee, FeeDialog)
    fee.choose("custom", "2")
    run(qloop, wait_until(lambda: fee.plan is not None or "Working" not in fee.plan_state.text(), timeout_s=30,
                          what="the planned transaction (coin control)"))
    assert fee.plan is not None, fee.plan_state.text()
    assert [i.address for i in fee.plan.inputs] == [invoice.address]  # the paid invoice's coin, shown first
    assert fee.inputs.rowCount() == 1 and fee.action.isEnabled()
    fee.submit()
    run(qloop, wait_until(lambda: isinstance(payouts.dialog, PsbtExportDialog) or fee.errors.message(None)
                          or fee.errors.message("fee"), timeout_s=30, what="PSBT or a refusal"))
    export = payouts.dialog
    assert isinstance(export, PsbtExportDialog), fee.errors.message(None) or fee.errors.message("fee")
    assert base64.b64decode(export.text.toPlainText()).startswith(b"psbt\xff")
    assert (SUPPLIER, 5000) in export.export.outputs
    shots(export, "psbt-export-runtime", lambda: run(qloop, settle(0.2)))
    export.accept()
    run(qloop, wait_until(lambda: payouts.items and payouts.items[0].status is PayoutStatus.IN_PROGRESS,
                          what="in progress"))
    for w, h in ((800, 480), (1280, 800)):
        window.resize(w, h)
        run(qloop, settle(0.3))
        window.grab().save(str(shots.__globals__["ARTIFACTS"] / f"window-payouts-runtime-{w}x{h}.png"))
