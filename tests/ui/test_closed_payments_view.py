"""The invoice detail's "Payments after close": hidden while monitored, the list and the on-demand
"Check the chain for this address" button for a closed invoice (fakes), and on the real runtime: an
expired, closed invoice paid afterwards shows the payment after the button is clicked, status unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.core.closed_payments import ClosedPayment, ClosedPaymentState, FoundBy
from app.core.statuses import InvoiceStatus
from app.ui.invoice_detail import InvoiceDetailPanel
from tests.conftest import TEST_VPUB
from tests.integration.helpers import time_travel
from tests.ui.conftest import run, shots, wait_until
from tests.ui.fakes import FakeServices, fake_context, make_store
from tests.ui.scenario import settle

pytestmark = pytest.mark.gui
TXID = "cd" * 32


def _closed(invoice):
    past = datetime.now(UTC) - timedelta(days=3)
    return replace(invoice, status=InvoiceStatus.EXPIRED, created_at=past - timedelta(hours=1),
                   expires_at=past - timedelta(minutes=30), monitoring_until=past)


def _found(invoice_id: str, address: str) -> ClosedPayment:
    now = datetime.now(UTC)
    return ClosedPayment(invoice_id, TXID, address, 12_345, 0, False, ClosedPaymentState.UNCONFIRMED,
                         FoundBy.ON_DEMAND, now, now, None, None)


def test_closed_invoice_check_button_shows_what_was_found(qloop, qtbot, tmp_path):
    services = FakeServices()
    invoice = run(qloop, services.invoices.create(make_store().id, price="10"))
    panel = InvoiceDetailPanel(fake_context(tmp_path, services))
    qtbot.addWidget(panel)
    panel.show()
    panel.set_invoice(invoice)
    view = panel.closed_payments
    assert view.isHidden()  # still monitored: payments show up by themselves
    closed = _closed(invoice)
    panel.set_invoice(closed)
    run(qloop, wait_until(lambda: view.text.startswith("None found"), what="empty list"))
    assert view.isVisible() and view.check_button.text() == "Check the chain for this address"
    services.closed_watch.found[invoice.id] = [_found(invoice.id, invoice.address)]
    view.check_button.click()
    run(qloop, wait_until(lambda: TXID[:8] in view.text, what="found payment"))
    assert view.text.startswith("0.00012345 BTC in cdcdcdcd…cdcd (unconfirmed), found ")
    assert services.closed_watch.checked == [invoice.id]
    assert panel._status.text().lower().startswith("expired")  # the status is untouched
    shots(panel, "invoice-detail-payment-after-close", settle=lambda: run(qloop, settle(0.1)))


async def _closed_and_paid_late(runtime) -> str:
    services = runtime.services
    wallet = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    store = await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id])
    invoice = await services.invoices.create(store.id, price="10.00")
    await time_travel(services, invoice.id, 900 + 86400 + 60)
    await wait_until(lambda: _is_closed(services, invoice.id), timeout_s=15, what="closed")
    await runtime.devnet.pay(invoice.address, 20_000)
    await runtime.devnet.mine(1)
    return invoice.id


async def _is_closed(services, invoice_id: str) -> bool:
    from app.db.models import InvoiceRow

    async with services.writer.read() as session:
        row = await session.get(InvoiceRow, invoice_id)
    return row is not None and not row.monitored


@pytest.mark.slow
def test_runtime_detail_checks_the_chain_for_a_closed_invoice(gui, qloop):
    run(qloop, wait_until(lambda: gui.wizard, what="first-run wizard")).reject()
    run(qloop, wait_until(lambda: gui.runtime.chain.state().synced, timeout_s=30, what="chain synced"))
    invoice_id = run(qloop, _closed_and_paid_late(gui.runtime))
    run(qloop, gui._first_run_check())
    window, view = gui.window, gui.views["Invoices"]
    window.showNormal()
    window.show_view("Invoices")
    run(qloop, wait_until(lambda: view.select_invoice(invoice_id), what="row"))
    run(qloop, wait_until(lambda: view.detail.invoice is not None and view.detail.invoice.id == invoice_id,
                          what="detail"))
    closed = view.detail.closed_payments
    run(qloop, wait_until(lambda: closed.isVisible() and closed.text, what="closed section"))
    closed.check_button.click()
    run(qloop, wait_until(lambda: "0.00020000 BTC in" in closed.text, timeout_s=20, what="late payment shown"))
    assert "(block " in closed.text  # SPV-proven at its height
    assert view.detail.invoice.status == InvoiceStatus.EXPIRED
    shots(window, "invoice-detail-runtime-payment-after-close", settle=lambda: run(qloop, settle(0.3)))
