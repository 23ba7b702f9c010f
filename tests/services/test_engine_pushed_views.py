"""The engine reconciles an AddressesChanged with the views the event carries, and falls back to
reading the chain whenever such a view may not be the newest it knows (tip moved, a later event
without a view, a read or a sweep since)."""

import asyncio
from decimal import Decimal

from app.chain.models import AddressesChanged, AddressView
from app.core.payments import ObservedOutput
from app.core.statuses import InvoiceStatus
from tests.conftest import TEST_VPUB

TIP = 200  # the fake chain's tip


async def _invoice(services):
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    store = await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id])
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.invoices.create(store.id, price="10.00")  # 20000 sat


def _paid_view(invoice) -> AddressView:
    return AddressView(address=invoice.address, complete=True,
                       outputs=(ObservedOutput("aa" * 32, 0, invoice.amount_due_sat, 0, True),))


def _changed(invoice, *views: AddressView, tip: int | None = TIP) -> AddressesChanged:
    return AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id, views=views,
                            tip_height=tip)


async def _settled(services, reconciled_before: int) -> None:
    """Wait until the engine reconciled something since `reconciled_before` and went idle."""
    async with asyncio.timeout(5):
        while services.engine.reconciled == reconciled_before or services.engine._wake.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)


async def test_pushed_view_is_used_without_reading_the_chain(services):
    invoice = await _invoice(services)
    before = services.engine.reconciled
    services.engine.on_chain_event(_changed(invoice, _paid_view(invoice)))
    await _settled(services, before)
    assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.PAID
    assert invoice.address not in services.fake_chain.reads


async def test_pushed_view_from_another_tip_is_read_again(services):
    invoice = await _invoice(services)
    services.fake_chain.outputs[invoice.address] = list(_paid_view(invoice).outputs)
    before = services.engine.reconciled
    services.engine.on_chain_event(_changed(invoice, AddressView(invoice.address, True, ()), tip=TIP - 1))
    await _settled(services, before)
    assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.PAID
    assert invoice.address in services.fake_chain.reads


async def test_later_event_without_view_voids_the_pushed_one(services):
    invoice = await _invoice(services)  # the fake chain reports nothing for the address
    before = services.engine.reconciled
    services.engine.on_chain_event(_changed(invoice, _paid_view(invoice)))
    services.engine.on_chain_event(_changed(invoice, tip=None))
    await _settled(services, before)
    assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.PENDING
    assert invoice.address in services.fake_chain.reads


async def test_full_sweep_forgets_pushed_views(services):
    invoice = await _invoice(services)
    before = services.engine.reconciled
    services.engine.on_chain_event(_changed(invoice, _paid_view(invoice)))
    services.engine.request_full_sweep()
    await _settled(services, before)
    assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.PENDING
    assert invoice.address in services.fake_chain.reads


async def test_a_read_drops_views_pushed_before_it(services):
    invoice = await _invoice(services)
    engine = services.engine
    await engine.stop()  # drive the engine by hand: no worker racing this test
    engine.on_chain_event(_changed(invoice, _paid_view(invoice)))
    assert invoice.address in engine._pushed_views
    await engine._fetch_views(invoice.wallet_id, [invoice.address])
    assert invoice.address not in engine._pushed_views
    await engine._do_pending_work()  # the dirty address is reconciled from a read, not the old view
    assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.PENDING
