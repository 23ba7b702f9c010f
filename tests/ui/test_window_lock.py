"""The window lock on the real GuiController over real services (SQLite): with a window password the
window starts on the lock screen; a wrong password is said beside the field; a cashier sees only what a
cashier may use and the services refuse the cashier's actor anyway; File → Lock (Ctrl+L) locks again;
a manager sees Staff, Terminals and the Audit log of Settings only; without any password nothing changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.core.staff import SYSTEM, NotAllowed
from app.ui.controller import GuiController
from app.ui.lock_screen import LockScreen
from tests.ui.conftest import shots
from tests.ui.staff_shop import OWNER_PASSWORD, StaffShop, error_beside, open_staff_shop

pytestmark = pytest.mark.gui


class ShopRuntime:
    """The runtime the controller drives, around services that already run (the test's)."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def start_chain_loop(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture(name="staff_shop")
def chainless_shop(qloop: Any, tmp_path: Any) -> Iterator[StaffShop]:
    """The whole window runs here, so no half chain: none at all (the dashboard says so)."""
    yield from open_staff_shop(qloop, tmp_path, None)


@pytest.fixture
def window(staff_shop: StaffShop) -> Iterator[Any]:
    yield lambda: start_window(staff_shop)


def start_window(shop: StaffShop) -> Any:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    controller = GuiController(shop.ctx.settings, lambda _s: ShopRuntime(shop.services), crash_dialogs=False)
    controller.prepare()
    main = shop.loop.create_task(controller.run())
    shop.wait(lambda: controller._attached is not None and controller._attached.is_set(), "window attached")
    shop.stop = lambda: stop(shop, controller, main)  # type: ignore[attr-defined]
    return controller


def stop(shop: StaffShop, controller: Any, main: asyncio.Task[int]) -> None:
    controller.request_quit()
    shop.loop.run_until_complete(asyncio.wait_for(asyncio.shield(main), 20))
    assert not controller.reporter.crashes, controller.reporter.crashes[0]


def visible_nav(controller: Any) -> list[str]:
    nav = controller.window.nav
    return [nav.item(r).text() for r in range(nav.count()) if not nav.item(r).isHidden()]


def unlock(shop: StaffShop, controller: Any, name: str, password: str) -> None:
    screen = controller.lock_screen
    screen.name.setText(name)
    screen.password.setText(password)
    screen.unlock_button.click()
    shop.wait(lambda: not controller.window.locked, f"unlocked by {name}")


def test_cashier_and_owner_unlock_and_lock_again(staff_shop: StaffShop, window: Any) -> None:
    shop = staff_shop
    ada = shop.add("Ada", "owner", password=OWNER_PASSWORD)
    ben = shop.add("Ben", "cashier", password="cashier pass 1")
    controller = window()
    try:
        win = controller.window
        assert win.locked and isinstance(controller.lock_screen, LockScreen)
        assert win.stack.currentWidget() is controller.lock_screen and not win.nav.isVisible()
        assert not win.actions_by_name["newInvoice"].isEnabled() and not win.actions_by_name["lock"].isEnabled()
        assert win.actions_by_name["quit"].isEnabled()
        win.show_view("Wallets")  # Ctrl+5 while locked: nothing
        assert win.stack.currentWidget() is controller.lock_screen

        screen = controller.lock_screen
        screen.name.setText("Ben")
        screen.password.setText("wrong password")
        screen.unlock_button.click()
        shop.wait(lambda: error_beside(screen, "password"), "refused")
        assert error_beside(screen, "password") == "The name or the password is wrong."
        assert win.locked and screen.password.text() == ""
        shots(win, "window-lock-wrong-password", shop.settle)

        unlock(shop, controller, "Ben", "cashier pass 1")
        actor = controller.ctx.actor
        assert actor.person_id == ben.id and actor.role == "cashier"
        assert visible_nav(controller) == ["About"]
        assert win.person_label.text() == "Ben (cashier) · Ctrl+L locks"
        assert win.current_view_name() == "About"
        win.show_view("Wallets")
        assert win.current_view_name() == "About"
        assert win.actions_by_name["pointOfSale"].isEnabled()
        assert not win.actions_by_name["newInvoice"].isEnabled() and not win.actions_by_name["backup"].isEnabled()
        assert win.actions_by_name["lock"].isEnabled()
        for refused in (shop.services.staff.list(actor=actor), shop.services.terminals.list(actor=actor),
                        shop.services.audit.list(actor=actor),
                        shop.services.staff.add("Eve", "cashier", "9999", store_ids=[shop.store.id], actor=actor)):
            with pytest.raises(NotAllowed):
                shop.run(refused)
        shots(win, "window-unlocked-cashier", shop.settle)

        win.actions_by_name["lock"].trigger()  # File → Lock (Ctrl+L)
        assert win.locked and win.stack.currentWidget() is controller.lock_screen
        assert controller.lock_screen.password.text() == ""
        shots(win, "window-lock", shop.settle)
        unlock(shop, controller, "ada", OWNER_PASSWORD)  # the name in any case
        assert controller.ctx.actor.person_id == ada.id
        assert visible_nav(controller) == list(controller.views)
        settings = controller.settings_view
        assert all(settings.tabs.isTabVisible(i) for i in range(settings.tabs.count()))
        actions = [e.action for e in shop.run(shop.services.audit.list())]
        assert actions[:3] == ["window.unlock", "window.unlock", "window.unlock_failed"]
    finally:
        shop.stop()  # type: ignore[attr-defined]


def test_manager_sees_the_staff_pages_of_settings_only(staff_shop: StaffShop, window: Any) -> None:
    shop = staff_shop
    shop.add("Ada", "owner")
    maria = shop.add("Maria", "manager", password="manager pass 1")
    controller = window()
    try:
        unlock(shop, controller, "Maria", "manager pass 1")
        assert controller.ctx.actor.person_id == maria.id
        assert visible_nav(controller) == ["Dashboard", "Invoices", "Payouts", "Stores", "Products", "Settings",
                                           "About"]
        settings = controller.settings_view
        tabs = [settings.tabs.tabText(i) for i in range(settings.tabs.count()) if settings.tabs.isTabVisible(i)]
        assert tabs == ["Staff", "Terminals", "Audit log"]
        controller.window.show_view("Settings")
        staff = settings.staff
        shop.wait(lambda: staff.table.rowCount() == 1, "the manager's people")
        assert staff.table.item(0, 0).text() == "Maria"  # the owner is not in Maria's stores
        shop.run(shop.services.rates.set_manual_rate("EUR", Decimal("50000")))
        dialog = controller.new_invoice(shop.store.id)  # File → New invoice, as Maria
        dialog.create_now(shop.store.id, Decimal("7.50"), "EUR")
        shop.wait(lambda: dialog.invoice is not None, "invoice created")
        assert shop.run(shop.services.invoices.get(dialog.invoice.id)).created_by == maria.id
        created = [e for e in shop.run(shop.services.audit.list(person_id=maria.id)) if e.action == "invoice.create"]
        assert [e.target_id for e in created] == [dialog.invoice.id]
    finally:
        shop.stop()  # type: ignore[attr-defined]


def test_without_a_window_password_the_window_opens_as_before(staff_shop: StaffShop, window: Any) -> None:
    shop = staff_shop
    shop.add("Ben", "cashier")  # people, but nobody with a window password
    controller = window()
    try:
        win = controller.window
        assert not win.locked and controller.lock_screen is None
        assert controller.ctx.actor is SYSTEM
        assert visible_nav(controller) == list(controller.views)
        assert not win.actions_by_name["lock"].isEnabled() and win.actions_by_name["newInvoice"].isEnabled()
    finally:
        shop.stop()  # type: ignore[attr-defined]
