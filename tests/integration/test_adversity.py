"""More of the chain-adversity matrix: reorgs, late payments, monitoring window, address reuse."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import InvalidKey, StoreHasNoWallet, ValidationError
from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState
from tests.integration.helpers import make_store, time_travel, wait_for, wait_status, wait_synced

pytestmark = pytest.mark.slow


async def _confirmations(services, invoice_id, n):
    async def check():
        inv = await services.invoices.get(invoice_id)
        return inv.payments and inv.payments[0].confirmations == n

    await wait_for(check, what=f"{n} confirmations")


async def test_two_block_reorg_at_creation_height_keeps_payment(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=6)
    invoice = await services.invoices.create(store.id, price="10.00")
    txid = await devnet.pay(invoice.address, invoice.amount_due_sat)
    await devnet.mine(2)
    await _confirmations(services, invoice.id, 2)
    await wait_status(services, invoice.id, InvoiceStatus.CONFIRMED)
    await devnet.reorg(2)  # the paying tx is re-mined in the first block of the new branch
    await _confirmations(services, invoice.id, 3)
    inv = await services.invoices.get(invoice.id)
    assert inv.status == InvoiceStatus.CONFIRMED and inv.payments[0].txid == txid
    assert inv.payments[0].state == PaymentState.CONFIRMED


async def test_reorg_removing_the_tx_then_reincluding_it(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=2)
    invoice = await services.invoices.create(store.id, price="10.00")
    txid = await devnet.pay(invoice.address, invoice.amount_due_sat)
    raw = devnet.transaction(txid).raw.hex()
    await devnet.mine(1)
    await wait_status(services, invoice.id, InvoiceStatus.CONFIRMED)
    await devnet.reorg(1, include=[])  # the block with the payment is replaced; the tx is gone
    gone = await wait_status(services, invoice.id, InvoiceStatus.PENDING)
    assert gone.payments[0].state == PaymentState.REORGED_OUT and not gone.payments[0].accounted
    assert gone.payments[0].ever_confirmed
    devnet.broadcast(raw)  # the shopper's wallet re-broadcasts it
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    await devnet.mine(2)
    done = await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
    assert done.payments[0].accounted and done.payments[0].state == PaymentState.CONFIRMED
    events = [e.type for e in await services.events.read_since(0) if e.invoice_id == invoice.id]
    assert events.count("payment.received") == 1


async def test_paid_after_expiry_is_paid_late(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    await time_travel(services, invoice.id, 901)  # 15 min expiry passed
    await wait_status(services, invoice.id, InvoiceStatus.EXPIRED)
    await devnet.pay(invoice.address, invoice.amount_due_sat)
    late = await wait_status(services, invoice.id, InvoiceStatus.PAID)
    assert late.exception_status == ExceptionStatus.PAID_LATE
    await devnet.mine(1)
    done = await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
    assert done.exception_status == ExceptionStatus.PAID_LATE


async def test_monitoring_window_over_unconfirmed_is_invalid(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    await devnet.pay(invoice.address, invoice.amount_due_sat)
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    await time_travel(services, invoice.id, 900 + 86400 + 1)  # expiry + 24 h monitoring window
    dead = await wait_status(services, invoice.id, InvoiceStatus.INVALID)
    assert dead.exception_status == ExceptionStatus.FAILED_CONFIRM
    await devnet.mine(1)  # too late: the status is final
    await asyncio.sleep(1.0)
    assert (await services.invoices.get(invoice.id)).status == InvoiceStatus.INVALID


async def test_thousand_invoices_thousand_addresses_never_reused(app_runtime):
    services = app_runtime.services
    store = await make_store(services)
    first = await services.invoices.create(store.id, price="0.0001", currency="BTC")
    await time_travel(services, first.id, 901)
    await wait_status(services, first.id, InvoiceStatus.EXPIRED)
    invoices = await asyncio.gather(*(services.invoices.create(store.id, price="0.0001", currency="BTC")
                                      for _ in range(999)))
    addresses = {first.address, *(i.address for i in invoices)}
    assert len(addresses) == 1000
    assert sorted(i.derivation_index for i in [first, *invoices]) == list(range(1000))
    wallet = (await services.wallets.list())[0]
    assert wallet.next_index == 1000 and wallet.gap_exposure == 1000 - wallet.gap_limit


async def test_bad_input_gives_stable_codes_and_writes_nothing(app_runtime):
    services = app_runtime.services
    with pytest.raises(InvalidKey) as bad_key:
        await services.wallets.add_wallet("x", "xpub-garbage")
    assert bad_key.value.code == "not_a_key"
    mainnet_zpub = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAY"
                    "z2oz2AGutZYs")
    with pytest.raises(InvalidKey) as wrong_net:
        await services.wallets.add_wallet("x", mainnet_zpub)
    assert wrong_net.value.code == "wrong_network"
    empty = await services.stores.create("No wallet", default_currency="USD")
    with pytest.raises(StoreHasNoWallet):
        await services.invoices.create(empty.id, price="1", currency="BTC")
    store = await make_store(services)
    for price, currency in (("0", "BTC"), ("-5", "USD"), ("22000000", "BTC"), ("1e3", "USD"), ("1.001", "USD")):
        with pytest.raises(ValidationError):
            await services.invoices.create(store.id, price=price, currency=currency)
    with pytest.raises(ValidationError) as unknown:
        await services.invoices.create(store.id, price="1", currency="XYZ")
    assert unknown.value.code
    assert (await services.invoices.list()).total == 0
    assert (await services.wallets.list())[0].next_index == 0
