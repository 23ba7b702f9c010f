"""A real Electrum 4.3.4 watch-only wallet follows devnet payments, proofs, reorgs and replacements."""

from __future__ import annotations

from typing import Any

import pytest

from tests.devnet.conftest import ElectrumEnv, test_keystore_vpub, wait_until

pytestmark = pytest.mark.slow


def history_txids(wallet: Any, address: str) -> dict[str, int]:
    """What the server told Electrum for ``address``: txid -> height."""
    return dict(wallet.adb.db.get_addr_history(address))


def verified(wallet: Any, txid: str) -> Any:
    return wallet.adb.db.get_verified_tx(txid)


async def test_watch_only_wallet_follows_the_devnet(electrum_env: ElectrumEnv) -> None:

    devnet = electrum_env.devnet
    _vprv, vpub = test_keystore_vpub()
    wallet = electrum_env.restore_wallet(vpub)
    await wait_until(wallet.is_up_to_date, what="initial wallet sync")
    addresses = wallet.get_receiving_addresses()

    # mempool payment
    txid = await devnet.pay(addresses[0], 100_000)
    await wait_until(lambda: history_txids(wallet, addresses[0]).get(txid) == 0, what="payment in mempool")
    assert wallet.adb.get_tx_height(txid).height == 0

    # mined -> one confirmation, SPV-verified against our header's merkle root
    [block_hash] = await devnet.mine(1)
    await wait_until(lambda: verified(wallet, txid) is not None and wallet.adb.get_tx_height(txid).conf == 1,
                     what="payment verified with 1 conf")
    assert verified(wallet, txid).header_hash == block_hash
    mined_height = devnet.tip_height

    # 2-block reorg, tx re-mined: Electrum walks back to the fork and re-verifies the tx one block lower
    new_hashes = await devnet.reorg(2)
    await wait_until(lambda: verified(wallet, txid) is not None
                     and verified(wallet, txid).header_hash == new_hashes[0], what="re-verified after reorg")
    assert verified(wallet, txid).height == mined_height - 1
    assert wallet.adb.get_tx_height(txid).conf == 3
    assert electrum_env.network.get_local_height() == devnet.tip_height

    # reorg that drops the tx: confirmations fall to nothing, then recover when it is re-mined
    raw = devnet.transaction(txid).hex
    depth = devnet.tip_height - (mined_height - 1) + 1
    await devnet.reorg(depth, include=[])
    await wait_until(lambda: txid not in history_txids(wallet, addresses[0]), what="tx gone after reorg")
    assert wallet.adb.get_tx_height(txid).conf == 0
    assert devnet.broadcast(raw) == txid
    await wait_until(lambda: history_txids(wallet, addresses[0]).get(txid) == 0, what="tx back in mempool")
    await devnet.mine(1)
    await wait_until(lambda: wallet.adb.get_tx_height(txid).conf == 1, what="confirmations recovered")

    # RBF fee bump: the wallet drops the original and shows the replacement
    original = await devnet.pay(addresses[1], 50_000, rbf=True)
    await wait_until(lambda: original in history_txids(wallet, addresses[1]), what="RBF original seen")
    bumped = await devnet.replace(original)
    await wait_until(lambda: set(history_txids(wallet, addresses[1])) == {bumped}, what="replacement seen")

    # double spend of a non-RBF payment, mined directly to an outside address
    victim = await devnet.pay(addresses[2], 70_000, rbf=False)
    await wait_until(lambda: victim in history_txids(wallet, addresses[2]), what="victim seen")
    await devnet.double_spend(victim, devnet.faucet.address)
    await wait_until(lambda: history_txids(wallet, addresses[2]) == {}, what="double-spent payment gone")
    await wait_until(lambda: electrum_env.network.get_local_height() == devnet.tip_height, what="tip")
