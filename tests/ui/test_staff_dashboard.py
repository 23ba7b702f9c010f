"""The dashboard's sales per person and terminal with tips (today / 7 / 30 days), from the real
InvoiceService.sales_by_person over SQLite; hidden while nobody in particular sold anything."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.ui.dashboard import Dashboard
from tests.ui.conftest import shots
from tests.ui.staff_shop import StaffShop, cells, staff_shop_fixture  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui


def test_sales_per_person_and_terminal_with_tips(staff_shop: StaffShop, qtbot: Any) -> None:
    shop = staff_shop
    s = shop.services
    shop.run(s.rates.set_manual_rate("EUR", Decimal("50000")))
    dash = Dashboard(shop.ctx)
    qtbot.addWidget(dash)
    dash.resize(1280, 800)
    dash.show()
    dash.reload()
    shop.run(s.invoices.create(shop.store.id, price="3.00"))  # an API sale: no person
    shop.wait(lambda: dash.summary is not None, "dashboard loaded")
    shop.settle()
    assert not dash.staff_sales.isVisible()  # nobody in particular sold: as before

    ben = s.staff.actor_of(shop.add("Ben", "cashier"))
    cleo_p = shop.add("Cleo", "cashier")
    till, _ = shop.run(s.terminals.add("Till 1", shop.store.id, [cleo_p.id]))
    cleo = s.staff.actor_of(cleo_p, terminal_id=till.id)
    sold = [shop.run(s.invoices.create(shop.store.id, price="10.00", tip=Decimal("1.50"), actor=ben)),
            shop.run(s.invoices.create(shop.store.id, price="5.50", tip=Decimal("0.50"), actor=ben)),
            shop.run(s.invoices.create(shop.store.id, price="4.00", actor=cleo))]
    for invoice in sold:
        shop.run(s.invoices.mark(invoice.id, "complete"))
    dash.reload()
    shop.wait(lambda: dash.staff_sales.isVisible() and dash.staff_sales.table.rowCount() == 2, "per person")
    rows = {r[0]: r for r in cells(dash.staff_sales.table)}
    assert rows["Ben"][1:3] == ["—", "2"] and rows["Ben"][3].startswith("€15.50")
    assert rows["Ben"][4] == "€2.00"
    assert rows["Cleo"][1:3] == ["Till 1", "1"] and rows["Cleo"][4] == "—"
    assert dash.staff_sales.days == 1
    dash.staff_sales.show_days(30)
    shop.wait(lambda: dash.staff_sales.days == 30 and dash.staff_sales.table.rowCount() == 2, "30 days")
    shots(dash, "dashboard-staff-sales", shop.settle)
