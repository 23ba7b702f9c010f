"""Payout transactions against the devnet over TCP: hot batch + fee bump, a PSBT signed by Debian's
Electrum in a separate process, and bad PSBTs refused (app/chain/payouts.py, psbt.py, unspent.py)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.chain.keys import derive_address, derive_addresses, parse_wallet_keys
from app.chain.payouts import PayoutRefused
from app.chain.watcher import ChainSettings, ChainWatcher

from .conftest import receive_addresses, wait_until, xpub_for
from .test_payouts_support import SIGNER_VPUB, debian_electrum_sign

pytestmark = pytest.mark.slow
HOT_SEED = "abandon " * 11 + "about"
PASSWORD = "correct horse"


def strangers(n: int, seed_byte: int = 9) -> list[str]:
    """Addresses of somebody else's wallet (refund destinations)."""
    return derive_addresses(parse_wallet_keys(xpub_for(bytes([seed_byte]) * 32, "m/84'/1'/0'", "p2wpkh"),
                                              "regtest"), 0, n)


@pytest.fixture
async def watcher(chain_datadir: Path, devnet: Any) -> AsyncIterator[ChainWatcher]:
    w = ChainWatcher(ChainSettings(network="regtest", datadir=chain_datadir, server=devnet.server_string,
                                   oneserver=True))
    await w.start()
    try:
        yield w
    finally:
        await w.stop()


def in_devnet(devnet: Any, txid: str) -> bool:
    try:
        devnet.transaction(txid)
    except Exception:  # noqa: BLE001 - the devnet's NotFound
        return False
    return True


async def funded_hot(watcher: ChainWatcher, devnet: Any, amounts: list[int]) -> Any:
    hot = parse_wallet_keys(HOT_SEED, "regtest", allow_seed=True)
    await watcher.open_wallet("hot", hot, password=PASSWORD)
    await watcher.watch("hot", receive_addresses(hot, len(amounts)))
    funding = [await devnet.pay(derive_address(hot, i), sat) for i, sat in enumerate(amounts)]
    await devnet.mine(1)
    outputs = lambda: [o for i in range(len(amounts))  # noqa: E731
                       for o in watcher.address_view("hot", derive_address(hot, i)).outputs]
    await wait_until(lambda: len(outputs()) == len(amounts) and all(o.height > 0 for o in outputs())
                     and watcher.state().synced, what="hot wallet funded and synced")
    assert funding
    return hot


async def test_hot_batch_of_five_then_fee_bump(watcher: ChainWatcher, devnet: Any) -> None:
    await funded_hot(watcher, devnet, [300_000, 200_000])
    dests = strangers(5)
    outputs = [(address, 20_000 + 1_000 * i) for i, address in enumerate(dests)]
    with pytest.raises(PayoutRefused) as too_much:
        await watcher.build_payout("hot", [(dests[0], 10_000_000)], Decimal(2), password=PASSWORD)
    assert too_much.value.code == "insufficient_funds"
    built = await watcher.build_payout("hot", outputs, Decimal(2), password=PASSWORD)
    assert built.kind == "hot" and built.raw_tx and built.psbt_base64 is None
    assert not in_devnet(devnet, built.txid)  # built and signed, NOT broadcast
    paid = [o for o in built.outputs if o[0] != built.change_address]
    assert sorted(paid) == sorted(outputs) and built.change_address and built.change_sat > 0
    assert 2 * built.vsize <= built.fee_sat <= 2 * built.vsize + 4  # dummy signatures are 1-2 bytes longer
    assert sum(i.value_sat for i in built.inputs) == sum(sat for _a, sat in built.outputs) + built.fee_sat
    print(f"batch of 5: {len(built.inputs)} input(s), {len(built.outputs)} outputs, {built.vsize} vB, "
          f"fee {built.fee_sat} sat at {built.fee_rate} sat/vB")
    assert await watcher.broadcast(built.raw_tx) == built.txid
    assert all(txin.sequence < 0xFFFFFFFE for txin in devnet.transaction(built.txid).tx.vin)  # BIP125
    status = await watcher.tx_status(built.txid, [dests[0]])
    assert status.state == "mempool"

    with pytest.raises(PayoutRefused) as impossible:
        await watcher.bump_fee("hot", built.raw_tx, Decimal(4000), password=PASSWORD,
                               change_address=built.change_address)
    assert impossible.value.code == "cannot_bump"
    bumped = await watcher.bump_fee("hot", built.raw_tx, Decimal(6), password=PASSWORD,
                                    change_address=built.change_address)
    assert bumped.txid != built.txid and bumped.raw_tx
    assert [o for o in bumped.outputs if o[0] != built.change_address] == paid  # payouts unchanged, same order
    assert [i.outpoint for i in bumped.inputs] == [i.outpoint for i in built.inputs]
    assert bumped.change_sat == built.change_sat - (bumped.fee_sat - built.fee_sat)
    assert bumped.fee_sat >= 6 * bumped.vsize
    print(f"bump: {built.fee_sat} -> {bumped.fee_sat} sat ({bumped.fee_rate} sat/vB), change "
          f"{built.change_sat} -> {bumped.change_sat}")
    assert await watcher.broadcast(bumped.raw_tx) == bumped.txid
    assert not in_devnet(devnet, built.txid)  # replaced in the mempool
    await devnet.mine(1)
    await wait_until(lambda: watcher.state().tip_height == devnet.tip_height, what="tip")
    mined = await watcher.tx_status(bumped.txid, [dests[0]])
    assert mined.state == "mined" and mined.height == devnet.tip_height
    assert (await watcher.tx_status(built.txid, [dests[0]])).state == "missing"
    on_chain = devnet.transaction(bumped.txid)
    assert len(on_chain.tx.vout) == 6


async def psbt_wallet(watcher: ChainWatcher, devnet: Any) -> tuple[Any, dict[str, tuple[bool, int]]]:
    desc = parse_wallet_keys(SIGNER_VPUB, "regtest")
    await watcher.open_wallet("cold", desc)
    paid = {derive_address(desc, i): (False, i) for i in (0, 3)}
    for address in paid:
        await devnet.pay(address, 60_000)
    await devnet.mine(1)
    await wait_until(lambda: watcher.state().tip_height == devnet.tip_height, what="tip")
    return desc, paid


async def test_psbt_signed_by_debian_electrum(watcher: ChainWatcher, devnet: Any, tmp_path: Path) -> None:
    desc, coins = await psbt_wallet(watcher, devnet)
    unspent = await watcher.unspent("cold", coins)
    assert sorted(u.value_sat for u in unspent) == [60_000, 60_000] and all(u.height > 0 for u in unspent)
    dest = strangers(1)[0]
    built = await watcher.build_payout("cold", [(dest, 90_000)], Decimal(3), coins=coins, change_index=0)
    assert built.kind == "psbt" and built.raw_tx is None and built.psbt_base64
    assert built.change_address == derive_address(desc, 0, change=True)
    raw_psbt = base64.b64decode(built.psbt_base64)
    assert raw_psbt.startswith(b"psbt\xff")
    signed = debian_electrum_sign(tmp_path, built.psbt_base64)  # a separate process holding the seed
    final = await watcher.finalize_psbt("cold", built.psbt_base64, signed, [(dest, 90_000)], built.change_address)
    assert final.txid == built.txid and final.fee_sat == built.fee_sat
    assert await watcher.broadcast(final.raw_tx) == built.txid
    await devnet.mine(1)
    await wait_until(lambda: watcher.state().tip_height == devnet.tip_height, what="tip")
    assert (await watcher.tx_status(built.txid, [dest])).state == "mined"
    assert await watcher.unspent("cold", coins) == []  # spent
    change = await watcher.unspent("cold", {built.change_address: (True, 0)})
    assert [u.value_sat for u in change] == [built.change_sat]


def edited(psbt_b64: str, edit: Any) -> str:
    from electrum.transaction import PartialTransaction, PartialTxOutput, tx_from_any

    tx = tx_from_any(psbt_b64)
    assert isinstance(tx, PartialTransaction)
    outputs = [PartialTxOutput.from_address_and_value(o.address, o.value) for o in tx.outputs()]
    edit(outputs, PartialTxOutput.from_address_and_value)
    changed = PartialTransaction.from_io(tx.inputs(), outputs, locktime=tx.locktime, version=tx.version,
                                         BIP69_sort=False)
    return changed.serialize()


async def test_bad_psbts_are_refused(watcher: ChainWatcher, devnet: Any, tmp_path: Path) -> None:
    _desc, coins = await psbt_wallet(watcher, devnet)
    dest, thief = strangers(2)
    built = await watcher.build_payout("cold", [(dest, 50_000)], Decimal(2), coins=coins, change_index=1)
    assert built.psbt_base64 and built.change_address
    expected = [(dest, 50_000)]
    pay_index = next(i for i, o in enumerate(built.outputs) if o[0] == dest)
    change_index = 1 - pay_index

    def elsewhere(outs: list[Any], make: Any) -> None:
        outs[pay_index] = make(thief, 50_000)

    def more(outs: list[Any], make: Any) -> None:
        outs[pay_index] = make(dest, 51_000)
        outs[change_index] = make(built.change_address, outs[change_index].value - 1_000)

    def extra(outs: list[Any], make: Any) -> None:
        outs[change_index] = make(built.change_address, outs[change_index].value - 1_000)
        outs.append(make(thief, 1_000))

    def foreign_change(outs: list[Any], make: Any) -> None:
        outs[change_index] = make(thief, outs[change_index].value)

    def dropped(outs: list[Any], make: Any) -> None:
        outs.pop(pay_index)

    cases = {"elsewhere": elsewhere, "more": more, "extra": extra, "foreign_change": foreign_change,
             "dropped": dropped}
    for name, edit in cases.items():
        bad = edited(built.psbt_base64, edit)
        with pytest.raises(PayoutRefused) as refused:
            await watcher.finalize_psbt("cold", built.psbt_base64, bad, expected, built.change_address)
        assert refused.value.code == "psbt_mismatch", name
        print(f"{name}: {refused.value}")
    with pytest.raises(PayoutRefused) as unsigned:
        await watcher.finalize_psbt("cold", built.psbt_base64, built.psbt_base64, expected, built.change_address)
    assert unsigned.value.code == "psbt_incomplete"
    with pytest.raises(PayoutRefused) as garbage:
        await watcher.finalize_psbt("cold", built.psbt_base64, "hello", expected, built.change_address)
    assert garbage.value.code == "psbt_invalid"
    # an honest signature of a tampered PSBT is refused too (Electrum signs whatever it is given)
    signed_bad = debian_electrum_sign(tmp_path, edited(built.psbt_base64, elsewhere))
    with pytest.raises(PayoutRefused) as signed_refused:
        await watcher.finalize_psbt("cold", built.psbt_base64, signed_bad, expected, built.change_address)
    assert signed_refused.value.code == "psbt_mismatch"
    assert await watcher.unspent("cold", coins)  # nothing was spent


async def test_multisig_psbt_carries_every_cosigner_and_finalizes(watcher: ChainWatcher, devnet: Any) -> None:
    """2-of-3 p2wsh: the PSBT has the witness script and the three cosigners' derivations; two of the
    cosigners' keystores (Electrum's own signing code, holding the xprvs) sign it, then it is broadcast."""
    from electrum import keystore
    from electrum.transaction import tx_from_any

    from .conftest import xprv_for

    seeds = [bytes([s]) * 32 for s in (31, 32, 33)]
    path = "m/48'/1'/0'/2'"
    desc = parse_wallet_keys([xpub_for(s, path, "p2wsh") for s in seeds], "regtest", threshold=2)
    await watcher.open_wallet("vault", desc)
    address = derive_address(desc, 2)
    await devnet.pay(address, 80_000)
    await devnet.mine(1)
    await wait_until(lambda: watcher.state().tip_height == devnet.tip_height, what="tip")
    dest = strangers(1)[0]
    built = await watcher.build_payout("vault", [(dest, 25_000)], Decimal(2), coins={address: (False, 2)},
                                       change_index=0)
    assert built.psbt_base64
    unsigned = tx_from_any(built.psbt_base64)
    [txin] = unsigned.inputs()
    assert txin.witness_script and len(txin.bip32_paths) == 3 and txin.utxo is not None
    signed = []
    for seed in seeds[:2]:
        copy = tx_from_any(built.psbt_base64)
        for each in copy.inputs():  # what a cosigner's wallet fills in from the PSBT before signing
            each.script_type, each.num_sig, each.pubkeys = "p2wsh", 2, sorted(each.bip32_paths)
        keystore.from_xprv(xprv_for(seed, path, "p2wsh")).sign_transaction(copy, None)
        assert len(copy.inputs()[0].part_sigs) == 1
        signed.append(copy)
    with pytest.raises(PayoutRefused) as one:
        await watcher.finalize_psbt("vault", built.psbt_base64, signed[0].serialize(), [(dest, 25_000)],
                                    built.change_address)
    assert one.value.code == "psbt_incomplete"
    signed[0].combine_with_other_psbt(signed[1])
    final = await watcher.finalize_psbt("vault", built.psbt_base64, signed[0].serialize(), [(dest, 25_000)],
                                        built.change_address)
    assert await watcher.broadcast(final.raw_tx) == built.txid
