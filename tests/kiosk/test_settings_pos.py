"""Settings → Point of sale (offscreen, the real PinGuard on in-memory storage): set, change and reset
the merchant PIN with errors beside their fields; the kiosk options reach the next kiosk.

Screenshots: tests/artifacts/ui/settings-pos-<w>x<h>.png and settings-pos-set-<w>x<h>.png."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox

from app.ui.kiosk.options import load_options
from app.ui.pos import open_pos
from app.ui.settings_pos import PosSettingsPage
from tests.kiosk.conftest import run, settle, wait_until
from tests.kiosk.geometry import clipped, ui_shot

pytestmark = pytest.mark.gui


def _type(page: PosSettingsPage, new: str, repeat: str | None = None, current: str = "") -> None:
    page.current.setText(current)
    page.new_pin.setText(new)
    page.repeat.setText(new if repeat is None else repeat)


def test_owner_sets_changes_and_resets_the_pin(kiosk_env, qloop, qtbot):
    pin = kiosk_env.pos.pin
    page = PosSettingsPage(pin, kiosk_env.ctx.qsettings, kiosk_env.ctx.run)
    qtbot.addWidget(page)
    page.resize(800, 480)
    page.show()

    async def flow() -> dict:
        out: dict = {}
        page.reload()
        await wait_until(lambda: page.pin_set is False, what="state loaded")
        await settle()
        ui_shot(page, "settings-pos")
        out["unset"] = (page.save_button.text(), page.current_row.isVisible(), page.reset_button.isVisible(),
                        page.pin_state.text(), clipped(page))
        out["echo"] = {f.echoMode() for f in (page.current, page.new_pin, page.repeat)}
        out["placeholders"] = {f.placeholderText() for f in (page.current, page.new_pin, page.repeat)}
        page.new_pin.setText("")
        qtbot.keyClicks(page.new_pin, "12ab3")  # the validator takes digits only
        out["digits_only"] = page.new_pin.text()
        _type(page, "12")
        page.save_button.click()
        out["short"] = page.errors.message("pin")
        _type(page, "2468", "2467")
        page.save_button.click()
        out["different"] = page.errors.message("repeat")
        _type(page, "2468")
        page.save_button.click()
        await wait_until(lambda: "PIN set" in page.status.text(), what="PIN set")
        out["set_ok"] = (await pin.verify("2468")).ok
        await settle()
        ui_shot(page, "settings-pos-set")
        out["set"] = (page.save_button.text(), page.current_row.isVisible(), page.reset_button.isVisible(),
                      page.new_pin.text(), clipped(page))
        _type(page, "1357", current="1111")
        page.save_button.click()
        await wait_until(lambda: page.errors.message("current"), what="wrong current PIN")
        out["wrong"] = page.errors.message("current")
        _type(page, "1357", current="2468")
        page.save_button.click()
        await wait_until(lambda: page.status.text() == "PIN changed.", what="changed")
        out["changed_ok"] = (await pin.verify("1357")).ok
        _type(page, "8080")
        page.reset_button.click()
        box = page.reset_dialog
        yes = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
        yes.click()
        await wait_until(lambda: "PIN reset" in page.status.text(), what="reset")
        out["reset_ok"] = ((await pin.verify("8080")).ok, (await pin.verify("1357")).ok)
        return out

    out = run(qloop, flow())
    assert out["unset"][:3] == ("Set PIN", False, False) and "does not open" in out["unset"][3]
    assert out["unset"][4] == [] and out["set"][4] == []
    assert out["echo"] == {QLineEdit.EchoMode.Password} and out["placeholders"] == {""}
    assert out["digits_only"] == "123"
    assert "4 to 8" in out["short"] and "different" in out["different"]
    assert out["set_ok"] and out["set"][:4] == ("Change PIN", True, True, "")
    assert "Wrong PIN. 4 tries left" in out["wrong"]
    assert out["changed_ok"] and out["reset_ok"] == (True, False)


def test_page_fits_1280x800(kiosk_env, qloop, qtbot):
    page = PosSettingsPage(kiosk_env.pos.pin, kiosk_env.ctx.qsettings, kiosk_env.ctx.run)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()

    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        page.reload()
        await wait_until(lambda: page.pin_set, what="state loaded")
        await settle()
        ui_shot(page, "settings-pos")
        return clipped(page)

    assert run(qloop, flow()) == []


def test_kiosk_options_reach_the_next_kiosk(kiosk_env, qloop, qtbot):
    ctx = kiosk_env.ctx
    page = PosSettingsPage(kiosk_env.pos.pin, ctx.qsettings, ctx.run)
    qtbot.addWidget(page)
    page.auto_return.setValue(45)
    page.sound.setChecked(False)
    options = load_options(ctx.qsettings)

    async def flow():
        await kiosk_env.pos.pin.set_pin("2468")
        window = open_pos(ctx, "sto_k")  # as the window's Point of sale button does
        await wait_until(lambda: window.current is getattr(window, "sale", None), what="sale screen")
        return window.paid.auto_return_s, window.paid.sound

    assert (options.auto_return_s, options.sound) == (45, False)
    assert run(qloop, flow()) == (45, False)
