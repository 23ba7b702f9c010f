"""Issue 17 item 4 in the window, on real services: the Wallets view warns (in the warning colour) when a run
of unused handed-out addresses reaches the wallet's gap limit, saying what it means for a restore; the
Stores form switches the shop page's public invoices and sets their budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.ui.stores_view import StoresView
from app.ui.wallets_view import WalletsView
from tests.conftest import TEST_VPUB
from tests.ui.conftest import run, wait_until
from tests.ui.scenario import settle

pytestmark = pytest.mark.gui


def _unpaid_invoices(shop, count: int, *, gap_limit: int = 3) -> None:
    async def make():
        wallet = await shop.services.wallets.add_wallet("Till", TEST_VPUB, gap_limit=gap_limit)
        store = await shop.services.stores.create("Café", default_currency="EUR", wallet_ids=[wallet.id])
        await shop.services.rates.set_manual_rate("EUR", Decimal("60000"))
        for _ in range(count):
            await shop.services.invoices.create(store.id, price="1.00")

    shop.run(make())


def _wallets_view(shop, qtbot) -> WalletsView:
    async def wallet_balance(_wallet_id: str) -> tuple[int, int]:
        return 150_000, 0

    shop.chain.wallet_balance = wallet_balance  # the services' FakeChain has no balances
    return shop.open_view(WalletsView, qtbot, lambda view: view.table.rowCount() == 1, "wallets loaded")


def test_wallets_view_warns_when_unused_addresses_reach_the_gap_limit(shop, qtbot, artifacts):
    _unpaid_invoices(shop, 4, gap_limit=3)
    view = _wallets_view(shop, qtbot)
    text = view.warning.text()
    assert not view.warning.isHidden() and view.warning.property("role") == "warning"
    assert text == ("⚠ Till: 4 addresses in a row were handed out and not paid (gap limit 3). A wallet restored "
                    "from its seed in another wallet app may not see payments beyond 3 unused addresses; raise "
                    "the gap limit there to at least 5.")
    assert view.warning.palette().color(view.warning.foregroundRole()).name().lower() == "#b26a00"
    for w, h in ((800, 480), (1280, 800)):
        view.resize(w, h)
        run(shop.loop, settle())
        assert not view.warning.visibleRegion().isEmpty()
        view.grab().save(str(artifacts / f"wallets-gap-warning-{w}x{h}.png"))


def test_no_warning_below_the_gap_limit(shop, qtbot):
    _unpaid_invoices(shop, 2, gap_limit=3)
    view = _wallets_view(shop, qtbot)
    assert view.warning.text() == "" and view.warning.isHidden()


def _stores_view(shop, qtbot) -> StoresView:
    return shop.open_view(StoresView, qtbot, lambda view: view.form.name.text() == "Café", "store loaded")


def _checkout(shop):
    store = shop.run(shop.services.stores.list())[0]
    return store.checkout


def test_store_form_switches_public_invoices_and_sets_the_budget(shop, qtbot, artifacts):
    _unpaid_invoices(shop, 0)
    view = _stores_view(shop, qtbot)
    form = view.form
    assert not form.public_orders.isChecked()  # no catalogue: the shop page takes no orders by default
    assert form.public_budget.value() == 50
    view.save_button.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Saved Café.", what="saved"))
    checkout = _checkout(shop)
    assert "anyone_can_create_invoice" not in checkout and "public_invoice_budget" not in checkout  # still default
    run(shop.loop, wait_until(lambda: form.name.text() == "Café", what="reloaded"))
    form.public_orders.setChecked(True)
    form.public_budget.setValue(3)
    view.status.setText("")
    view.save_button.click()
    run(shop.loop, wait_until(lambda: view.status.text() == "Saved Café.", what="saved again"))
    checkout = _checkout(shop)
    assert checkout["anyone_can_create_invoice"] is True and checkout["public_invoice_budget"] == 3
    for w, h in ((800, 480), (1280, 800)):
        view.resize(w, h)
        run(shop.loop, settle())
        view.form_scroll.ensureWidgetVisible(form.public_budget)
        run(shop.loop, settle())
        view.grab().save(str(artifacts / f"store-form-shop-page-{w}x{h}.png"))


def test_store_with_a_catalogue_takes_orders_by_default(shop, qtbot):
    _unpaid_invoices(shop, 0)
    store = shop.run(shop.services.stores.list())[0]
    shop.run(shop.services.products.create(store.id, name="Espresso", price="2.50"))
    view = _stores_view(shop, qtbot)
    run(shop.loop, wait_until(lambda: view.form.public_orders.isChecked(), what="catalogue default"))
