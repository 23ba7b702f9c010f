import asyncio
from decimal import Decimal

import pytest

from app.chain.models import AddressesChanged, TipChanged
from app.core.errors import InvalidKey, RateUnavailable, StoreHasNoWallet, ValidationError
from app.core.payments import ObservedOutput
from app.core.statuses import InvoiceStatus, PaymentState


async def _wait_status(services, invoice_id, status, wait_s=5.0):
    deadline = asyncio.get_running_loop().time() + wait_s
    while asyncio.get_running_loop().time() < deadline:
        invoice = await services.invoices.get(invoice_id)
        if invoice.status == status:
            return invoice
        await asyncio.sleep(0.02)
    raise AssertionError(f"invoice stayed {invoice.status}, wanted {status}")


async def _store(services, **kw):
    from tests.conftest import TEST_VPUB as TPUB_SEED_VPUB

    wallet = await services.wallets.add_wallet("main", TPUB_SEED_VPUB)
    return await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id], **kw)


async def test_create_pay_confirm_complete(services):
    store = await _store(services, speed_policy=1)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    invoice = await services.invoices.create(store.id, price="10.00")
    assert invoice.amount_due_sat == 20000 and invoice.rate == Decimal("50000")
    chain = services.fake_chain
    chain.outputs[invoice.address] = [ObservedOutput("aa" * 32, 0, 20000, 0, True)]
    services.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id))
    paid = await _wait_status(services, invoice.id, InvoiceStatus.PAID)
    assert paid.payments[0].state == PaymentState.MEMPOOL
    chain.outputs[invoice.address] = [ObservedOutput("aa" * 32, 0, 20000, 201, True)]
    chain.current.tip_height = 201
    services.engine.on_chain_event(TipChanged(height=201))
    done = await _wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
    assert done.payments[0].confirmations == 1
    events = await services.events.read_since(0)
    assert [e.type for e in events if e.invoice_id == invoice.id][0] == "invoice.created"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def test_addresses_are_never_reused(services):
    store = await _store(services)
    invoices = [await services.invoices.create(store.id, price="0.001", currency="BTC") for _ in range(20)]
    assert len({i.address for i in invoices}) == 20
    assert sorted(i.derivation_index for i in invoices) == list(range(20))


async def test_bad_input_is_rejected_without_writes(services):
    with pytest.raises(InvalidKey):
        await services.wallets.add_wallet("x", "not a key")
    store = await services.stores.create("Empty", default_currency="USD")
    with pytest.raises(StoreHasNoWallet):
        await services.invoices.create(store.id, price="1", currency="BTC")
    store = await _store(services)
    with pytest.raises(RateUnavailable):
        await services.invoices.create(store.id, price="1.00", currency="EUR")
    with pytest.raises(ValidationError):
        await services.invoices.create(store.id, price="-1", currency="BTC")
    with pytest.raises(ValidationError):
        await services.invoices.create(store.id, price="0", currency="BTC")
    page = await services.invoices.list()
    assert page.total == 0
    wallet = (await services.wallets.list())[0]
    assert wallet.next_index == 0


async def test_sales_summary_aggregates_per_day_exactly(services):
    from sqlalchemy import update

    from app.db.models import InvoiceRow

    store = await _store(services)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    paid = [await services.invoices.create(store.id, price=p) for p in ("0.10", "0.20", "19.99")]
    await services.invoices.create(store.id, price="5.00")  # never paid: not a sale
    async with services.writer.transaction() as session:
        await session.execute(update(InvoiceRow).where(InvoiceRow.id.in_([i.id for i in paid]))
                              .values(status="complete", amount_paid_sat=1000))
    summary = await services.invoices.sales_summary(days=7)
    assert len(summary.days) == 7
    today = summary.days[-1]
    assert today.count == 3 and today.sat == 3000
    assert today.fiat == {"USD": Decimal("20.29")}
    assert summary.totals(7).count == 3
