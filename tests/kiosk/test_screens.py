"""Every kiosk screen at 800x480, 1024x600, 1280x800 and 1920x1080 (fakes, offscreen): each screen keeps
the window's size, nothing is clipped, every visible button is a touch target; totals, presets and the
paid screen's speed policy.

Screenshots: tests/artifacts/ui/kiosk-<screen>-<w>x<h>.png (gitignored)."""

from __future__ import annotations

import pytest

from app.ui.kiosk.paid_screen import waiting_text
from tests.kiosk.conftest import chain_state, gone, open_test_kiosk, run, settle, wait_until
from tests.kiosk.geometry import SCREEN_SIZES, fits, ui_shot

pytestmark = pytest.mark.gui


def _check(window, out: dict, screen: str, size: tuple[int, int]) -> None:
    ui_shot(window, f"kiosk-{screen}")
    out["problems"][screen] = fits(window, size)


async def _tour(env, size: tuple[int, int]) -> dict:
    out: dict = {"problems": {}}
    await env.pos.pin.set_pin("2468")  # the owner did, in Settings → Point of sale
    window = open_test_kiosk(env.ctx, "sto_k", size, pdf_dir=env.tmp_path / "receipts")
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    await settle()
    _check(window, out, "products", size)
    for name in ("Espresso", "Croissant", "Espresso"):
        next(t for t in window.sale.products.tiles if t.product.name == name).click()
    window.sale.products.show_category("Drinks")
    window.sale.products.tiles[0].click()
    await settle()
    _check(window, out, "cart", size)
    window.sale.keypad_tab.click()
    window.sale.keypad.type_text("1250")
    await settle()
    _check(window, out, "keypad", size)
    window.sale.keypad.add_key.click()
    window.sale.cart_view.tip_button.click()
    await settle()
    _check(window, out, "tip", size)
    window.adjust.preset_buttons[2].click()  # 15 %
    window.sale.cart_view.discount_button.click()
    window.adjust.preset_buttons[1].click()  # 5 %
    await settle()
    out["total"] = window.sale.cart_view.total.text()
    window.sale.cart_view.charge_button.click()
    await wait_until(lambda: window.current is window.charge, what="charge screen")
    await settle(0.3)
    _check(window, out, "charge", size)
    invoices = env.services.invoices
    invoice = out["invoice"] = invoices.created
    invoices.pay(invoice.id, 5000)
    window._refresh_invoice()
    await wait_until(lambda: "remaining" in window.charge.btc.text(), what="partial shown")
    env.services.chain.set(chain_state(connected=False))  # a ConnectionChanged, as the watcher sends
    await settle()
    _check(window, out, "charge-partial-offline", size)
    out["partial_text"] = window.charge.btc.text()
    out["offline_text"] = window.network.text()
    out["offline_banner"] = window.charge.network.isVisible()
    env.services.chain.set(chain_state())
    invoices.pay(invoice.id, invoice.amount_due_sat - 5000)  # the full amount seen: status "paid", 0 conf
    window._refresh_invoice()
    await wait_until(lambda: window.current is window.paid, what="paid screen")
    await settle()
    _check(window, out, "paid-waiting", size)
    out["waiting"] = (window.paid.headline.text(), window.paid.print_button.isVisible(), window.paid.beeps,
                      window.following == invoice.id)
    invoices.complete(invoice.id)  # the store's one confirmation came
    window._refresh_invoice()
    await wait_until(lambda: window.paid.complete, what="complete")
    await settle()
    _check(window, out, "paid", size)
    out["paid"] = (window.paid.headline.text(), window.paid.print_button.isVisible(), window.following)
    window.paid.print_button.click()
    await wait_until(lambda: "Receipt" in window.paid.message.text(), what="printed")
    out["pdf"] = window.last_receipt_pdf
    window.paid.email_button.setVisible(True)
    window.paid.email_button.click()
    window.email.keyboard.type_text("Buyer.One@example.com")
    await settle()
    _check(window, out, "email", size)
    out["typed"] = window.email.address.text()
    window.email.back_button.click()
    window.exit_button.click()
    window.pin.press("1")
    window.pin.press("2")
    await settle()
    _check(window, out, "pin", size)
    out["dots"] = window.pin.dots.text()
    window.pin.press("⌫")
    window.pin.press("⌫")
    out["dots_empty"] = window.pin.dots.text()
    window.pin.enter("2468")
    await wait_until(lambda: gone(window), what="kiosk closed")
    return out


@pytest.mark.parametrize("size", SCREEN_SIZES, ids=[f"{w}x{h}" for w, h in SCREEN_SIZES])
def test_every_screen_fits(kiosk_env, qloop, size):
    out = run(qloop, _tour(kiosk_env, size), 60)
    assert {k: v for k, v in out["problems"].items() if v} == {}
    # 2x2.50 + 2.20 + 3.50 + 12.50 = 23.20; -5% = 1.16 -> 22.04; +15% tip = 3.31 -> 25.35
    assert out["total"] == "$25.35"
    inv = out["invoice"]
    assert str(inv.price) == "25.35" and inv.metadata["pos"]["tip"] == "3.31"
    assert [i["qty"] for i in inv.items] == [2, 1, 1, 1]
    assert "remaining" in out["partial_text"] and "0.00015000" in out["partial_text"]
    assert "Waiting for network" in out["offline_text"] and out["offline_banner"]
    # the store needs 1 confirmation: seen is not paid yet, no receipt, no beep, still followed
    assert out["waiting"] == ("Payment seen — waiting for 1 confirmation", False, 0, True)
    assert out["paid"] == ("Paid — thank you!", True, None)
    assert out["pdf"].read_bytes().startswith(b"%PDF")
    assert out["typed"] == "Buyer.One@example.com"
    assert out["dots"] == "●●" and out["dots_empty"] == ""  # nothing typed: no look-alike digits


def test_presets_highlight_exactly_one(kiosk_env, qloop):
    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", SCREEN_SIZES[0])
        await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
        window.sale.products.tiles[0].click()
        adjust = window.adjust
        seen = []

        def highlighted() -> list[str]:
            return [b.text() for b in adjust.preset_buttons if b.isChecked()]

        window.sale.cart_view.tip_button.click()
        seen.append(highlighted())  # no tip yet
        adjust.preset_buttons[2].setChecked(True)  # a finger on 15 %: the group unchecks "No tip"
        seen.append(highlighted())
        adjust.preset_buttons[2].click()
        window.sale.cart_view.tip_button.click()
        seen.append(highlighted())
        adjust.keypad.type_text("12")
        adjust.keypad.add_key.click()  # a custom 12 %
        window.sale.cart_view.tip_button.click()
        seen.append(highlighted())
        modes = (adjust.percent_mode.property("role"), adjust.preset_group.exclusive(),
                 {b.property("role") for b in adjust.preset_buttons})
        return seen, modes, window.cart.tip

    seen, modes, tip = run(qloop, flow())
    assert seen == [["No tip"], ["15%"], ["15%"], ["Now 12%"]]
    assert modes == ("seg", True, {"chip"})  # the %/amount switch is not styled as a choice
    assert str(tip.percent) == "12"


def test_paid_screen_at_zero_confirmations_store_is_paid_at_once(kiosk_env, qloop):
    from dataclasses import replace

    from app.core.statuses import InvoiceStatus
    from app.ui.kiosk.paid_screen import PaidScreen

    async def flow():
        screen = PaidScreen(sound=False)
        invoice = await kiosk_env.services.invoices.create("sto_k", price="2.50")
        screen.show_paid(replace(invoice, status=InvoiceStatus.PAID, speed_policy=2), email_ready=False)
        two = screen.headline.text()
        screen.show_status(replace(invoice, status=InvoiceStatus.INVALID, speed_policy=2))
        failed = screen.headline.text(), screen.done_button.isVisibleTo(screen), screen.print_button.isVisibleTo(screen)
        screen.show_paid(replace(invoice, status=InvoiceStatus.COMPLETE, speed_policy=0), email_ready=False)
        return two, failed, screen.headline.text(), screen.waiting

    two, failed, zero, waiting = run(qloop, flow())
    assert two == "Payment seen — waiting for 2 confirmations"
    assert failed == ("This payment did not go through", True, False)
    assert zero == "Paid — thank you!" and not waiting


def test_waiting_text_counts_the_confirmations_still_needed():
    from dataclasses import replace
    from datetime import UTC, datetime

    from app.core.payments import Payment
    from app.core.statuses import InvoiceStatus, PaymentState
    from tests.ui.fakes import make_invoice

    pay = Payment(txid="ab" * 32, vout=0, amount_sat=20000, first_seen_at=datetime(2026, 3, 1, tzinfo=UTC),
                  height=102, confirmations=1, state=PaymentState.CONFIRMED, accounted=True, rbf=False,
                  ever_confirmed=True)
    inv = replace(make_invoice(1, status=InvoiceStatus.CONFIRMED, paid_sat=20000), speed_policy=3, payments=(pay,))
    assert waiting_text(inv) == "Payment seen — waiting for 2 confirmations"
    assert waiting_text(replace(inv, payments=())) == "Payment seen — waiting for 3 confirmations"
