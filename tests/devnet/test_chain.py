"""Chain unit tests: genesis, header chaining, PoW, merkle roots, coinbase, segwit ids."""

from __future__ import annotations

from app.devnet import Devnet
from app.devnet.blocks import GENESIS_HASH, REGTEST_BITS, Block, Header, bits_to_target, genesis_block
from app.devnet.hashes import hash_to_hex, hex_to_hash, merkle_branch, merkle_root, sha256d

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def test_genesis_is_the_real_regtest_genesis() -> None:
    genesis = genesis_block()
    assert genesis.hash == GENESIS_HASH
    # known merkle root of the genesis block (the single coinbase's txid)
    assert hash_to_hex(genesis.header.merkle_root) == "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    assert Header.parse(genesis.raw_header) == genesis.header


def test_merkle_root_and_branches_match_electrum() -> None:
    from electrum.verifier import SPV

    leaves = [sha256d(bytes([i])) for i in range(7)]
    root = hash_to_hex(merkle_root(leaves))
    for index in range(7):
        branch = [hash_to_hex(h) for h in merkle_branch(leaves, index)]
        assert SPV.hash_merkle_root(branch, hash_to_hex(leaves[index]), index) == root


async def test_headers_chain_with_work_and_increasing_time(devnet: Devnet) -> None:
    await devnet.pay(ADDRESS, 10_000)
    await devnet.mine(2)
    blocks = devnet.ledger.chain.blocks
    for prev, block in zip(blocks, blocks[1:], strict=False):
        assert block.header.prev_hash == hex_to_hash(prev.hash)
        assert block.header.time > prev.header.time
        assert block.header.bits == REGTEST_BITS
        assert int.from_bytes(hex_to_hash(block.hash), "little") <= bits_to_target(REGTEST_BITS)
        assert block.header.merkle_root == merkle_root(block.txid_leaves)
        assert len(block.raw_header) == 80


async def test_coinbase_has_bip34_height_and_witness_commitment(devnet: Devnet) -> None:
    txid = await devnet.pay(ADDRESS, 10_000)
    fee = devnet.ledger.mempool.get(txid).fee_sat
    await devnet.mine(1)
    block = devnet.ledger.chain.tip
    coinbase, tx = block.txs
    assert coinbase.is_coinbase and tx.txid == txid
    height = block.height
    script_sig = coinbase.tx.vin[0].script_sig.data
    assert script_sig[1:1 + script_sig[0]] == height.to_bytes(script_sig[0], "little")
    assert tx.wtxid != tx.txid  # segwit spend
    commitment = coinbase.outputs[-1].script
    assert commitment[:6] == b"\x6a\x24\xaa\x21\xa9\xed"
    wroot = merkle_root([b"\x00" * 32, hex_to_hash(tx.wtxid)])
    assert commitment[6:] == sha256d(wroot + b"\x00" * 32)
    assert coinbase.outputs[0].value_sat == (50 * 10**8 >> (height // 150)) + fee
    assert Block.parse(block.serialize(), block.height).hash == block.hash
