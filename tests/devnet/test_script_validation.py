"""Script, lock-time and dust rules that Lightning relies on, checked like bitcoind checks them.

Real spends are built with embit (BIP143 sighash) and coincurve keys (tests/devnet/spends.py);
the devnet verifies them with pycoin's interpreter (app/devnet/signatures.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from coincurve import PrivateKey
from embit.script import Witness
from embit.transaction import Transaction

from app.devnet import Devnet, TxRejected
from app.devnet.addresses import address_to_script
from app.devnet.dust import dust_threshold_sat
from app.devnet.signatures import verify_inputs
from app.devnet.transactions import ParsedTx, TxOut
from tests.devnet import spends
from tests.devnet.bip143_vectors import NO_FIND_AND_DELETE, VECTORS, Vector
from tests.devnet.spends import fund, key, spend_p2wpkh, spend_p2wsh

MISMATCH = "mandatory-script-verify-flag-failed (Witness program hash mismatch)"
EVAL_FALSE = ("mandatory-script-verify-flag-failed (Script evaluated without error but finished with a "
              "false/empty top stack element)")
LOCKTIME = "mandatory-script-verify-flag-failed (Locktime requirement not satisfied)"
EQUALVERIFY = "mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation)"
SEQUENCE_TIME_FLAG = 1 << 22
VALUE = 100_000


def rejected(devnet: Devnet, tx: ParsedTx) -> str:
    with pytest.raises(TxRejected) as caught:
        devnet.broadcast(tx.hex)
    return caught.value.reason


# -- BIP143 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_bip143_examples_verify_and_a_flipped_signature_bit_does_not(vector: Vector) -> None:
    spent = [TxOut(s.value_sat, bytes.fromhex(s.script_hex)) for s in vector.spent]
    raw = bytes.fromhex(vector.tx_hex)
    verify_inputs(raw, spent, policy=False)
    if vector is NO_FIND_AND_DELETE:  # valid in a block, but its signature is high-S: bitcoind's
        with pytest.raises(TxRejected) as caught:  # mempool refuses it, and so does the devnet's
            verify_inputs(raw, spent)
        assert caught.value.reason == ("non-mandatory-script-verify-flag "
                                       "(Non-canonical signature: S value is unnecessarily high)")
    else:
        verify_inputs(raw, spent)
    tx = Transaction.parse(raw)
    items = tx.vin[-1].witness.items
    index = next(i for i, item in enumerate(items) if item[:1] == b"\x30")
    items[index] = items[index][:10] + bytes([items[index][10] ^ 1]) + items[index][11:]
    for policy in (True, False):
        with pytest.raises(TxRejected, match="^mandatory-script-verify-flag-failed"):
            verify_inputs(tx.serialize(), spent, policy=policy)


# -- p2wsh multisig ---------------------------------------------------------------------------


async def test_p2wsh_2_of_2_multisig(devnet: Devnet) -> None:
    a, b = key(1), key(2)
    script = spends.multisig_2_of_2(a, b)
    outpoint = await fund(devnet, spends.p2wsh(script), VALUE)
    other = spends.multisig_2_of_2(a, key(3))
    wrong_script = spend_p2wsh(outpoint, VALUE, script, [a, b], prefix=[b""], script_in_witness=other)
    assert rejected(devnet, wrong_script) == MISMATCH
    wrong_key = spend_p2wsh(outpoint, VALUE, script, [a, key(3)], prefix=[b""])
    assert rejected(devnet, wrong_key) == EVAL_FALSE
    swapped = spend_p2wsh(outpoint, VALUE, script, [b, a], prefix=[b""])
    assert rejected(devnet, swapped) == EVAL_FALSE  # CHECKMULTISIG wants the keys' order
    bad_dummy = spend_p2wsh(outpoint, VALUE, script, [a, b], prefix=[b"\x01"])
    assert rejected(devnet, bad_dummy) == ("mandatory-script-verify-flag-failed "
                                           "(Dummy CHECKMULTISIG argument must be zero)")
    good = spend_p2wsh(outpoint, VALUE, script, [a, b], prefix=[b""])
    assert devnet.broadcast(good.hex) == good.txid
    await devnet.mine(1)
    assert devnet.ledger.chain.find_tx(good.txid) is not None


# -- relative lock times: Lightning's to_local ------------------------------------------------


async def test_to_local_delayed_path_waits_144_blocks(devnet: Devnet) -> None:
    revocation, delayed = key(10), key(11)
    script = spends.to_local(revocation, delayed, 144)
    outpoint = await fund(devnet, spends.p2wsh(script), VALUE)
    confirmed_at = devnet.tip_height
    early = spend_p2wsh(outpoint, VALUE, script, [delayed], [b""], sequence=144)
    assert rejected(devnet, early) == "non-BIP68-final"
    short = spend_p2wsh(outpoint, VALUE, script, [delayed], [b""], sequence=143)
    assert rejected(devnet, short) == "non-BIP68-final"
    no_sequence = spend_p2wsh(outpoint, VALUE, script, [delayed], [b""], sequence=0)
    assert rejected(devnet, no_sequence) == LOCKTIME
    version_1 = spend_p2wsh(outpoint, VALUE, script, [delayed], [b""], sequence=144, version=1)
    assert rejected(devnet, version_1) == LOCKTIME  # BIP112: CSV needs a version 2 transaction

    await devnet.mine(142)  # the next block would be confirmed_at + 143: one short
    assert rejected(devnet, early) == "non-BIP68-final"
    await devnet.mine(1)
    assert devnet.broadcast(early.hex) == early.txid  # mined 144 blocks after its parent
    [block_hash] = await devnet.mine(1)
    assert devnet.ledger.chain.find_tx(early.txid)[0].hash == block_hash  # type: ignore[index]
    assert devnet.tip_height == confirmed_at + 144


async def test_to_local_revocation_path_is_immediate(devnet: Devnet) -> None:
    revocation, delayed = key(10), key(11)
    script = spends.to_local(revocation, delayed, 144)
    outpoint = await fund(devnet, spends.p2wsh(script), VALUE)
    wrong_branch_key = spend_p2wsh(outpoint, VALUE, script, [delayed], [b"\x01"])
    assert rejected(devnet, wrong_branch_key) == EVAL_FALSE
    not_minimal_if = spend_p2wsh(outpoint, VALUE, script, [revocation], [b"\x02"])
    assert "OP_IF/NOTIF argument must be minimal" in rejected(devnet, not_minimal_if)
    justice = spend_p2wsh(outpoint, VALUE, script, [revocation], [b"\x01"])
    assert devnet.broadcast(justice.hex) == justice.txid


async def test_time_based_relative_lock(devnet: Devnet) -> None:
    k = key(20)
    outpoint = await fund(devnet, spends.my_p2wpkh(k), VALUE)
    chain = devnet.ledger.chain
    coin_time = chain.median_time_past(devnet.tip_height - 1)
    tx = spend_p2wpkh(outpoint, VALUE, k, sequence=SEQUENCE_TIME_FLAG | 2)  # 2 x 512 s
    assert chain.median_time_past() <= coin_time + 1023
    assert rejected(devnet, tx) == "non-BIP68-final"
    await devnet.mine(11, time=coin_time + 5_000)
    assert devnet.broadcast(tx.hex) == tx.txid


# -- absolute lock times ----------------------------------------------------------------------


async def test_cltv_script_before_its_height(devnet: Devnet) -> None:
    k = key(30)
    lock_height = devnet.tip_height + 6
    script = spends.cltv_lock(lock_height, k)
    outpoint = await fund(devnet, spends.p2wsh(script), VALUE)
    too_low = spend_p2wsh(outpoint, VALUE, script, [k], locktime=devnet.tip_height, sequence=0xFFFFFFFE)
    assert rejected(devnet, too_low) == LOCKTIME
    final_sequence = spend_p2wsh(outpoint, VALUE, script, [k], locktime=lock_height)
    assert rejected(devnet, final_sequence) == LOCKTIME  # nSequence 0xffffffff disables nLockTime
    at_height = spend_p2wsh(outpoint, VALUE, script, [k], locktime=lock_height, sequence=0xFFFFFFFE)
    assert rejected(devnet, at_height) == "non-final"
    await devnet.mine(lock_height - devnet.tip_height - 1)
    assert rejected(devnet, at_height) == "non-final"  # the next block is lock_height itself
    await devnet.mine(1)
    assert devnet.broadcast(at_height.hex) == at_height.txid


async def test_future_nlocktime_is_non_final(devnet: Devnet) -> None:
    k = key(40)
    first, second = await fund(devnet, spends.my_p2wpkh(k), VALUE), await fund(devnet, spends.my_p2wpkh(k), VALUE)
    by_height = spend_p2wpkh(first, VALUE, k, locktime=devnet.tip_height + 2, sequence=0xFFFFFFFD)
    assert rejected(devnet, by_height) == "non-final"
    final_inputs = spend_p2wpkh(first, VALUE, k, locktime=devnet.tip_height + 2)
    assert devnet.broadcast(final_inputs.hex) == final_inputs.txid  # all nSequence final: no lock
    cutoff = devnet.ledger.chain.median_time_past()
    by_time = spend_p2wpkh(second, VALUE, k, locktime=max(cutoff, 500_000_000) + 3_600, sequence=0xFFFFFFFE)
    assert rejected(devnet, by_time) == "non-final"
    await devnet.mine(11, time=by_time.tx.locktime + 1)  # BIP113: the median time past passes it
    assert devnet.broadcast(by_time.hex) == by_time.txid


async def test_mining_skips_transactions_not_final_in_the_new_block(devnet: Devnet) -> None:
    k = key(50)
    outpoint = await fund(devnet, spends.my_p2wpkh(k), VALUE)
    await devnet.mine(1)
    locked = spend_p2wpkh(outpoint, VALUE, k, locktime=devnet.tip_height, sequence=0xFFFFFFFE)
    devnet.broadcast(locked.hex)
    devnet.ledger.chain.disconnect_tip()  # the tip goes away under the mempool: it is now non-final
    await devnet.mine(1)
    assert devnet.ledger.chain.find_tx(locked.txid) is None and locked.txid in devnet.ledger.mempool
    await devnet.mine(1)
    assert devnet.ledger.chain.find_tx(locked.txid) is not None


# -- hash locks -------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", [spends.sha256_lock, spends.hash160_lock], ids=["sha256", "hash160"])
async def test_hash_lock_needs_the_preimage(devnet: Devnet, lock: Callable[[bytes, PrivateKey], bytes]) -> None:
    k, preimage = key(60), hashlib.sha256(b"payment preimage").digest()
    script = lock(preimage, k)
    outpoint = await fund(devnet, spends.p2wsh(script), VALUE)
    wrong = spend_p2wsh(outpoint, VALUE, script, [k], [bytes(32)])
    assert rejected(devnet, wrong) == EQUALVERIFY
    right = spend_p2wsh(outpoint, VALUE, script, [k], [preimage])
    assert devnet.broadcast(right.hex) == right.txid


# -- dust -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "threshold_sat"), [
    ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", 294),
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", 546),
    ("2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", 540),
    ("bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry", 330),
    ("bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqc8gma6", 330),
])
async def test_dust_outputs_are_refused(devnet: Devnet, address: str, threshold_sat: int) -> None:
    assert dust_threshold_sat(address_to_script(address)) == threshold_sat
    with pytest.raises(TxRejected, match="^dust$"):
        await devnet.pay(address, threshold_sat - 1)
    assert await devnet.pay(address, threshold_sat) in devnet.ledger.mempool


async def test_op_return_is_never_dust(devnet: Devnet) -> None:
    coins = devnet.ledger.spendable(devnet.faucet.scripthash)
    tx = devnet.faucet.build([TxOut(0, b"\x6a\x04test"), TxOut(1_000, spends.DEST)], coins, 2, True)
    assert devnet.broadcast(tx.hex) == tx.txid


# -- taproot: accepted unverified -------------------------------------------------------------


async def test_taproot_spends_are_not_verified(devnet: Devnet) -> None:
    outpoint = await fund(devnet, b"\x51\x20" + bytes(range(32)), VALUE)
    tx = spends.unsigned(outpoint, VALUE)
    tx.vin[0].witness = Witness([bytes(64)])
    parsed = ParsedTx.from_embit(tx)
    assert devnet.broadcast(parsed.hex) == parsed.txid
