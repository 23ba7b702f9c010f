"""Lightning through the services: a store that opted in gets a BOLT11 on its invoices; a settled
payment completes the invoice at once through the same rules, outbox and events; an on-chain payment
withdraws the BOLT11 (no mixed payments); a payment settled while RedWaves was not listening is
recorded after a restart (recovery); the node's wallet must be hot p2wpkh."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.chain.models import AddressesChanged, AddressView
from app.core.errors import Conflict, ValidationError
from app.core.payments import ObservedOutput
from app.core.statuses import InvoiceStatus, PaymentState
from app.db.models import OutboxEventRow
from tests.conftest import TEST_VPUB
from tests.fake_lightning import FakeLightningNode
from tests.services.conftest import running_services

HOT_SEED = "abandon " * 11 + "about"
OTHER_SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"  # not TEST_VPUB's


@pytest.fixture
async def ln(tmp_path):
    node = FakeLightningNode()
    async with running_services(tmp_path, tick_s=0.05, lightning_node=node) as svc:
        svc.fake_node = node
        yield svc


async def _shop(svc, *, lightning: bool = True):
    hot = await svc.wallets.add_hot_wallet("Till", HOT_SEED)
    await svc.lightning.enable(hot.id)
    store = await svc.stores.create("Cafe", default_currency="USD", wallet_ids=[hot.id])
    store = await svc.stores.update(store.id, {"checkout": {"lightning": lightning, "lightning_qr_below_sat": 50_000}})
    await svc.rates.set_manual_rate("USD", Decimal("50000"))
    return store


async def _until(predicate, timeout_s: float = 5.0):
    async with asyncio.timeout(timeout_s):
        while not (result := await predicate()):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return result


async def _status(svc, invoice_id, wanted):
    async def check():
        invoice = await svc.invoices.get(invoice_id)
        return invoice if invoice.status is wanted else None
    return await _until(check)


async def test_settled_lightning_payment_completes_at_once(ln):
    store = await _shop(ln)
    invoice = await ln.invoices.create(store.id, price="2.00")  # 4000 sat, speed policy 1
    assert invoice.bolt11 and invoice.bolt11.startswith("lnbcrt")
    assert invoice.payment_hash in ln.fake_node.issued
    assert ln.fake_node.issued[invoice.payment_hash].expires_at == invoice.expires_at
    ln.fake_node.settle(invoice.payment_hash)
    done = await _status(ln, invoice.id, InvoiceStatus.COMPLETE)
    (payment,) = done.payments
    assert payment.method == "lightning" and payment.state is PaymentState.SETTLED
    assert payment.amount_sat == invoice.amount_due_sat and payment.lightning is not None
    assert payment.lightning.payment_hash == invoice.payment_hash
    async with ln.writer.read() as session:
        types = list((await session.scalars(select(OutboxEventRow.type).where(
            OutboxEventRow.invoice_id == invoice.id).order_by(OutboxEventRow.seq))).all())
    assert types == ["invoice.created", "payment.received", "payment.settled", "invoice.status_changed"]


async def test_the_same_settlement_twice_is_recorded_once(ln):
    store = await _shop(ln)
    invoice = await ln.invoices.create(store.id, price="2.00")
    ln.fake_node.settle(invoice.payment_hash)
    await _status(ln, invoice.id, InvoiceStatus.COMPLETE)
    ln.fake_node.settle(invoice.payment_hash)  # delivered again (a reconnect, the recovery)
    ln.engine.request_lightning_recovery()
    await asyncio.sleep(0.3)
    assert len((await ln.invoices.get(invoice.id)).payments) == 1


async def test_on_chain_payment_withdraws_the_bolt11(ln):
    store = await _shop(ln)
    invoice = await ln.invoices.create(store.id, price="2.00")
    output = ObservedOutput("aa" * 32, 0, 1000, 0, True)  # part of it, on-chain
    ln.fake_chain.outputs[invoice.address] = [output]
    ln.engine.on_chain_event(AddressesChanged(addresses=frozenset({invoice.address}), wallet_id=invoice.wallet_id,
                                              views=(AddressView(invoice.address, True, (output,)),), tip_height=200))

    async def withdrawn():
        return ln.fake_node.issued[invoice.payment_hash].withdrawn
    await _until(withdrawn)
    from app.chain.errors import LightningError
    with pytest.raises(LightningError):
        ln.fake_node.settle(invoice.payment_hash)
    current = await ln.invoices.get(invoice.id)
    assert current.status is InvoiceStatus.PENDING and current.remaining_sat == invoice.amount_due_sat - 1000


async def test_no_bolt11_without_opt_in_or_inbound_liquidity(ln):
    store = await _shop(ln, lightning=False)
    assert (await ln.invoices.create(store.id, price="2.00")).bolt11 is None
    await ln.stores.update(store.id, {"checkout": {"lightning": True}})
    ln.fake_node.can_receive_sat = 3999
    assert (await ln.invoices.create(store.id, price="2.00")).bolt11 is None  # 4000 sat due
    ln.fake_node.can_receive_sat = 4000
    assert (await ln.invoices.create(store.id, price="2.00")).bolt11 is not None


async def test_payment_settled_while_unrecorded_is_recovered(ln):
    store = await _shop(ln)
    invoice = await ln.invoices.create(store.id, price="2.00")
    ln.fake_node.settle(invoice.payment_hash, deliver=False)  # e.g. killed before the commit
    await asyncio.sleep(0.2)
    assert (await ln.invoices.get(invoice.id)).status is InvoiceStatus.PENDING
    ln.engine.request_lightning_recovery()  # what a start or a reconnect does
    await _status(ln, invoice.id, InvoiceStatus.COMPLETE)


async def test_on_time_lightning_payment_recorded_after_expiry_completes(ln):
    store = await _shop(ln)
    await ln.stores.update(store.id, {"monitoring_s": 0})
    invoice = await ln.invoices.create(store.id, price="2.00", expiry_s=60)
    settled_at = invoice.expires_at - timedelta(seconds=1)
    ln.fake_node.settle(invoice.payment_hash, deliver=False, at=settled_at)
    ln.engine._clock = lambda: invoice.expires_at + timedelta(minutes=5)  # RedWaves was stopped meanwhile
    ln.engine._due_ids.add(invoice.id)
    ln.engine._wake.set()
    await _status(ln, invoice.id, InvoiceStatus.EXPIRED)
    ln.engine.request_lightning_recovery()
    done = await _status(ln, invoice.id, InvoiceStatus.COMPLETE)
    assert done.exception_status.value == "none"


async def test_node_wallet_must_be_hot_p2wpkh_and_channels_block_disable(ln):
    watch_only = await ln.wallets.add_wallet("Cold", TEST_VPUB)
    with pytest.raises(ValidationError) as refused:
        await ln.lightning.enable(watch_only.id)
    assert refused.value.code == "lightning_needs_p2wpkh_hot"
    hot = await ln.wallets.add_hot_wallet("Till", OTHER_SEED)
    status = await ln.lightning.enable(hot.id)
    assert status.running and status.wallet_id == hot.id
    await ln.lightning.open_channel("02" + "cd" * 32 + "@127.0.0.1:9735", 100_000, push_sat=1000)
    with pytest.raises(Conflict) as blocked:
        await ln.lightning.disable()
    assert blocked.value.code == "channels_open"
    with pytest.raises(ValidationError) as bad:
        await ln.lightning.open_channel("nonsense", 100_000)
    assert bad.value.code == "invalid_node_uri" and bad.value.field == "connect"
    with pytest.raises(ValidationError) as big:
        await ln.lightning.open_channel("02" + "cd" * 32 + "@127.0.0.1:9735", 16_777_216)
    assert big.value.code == "invalid_amount_sat"


def test_fake_node_refuses_after_expiry():
    node = FakeLightningNode(running="w")
    asyncio.run(node.add_lightning_invoice("w", 1000, message="m", expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    from app.chain.errors import LightningError
    with pytest.raises(LightningError):
        node.settle(next(iter(node.issued)))
