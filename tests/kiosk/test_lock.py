"""Leaving the kiosk and reaching the admin window need the merchant PIN (fakes, offscreen)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QMainWindow

from app.core.statuses import InvoiceStatus
from tests.kiosk.conftest import SIZES, chain_state, gone, open_test_kiosk, run, settle, wait_until
from tests.kiosk.geometry import fits, ui_shot

pytestmark = pytest.mark.gui


async def _ready(env, pin: str = "2468", size=SIZES["small"]):
    await env.pos.pin.set_pin(pin)
    window = open_test_kiosk(env.ctx, "sto_k", size)
    await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
    return window


def test_without_a_pin_the_kiosk_does_not_open_and_points_to_settings(kiosk_env, qloop, qtbot):
    admin = QMainWindow()
    qtbot.addWidget(admin)
    admin.show()
    kiosk_env.ctx.parent = admin

    async def flow():
        window = open_test_kiosk(kiosk_env.ctx, "sto_k", SIZES["small"])
        await wait_until(lambda: window.current is window.no_pin, what="no-PIN screen")
        await settle()
        shot = ui_shot(window, "kiosk-no-pin")
        seen = window.no_pin.text.text(), hasattr(window, "sale"), admin.isVisible(), fits(window, SIZES["small"])
        window.no_pin.back.click()  # nothing to protect: straight back to the admin window
        await wait_until(lambda: gone(window) and admin.isVisible(), what="back to the admin window")
        return seen, await kiosk_env.pos.pin.is_set(), shot

    (text, built, admin_shown, problems), pin_set, shot = run(qloop, flow())
    assert "Settings → Point of sale" in text and not built and not admin_shown and problems == []
    assert not pin_set and shot.exists()  # the kiosk never sets a PIN itself


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
        await wait_until(lambda: gone(window), what="kiosk closed after the right PIN")
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
        await wait_until(lambda: admin.isVisible() and gone(window), what="admin back")
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
        text = window.loading.text()
        window.exit_button.click()  # no PIN set yet: nothing to protect
        await wait_until(lambda: gone(window), what="closed")
        return text

    assert "Store not found" in run(qloop, flow())


def test_admin_window_comes_back_inside_the_screen(kiosk_env, qloop, qtbot):
    """A big admin window, moved partly off the screen (a saved geometry from a bigger monitor), comes
    back after the kiosk wholly inside the screen's available geometry. The session's offscreen screen
    is 800x800; ``test_admin_window_back_inside_an_800x480_screen`` reruns this on an 800x480 one."""
    admin = QMainWindow()
    qtbot.addWidget(admin)
    admin.resize(1180, 760)
    admin.move(300, 200)
    admin.show()
    kiosk_env.ctx.parent = admin
    expected = os.environ.get("KIOSK_TEST_SCREEN")

    async def flow():
        window = await _ready(kiosk_env)
        window.exit_button.click()
        window.pin.enter("2468")
        await wait_until(lambda: admin.isVisible() and gone(window), what="admin back")
        await settle()
        screen = admin.screen()
        return screen.availableGeometry(), admin.frameGeometry()

    area, frame = run(qloop, flow())
    if expected:
        assert f"{area.width()}x{area.height()}" == expected
    assert area.contains(frame), (area, frame)


def test_admin_window_back_inside_an_800x480_screen(tmp_path):
    """The test above in a child pytest whose offscreen screen is 800x480 (a shop's touch display)."""
    if os.environ.get("KIOSK_TEST_SCREEN"):
        pytest.skip("already the child run")
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "shop", "x": 0, "y": 0, "width": 800, "height": 480,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "KIOSK_TEST_SCREEN": "800x480"}
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(  # noqa: S603 - our own interpreter and test file
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
         f"{Path(__file__).relative_to(root)}::test_admin_window_comes_back_inside_the_screen"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout + proc.stderr


def test_pin_dots_only_for_typed_digits(kiosk_env, qloop):
    async def flow():
        window = await _ready(kiosk_env)
        window.exit_button.click()
        shown = [window.pin.dots.text()]
        for key in "135":
            window.pin.press(key)
            shown.append(window.pin.dots.text())
        window.pin.press("⌫")
        shown.append(window.pin.dots.text())
        window.pin.cancel_button.click()
        window.exit_button.click()  # asked again: empty again
        shown.append(window.pin.dots.text())
        return shown

    assert run(qloop, flow()) == ["", "●", "●●", "●●●", "●●", ""]
