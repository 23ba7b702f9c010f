"""What Electrum watches: the monitored invoices' addresses and the look-ahead, not the shop's history.

Real Runtime, real Electrum 4.3.4, real SQLite, the devnet over TCP (docs/chain.md "What Electrum
watches"). An address leaves the watch set when its invoice's monitoring ends, without touching the
payments stored for it; a data directory of an older RedWaves (a deterministic watch-only Electrum
wallet holding every address ever handed out) moves to the new scheme at start.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.chain.keys import WalletDescriptor, derive_addresses
from app.core.statuses import InvoiceStatus
from app.db.models import InvoiceRow
from app.devnet import Devnet
from app.services.invoicing.engine import WATCH_AHEAD
from tests.integration.helpers import make_store, time_travel, wait_for, wait_status, wait_synced

pytestmark = pytest.mark.slow
DAY_S = 86_400


async def _monitored(services, invoice_id: str) -> bool:
    async with services.writer.read() as session:
        return bool(await session.scalar(select(InvoiceRow.monitored).where(InvoiceRow.id == invoice_id)))


async def _end_monitoring(services, invoice_id: str) -> None:
    """Let the invoice's monitoring window pass; wait until the engine recorded it."""
    await time_travel(services, invoice_id, 2 * DAY_S)

    async def ended() -> bool:
        return not await _monitored(services, invoice_id)

    await wait_for(ended, what="monitoring ended")


async def _a_full_sweep(services) -> None:
    """Wait for one complete reconciliation pass after now (the engine counts what it reconciled)."""
    before = services.engine.reconciled
    services.engine.request_full_sweep()
    await wait_for(lambda: services.engine.reconciled > before, what="a full sweep")


async def test_an_address_leaves_the_watch_set_when_monitoring_ends_and_its_payments_stay(app_runtime):
    services, devnet, chain = app_runtime.services, app_runtime.devnet, app_runtime.chain
    await wait_synced(app_runtime)
    store = await make_store(services, speed_policy=1, monitoring_s=3600)
    paid = await services.invoices.create(store.id, price="10.00")
    still_open = await services.invoices.create(store.id, price="10.00")
    wallet_id = paid.wallet_id
    await wait_for(lambda: {paid.address, still_open.address} <= chain.watched_addresses(wallet_id),
                   what="both addresses watched")
    await devnet.pay(paid.address, paid.amount_due_sat)
    await devnet.mine(1)
    await wait_status(services, paid.id, InvoiceStatus.COMPLETE)

    await _end_monitoring(services, paid.id)
    await wait_for(lambda: paid.address not in chain.watched_addresses(wallet_id), what="address unwatched")
    assert still_open.address in chain.watched_addresses(wallet_id)
    assert not chain.address_view(wallet_id, paid.address).complete  # "not watched", never "no payments"
    stored = await services.invoices.get(paid.id)
    assert stored.status == InvoiceStatus.COMPLETE and stored.amount_paid_sat == paid.amount_due_sat

    await devnet.mine(1)  # a new tip and a full sweep: neither touches the closed invoice's payments
    await _a_full_sweep(services)
    again = await services.invoices.get(paid.id)
    assert again.payments == stored.payments and again.status == InvoiceStatus.COMPLETE
    assert paid.address not in chain.watched_addresses(wallet_id)


def _write_deterministic_wallet(path: Path, desc: WalletDescriptor, receiving: int, electrum_dir: Path) -> None:
    """The file an older RedWaves kept: an Electrum deterministic watch-only wallet (the keystore of
    the merchant's vpub) holding receive addresses 0..receiving-1, as its create_wallet/watch wrote it."""
    from electrum import keystore
    from electrum.simple_config import SimpleConfig
    from electrum.storage import WalletStorage
    from electrum.wallet import Wallet
    from electrum.wallet_db import WalletDB

    path.unlink()
    db = WalletDB("", manual_upgrades=False)
    db.put("wallet_type", "standard")
    db.put("keystore", keystore.from_xpub(desc.keys[0]).dump())
    db.put("gap_limit", 20)
    db.put("redwaves_fingerprint", desc.fingerprint)
    wallet = Wallet(db, WalletStorage(str(path)), config=SimpleConfig({"electrum_path": str(electrum_dir)}))
    for index in range(db.num_receiving_addresses(), receiving):
        db.add_receiving_address(wallet.derive_address(0, index))
    wallet.update_password(old_pw=None, new_pw=None, encrypt_storage=False)


async def _old_scheme(path: Path, desc: WalletDescriptor, receiving: int, scratch: Path) -> None:
    from app.chain.models import ChainSettings
    from app.chain.runtime import ElectrumRuntime

    electrum = ElectrumRuntime(ChainSettings(network="regtest", datadir=scratch))  # its loop, for the callbacks
    electrum.start_loop()
    try:
        await asyncio.to_thread(_write_deterministic_wallet, path, desc, receiving, scratch)
    finally:
        await electrum.stop()


def _runtime(data_dir: Path, server: str):
    from app.config import load_settings
    from app.runtime import Runtime

    return Runtime(load_settings({}, {"data_dir": data_dir, "network": "regtest", "private_port": 0,
                                      "daemon_port": 0, "electrum_server": server, "electrum_oneserver": True}))


async def test_an_old_deterministic_data_dir_moves_to_the_watch_set_keeping_every_payment(tmp_path: Path):
    devnet = Devnet(premine_blocks=110)
    await devnet.start()
    data_dir = tmp_path / "data"
    try:
        first = _runtime(data_dir, devnet.server_string)
        await first.start()
        try:
            services = first.services
            await wait_synced(first)
            store = await make_store(services, speed_policy=1, monitoring_s=3600)
            closed = await services.invoices.create(store.id, price="10.00")
            kept = await services.invoices.create(store.id, price="10.00")
            offline = await services.invoices.create(store.id, price="10.00")
            await devnet.pay(closed.address, closed.amount_due_sat)
            await devnet.mine(1)
            await wait_status(services, closed.id, InvoiceStatus.COMPLETE)
            await _end_monitoring(services, closed.id)
            await devnet.pay(kept.address, kept.amount_due_sat)
            await wait_status(services, kept.id, InvoiceStatus.PAID)
            before = {i: (await services.invoices.get(i)).payments for i in (closed.id, kept.id)}
            wallet = await services.wallets.get(closed.wallet_id)
            desc = await services.wallets.descriptor(wallet.id)
            wallet_file = first.chain.wallets_dir / wallet.id
        finally:
            await first.stop()
        # the old scheme: every address handed out and 100 ahead, in a deterministic wallet
        await _old_scheme(wallet_file, desc, wallet.next_index + 100, tmp_path / "scratch")
        assert json.loads(wallet_file.read_text())["wallet_type"] == "standard"
        await devnet.pay(offline.address, offline.amount_due_sat)  # paid while RedWaves is down

        second = _runtime(data_dir, devnet.server_string)
        await second.start()
        try:
            services, chain = second.services, second.chain
            await wait_synced(second)
            ahead = derive_addresses(desc, wallet.next_index, WATCH_AHEAD)
            assert chain.watched_addresses(wallet.id) == {kept.address, offline.address, *ahead}
            await wait_status(services, offline.id, InvoiceStatus.PAID)
            for invoice_id, payments in before.items():
                assert (await services.invoices.get(invoice_id)).payments == payments
            assert (await services.invoices.get(closed.id)).status == InvoiceStatus.COMPLETE
            await devnet.mine(1)
            await wait_status(services, kept.id, InvoiceStatus.COMPLETE)
        finally:
            await second.stop()
        saved = json.loads(wallet_file.read_text())
        assert saved["wallet_type"] == "imported"
        assert set(saved["addresses"]) == {kept.address, offline.address, *ahead}
    finally:
        await devnet.stop()
