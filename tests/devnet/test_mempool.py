"""Mempool rules: inputs, fees, signatures, BIP125 replacement, descendants, reorg semantics."""

from __future__ import annotations

import pytest
from embit.script import Witness

from app.devnet import Devnet, DevnetError, NotFound, TxRejected
from app.devnet.faucet import Spendable
from app.devnet.transactions import ParsedTx, TxOut

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
OTHER = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"


def spend_of(devnet: Devnet, txid: str, outputs: list[TxOut], fee: int, rbf: bool = True) -> ParsedTx:
    """Another faucet transaction spending exactly the inputs of ``txid``."""
    entry = devnet.ledger.mempool.get(txid)
    coins = [Spendable(op, out, False) for op, out in zip(entry.tx.inputs, entry.spent, strict=True)]
    return devnet.faucet.sign_spend(coins, outputs, rbf, 1, fee)


def out(address: str, sat: int) -> TxOut:
    from app.devnet.addresses import address_to_script

    return TxOut(sat, address_to_script(address))


async def test_pays_every_regtest_address_type(devnet: Devnet) -> None:
    for address in [ADDRESS, OTHER, "n3GNqMveyvaPvUbH469vDRadqpJMPc84JA", "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
                    "bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry",
                    "bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqc8gma6"]:
        txid = await devnet.pay(address, 20_000)
        assert txid in devnet.ledger.mempool
    with pytest.raises(DevnetError):
        await devnet.pay("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 20_000)  # mainnet
    with pytest.raises(DevnetError):
        await devnet.pay(ADDRESS, 0)


async def test_missing_inputs_overspend_and_bad_signature(devnet: Devnet) -> None:
    txid = await devnet.pay(ADDRESS, 100_000)
    conflicting = spend_of(devnet, txid, [out(OTHER, 1_000)], 5_000)
    await devnet.mine(1)
    with pytest.raises(TxRejected, match="bad-txns-inputs-missingorspent"):
        devnet.broadcast(conflicting.hex)
    fresh = await devnet.pay(ADDRESS, 100_000)
    entry = devnet.ledger.mempool.get(fresh)
    await devnet.drop(fresh)
    total_in = sum(o.value_sat for o in entry.spent)
    coins = [Spendable(op, o, False) for op, o in zip(entry.tx.inputs, entry.spent, strict=True)]
    with pytest.raises(DevnetError):
        devnet.faucet.sign_spend(coins, [out(ADDRESS, total_in + 1)], True, 1)
    good = devnet.faucet.sign_spend(coins, [out(ADDRESS, 1000)], True, 1)
    tampered = good.tx
    signature, pubkey = tampered.vin[0].witness.items
    tampered.vin[0].witness = Witness([signature[:-5] + bytes(4) + signature[-1:], pubkey])
    with pytest.raises(TxRejected, match="mandatory-script-verify-flag-failed"):
        devnet.broadcast(ParsedTx.from_embit(tampered).hex)
    with pytest.raises(TxRejected, match="TX decode failed"):
        devnet.broadcast("deadbeef")


async def test_confirmed_tx_rebroadcast_is_rejected(devnet: Devnet) -> None:
    txid = await devnet.pay(ADDRESS, 100_000)
    raw = devnet.transaction(txid).hex
    assert devnet.broadcast(raw) == txid  # mempool duplicate: not an error, like bitcoind
    await devnet.mine(1)
    with pytest.raises(TxRejected, match="already in block chain"):
        devnet.broadcast(raw)


async def test_bip125_rules(devnet: Devnet) -> None:
    final = await devnet.pay(ADDRESS, 100_000, rbf=False)
    fee = devnet.ledger.mempool.get(final).fee_sat
    with pytest.raises(TxRejected, match="txn-mempool-conflict"):
        devnet.broadcast(spend_of(devnet, final, [out(OTHER, 100_000)], fee * 10).hex)

    optin = await devnet.pay(ADDRESS, 100_000, rbf=True)
    old_fee = devnet.ledger.mempool.get(optin).fee_sat
    with pytest.raises(TxRejected, match="insufficient fee"):
        devnet.broadcast(spend_of(devnet, optin, [out(OTHER, 100_000)], old_fee).hex)
    with pytest.raises(TxRejected, match="insufficient fee"):
        devnet.broadcast(spend_of(devnet, optin, [out(OTHER, 100_000)], old_fee + 5).hex)
    replacement = spend_of(devnet, optin, [out(OTHER, 100_000)], old_fee + 1000)
    assert devnet.broadcast(replacement.hex) == replacement.txid
    assert optin not in devnet.ledger.mempool


async def test_replacement_evicts_descendants_and_inherits_signalling(devnet: Devnet) -> None:
    parent = await devnet.pay(ADDRESS, 100_000, rbf=True)
    change = [c for c in devnet.ledger.spendable(devnet.faucet.scripthash) if c.outpoint[0] == parent]
    child = devnet.faucet.sign_spend(change, [out(OTHER, 5_000)], False, 2)  # child itself is final
    devnet.broadcast(child.hex)
    assert devnet.ledger.mempool.height_of(child.txid) == -1
    # replacing the (non-signalling) child is allowed because its parent signals
    child_fee = devnet.ledger.mempool.get(child.txid).fee_sat
    coins = [Spendable(op, o, False) for op, o in zip(child.inputs, devnet.ledger.mempool.get(child.txid).spent,
                                                        strict=True)]
    child2 = devnet.faucet.sign_spend(coins, [out(OTHER, 6_000)], False, 2, child_fee + 500)
    devnet.broadcast(child2.hex)
    assert child.txid not in devnet.ledger.mempool
    # bumping the parent evicts the child too
    new_parent = await devnet.replace(parent)
    assert parent not in devnet.ledger.mempool and child2.txid not in devnet.ledger.mempool
    assert new_parent in devnet.ledger.mempool


async def test_replace_redirect_double_spend_and_drop(devnet: Devnet) -> None:
    txid = await devnet.pay(ADDRESS, 100_000)
    redirected = await devnet.replace(txid, outputs=[(OTHER, 90_000)])
    outputs = devnet.transaction(redirected).outputs
    assert outputs[0] == out(OTHER, 90_000)
    final = await devnet.pay(ADDRESS, 30_000, rbf=False)
    height = devnet.tip_height
    ds = await devnet.double_spend(final, OTHER)
    assert devnet.tip_height == height + 1
    assert [t.txid for t in devnet.ledger.chain.tip.txs[1:]] == [ds]
    assert final not in devnet.ledger.mempool and redirected in devnet.ledger.mempool
    assert await devnet.drop(redirected) == [redirected]
    with pytest.raises(NotFound):
        await devnet.drop(redirected)


async def test_mine_respects_dependencies_and_clears_mempool(devnet: Devnet) -> None:
    parent = await devnet.pay(ADDRESS, 100_000)
    change = [c for c in devnet.ledger.spendable(devnet.faucet.scripthash) if c.outpoint[0] == parent]
    child = devnet.faucet.sign_spend(change, [out(OTHER, 5_000)], True, 2)
    devnet.broadcast(child.hex)
    [block_hash] = await devnet.mine(1)
    assert [t.txid for t in devnet.ledger.chain.tip.txs[1:]] == [parent, child.txid]
    assert len(devnet.ledger.mempool) == 0 and devnet.tip_hash == block_hash


async def test_reorg_remines_everything_by_default(devnet: Devnet) -> None:
    a = await devnet.pay(ADDRESS, 10_000)
    await devnet.mine(1)
    b = await devnet.pay(OTHER, 20_000)
    await devnet.mine(1)
    height = devnet.tip_height
    old_tip = devnet.tip_hash
    hashes = await devnet.reorg(2)
    assert len(hashes) == 3 and devnet.tip_height == height + 1 and old_tip not in hashes
    first = devnet.ledger.chain.block_at(height - 1)
    assert [t.txid for t in first.txs[1:]] == [a, b]
    assert devnet.ledger.chain.find_tx(a)[0].height == height - 1


async def test_reorg_include_drops_the_rest_and_descendants(devnet: Devnet) -> None:
    a = await devnet.pay(ADDRESS, 10_000)
    b = await devnet.pay(OTHER, 20_000)
    await devnet.mine(1)
    # a mempool child of b disappears with b
    coins = [c for c in devnet.ledger.spendable(devnet.faucet.scripthash) if c.outpoint[0] == b]
    child = devnet.faucet.sign_spend(coins, [out(OTHER, 1_000)], True, 2)
    devnet.broadcast(child.hex)
    await devnet.reorg(1, include=[a], new_blocks=1)
    assert devnet.ledger.chain.find_tx(a) is not None
    assert devnet.ledger.raw_tx(b) is None and devnet.ledger.raw_tx(child.txid) is None
    with pytest.raises(NotFound):
        await devnet.reorg(1, include=["00" * 32])
    with pytest.raises(DevnetError):
        await devnet.reorg(2, new_blocks=1)


async def test_coinbase_maturity(devnet: Devnet) -> None:
    from app.devnet.addresses import address_to_script

    await devnet.mine(1, to_address=ADDRESS)
    coinbase = devnet.ledger.chain.tip.txs[0]
    key_script = address_to_script(ADDRESS)
    assert coinbase.outputs[0].script == key_script
    # the faucet can't sign for ADDRESS, but maturity is checked before signatures
    tx = devnet.faucet.sign_spend([Spendable((coinbase.txid, 0), coinbase.outputs[0], True)],
                                  [out(OTHER, 1_000)], True, 2)
    with pytest.raises(TxRejected, match="premature-spend-of-coinbase"):
        devnet.broadcast(tx.hex)
