"""Every kiosk screen at 800x480 and 1920x1080 (fakes, offscreen): layout rules and screenshots.

Screenshots go to tests/artifacts/kiosk/<size>-NN-<screen>.png (gitignored)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton

from tests.kiosk.conftest import SIZES, chain_state, open_test_kiosk, run, settle, shot, wait_until

pytestmark = pytest.mark.gui
MIN_TOUCH = 48


def _small_buttons(window) -> list[str]:
    """Visible buttons below the touch-target minimum (either side)."""
    bad = []
    for b in window.findChildren(QAbstractButton):
        if b.isVisibleTo(window) and b.window() is window and b.isVisible():
            if b.height() < MIN_TOUCH or b.width() < MIN_TOUCH - 8:
                bad.append(f"{b.objectName() or b.text()} {b.width()}x{b.height()}")
    return bad


async def _tour(env, size_name: str) -> dict:
    size = SIZES[size_name]
    out: dict = {}
    window = open_test_kiosk(env.ctx, "sto_k", size, pdf_dir=env.tmp_path / "receipts")
    await wait_until(lambda: window.current is window.pin, what="set-PIN screen")
    await settle()
    shot(window, f"{size_name}-01-set-pin")
    window.pin.enter("2468")
    window.pin.enter("2468")
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    await settle()
    shot(window, f"{size_name}-02-products")
    out["products_small"] = _small_buttons(window)
    for name in ("Espresso", "Croissant", "Espresso"):
        tile = next(t for t in window.sale.products.tiles if t.text().startswith(name))
        tile.click()
    window.sale.products.show_category("Drinks")
    window.sale.products.tiles[0].click()
    await settle()
    shot(window, f"{size_name}-03-cart")
    window.sale.keypad_tab.click()
    window.sale.keypad.type_text("1250")
    await settle()
    shot(window, f"{size_name}-04-keypad")
    out["keypad_small"] = _small_buttons(window)
    window.sale.keypad.add_key.click()
    window.sale.cart_view.tip_button.click()
    await settle()
    shot(window, f"{size_name}-05-tip")
    out["tip_small"] = _small_buttons(window)
    window.adjust.preset_buttons[2].click()  # 15 %
    window.sale.cart_view.discount_button.click()
    window.adjust.preset_buttons[1].click()  # 5 %
    await settle()
    shot(window, f"{size_name}-06-cart-adjusted")
    out["total"] = window.sale.cart_view.total.text()
    window.sale.cart_view.charge_button.click()
    await wait_until(lambda: window.current is window.charge, what="charge screen")
    await settle(0.3)
    shot(window, f"{size_name}-07-charge")
    out["charge_small"] = _small_buttons(window)
    invoices = env.services.invoices
    invoice = invoices.created
    out["invoice"] = invoice
    invoices.pay(invoice.id, 5000)
    window._refresh_invoice()
    await wait_until(lambda: "remaining" in window.charge.btc.text(), what="partial shown")
    env.services.chain.set(chain_state(connected=False))  # a ConnectionChanged, as the watcher sends
    await settle()
    shot(window, f"{size_name}-08-charge-partial-offline")
    out["partial_text"] = window.charge.btc.text()
    out["offline_text"] = window.network.text()
    out["offline_banner"] = window.charge.network.isVisible()
    env.services.chain.set(chain_state())
    invoices.pay(invoice.id, invoice.amount_due_sat - 5000)
    window._refresh_invoice()
    await wait_until(lambda: window.current is window.paid, what="paid screen")
    await settle()
    shot(window, f"{size_name}-09-paid")
    out["paid_small"] = _small_buttons(window)
    window.paid.print_button.click()
    await wait_until(lambda: "Receipt" in window.paid.message.text(), what="printed")
    out["pdf"] = window.last_receipt_pdf
    window.paid.email_button.setVisible(True)
    window.paid.email_button.click()
    window.email.keyboard.type_text("Buyer.One@example.com")
    await settle()
    shot(window, f"{size_name}-10-email-keyboard")
    out["email_small"] = _small_buttons(window)
    out["typed"] = window.email.address.text()
    window.email.back_button.click()
    window.exit_button.click()
    await settle()
    shot(window, f"{size_name}-11-pin-exit")
    out["pin_small"] = _small_buttons(window)
    window.pin.enter("2468")
    await wait_until(lambda: not window.isVisible(), what="kiosk closed")
    return out


@pytest.mark.parametrize("size_name", list(SIZES))
def test_screens_at_both_sizes(kiosk_env, qloop, size_name):
    out = run(qloop, _tour(kiosk_env, size_name), 60)
    for key in ("products_small", "keypad_small", "tip_small", "charge_small", "paid_small", "email_small",
                "pin_small"):
        assert out[key] == [], (key, out[key])
    # 2x2.50 + 2.20 + 3.50 + 12.50 = 23.20; -5% = 1.16 -> 22.04; +15% tip = 3.31 -> 25.35
    assert out["total"] == "$25.35"
    inv = out["invoice"]
    assert str(inv.price) == "25.35" and inv.metadata["pos"]["tip"] == "3.31"
    assert [i["qty"] for i in inv.items] == [2, 1, 1, 1]
    assert "remaining" in out["partial_text"] and "0.00015000" in out["partial_text"]
    assert "Waiting for network" in out["offline_text"] and out["offline_banner"]
    assert out["pdf"].read_bytes().startswith(b"%PDF")
    assert out["typed"] == "Buyer.One@example.com"
