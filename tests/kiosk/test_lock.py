"""Leaving the kiosk and reaching the admin window need the merchant PIN (fakes, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QMainWindow

from app.core.statuses import InvoiceStatus
from tests.kiosk.conftest import SIZES, chain_state, open_test_kiosk, run, settle, wait_until

pytestmark = pytest.mark.gui


async def _ready(env, pin: str = "2468", size=SIZES["small"]):
    await env.pos.pin.set_pin(pin)
    window = open_test_kiosk(env.ctx, "sto_k", size)
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    return window


def test_first_use_asks_for_a_new_pin_twice(kiosk_env, qloop):
    async def flow():
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", SIZES["small"])
        await wait_until(lambda: window.current is window.pin, what="set-PIN screen")
        window.pin.enter("1111")
        window.pin.enter("2222")
        assert "different" in window.pin.message.text() and window.current is window.pin
        window.pin.enter("12")
        assert "4 to 8" in window.pin.message.text()
        window.pin.enter("1357")
        window.pin.enter("1357")
        await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale after PIN set")
        return (await kiosk_env.pos.pin.verify("1357")).ok

    assert run(qloop, flow())


def test_exit_needs_the_pin_and_wrong_pins_lock_out(kiosk_env, qloop):
    async def flow():
        window = await _ready(kiosk_env)
        window.close()  # Alt+F4, a window manager close...
        await settle()
        assert window.isVisible() and window.current is window.pin
        window.pin.cancel_button.click()
        assert window.current is window.sale
        window.keyPressEvent(QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier))
        assert window.current is window.pin
        for n in range(4):
            window.pin.enter("0000")
            await wait_until(lambda: "Wrong PIN" in window.pin.message.text(), what="refused")
            assert f"{4 - n} tr" in window.pin.message.text()
            window.pin.message.setText("")
        assert window.isVisible()
        window.pin.enter("0000")
        await wait_until(lambda: window.pin.locked, what="lockout")
        text = window.pin.message.text()
        keys_off = not window.pin.keys["5"].isEnabled()
        window.pin.enter("2468")  # ignored while locked
        await settle(0.2)
        still_open = window.isVisible()
        kiosk_env.clock.advance(31)
        window.pin._locked_s = 1  # the screen's countdown; the guard's own clock moved above
        window.pin._on_timer_timeout()
        window.pin.enter("2468")
        await wait_until(lambda: not window.isVisible(), what="kiosk closed after the right PIN")
        return text, keys_off, still_open

    text, keys_off, still_open = run(qloop, flow())
    assert "Locked for 0:30" in text and keys_off and still_open


def test_admin_window_hidden_and_guarded(kiosk_env, qloop, qtbot):
    admin = QMainWindow()
    qtbot.addWidget(admin)
    quit_action = QAction("Quit", admin)
    quit_action.setShortcut("Ctrl+Q")
    admin.addAction(quit_action)
    admin.show()
    kiosk_env.ctx.parent = admin

    async def flow():
        window = await _ready(kiosk_env)
        hidden, disabled = not admin.isVisible(), not quit_action.isEnabled()
        tray_locked = kiosk_env.ctx.tray.locked
        admin.show()  # e.g. the tray's "Show RedWaves"
        await wait_until(lambda: not admin.isVisible() and window.current is window.pin, what="re-hidden")
        prompt = window.pin.title.text()
        window.pin.enter("2468")
        await wait_until(lambda: admin.isVisible() and not window.isVisible(), what="admin back")
        return hidden, disabled, prompt, tray_locked

    hidden, disabled, prompt, tray_locked = run(qloop, flow())
    assert hidden and disabled and "open RedWaves" in prompt and quit_action.isEnabled()
    assert tray_locked and not kiosk_env.ctx.tray.locked  # the tray's Quit needs the PIN too


def test_cancel_marks_invalid_and_keeps_the_cart(kiosk_env, qloop):
    async def flow():
        window = await _ready(kiosk_env)
        window.sale.products.tiles[0].click()
        window.sale.cart_view.charge_button.click()
        await wait_until(lambda: window.current is window.charge, what="charge")
        invoice = kiosk_env.services.invoices.created
        window.charge.cancel_button.click()
        assert window.charge.confirm_box.isVisibleTo(window.charge)
        window.charge.confirm_no.click()
        assert window.charge.cancel_button.isVisibleTo(window.charge)
        window.charge.cancel_button.click()
        window.charge.confirm_yes.click()
        await wait_until(lambda: window.current is window.sale, what="back to sale")
        return (await kiosk_env.services.invoices.get(invoice.id)).status, window.cart.count, \
            window.sale.cart_view.error.text()

    status, count, message = run(qloop, flow())
    assert status == InvoiceStatus.INVALID and count == 1 and "cancelled" in message


def test_offline_chain_shows_waiting_for_network(kiosk_env, qloop):
    kiosk_env.services.chain.set(chain_state(connected=False))

    async def flow():
        window = await _ready(kiosk_env)
        window.sale.keypad_tab.click()
        window.sale.keypad.type_text("500")
        window.sale.keypad.add_key.click()
        window.sale.cart_view.charge_button.click()
        await wait_until(lambda: window.current is window.charge, what="charge works offline")
        await settle()
        return window.network.text(), window.charge.network.isVisibleTo(window.charge)

    label, banner = run(qloop, flow())
    assert "Waiting for network" in label and banner


def test_unknown_store_says_so(kiosk_env, qloop):
    async def flow():
        window = open_test_kiosk(kiosk_env.ctx, "sto_missing", SIZES["small"])
        await wait_until(lambda: "cannot open" in window.loading.text(), what="error shown")
        window.exit_button.click()  # no PIN set yet: nothing to protect
        await wait_until(lambda: not window.isVisible(), what="closed")
        return window.loading.text()

    assert "Store not found" in run(qloop, flow())
