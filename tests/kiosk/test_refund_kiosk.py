"""The kiosk's refund behind the PIN (fakes with the real refund rules): Refund -> PIN -> the store's recent
refundable sales -> the amount (variants, a custom amount on the keypad, the calculation) -> the link's
QR; a sale of another store or a pending one refused; every screen fits at 800x480 and 1280x800."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.core.refunds import RefundVariant
from app.core.statuses import InvoiceStatus
from tests.kiosk.conftest import open_test_kiosk, run, settle, wait_until
from tests.kiosk.geometry import fits, ui_shot
from tests.ui.fakes import make_invoice

pytestmark = pytest.mark.gui


def _sales(env) -> None:
    items = env.services.invoices.items
    for n, status in ((1, InvoiceStatus.COMPLETE), (2, InvoiceStatus.PENDING), (3, InvoiceStatus.COMPLETE)):
        inv = replace(make_invoice(n, status=status, store_id="sto_k", paid_sat=20000 if status != "pending" else 0),
                      description=f"Espresso x{n}", paid_at=datetime(2026, 3, 1, 11, n, tzinfo=UTC))
        items[inv.id] = inv
    other = replace(make_invoice(9, status=InvoiceStatus.COMPLETE, store_id="sto_other", paid_sat=20000))
    items[other.id] = other


async def _flow(env, size: tuple[int, int]) -> dict:
    out: dict = {"problems": {}}

    def check(name: str) -> None:
        ui_shot(window, f"kiosk-refund-{name}")
        out["problems"][name] = fits(window, size)

    await env.pos.pin.set_pin("2468")
    _sales(env)
    window = open_test_kiosk(env.ctx, "sto_k", size)
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    assert window.refund_button.isVisible()
    window.refund_button.click()
    assert window.current is window.pin and window.pin.title.text() == "Merchant PIN to refund a sale"
    window.pin.enter("2468")
    flow = window.refunds
    await wait_until(lambda: window.current is flow.find and flow.find.buttons, what="recent sales")
    await settle()
    check("find")
    out["sales"] = [b.objectName() for b in flow.find.buttons]
    flow.find.id_edit.setText("inv000009")  # another store's sale
    flow.find.find_button.click()
    await wait_until(lambda: "not a sale of this store" in flow.find.message.text(), what="other store refused")
    flow.find.id_edit.setText("http://127.0.0.1:8470/i/inv000002")  # pending: scanned as a checkout link
    flow.find.find_button.click()
    await wait_until(lambda: "cannot be refunded" in flow.find.message.text(), what="pending refused")
    flow.find.buttons[0].click()
    await wait_until(lambda: window.current is flow.amount and flow.amount.calculation, what="amount")
    await settle()
    check("amount")
    out["rate_then"] = flow.amount.calc.text()
    flow.amount.chips[RefundVariant.CUSTOM_FIAT].click()
    flow.amount.keypad.type_text("400")  # $4.00
    await wait_until(lambda: flow.amount.calculation and flow.amount.calculation.gross_sat == 8000, what="custom")
    flow.amount.keypad.type_text("0000")  # $4000.00: more than was paid
    await wait_until(lambda: flow.amount.message.text(), what="over-refund refused")
    out["over"] = flow.amount.message.text()
    out["confirm_enabled_over"] = flow.amount.confirm.isEnabled()
    check("amount-error")
    flow.amount.keypad.clear()
    flow.amount.keypad.type_text("400")
    await wait_until(lambda: flow.amount.calculation and flow.amount.calculation.gross_sat == 8000, what="custom")
    flow.amount.confirm.click()
    await wait_until(lambda: window.current is flow.link, what="link screen")
    await settle(0.3)
    check("link")
    refund = flow.refund
    out["created"] = env.services.refunds.created[-1]
    out["qr"] = flow.link.qr.payload
    out["link"] = env.services.refunds.link(refund)
    out["amount_text"] = flow.link.amount.text()
    flow.link.done_button.click()
    out["back_to_sale"] = window.current is window.sale
    window.request_unlock("exit")
    window.pin.enter("2468")
    await settle()
    return out


@pytest.mark.parametrize("size", [(800, 480), (1280, 800)])
def test_refund_behind_the_pin(kiosk_env, qloop, size):
    out = run(qloop, _flow(kiosk_env, size), 30)
    assert out["sales"] == ["sale_inv000001", "sale_inv000003"]  # refundable sales of this store, newest first
    assert "The shopper gets 0.00020000 BTC" in out["rate_then"] and "$10.00 at 50,000 USD/BTC" in out["rate_then"]
    assert "still refundable" in out["over"] and not out["confirm_enabled_over"]
    invoice_id, req, actor = out["created"]
    assert (invoice_id, req.variant, req.custom_amount, actor) == ("inv000001", RefundVariant.CUSTOM_FIAT,
                                                                   req.custom_amount, "kiosk")
    assert str(req.custom_amount) == "4.00"
    assert out["qr"] == out["link"] and out["link"].startswith("http://127.0.0.1:8471/refund/rf")
    assert out["amount_text"] == "0.00008000 BTC\n$4.00"
    assert out["back_to_sale"]
    assert out["problems"] == {k: [] for k in out["problems"]}, out["problems"]
