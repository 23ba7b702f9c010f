"""The chain-adversity matrix, end to end: real Electrum 4.3.4 in-process, devnet over TCP."""

from __future__ import annotations

import pytest

from app.core.statuses import ExceptionStatus, InvoiceStatus, PaymentState
from tests.integration.helpers import make_store, wait_status, wait_synced

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("policy", [0, 1, 2, 6])
async def test_zero_conf_to_complete_per_speed_policy(app_runtime, policy):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=policy)
    invoice = await services.invoices.create(store.id, price="10.00")
    await devnet.pay(invoice.address, invoice.amount_due_sat)
    if policy == 0:
        done = await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
        assert done.payments[0].confirmations == 0
        return
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    await devnet.mine(1)
    if policy > 1:
        await wait_status(services, invoice.id, InvoiceStatus.CONFIRMED)
        await devnet.mine(policy - 1)
    done = await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
    assert done.payments[0].confirmations == policy
    assert done.exception_status == ExceptionStatus.NONE


async def test_partial_then_remainder(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    first = invoice.amount_due_sat // 3
    await devnet.pay(invoice.address, first)
    await devnet.mine(1)

    async def partial():
        inv = await services.invoices.get(invoice.id)
        return inv.exception_status == ExceptionStatus.PAID_PARTIAL and inv.amount_confirmed_sat == first

    from tests.integration.helpers import wait_for

    await wait_for(partial, what="partial payment confirmed")
    inv = await services.invoices.get(invoice.id)
    assert inv.status == InvoiceStatus.PENDING and inv.remaining_sat == invoice.amount_due_sat - first
    await devnet.pay(invoice.address, inv.remaining_sat)
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    await devnet.mine(1)
    done = await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)
    assert len(done.payments) == 2 and all(p.confirmations >= 1 for p in done.payments)


async def test_overpayment(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    await devnet.pay(invoice.address, invoice.amount_due_sat + 5000)
    paid = await wait_status(services, invoice.id, InvoiceStatus.PAID)
    assert paid.exception_status == ExceptionStatus.PAID_OVER


async def test_rbf_redirect_sends_invoice_back_to_pending(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    txid = await devnet.pay(invoice.address, invoice.amount_due_sat, rbf=True)
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    elsewhere = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    await devnet.replace(txid, outputs=[(elsewhere, invoice.amount_due_sat)])
    back = await wait_status(services, invoice.id, InvoiceStatus.PENDING)
    assert [p.state for p in back.payments] == [PaymentState.REPLACED]
    assert back.payments[0].accounted is False and back.amount_paid_sat == 0


async def test_rbf_fee_bump_keeps_it_paid(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    txid = await devnet.pay(invoice.address, invoice.amount_due_sat, rbf=True)
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    new_txid = await devnet.replace(txid, fee=5000)
    from tests.integration.helpers import wait_for

    async def bumped():
        inv = await services.invoices.get(invoice.id)
        return any(p.txid == new_txid and p.accounted for p in inv.payments)

    await wait_for(bumped, what="bumped tx accounted")
    inv = await services.invoices.get(invoice.id)
    assert inv.status == InvoiceStatus.PAID
    accounted = [p for p in inv.payments if p.accounted]
    assert len(accounted) == 1 and accounted[0].txid == new_txid
    assert [p.state for p in inv.payments if p.txid == txid] == [PaymentState.REPLACED]
    await devnet.mine(1)
    await wait_status(services, invoice.id, InvoiceStatus.COMPLETE)


async def test_double_spend_mined_sends_back_to_pending(app_runtime):
    services, devnet = app_runtime.services, app_runtime.devnet
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1)
    invoice = await services.invoices.create(store.id, price="10.00")
    txid = await devnet.pay(invoice.address, invoice.amount_due_sat, rbf=False)
    await wait_status(services, invoice.id, InvoiceStatus.PAID)
    await devnet.double_spend(txid, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", mine=True)
    back = await wait_status(services, invoice.id, InvoiceStatus.PENDING)
    assert [p.state for p in back.payments] == [PaymentState.DOUBLE_SPENT]
    assert not back.payments[0].accounted
