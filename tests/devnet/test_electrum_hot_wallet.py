"""A real Electrum hot wallet spends devnet coins with its own transactions, broadcast through the devnet."""

from __future__ import annotations

import pytest

from tests.devnet.conftest import ElectrumEnv, test_keystore_vpub, wait_until

pytestmark = pytest.mark.slow


async def test_hot_wallet_pays_and_conflicts_are_rejected(electrum_env: ElectrumEnv) -> None:
    from electrum.network import TxBroadcastServerReturnedError
    from electrum.transaction import PartialTxOutput

    devnet = electrum_env.devnet
    vprv, _vpub = test_keystore_vpub()
    wallet = electrum_env.restore_wallet(vprv, name="hot")
    await wait_until(wallet.is_up_to_date, what="wallet sync")
    funding = await devnet.fund(wallet.get_receiving_addresses()[0], 1_000_000)
    await wait_until(lambda: wallet.adb.get_tx_height(funding).conf == 1, what="funding verified")
    assert wallet.get_balance()[0] == 1_000_000

    outside = await _outside_address(devnet)
    pay = wallet.mktx(outputs=[PartialTxOutput.from_address_and_value(outside, 300_000)],
                      password=None, fee=500, rbf=False)
    conflict = wallet.mktx(outputs=[PartialTxOutput.from_address_and_value(outside, 400_000)],
                           password=None, fee=5_000, rbf=True)
    assert {i.prevout.to_str() for i in pay.inputs()} == {i.prevout.to_str() for i in conflict.inputs()}

    await electrum_env.run(electrum_env.network.broadcast_transaction(pay))
    assert pay.txid() in devnet.ledger.mempool
    with pytest.raises(TxBroadcastServerReturnedError, match="txn-mempool-conflict"):
        await electrum_env.run(electrum_env.network.broadcast_transaction(conflict))

    await devnet.mine(1)
    await wait_until(lambda: wallet.adb.get_tx_height(pay.txid()).conf == 1, what="payment confirmed")
    assert wallet.get_balance()[0] == 1_000_000 - 300_000 - 500
    with pytest.raises(TxBroadcastServerReturnedError, match="missingorspent"):
        await electrum_env.run(electrum_env.network.broadcast_transaction(conflict))


async def _outside_address(devnet: object) -> str:
    """An address of another wallet (same seed, different account) so the payment leaves this wallet."""
    from electrum import bip32, constants
    from electrum.bitcoin import pubkey_to_address
    from electrum.mnemonic import Mnemonic

    constants.set_regtest()
    root = bip32.BIP32Node.from_rootseed(Mnemonic.mnemonic_to_seed("outside", ""), xtype="p2wpkh")
    node = root.subkey_at_private_derivation("m/84'/1'/7'/0/0")
    return pubkey_to_address("p2wpkh", node.eckey.get_public_key_hex())
