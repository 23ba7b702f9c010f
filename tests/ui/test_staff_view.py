"""Settings → Staff on the real StaffService (SQLite): add, errors beside the fields, edit, reset PIN,
set/clear the window password, deactivate; a manager's actor only offers cashiers and is refused the rest."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.core.staff import Role
from app.ui.staff_view import PersonDialog, SecretDialog, StaffPage
from tests.ui.conftest import shots
from tests.ui.staff_shop import (  # noqa: F401 - the fixture
    OWNER_PASSWORD,
    StaffShop,
    accept,
    cells,
    error_beside,
    general_error,
    in_tabs,
    staff_shop_fixture,
)

pytestmark = pytest.mark.gui


def open_page(shop: StaffShop, qtbot: Any) -> StaffPage:
    page = StaffPage(shop.services.staff, shop.services.stores, lambda: shop.ctx.actor, shop.ctx.run)
    in_tabs(qtbot, page, "Staff")
    page.reload()
    shop.wait(lambda: page.store_list, "stores loaded")
    return page


def person_dialog(page: StaffPage) -> PersonDialog:
    assert isinstance(page.dialog, PersonDialog) and page.dialog.isVisible()
    return page.dialog


def check_store(dialog: PersonDialog, name: str) -> None:
    for i in range(dialog.stores.count()):
        item = dialog.stores.item(i)
        if item.text() == name:
            item.setCheckState(Qt.CheckState.Checked)


def test_add_people_with_errors_beside_the_fields(staff_shop: StaffShop, qtbot: Any) -> None:
    shop = staff_shop
    page = open_page(shop, qtbot)
    assert page.empty.isVisibleTo(page) and page.table.rowCount() == 0
    assert not page.buttons["editPerson"].isEnabled() and page.buttons["addPerson"].isEnabled()

    page.buttons["addPerson"].click()
    dialog = person_dialog(page)
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())] == ["Owner", "Manager", "Cashier"]
    dialog.name.setText("Ada")
    dialog.role.setCurrentIndex(dialog.role.findData("owner"))
    assert not dialog.stores.isEnabled() and dialog.stores_note.isVisibleTo(dialog)
    dialog.pin.setText("1234")
    dialog.pin_again.setText("1243")
    dialog.save_button.click()
    assert error_beside(dialog, "pin_again") == "The two PINs differ; type the same PIN twice."
    dialog.pin_again.setText("1234")
    dialog.password.setText("short")
    dialog.password_again.setText("short")
    dialog.save_button.click()
    shop.wait(lambda: error_beside(dialog, "password"), "password refused by the service")
    assert error_beside(dialog, "password") == "A window password is 8 to 200 characters."
    shots(dialog, "staff-add-person-error", shop.settle)
    dialog.password.setText(OWNER_PASSWORD)
    dialog.password_again.setText(OWNER_PASSWORD)
    dialog.save_button.click()
    shop.wait(lambda: page.status.text() == "Added Ada.", "owner added")
    assert not dialog.isVisible() and dialog.pin.text() == "" and dialog.password.text() == ""
    shop.wait(lambda: page.table.rowCount() == 1, "the table reloaded")  # the reload runs after the status
    assert cells(page.table) == [["Ada", "Owner", "all stores", "yes", ""]]
    assert shop.run(shop.services.staff.window_locked()) is True

    page.buttons["addPerson"].click()
    dialog = person_dialog(page)
    dialog.name.setText("Ben")
    dialog.role.setCurrentIndex(dialog.role.findData("cashier"))
    dialog.pin.setText("5678")
    dialog.pin_again.setText("5678")
    dialog.save_button.click()  # no store ticked
    shop.wait(lambda: error_beside(dialog, "store_ids"), "stores refused")
    assert error_beside(dialog, "store_ids") == "A manager or cashier works in at least one store."
    check_store(dialog, "Harbour Kiosk")
    dialog.name.setText("ada")  # the same name, other case
    dialog.save_button.click()
    shop.wait(lambda: error_beside(dialog, "name"), "name taken")
    assert error_beside(dialog, "name") == "Someone is already called ada."
    dialog.name.setText("Ben")
    dialog.save_button.click()
    shop.wait(lambda: page.table.rowCount() == 2, "cashier added")
    assert cells(page.table)[1] == ["Ben", "Cashier", "Harbour Kiosk", "no", ""]
    ben = next(p for p in shop.run(shop.services.staff.list()) if p.name == "Ben")
    assert ben.role is Role.CASHIER and ben.store_ids == (shop.other.id,)
    assert shop.run(shop.services.staff.check_pin(ben.id, "5678")).ok
    shots(page.window(), "settings-staff", shop.settle)


def test_edit_reset_pin_password_and_deactivate(staff_shop: StaffShop, qtbot: Any) -> None:
    shop = staff_shop
    ada = shop.add("Ada", "owner", password=OWNER_PASSWORD)
    ben = shop.add("Ben", "cashier")
    page = open_page(shop, qtbot)
    shop.wait(lambda: page.table.rowCount() == 2, "people shown")

    page.select(ben.id)
    page.buttons["editPerson"].click()
    dialog = person_dialog(page)
    assert dialog.name.text() == "Ben" and dialog.chosen_stores() == [shop.store.id]
    assert dialog.pin.isHidden()  # editing never touches the PIN
    dialog.role.setCurrentIndex(dialog.role.findData("manager"))
    dialog.set_stores([shop.store.id, shop.other.id])
    dialog.save_button.click()
    shop.wait(lambda: page.status.text() == "Saved Ben.", "edited")
    shop.wait(lambda: page.table.rowCount() == 2 and cells(page.table)[1][1] == "Manager", "the table reloaded")
    assert cells(page.table)[1][:3] == ["Ben", "Manager", "Corner Café, Harbour Kiosk"]

    page.select(ben.id)
    page.buttons["resetPin"].click()
    secret = page.dialog
    assert isinstance(secret, SecretDialog) and secret.windowTitle() == "New PIN for Ben"
    secret.first.setText("12")
    secret.again.setText("12")
    secret.save_button.click()
    shop.wait(lambda: error_beside(secret, "pin"), "short PIN refused")
    assert error_beside(secret, "pin") == "The PIN is 4 to 8 digits."
    secret.first.setText("24680")
    secret.again.setText("24680")
    secret.save_button.click()
    shop.wait(lambda: page.status.text() == "New PIN set for Ben.", "PIN reset")
    assert shop.run(shop.services.staff.check_pin(ben.id, "24680")).ok
    assert not shop.run(shop.services.staff.check_pin(ben.id, "1234")).ok

    page.select(ben.id)
    page.buttons["setPassword"].click()
    secret = page.dialog
    assert isinstance(secret, SecretDialog)
    secret.first.setText("manager pass 1")
    secret.again.setText("manager pass 1")
    secret.save_button.click()
    shop.wait(lambda: cells(page.table)[1][3] == "yes", "password set")
    assert shop.run(shop.services.staff.window_login("Ben", "manager pass 1")).person_id == ben.id

    page.select(ada.id)
    page.buttons["clearPassword"].click()
    assert "Clear Ada's window password?" in accept(page.confirm_box)
    shop.wait(lambda: cells(page.table)[0][3] == "no", "password cleared")

    page.select(ben.id)
    page.buttons["deactivatePerson"].click()
    assert "stop working at once" in accept(page.confirm_box)
    shop.wait(lambda: page.table.rowCount() == 1, "deactivated")
    assert page.status.text() == "Ben is deactivated."
    assert not shop.run(shop.services.staff.get(ben.id)).active
    assert shop.run(shop.services.staff.window_locked()) is False  # nobody active has a password now


def test_a_manager_is_offered_cashiers_only_and_refused_beyond_their_stores(staff_shop: StaffShop,
                                                                            qtbot: Any) -> None:
    shop = staff_shop
    shop.add("Ada", "owner")
    maria = shop.add("Maria", "manager")  # Corner Café only
    shop.ctx.actor = shop.services.staff.actor_of(maria)
    page = open_page(shop, qtbot)
    shop.wait(lambda: page.table.rowCount() >= 1, "people shown")
    page.buttons["addPerson"].click()
    dialog = person_dialog(page)
    assert [dialog.role.itemText(i) for i in range(dialog.role.count())] == ["Cashier"]
    dialog.name.setText("Cleo")
    check_store(dialog, "Harbour Kiosk")  # not Maria's store
    dialog.pin.setText("1111")
    dialog.pin_again.setText("1111")
    dialog.save_button.click()
    shop.wait(lambda: general_error(dialog), "refused")
    assert general_error(dialog) == "A manager may add cashiers of their own stores only."
    dialog.set_stores([shop.store.id])
    dialog.save_button.click()
    shop.wait(lambda: page.status.text() == "Added Cleo.", "cashier added by the manager")
    audit = shop.run(shop.services.audit.list(person_id=maria.id))
    assert [e.action for e in audit] == ["staff.add"] and audit[0].person_name == "Maria"
