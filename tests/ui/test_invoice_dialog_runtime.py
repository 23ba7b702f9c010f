"""The new-invoice dialog on the real runtime (SQLite, Electrum, embedded devnet): create through the
dialog, "Pay with devnet" until the paid state shows, "Mine a block" until complete; the tray
notification names the store, the fiat amount and the description; the large-invoice limit is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.invoice_limits import LargeInvoiceLimit
from app.core.statuses import InvoiceStatus
from tests.conftest import TEST_VPUB
from tests.ui.conftest import ARTIFACTS, run, wait_until
from tests.ui.scenario import settle

pytestmark = [pytest.mark.gui, pytest.mark.slow]


async def _seed(services) -> None:
    wallet = await services.wallets.add_wallet("Shop wallet", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    await services.stores.create("Corner Shop", default_currency="USD", wallet_ids=[wallet.id], speed_policy=1)


def test_dialog_pays_with_devnet_then_mines_to_complete(gui, qloop):
    services = gui.runtime.services
    run(qloop, wait_until(lambda: gui.wizard, what="first-run wizard")).reject()
    run(qloop, _seed(services))
    run(qloop, gui._first_run_check())
    run(qloop, wait_until(lambda: gui.runtime.chain.state().synced, timeout_s=30, what="chain synced"))
    dialog = gui.new_invoice()
    dialog.amount.setText("12,50")
    dialog.description.setText("Two coffees")
    dialog.create_button.click()
    invoice = run(qloop, wait_until(lambda: dialog.invoice, what="invoice created"))
    assert invoice.price == Decimal("12.50") and invoice.amount_due_sat == 25000
    actions = dialog.invoice_actions
    pay, mine = actions.buttons["devnet_pay"], actions.buttons["devnet_mine"]
    assert pay.isVisible() and pay.isEnabled() and not dialog.qr.isHidden()
    pay.click()
    run(qloop, wait_until(lambda: dialog.qr.isHidden() and dialog.paid.isVisible(), timeout_s=30,
                          what="paid state"))
    assert dialog.paid.progress.text() == "Payment seen — waiting for 1 confirmation."
    assert dialog.paid.amount.text() == "$12.50 · 0.00025000 BTC"
    assert dialog.invoice.payments and dialog.invoice.payments[0].txid[:32] in dialog.paid.txid.text()
    assert "scan to pay" not in dialog.windowTitle()
    for w, h in ((800, 480), (1280, 800)):
        dialog.resize(w, h)
        run(qloop, settle(0.2))
        dialog.grab().save(str(ARTIFACTS / f"invoice-dialog-runtime-paid-{w}x{h}.png"))
    run(qloop, wait_until(lambda: any("Two coffees" in n.message for n in gui.tray.notifications), timeout_s=10,
                          what="payment notification"))
    [note] = [n for n in gui.tray.notifications if "Two coffees" in n.message and n.title == "Payment received"]
    assert note.message == f"Corner Shop: $12.50 (0.00025000 BTC) for “Two coffees” · invoice {invoice.id}"
    mine.click()
    run(qloop, wait_until(lambda: dialog.invoice.status == InvoiceStatus.COMPLETE, timeout_s=30, what="complete"))
    assert dialog.paid.progress.text() == "Complete — you can hand over the goods."
    assert dialog.windowTitle() == f"Invoice {invoice.id}: complete"
    dialog.accept()
    window, view = gui.window, gui.views["Invoices"]
    window.showNormal()
    window.show_view("Invoices")
    run(qloop, wait_until(lambda: view.select_invoice(invoice.id), what="row"))
    run(qloop, wait_until(lambda: view.detail.invoice is not None and view.detail.invoice.id == invoice.id,
                          what="detail"))
    assert view.detail._qr.isHidden() and view.detail._paid.isVisible()
    assert view.detail.invoice_actions.buttons["receipt"].isEnabled()
    for w, h in ((800, 480), (1280, 800)):
        window.resize(w, h)
        run(qloop, settle(0.3))
        window.grab().save(str(ARTIFACTS / f"invoice-detail-paid-{w}x{h}.png"))


def test_large_invoice_limit_is_stored(gui, qloop):
    services = gui.runtime.services
    run(qloop, wait_until(lambda: gui.wizard, what="first-run wizard")).reject()
    assert run(qloop, services.invoices.large_invoice_limit()) == LargeInvoiceLimit(50_000_000, Decimal("10000"), "USD")
    view = gui.views["Settings"]
    page = view.pages["Invoices"]
    page.reload()
    run(qloop, wait_until(lambda: page.limit is not None, what="limit shown"))
    assert page.limit_btc.text() in ("0.5", "0,5") and page.limit_fiat.text() == "10000"
    page.limit_btc.setText("0,2")
    page.limit_fiat.setText("")
    page.save_button.click()
    run(qloop, wait_until(lambda: page.status.text().startswith("Saved"), what="saved"))
    stored = run(qloop, services.invoices.large_invoice_limit())
    assert stored == LargeInvoiceLimit(20_000_000, None, "USD")
    page.limit_btc.setText("lots")
    page.save_button.click()
    assert page.errors.message("limit_btc").startswith("Enter a bitcoin amount")
    gui.window.showNormal()
    gui.window.show_view("Settings")
    view.tabs.setCurrentWidget(page)
    for w, h in ((800, 480), (1280, 800)):
        gui.window.resize(w, h)
        run(qloop, settle(0.3))
        gui.window.grab().save(str(ARTIFACTS / f"settings-invoices-{w}x{h}.png"))
