"""End to end on the real app (SQLite, Electrum in-process, embedded devnet), offscreen:
no PIN yet: the kiosk does not open -> the owner sets the PIN in Settings → Point of sale -> keypad +
product -> cart -> Charge -> QR -> devnet pays a part -> "remaining" -> devnet pays the rest -> "Payment
seen — waiting for confirmations" (the store needs 2) -> blocks -> "Paid — thank you!" (complete in the
database) -> receipt printed (PDF) and emailed (aiosmtpd) -> back to the start; a second sale is
cancelled (invalid in the database); leaving needs the PIN. Screenshots: tests/artifacts/kiosk/e2e-*."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.core.statuses import InvoiceStatus
from app.db.models import AppSettingRow
from app.ui.settings_pos import PosSettingsPage
from tests.integration.helpers import make_store, wait_synced
from tests.kiosk.conftest import SIZES, gone, open_test_kiosk, run, settle, shot, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.slow]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def _seen(runtime, out: dict, predicate, what: str) -> None:
    """Wait for the kiosk to show a payment; if it does not come, mine a block, then ask the engine for
    a full sweep, and record which was needed (``out``) so a failure says how far it got.

    Known flake below the kiosk (see docs/kiosk.md, "Tests"): in some runs, mostly when other Qt tests
    ran first in the same process, the devnet accepts the transaction but Electrum never syncs the
    wallet, so neither a block nor a sweep shows the payment and this test fails."""
    try:
        await wait_until(predicate, timeout_s=10, what=what)
    except AssertionError:
        out["blocks_needed"] = out.get("blocks_needed", 0) + 1
        await runtime.devnet.mine(1)
        try:
            await wait_until(predicate, timeout_s=10, what=f"{what} (after a block)")
        except AssertionError:
            runtime.services.engine.request_full_sweep()
            await wait_until(predicate, timeout_s=10, what=f"{what} (after a full sweep)")
            out["sweep_needed"] = True


async def _flow(runtime, ctx, smtp, tmp_path) -> dict:
    services, devnet = runtime.services, runtime.devnet
    inbox, port = smtp
    out: dict = {}
    await wait_synced(runtime, 30)
    store = await make_store(services, speed_policy=2)
    await wait_until(lambda: runtime.chain.state().synced and not runtime.chain.state().pending_requests,
                     timeout_s=30, what="the new wallet synced")  # as the merchant's first day does
    await services.email.configure(store.id, {"host": "127.0.0.1", "port": port, "mode": "plain",
                                              "from_address": "shop@example.com"})
    await services.products.create(store.id, name="Espresso", price="2.50", category="Coffee")
    await services.products.create(store.id, name="Croissant", price="2.20", category="Bakery")

    closed = open_test_kiosk(ctx, store.id, SIZES["small"])
    await wait_until(lambda: closed.current is closed.no_pin, what="no PIN: the kiosk does not open")
    out["pin_after_open"] = await services.pos.pin.is_set()
    closed.no_pin.back.click()
    await wait_until(lambda: gone(closed), what="no-PIN kiosk closed")

    page = PosSettingsPage(services.pos.pin, ctx.qsettings, ctx.run)  # the owner, in Settings
    page.reload()
    await wait_until(lambda: page.pin_set is False, what="settings: no PIN yet")
    page.new_pin.setText("4321")
    page.repeat.setText("4321")
    page.save_button.click()
    await wait_until(lambda: page.pin_set, what="settings: PIN set")
    page.deleteLater()

    window = open_test_kiosk(ctx, store.id, SIZES["small"], pdf_dir=tmp_path / "receipts")
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    async with services.writer.read() as session:
        out["pin_row"] = (await session.scalar(select(AppSettingRow).where(AppSettingRow.key == "pos_pin"))).value

    next(t for t in window.sale.products.tiles if t.product.name == "Espresso").click()
    window.sale.keypad_tab.click()
    window.sale.keypad.type_text("1000")
    window.sale.keypad.add_key.click()
    await settle()
    shot(window, "e2e-01-cart")
    window.sale.cart_view.charge_button.click()
    await wait_until(lambda: window.current is window.charge, timeout_s=15, what="charge screen")
    invoice = window.charge.invoice
    out["invoice"] = invoice
    out["qr"] = window.charge.qr.payload
    await settle(0.3)
    shot(window, "e2e-02-charge")

    first = invoice.amount_due_sat // 3
    await devnet.pay(invoice.address, first)
    await _seen(runtime, out, lambda: "remaining" in window.charge.btc.text(), "partial payment shown")
    out["partial"] = window.charge.btc.text()
    out["partial_qr"] = window.charge.qr.payload
    await settle()
    shot(window, "e2e-03-partial")
    await devnet.pay(invoice.address, invoice.amount_due_sat - first)
    await _seen(runtime, out, lambda: window.current is window.paid, "paid screen")
    await settle()
    shot(window, "e2e-04-payment-seen")
    out["seen"] = (window.paid.headline.text(), window.paid.print_button.isVisibleTo(window.paid),
                   (await services.invoices.get(invoice.id)).status)
    await devnet.mine(2)
    await _seen(runtime, out, lambda: window.paid.complete, "paid after the confirmations")
    await settle()
    shot(window, "e2e-05-paid")
    out["paid_headline"] = window.paid.headline.text()
    out["complete_in_db"] = (await services.invoices.get(invoice.id)).status
    out["email_offered"] = window.paid.email_button.isVisibleTo(window.paid)

    window.paid.print_button.click()
    await wait_until(lambda: "Receipt saved" in window.paid.message.text(), timeout_s=10, what="receipt PDF")
    out["pdf"] = window.last_receipt_pdf
    window.paid.email_button.click()
    assert window.current is window.email
    window.email.keyboard.type_text("buyer@example.com")
    await settle()
    shot(window, "e2e-06-email")
    window.email.keyboard.submitted.emit()
    await wait_until(lambda: inbox.messages, timeout_s=10, what="receipt email")
    await wait_until(lambda: window.current is window.paid, what="back on the paid screen")
    out["mail"] = inbox.messages[0]
    out["paid_message"] = window.paid.message.text()
    window.paid.done_button.click()
    assert window.current is window.sale and window.cart.count == 0

    window.sale.products.tiles[1].click()
    window.sale.cart_view.charge_button.click()
    await wait_until(lambda: window.current is window.charge and window.charge.invoice.id != invoice.id,
                     what="second charge")
    second = window.charge.invoice
    window.charge.cancel_button.click()
    window.charge.confirm_yes.click()
    await wait_until(lambda: window.current is window.sale, what="cancelled")
    out["cancelled"] = await services.invoices.get(second.id)

    window.exit_button.click()
    window.pin.enter("9999")
    await wait_until(lambda: "Wrong PIN" in window.pin.message.text(), what="wrong PIN refused")
    out["open_after_wrong"] = window.isVisible()
    window.pin.enter("4321")
    await wait_until(lambda: gone(window), what="closed with the right PIN")
    out["paid_invoice"] = await services.invoices.get(invoice.id)
    return out


def test_kiosk_sale_on_devnet(runtime_env, qloop, smtp, tmp_path):
    runtime, ctx = runtime_env
    out = run(qloop, _flow(runtime, ctx, smtp, tmp_path), 150)
    print("kiosk e2e chain workarounds:", {k: out.get(k) for k in ("blocks_needed", "sweep_needed")})
    assert out["pin_after_open"] is False  # opening the kiosk never sets a PIN
    pin = out["pin_row"]
    assert "4321" not in str(pin) and len(pin["hash"]) == 64 and pin["failures"] == 0
    inv = out["invoice"]
    assert str(inv.price) == "12.50" and inv.currency == "USD"
    assert [(i["name"], i["qty"], i["price"]) for i in inv.items] == [("Espresso", 1, "2.50"), ("Amount", 1, "10.00")]
    assert out["qr"].startswith(f"bitcoin:{inv.address}?amount=")
    assert "remaining" in out["partial"] and out["partial_qr"] != out["qr"]
    headline, print_offered, status = out["seen"]
    assert headline.startswith("Payment seen — waiting for") and "confirmation" in headline, headline
    assert not print_offered and status in (InvoiceStatus.PAID, InvoiceStatus.CONFIRMED)
    assert out["paid_headline"] == "Paid — thank you!" and out["complete_in_db"] == InvoiceStatus.COMPLETE
    assert out["email_offered"]
    assert out["pdf"].read_bytes().startswith(b"%PDF")
    mail = out["mail"]
    assert mail["To"] == "buyer@example.com" and inv.id in mail.get_body(("plain",)).get_content()
    assert "buyer@example.com" in out["paid_message"]
    assert out["paid_invoice"].status in (InvoiceStatus.PAID, InvoiceStatus.CONFIRMED, InvoiceStatus.COMPLETE)
    assert out["cancelled"].status == InvoiceStatus.INVALID
    assert out["open_after_wrong"]

