"""Refund… on GUI fakes (the real refund rules in tests/ui/fakes_refunds.py): the variants, the fee, the
live calculation, errors beside their fields, Confirm, the link with Copy and QR, the invoice's refunds."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from app.core.refunds import RefundRequest, RefundStatus, RefundVariant
from app.core.statuses import ExceptionStatus, InvoiceStatus
from app.ui.invoice_detail import InvoiceDetailPanel
from app.ui.refund_dialog import RefundDialog
from tests.ui.conftest import run, shots, wait_until
from tests.ui.fakes import FakeServices, fake_context, make_invoice

pytestmark = pytest.mark.gui


def _services(**kw) -> FakeServices:
    services = FakeServices()
    inv = replace(make_invoice(1, status=InvoiceStatus.COMPLETE, paid_sat=20000), buyer_email=kw.get("email"))
    if kw.get("overpaid"):
        inv = replace(inv, amount_paid_sat=26000, exception_status=ExceptionStatus.PAID_OVER)
    services.invoices.items[inv.id] = inv
    return services


def _dialog(qloop, qtbot, tmp_path, services: FakeServices) -> RefundDialog:
    ctx = fake_context(tmp_path, services)
    dialog = RefundDialog(ctx, services.refunds, services.invoices.items["inv000001"], email_ready=True)
    qtbot.addWidget(dialog)
    dialog.show()
    _settled(qloop, dialog)
    return dialog


def _settled(qloop, dialog: RefundDialog) -> None:
    dialog.update_preview()
    run(qloop, wait_until(lambda: not dialog._ctx.tasks, what="preview answered"))


def test_rate_then_shows_the_calculation_the_service_made(qloop, qtbot, tmp_path):
    services = _services()
    dialog = _dialog(qloop, qtbot, tmp_path, services)
    assert dialog.variant is RefundVariant.RATE_THEN
    assert services.refunds.previews[-1] == ("inv000001", RefundRequest(RefundVariant.RATE_THEN))
    calc = dialog.calc_labels
    assert calc["amount"].text() == "0.00020000 BTC"
    assert calc["fiat"].text() == "$10.00"
    assert calc["rate"].text() == "50,000 USD/BTC (manual)"
    assert calc["fee"].text() == "none" and calc["already"].text() == "0.00000000 BTC"
    assert calc["remaining"].text() == "0.00000000 BTC"
    assert dialog.confirm.isEnabled()
    # overpaid is offered only when something was paid over
    assert not dialog.findChild(type(dialog.variants.buttons()[0]), "variant_overpaid").isEnabled()


def test_fee_and_custom_amount_live(qloop, qtbot, tmp_path):
    services = _services()
    dialog = _dialog(qloop, qtbot, tmp_path, services)
    dialog.choose(RefundVariant.CUSTOM_FIAT)
    dialog.custom.setText("5,00")
    dialog.set_fee("pct", "10")
    _settled(qloop, dialog)
    req = services.refunds.previews[-1][1]
    assert req == RefundRequest(RefundVariant.CUSTOM_FIAT, custom_amount=Decimal("5.00"), fee_pct=Decimal(10))
    assert dialog.calc_labels["gross"].text() == "0.00010000 BTC"
    assert dialog.calc_labels["fee"].text() == "0.00001000 BTC"
    assert dialog.calc_labels["amount"].text() == "0.00009000 BTC"
    assert dialog.calc_labels["remaining"].text() == "0.00010000 BTC"
    shots(dialog, "refund-dialog-form")


def test_errors_beside_their_fields_and_nothing_created(qloop, qtbot, tmp_path):
    services = _services()
    dialog = _dialog(qloop, qtbot, tmp_path, services)
    dialog.choose(RefundVariant.CUSTOM_BTC)
    dialog.custom.setText("abc")
    before = len(services.refunds.previews)
    _settled(qloop, dialog)
    assert len(services.refunds.previews) == before  # refused in the form, never sent
    assert "12.50" in dialog.errors.message("custom_amount")
    assert not dialog.confirm.isEnabled()
    dialog.custom.setText("0.001")  # more than the 0.0002 BTC paid: the service's rule
    _settled(qloop, dialog)
    assert "still refundable" in dialog.errors.message("custom_amount")
    assert dialog.calc_labels["amount"].text() == "—" and not dialog.confirm.isEnabled()
    dialog.custom.setText("0.0001")
    dialog.set_fee("fixed", "12x")
    _settled(qloop, dialog)
    assert "satoshis" in dialog.errors.message("fee")
    shots(dialog, "refund-dialog-error")
    assert services.refunds.created == []


def test_confirm_creates_and_shows_the_link(qloop, qtbot, tmp_path):
    services = _services(email="shopper@example.com", overpaid=True)
    dialog = _dialog(qloop, qtbot, tmp_path, services)
    dialog.choose(RefundVariant.OVERPAID)
    _settled(qloop, dialog)
    assert dialog.calc_labels["amount"].text() == "0.00006000 BTC"
    dialog.confirm.click()
    run(qloop, wait_until(lambda: dialog.refund, what="refund created"))
    (invoice_id, req, actor), = services.refunds.created
    assert invoice_id == "inv000001" and req.variant is RefundVariant.OVERPAID and actor == "window"
    assert dialog.pages.currentIndex() == 1
    link = f"http://127.0.0.1:8471/refund/{dialog.refund.id}"
    assert dialog.link_edit.text() == link and dialog.qr.text_value == link
    assert "e-mailed to shopper@example.com" in dialog.emailed.text()
    dialog.findChild(QPushButton, "copyRefundLink").click()
    assert QGuiApplication.clipboard().text() == link
    shots(dialog, "refund-dialog-link")


def test_invoice_detail_has_refund_button_and_lists_refunds(qloop, qtbot, tmp_path):
    services = _services()
    services.invoices.items["inv000002"] = make_invoice(2)  # pending: not refundable
    ctx = fake_context(tmp_path, services)
    panel = InvoiceDetailPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_invoice(services.invoices.items["inv000002"])
    assert not panel.refunds.refund_button.isEnabled() and panel.refunds.isHidden()
    panel.set_invoice(services.invoices.items["inv000001"])
    assert panel.refunds.refund_button.isEnabled() and panel.refunds.isVisible()
    panel.refunds.refund_button.click()
    dialog = run(qloop, wait_until(lambda: panel.refunds.dialog, what="dialog open"))
    _settled(qloop, dialog)
    dialog.choose(RefundVariant.CUSTOM_BTC)
    dialog.custom.setText("0.00005")
    _settled(qloop, dialog)
    dialog.confirm.click()
    run(qloop, wait_until(lambda: panel.refunds.table.rowCount() == 1, what="refund listed"))
    table = panel.refunds.table
    assert table.item(0, 1).text() == "0.00005000 BTC"
    assert table.item(0, 2).text() == "Link sent, not claimed"
    assert table.item(0, 3).text().startswith("http://127.0.0.1:8471/refund/rf")
    table.selectRow(0)
    panel.refunds.cancel_now(panel.refunds.items[0].id)
    run(qloop, wait_until(lambda: table.item(0, 2).text() == "Cancelled", what="cancelled shown"))
    assert next(iter(services.refunds.items.values())).status is RefundStatus.CANCELLED
    assert "no e-mail settings" not in dialog.emailed.text() and "no buyer e-mail" in dialog.emailed.text()
    shots(panel, "invoice-detail-refunds")


def test_e_mailed_only_when_the_service_queued_it(qloop, qtbot, tmp_path):
    """The dialog believes the created Refund (``emailed_to``), not the store's settings read when it opened."""
    services = _services(email="shopper@example.com")
    services.refunds.email_queued = False  # e.g. the SMTP settings were removed meanwhile
    dialog = _dialog(qloop, qtbot, tmp_path, services)  # opened with email_ready=True
    dialog.confirm.click()
    run(qloop, wait_until(lambda: dialog.refund, what="refund created"))
    assert dialog.refund.emailed_to is None
    assert dialog.emailed.text().startswith("Not e-mailed") and "e-mailed to" not in dialog.emailed.text()
