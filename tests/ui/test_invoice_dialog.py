"""The new-invoice dialog and the invoice detail on GUI fakes: amounts, the large-invoice question,
copy buttons, the paid state, the browser failure path, the devnet buttons, the receipt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from app.core.payments import Payment
from app.core.statuses import InvoiceStatus, PaymentState
from app.ui.invoice_detail import InvoiceDetailPanel
from app.ui.new_invoice_dialog import NewInvoiceDialog, approx_btc
from tests.ui.conftest import ARTIFACTS, run, shots, wait_until
from tests.ui.fakes import FakeDevnet, FakeServices, fake_context, make_store

pytestmark = pytest.mark.gui
TXID = "ab" * 32


@pytest.fixture
def german_locale():
    previous = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(previous)


def _dialog(qtbot, tmp_path, services: FakeServices | None = None, currency: str = "USD"):
    services = services or FakeServices()
    ctx = fake_context(tmp_path, services)
    dialog = NewInvoiceDialog(ctx, [make_store(currency=currency)])
    qtbot.addWidget(dialog)
    return dialog, services, ctx


def _create(qloop, dialog, amount: str):
    dialog.amount.setText(amount)
    dialog.create_button.click()
    return run(qloop, wait_until(lambda: dialog.invoice, what="invoice created"))


def _paid(services: FakeServices, invoice_id: str, status: InvoiceStatus, confirmations: int):
    inv = services.invoices.items[invoice_id]
    payment = Payment(txid=TXID, vout=0, amount_sat=inv.amount_due_sat, first_seen_at=datetime.now(UTC),
                      height=101 if confirmations else 0, confirmations=confirmations,
                      state=PaymentState.CONFIRMED if confirmations else PaymentState.MEMPOOL, accounted=True,
                      rbf=False, ever_confirmed=confirmations > 0)
    services.invoices.items[invoice_id] = replace(inv, status=status, amount_paid_sat=inv.amount_due_sat,
                                                  payments=(payment,), paid_at=datetime.now(UTC))


def test_decimal_comma_is_accepted_in_a_comma_locale(qloop, qtbot, tmp_path, german_locale):
    dialog, services, _ctx = _dialog(qtbot, tmp_path, currency="EUR")
    assert dialog.decimal_point == "," and dialog.amount.placeholderText() == "e.g. 12,50"
    invoice = _create(qloop, dialog, "12,50")
    assert invoice.price == Decimal("12.50") and invoice.currency == "EUR"
    assert services.invoices.items[invoice.id].price == Decimal("12.50")


def test_decimal_comma_is_accepted_in_a_point_locale_too(qloop, qtbot, tmp_path):
    dialog, _services, _ctx = _dialog(qtbot, tmp_path)
    assert _create(qloop, dialog, "12,50").price == Decimal("12.50")


def test_not_a_number_is_shown_beside_the_amount_and_creates_nothing(qloop, qtbot, tmp_path):
    dialog, services, _ctx = _dialog(qtbot, tmp_path)
    dialog.amount.setText("abc")
    dialog.create_button.click()
    assert dialog.errors.message("price") == "Enter an amount like 12.50."
    label = dialog.findChild(type(dialog.pay_amount), "priceError")
    assert label is not None and not label.isHidden()
    assert dialog.errors.message(None) == ""  # beside the field, not in the general line
    assert services.invoices.items == {} and dialog.create_button.isEnabled()


def test_more_than_21_million_btc_is_refused_beside_the_amount(qloop, qtbot, tmp_path):
    dialog, services, _ctx = _dialog(qtbot, tmp_path)
    dialog.amount.setText("2000000000000")  # 40M BTC at the fakes' 50,000 USD/BTC
    dialog.create_button.click()
    run(qloop, wait_until(lambda: dialog.errors.message("price"), what="error shown"))
    assert dialog.errors.message("price") == "Amount exceeds 21 million bitcoin"
    assert services.invoices.items == {}


def test_a_large_invoice_asks_first_cancel_creates_nothing_yes_creates_it(qloop, qtbot, tmp_path):
    dialog, services, _ctx = _dialog(qtbot, tmp_path)
    dialog.amount.setText("99999999999")
    dialog.create_button.click()
    box = run(qloop, wait_until(lambda: dialog.confirm_box, what="confirmation"))
    assert box.isVisible()
    assert box.text().startswith("Create an invoice for $99,999,999,999.00 (≈ 2,000,000 BTC)?")
    assert "above your limit of 0.50000000 BTC (Settings → Invoices)" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    run(qloop, wait_until(lambda: not box.isVisible(), what="closed"))
    assert services.invoices.items == {} and dialog.invoice is None
    dialog.create_button.click()
    box = run(qloop, wait_until(lambda: dialog.confirm_box is not box and dialog.confirm_box, what="asked again"))
    [yes] = [b for b in box.buttons() if b.text() == "Create invoice"]
    yes.click()
    invoice = run(qloop, wait_until(lambda: dialog.invoice, what="created after yes"))
    assert invoice.price == Decimal("99999999999") and len(services.invoices.items) == 1


def test_below_the_limit_no_question_and_the_limit_is_the_owners(qloop, qtbot, tmp_path):
    from app.core.invoice_limits import LargeInvoiceLimit

    dialog, services, _ctx = _dialog(qtbot, tmp_path)
    assert _create(qloop, dialog, "9999") and dialog.confirm_box is None  # < 10,000 USD and < 0.5 BTC
    services.invoices.limit = LargeInvoiceLimit(btc_sat=1_000_000, fiat=None, fiat_currency="USD")  # 0.01 BTC
    dialog2, _s, _c = _dialog(qtbot, tmp_path, services)
    dialog2.amount.setText("600")  # 0.012 BTC
    dialog2.create_button.click()
    run(qloop, wait_until(lambda: dialog2.confirm_box, what="asked above the owner's limit"))


def test_approx_btc_reads_well():
    assert approx_btc(150_000_000_000_000) == "1,500,000 BTC"
    assert approx_btc(12_345) == "0.00012345 BTC"
    assert approx_btc(123_456_789) == "1.2346 BTC"


def test_copy_buttons_put_address_uri_and_link_on_the_clipboard(qloop, qtbot, tmp_path):
    dialog, _services, _ctx = _dialog(qtbot, tmp_path)
    invoice = _create(qloop, dialog, "10")
    clipboard = QGuiApplication.clipboard()
    buttons = dialog.invoice_actions.buttons
    buttons["copy_address"].click()
    assert clipboard.text() == invoice.address
    buttons["copy_uri"].click()
    assert clipboard.text() == invoice.payment_uri(label="Corner Shop")
    assert clipboard.text().startswith(f"bitcoin:{invoice.address}?amount=0.00020000&label=Corner%20Shop")
    buttons["copy_link"].click()
    assert clipboard.text() == f"http://127.0.0.1:8470/i/{invoice.id}"
    assert dialog.invoice_actions.copied.text() == "Link copied."


def test_paid_state_replaces_the_qr_and_the_title(qloop, qtbot, tmp_path):
    dialog, services, ctx = _dialog(qtbot, tmp_path)
    dialog.show()
    invoice = _create(qloop, dialog, "10")
    assert dialog.windowTitle() == f"Invoice {invoice.id}: scan to pay"
    assert not dialog.qr.isHidden() and dialog.paid.isHidden()
    assert not dialog.invoice_actions.buttons["receipt"].isEnabled()
    _paid(services, invoice.id, InvoiceStatus.PAID, 0)
    ctx.bridge.invoicesChanged.emit([invoice.id])
    run(qloop, wait_until(lambda: dialog.qr.isHidden(), what="QR hidden"))
    assert dialog.paid.isVisible() and dialog.paid.title.text() == "Paid"
    assert dialog.paid.amount.text() == "$10.00 · 0.00020000 BTC"
    assert dialog.paid.progress.text() == "Payment seen — waiting for 1 confirmation."
    assert TXID[:32] in dialog.paid.txid.text() and TXID[32:] in dialog.paid.txid.text()
    assert "scan to pay" not in dialog.windowTitle() and "paid" in dialog.windowTitle().lower()
    assert dialog.invoice_actions.buttons["receipt"].isEnabled()
    _paid(services, invoice.id, InvoiceStatus.COMPLETE, 1)
    ctx.bridge.invoicesChanged.emit([invoice.id])
    run(qloop, wait_until(lambda: dialog.paid.progress.text().startswith("Complete"), what="complete"))
    assert dialog.windowTitle() == f"Invoice {invoice.id}: complete"


def test_receipt_of_a_paid_invoice_is_shown(qloop, qtbot, tmp_path):
    dialog, services, _ctx = _dialog(qtbot, tmp_path)
    invoice = _create(qloop, dialog, "10")
    _paid(services, invoice.id, InvoiceStatus.COMPLETE, 1)
    panel = InvoiceDetailPanel(fake_context(tmp_path, services))
    qtbot.addWidget(panel)
    panel.set_invoice(services.invoices.items[invoice.id])
    panel.invoice_actions.buttons["receipt"].click()
    receipt = run(qloop, wait_until(lambda: panel.invoice_actions.receipt_dialog, what="receipt"))
    assert receipt.isVisible() and invoice.id in receipt.text.toPlainText()
    assert "Corner Shop" in receipt.text.toPlainText()


def test_browser_failure_shows_the_url_to_copy(qloop, qtbot, tmp_path, monkeypatch):
    opened: list[str] = []

    def fail(url):
        opened.append(url.toString())
        return False

    monkeypatch.setattr(QDesktopServices, "openUrl", fail)
    dialog, _services, _ctx = _dialog(qtbot, tmp_path)
    invoice = _create(qloop, dialog, "10")
    dialog.invoice_actions.buttons["open_checkout"].click()
    url = f"http://127.0.0.1:8470/i/{invoice.id}"
    box = dialog.invoice_actions.url_dialog
    assert opened == [url] and box is not None and box.isVisible()
    assert box.url.text() == url and box.url.isReadOnly()
    box.findChild(type(dialog.create_button), "copyUrl").click()
    assert QGuiApplication.clipboard().text() == url


def test_browser_success_shows_nothing(qloop, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: True)
    dialog, _services, _ctx = _dialog(qtbot, tmp_path)
    _create(qloop, dialog, "10")
    dialog.invoice_actions.buttons["open_checkout"].click()
    assert dialog.invoice_actions.url_dialog is None


def test_devnet_buttons_pay_what_is_due_and_mine(qloop, qtbot, tmp_path):
    devnet = FakeDevnet()
    dialog, services, _ctx = _dialog(qtbot, tmp_path, FakeServices(devnet=devnet))
    dialog.show()
    invoice = _create(qloop, dialog, "10")
    pay, mine = dialog.invoice_actions.buttons["devnet_pay"], dialog.invoice_actions.buttons["devnet_mine"]
    assert pay.isVisible() and mine.isVisible() and pay.isEnabled()
    pay.click()
    run(qloop, wait_until(lambda: devnet.paid, what="paid"))
    assert devnet.paid == [(invoice.address, invoice.amount_due_sat)]
    run(qloop, wait_until(lambda: "Devnet sent 0.00020000 BTC" in dialog.invoice_actions.devnet_status.text(),
                          what="status"))
    mine.click()
    run(qloop, wait_until(lambda: devnet.mined == 1, what="mined"))


def test_no_devnet_buttons_without_the_devnet(qloop, qtbot, tmp_path):
    dialog, _services, _ctx = _dialog(qtbot, tmp_path)
    dialog.show()
    _create(qloop, dialog, "10")
    assert dialog.invoice_actions.buttons["devnet_pay"].isHidden()
    assert dialog.invoice_actions.buttons["devnet_mine"].isHidden()


def test_detail_panel_replaces_qr_when_paid_and_has_the_same_buttons(qloop, qtbot, tmp_path):
    services = FakeServices(devnet=FakeDevnet())
    dialog, _s, _ctx = _dialog(qtbot, tmp_path, services)
    invoice = _create(qloop, dialog, "10")
    panel = InvoiceDetailPanel(fake_context(tmp_path, services))
    qtbot.addWidget(panel)
    panel.show()
    panel.set_invoice(services.invoices.items[invoice.id])
    assert not panel._qr.isHidden() and panel._paid.isHidden()
    for key in ("copy_address", "copy_uri", "copy_link", "open_checkout", "devnet_pay", "devnet_mine"):
        assert panel.invoice_actions.buttons[key].isVisible() and panel.invoice_actions.buttons[key].isEnabled()
    _paid(services, invoice.id, InvoiceStatus.PAID, 0)
    panel.set_invoice(services.invoices.items[invoice.id])
    assert panel._qr.isHidden() and panel._paid.isVisible()
    assert panel._paid.progress.text() == "Payment seen — waiting for 1 confirmation."
    assert not panel.invoice_actions.buttons["devnet_pay"].isEnabled()
    _paid(services, invoice.id, InvoiceStatus.CONFIRMED, 1)  # a store that wants 3 confirmations
    panel.set_invoice(replace(services.invoices.items[invoice.id], speed_policy=3))
    assert panel._paid.progress.text() == "Payment seen — waiting for 2 confirmations."


def test_screenshots_before_and_after_payment(qloop, qtbot, tmp_path):
    services = FakeServices(devnet=FakeDevnet())
    dialog, _s, ctx = _dialog(qtbot, tmp_path, services)
    dialog.amount.setText("12.50")
    dialog.description.setText("Two coffees")
    dialog.show()
    shots(dialog, "invoice-dialog-form", lambda: qtbot.wait(50))
    dialog.amount.setText("12.5.0")
    dialog.create_button.click()
    assert dialog.errors.message("price")
    shots(dialog, "invoice-dialog-error", lambda: qtbot.wait(50))
    dialog.amount.setText("99999999999")
    dialog.create_button.click()
    box = run(qloop, wait_until(lambda: dialog.confirm_box, what="confirmation"))
    qtbot.wait(50)
    box.grab().save(str(ARTIFACTS / "invoice-dialog-confirm-large.png"))
    box.button(QMessageBox.StandardButton.Cancel).click()
    invoice = _create(qloop, dialog, "12.50")
    for w, h in ((800, 480), (1280, 800)):
        dialog.resize(w, h)
        qtbot.wait(50)
        assert dialog.qr.pixmap().width() <= dialog.qr.width() and dialog.qr.height() >= 180
        dialog.grab().save(str(ARTIFACTS / f"invoice-dialog-qr-{w}x{h}.png"))
    _paid(services, invoice.id, InvoiceStatus.PAID, 0)
    ctx.bridge.invoicesChanged.emit([invoice.id])
    run(qloop, wait_until(lambda: dialog.qr.isHidden(), what="paid"))
    shots(dialog, "invoice-dialog-paid", lambda: qtbot.wait(50))


def test_open_checkout_uses_the_store_public_url_first(qloop, qtbot, tmp_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    services = FakeServices()
    store = replace(make_store(currency="USD"), email={"public_url": "https://shop.example/"})
    services.stores.items[store.id] = store
    dialog, _services, _ctx = _dialog(qtbot, tmp_path, services)
    invoice = _create(qloop, dialog, "10")
    actions = dialog.invoice_actions
    run(qloop, wait_until(lambda: actions.store_url, what="the store read"))
    actions.buttons["open_checkout"].click()
    assert opened == [f"https://shop.example/i/{invoice.id}"]  # as in e-mails, the API and Greenfield
