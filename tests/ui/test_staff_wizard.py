"""The wizard's owner page on real services (SQLite): PIN twice and the password's length checked beside the
fields before Next, the summary names the owner, Finish writes the owner with the store (the real
StaffService then knows their PIN and password; the window will start locked)."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.chain_route import ChainRoute
from app.core.staff import Role
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, shots, wait_until
from tests.ui.scenario import settle
from tests.ui.staff_shop import error_beside
from tests.ui.test_wizard import open_wizard

pytestmark = pytest.mark.gui


def to_owner_page(wizard: Any) -> None:
    wizard.next()
    wizard.wallet_page.form.keys.setPlainText(TEST_VPUB)
    assert wizard.wallet_page.form.validate_now()
    wizard.next()
    wizard.store_page.name.setText("Corner Shop")
    wizard.store_page.rate.setText("65000")
    wizard.next()
    wizard.next()
    if not wizard.chain_page.form.complete():
        wizard.chain_page.form.radios[ChainRoute.DIRECT].setChecked(True)
    wizard.next()
    assert wizard.currentPage() is wizard.owner_page


def test_owner_page_checks_beside_the_fields_and_finish_writes_the_owner(shop: Any, qtbot: Any) -> None:
    wizard = open_wizard(shop, qtbot)
    to_owner_page(wizard)
    page = wizard.owner_page
    run(shop.loop, wait_until(lambda: not page.exists, what="no owner yet"))
    page.name.setText("Ada")
    page.pin.setText("1234")
    page.pin_again.setText("1243")
    wizard.next()
    assert wizard.currentPage() is page
    assert error_beside(page, "pin_again") == "The two PINs differ; type the same PIN twice."
    page.pin_again.setText("1234")
    page.password.setText("short")
    page.password_again.setText("short")
    wizard.next()
    assert wizard.currentPage() is page
    assert error_beside(page, "password") == "A window password is 8 to 200 characters."
    shots(wizard, "wizard-owner-error", lambda: run(shop.loop, settle()))
    page.password.setText("correct horse battery")
    page.password_again.setText("correct horse battery")
    wizard.next()
    assert wizard.currentPage() is wizard.summary_page
    assert wizard.summary_page.rows["Owner"].text() == "Ada, with a PIN and a window password"
    wizard.accept()
    run(shop.loop, wait_until(lambda: not wizard.isVisible(), what="wizard closed"))
    staff = shop.services.staff
    people = run(shop.loop, staff.list())
    assert [(p.name, p.role, p.has_password) for p in people] == [("Ada", Role.OWNER, True)]
    assert run(shop.loop, staff.check_pin(people[0].id, "1234")).ok
    assert run(shop.loop, staff.window_locked()) is True
    assert run(shop.loop, staff.window_login("Ada", "correct horse battery")).person_id == people[0].id


def test_an_empty_owner_page_adds_nobody(shop: Any, qtbot: Any) -> None:
    wizard = open_wizard(shop, qtbot)
    to_owner_page(wizard)
    wizard.next()
    assert wizard.summary_page.rows["Owner"].text() == "none yet (add people in Settings → Staff)"
    wizard.accept()
    run(shop.loop, wait_until(lambda: not wizard.isVisible(), what="wizard closed"))
    assert run(shop.loop, shop.services.staff.list()) == []
    assert run(shop.loop, shop.services.staff.window_locked()) is False
