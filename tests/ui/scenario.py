"""The merchant's first day, driven through the real widgets: wizard -> xpub -> store -> invoice ->
devnet pays -> the row shows paid and a notification is emitted. Shared by the offscreen test and the
Xvfb end-to-end run (e2e_flow.py); screenshots of every main view along the way."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.conftest import TEST_VPUB
from tests.ui.conftest import wait_until


def _shot(widget: Any, artifacts: Path | None, name: str) -> None:
    if artifacts is not None:
        widget.grab().save(str(artifacts / f"{name}.png"))


async def settle(seconds: float = 0.15) -> None:
    """Let Qt paint and deliver events. Never QApplication.processEvents() inside a coroutine: the
    nested loop would run other asyncio tasks while this one is executing."""
    await asyncio.sleep(seconds)


async def run_first_day(controller: Any, artifacts: Path | None = None) -> dict[str, Any]:
    from app.core.statuses import InvoiceStatus
    from app.ui.invoice_table_model import COL_STATUS

    result: dict[str, Any] = {}
    wizard = await wait_until(lambda: controller.wizard, what="first-run wizard")
    await settle()
    _shot(wizard, artifacts, "01-wizard-network")
    wizard.next()
    form = wizard.wallet_page.form
    form.keys.setPlainText(TEST_VPUB[:-3] + "abc")
    form.validate_now()
    result["bad_key_message"] = form.errors.message("keys")
    await settle()
    _shot(wizard, artifacts, "02-wizard-wallet-bad-key")
    form.keys.setPlainText(TEST_VPUB)
    assert form.validate_now(), form.errors.message("keys")
    result["preview"] = form.addresses
    await settle()
    _shot(wizard, artifacts, "03-wizard-wallet")
    wizard.next()
    page = wizard.store_page
    page.name.setText("Corner Shop")
    page.rate.setText("50000")
    await settle()
    _shot(wizard, artifacts, "04-wizard-store")
    wizard.next()
    await settle()
    _shot(wizard, artifacts, "05-wizard-tor")
    wizard.next()
    assert wizard.currentPage() is wizard.chain_page  # the devnet is the server: nothing to choose
    await settle()
    _shot(wizard, artifacts, "05a-wizard-chain")
    wizard.next()
    await settle()
    _shot(wizard, artifacts, "05b-wizard-summary")
    wizard.accept()
    await wait_until(lambda: wizard.store is not None and not wizard.isVisible(), what="wizard saved")
    result["store_id"] = wizard.store.id

    runtime = controller.runtime
    await wait_until(lambda: runtime.chain.state().connected and runtime.chain.state().synced, timeout_s=30,
                     what="chain synced")
    await wait_until(lambda: controller.stores, what="stores loaded")
    dialog = controller.new_invoice()
    dialog.amount.setText("12.50")
    dialog.description.setText("Two coffees")
    dialog.email.setText("buyer@example.com")
    await settle()
    _shot(dialog, artifacts, "06-new-invoice")
    dialog.create_button.click()
    invoice = await wait_until(lambda: dialog.invoice, what="invoice created")
    result["invoice_id"] = invoice.id
    await settle(0.3)
    _shot(dialog, artifacts, "07-new-invoice-qr")

    view = controller.views["Invoices"]
    controller.window.show_view("Invoices")
    await wait_until(lambda: view.model.row_of(invoice.id) is not None, what="new invoice row")
    await runtime.devnet.pay(invoice.address, invoice.amount_due_sat)

    def row_status() -> Any:
        row = view.model.row_of(invoice.id)
        inv = view.model.invoice_at(row) if row is not None else None
        return inv is not None and inv.status == InvoiceStatus.PAID

    try:
        await wait_until(row_status, timeout_s=20, what="row shows paid")
    except AssertionError:
        stored = await runtime.services.invoices.get(invoice.id)
        row = view.model.row_of(invoice.id)
        raise AssertionError(f"row shows {view.model.invoice_at(row).status if row is not None else None}, "
                             f"service says {stored.status} payments={stored.payments}, "
                             f"bridge received {controller.bridge.received} events, "
                             f"chain={runtime.chain.state()}, "
                             f"view={runtime.chain.address_view(stored.wallet_id, stored.address)}") from None
    row = view.model.row_of(invoice.id)
    result["row_status_text"] = view.model.index(row, COL_STATUS).data(Qt.ItemDataRole.DisplayRole)
    await wait_until(lambda: any(invoice.id in n.message for n in controller.tray.notifications), timeout_s=5,
                     what="payment notification")
    result["notifications"] = [(n.title, n.message) for n in controller.tray.notifications]
    await wait_until(lambda: "Paid" in dialog.pay_status.text(), timeout_s=5, what="dialog shows paid")
    _shot(dialog, artifacts, "08-new-invoice-paid")
    dialog.accept()

    view.select_invoice(invoice.id)
    await wait_until(lambda: view.detail.invoice is not None and view.detail.invoice.payments, what="detail payments")
    result["detail_payments"] = len(view.detail.invoice.payments)
    await runtime.devnet.mine(1)
    await wait_until(lambda: view.detail.invoice.status == InvoiceStatus.COMPLETE, timeout_s=20,
                     what="detail shows complete")
    await settle(0.3)
    _shot(controller.window, artifacts, "10-invoices")
    for index, name in enumerate(("Dashboard", "Stores", "Wallets", "Products", "Settings", "About")):
        controller.window.show_view(name)
        if name == "Dashboard":
            controller.views["Dashboard"].reload()
            await settle(0.8)
        await settle(0.3)
        _shot(controller.window, artifacts, f"{11 + index}-{name.lower()}")
    result["dashboard_today"] = controller.views["Dashboard"].values["today"].text()
    return result
