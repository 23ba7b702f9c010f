"""Payouts end to end on the real runtime (Electrum in-process, devnet over TCP): a hot wallet pays a batch
of 5 in one transaction and bumps its fee; a watch-only wallet's PSBT is signed by Debian's Electrum in a
separate process holding the seed, bad PSBTs are refused with nothing written, the good one is broadcast."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.chain.keys import derive_address, derive_addresses, parse_wallet_keys
from app.chain.payouts import PayoutRefused
from app.core.payouts import FeeChoice, PayoutStatus, PayoutTxStatus
from tests.chain.test_payouts_support import SIGNER_VPUB, debian_electrum_sign
from tests.integration.helpers import wait_for, wait_status, wait_synced

pytestmark = pytest.mark.slow
HOT_SEED = "abandon " * 11 + "about"
FEE = FeeChoice("custom", Decimal(2))


def strangers(n: int) -> list[str]:
    from tests.chain.conftest import xpub_for

    vpub = xpub_for(bytes([9]) * 32, "m/84'/1'/0'", "p2wpkh")
    return derive_addresses(parse_wallet_keys(vpub, "regtest"), 0, n)


def rows(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


async def store_for(services: Any, wallet_id: str) -> Any:
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.stores.create("Payout shop", default_currency="USD", wallet_ids=[wallet_id])


async def approved(services: Any, store_id: str, wallet_id: str, outputs: list[tuple[str, int]]) -> list[str]:
    made = [await services.payouts.create(store_id, wallet_id, address, sat, label=f"p{i}")
            for i, (address, sat) in enumerate(outputs)]
    await services.payouts.approve([p.id for p in made])
    return [p.id for p in made]


async def statuses(services: Any, ids: list[str]) -> set[PayoutStatus]:
    return {(await services.payouts.get(i)).status for i in ids}


async def test_hot_batch_of_five_and_fee_bump(app_runtime: Any) -> None:
    services, devnet, executor = app_runtime.services, app_runtime.devnet, app_runtime.services.payout_executor
    await wait_synced(app_runtime)
    hot = await services.wallets.add_hot_wallet("Till", HOT_SEED)
    store = await store_for(services, hot.id)
    desc = parse_wallet_keys(HOT_SEED, "regtest", allow_seed=True)
    await services.wallets.watch_range(hot.id, 0, 3)
    for i in range(2):
        await devnet.pay(derive_address(desc, i), 150_000)
    await devnet.mine(1)
    def funded() -> bool:
        outputs = [o for i in range(2) for o in app_runtime.chain.address_view(hot.id, derive_address(desc, i)).outputs]
        return len(outputs) == 2 and all(o.height > 0 for o in outputs) and app_runtime.chain.state().synced

    await wait_for(funded, what="hot wallet funded")
    await wait_for(lambda: app_runtime.chain.fee_estimates(), what="Electrum's fee estimates")
    options = await executor.fee_options(hot.id)
    assert options.next_block and options.hour and options.day and options.day <= options.next_block
    dests = strangers(5)
    ids = await approved(services, store.id, hot.id, [(a, 10_000 * (i + 1)) for i, a in enumerate(dests)])
    mempool_before = set(devnet.ledger.mempool.entries)
    plan = await services.payouts.plan(ids, FEE)  # coin control: nothing written, nothing sent
    assert {(await services.payouts.get(i)).status for i in ids} == {PayoutStatus.APPROVED}
    assert len(plan.outputs) == 6 and plan.inputs and set(devnet.ledger.mempool.entries) == mempool_before
    assert rows(app_runtime.settings.db_path, "SELECT count(*) FROM payout_txs") == [(0,)]
    assert plan.input_sat == sum(sat for _a, sat in plan.outputs) + plan.fee_sat
    tx = await services.payouts.pay_hot(ids, FEE, inputs=plan.outpoints)
    assert tx.status == PayoutTxStatus.BROADCAST and tx.raw_tx and tx.txid
    assert await statuses(services, ids) == {PayoutStatus.BROADCAST}
    on_chain = devnet.transaction(tx.txid)
    assert len(on_chain.tx.vout) == 6  # 5 payouts + change, one transaction
    # what was shown is what was spent and paid: the same coins, outputs, change and fee
    assert sorted(on_chain.inputs) == sorted((i.txid, i.vout) for i in plan.inputs)
    assert tx.fee_sat == plan.fee_sat and tx.change_address == plan.change_address
    assert _outputs(tx.raw_tx) == list(plan.outputs)
    print(f"batch of 5: fee {tx.fee_sat} sat at {tx.fee_rate} sat/vB, {len(tx.raw_tx) // 2} bytes")
    with pytest.raises(Exception) as twice:
        await executor.pay_hot(ids, FEE)
    assert getattr(twice.value, "code", None) == "payout_not_approved"

    bumped = await executor.bump_fee(tx.id, FeeChoice("custom", Decimal(8)))
    assert bumped.replaces_id == tx.id and bumped.txid != tx.txid and bumped.fee_sat > tx.fee_sat
    assert (await services.payouts.get_tx(tx.id)).status == PayoutTxStatus.REPLACED
    assert {(await services.payouts.get(i)).payout_tx_id for i in ids} == {bumped.id}
    await devnet.mine(1)
    await wait_for(lambda: _confirmations(services, ids, 1), timeout_s=20, what="bumped version mined")
    assert await statuses(services, ids) == {PayoutStatus.BROADCAST}  # mined, not settled yet
    await devnet.mine(app_runtime.settings.payout_settled_confirmations - 1)
    await wait_for(lambda: _all_confirmed(services, ids), timeout_s=20, what="payouts confirmed")
    assert (await services.payouts.get_tx(bumped.id)).status == PayoutTxStatus.CONFIRMED
    for i, address in enumerate(dests):  # each destination paid exactly once
        assert [o.value for o in devnet.transaction(bumped.txid).tx.vout if _pays(o, address)] == [10_000 * (i + 1)]


async def _confirmations(services: Any, ids: list[str], n: int) -> bool:
    return {(await services.payouts.get(i)).confirmations for i in ids} == {n}


async def _all_confirmed(services: Any, ids: list[str]) -> bool:
    return await statuses(services, ids) == {PayoutStatus.CONFIRMED}


def _pays(vout: Any, address: str) -> bool:
    from app.devnet.addresses import address_to_script

    return bytes(vout.script_pubkey.data) == address_to_script(address)


async def test_watch_only_psbt_signed_by_debian_electrum(app_runtime: Any, tmp_path: Path) -> None:
    services, devnet, executor = app_runtime.services, app_runtime.devnet, app_runtime.services.payout_executor
    await wait_synced(app_runtime)
    wallet = await services.wallets.add_wallet("Cold", SIGNER_VPUB)
    store = await store_for(services, wallet.id)
    invoice = await services.invoices.create(store.id, price="40.00")  # 80,000 sat at 50,000 USD/BTC
    await devnet.pay(invoice.address, invoice.amount_due_sat)
    await devnet.mine(1)
    await wait_status(services, invoice.id, "complete", timeout_s=20)
    dest, thief = strangers(2)
    [payout_id] = await approved(services, store.id, wallet.id, [(dest, 30_000)])
    with pytest.raises(Exception) as hot_only:
        await executor.pay_hot([payout_id], FEE)
    assert getattr(hot_only.value, "code", None) == "watch_only_wallet"
    export = await executor.export_psbt([payout_id], FEE)
    assert export.outputs == ((dest, 30_000),) and export.filename.endswith(".psbt")
    assert (await services.payouts.get(payout_id)).status == PayoutStatus.IN_PROGRESS

    from tests.chain.test_payouts import edited

    pay_index = next(i for i, o in enumerate(_outputs(export.psbt_base64)) if o[0] == dest)

    def elsewhere(outs: list[Any], make: Any) -> None:
        outs[pay_index] = make(thief, 30_000)

    tampered = debian_electrum_sign(tmp_path, edited(export.psbt_base64, elsewhere))
    db = app_runtime.settings.db_path
    before = rows(db, "SELECT status, raw_tx, txid FROM payout_txs WHERE id = ?", export.payout_tx_id)
    with pytest.raises(PayoutRefused) as refused:
        await executor.import_psbt(export.payout_tx_id, tampered)
    assert refused.value.code == "psbt_mismatch" and thief in str(refused.value)
    assert rows(db, "SELECT status, raw_tx, txid FROM payout_txs WHERE id = ?", export.payout_tx_id) == before
    assert (await services.payouts.get(payout_id)).status == PayoutStatus.IN_PROGRESS

    signed = debian_electrum_sign(tmp_path, export.psbt_base64)
    tx = await executor.import_psbt(export.payout_tx_id, signed)
    assert tx.status == PayoutTxStatus.BROADCAST and devnet.transaction(tx.txid or "")
    await devnet.mine(app_runtime.settings.payout_settled_confirmations)
    await wait_for(lambda: _all_confirmed(services, [payout_id]), timeout_s=20, what="PSBT payout confirmed")
    change = derive_address(parse_wallet_keys(SIGNER_VPUB, "regtest"), 0, change=True)
    assert tx.change_address == change


def _outputs(psbt_b64: str) -> list[tuple[str, int]]:
    from app.chain.payouts import tx_outputs

    return tx_outputs(psbt_b64)
