"""Build real p2wsh / p2wpkh spends for the devnet's script tests (embit sighash, coincurve keys).

The scripts follow Lightning's BOLT3 templates where one exists (to_local, HTLC hash locks).
"""

from __future__ import annotations

import hashlib

from coincurve import PrivateKey
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from app.devnet import Devnet
from app.devnet.addresses import p2wpkh_script
from app.devnet.hashes import hash160
from app.devnet.transactions import OutPoint, ParsedTx, TxOut, sign_p2wpkh

OP_0, OP_2, OP_IF, OP_ELSE, OP_ENDIF, OP_DROP = 0x00, 0x52, 0x63, 0x67, 0x68, 0x75
OP_EQUALVERIFY, OP_SHA256, OP_HASH160, OP_CHECKSIG, OP_CHECKMULTISIG = 0x88, 0xA8, 0xA9, 0xAC, 0xAE
OP_CLTV, OP_CSV = 0xB1, 0xB2
FEE_SAT = 1_000
SEQUENCE_FINAL = 0xFFFFFFFF
DEST = bytes.fromhex("0014") + bytes(range(20))


def key(n: int) -> PrivateKey:
    return PrivateKey(hashlib.sha256(b"devnet script test %d" % n).digest())


def pub(k: PrivateKey) -> bytes:
    return k.public_key.format(compressed=True)


def push(data: bytes) -> bytes:
    assert len(data) <= 75
    return bytes([len(data)]) + data


def num(n: int) -> bytes:
    """A minimal CScriptNum push (n >= 0)."""
    if n == 0:
        return bytes([OP_0])
    if n <= 16:
        return bytes([0x50 + n])
    data = n.to_bytes((n.bit_length() + 8) // 8, "little")
    return push(data)


def p2wsh(witness_script: bytes) -> bytes:
    return b"\x00\x20" + hashlib.sha256(witness_script).digest()


def multisig_2_of_2(a: PrivateKey, b: PrivateKey) -> bytes:
    return bytes([OP_2]) + push(pub(a)) + push(pub(b)) + bytes([OP_2, OP_CHECKMULTISIG])


def to_local(revocation: PrivateKey, delayed: PrivateKey, to_self_delay: int) -> bytes:
    """BOLT3 to_local: OP_IF <revocationpubkey> OP_ELSE delay OP_CSV OP_DROP <delayedpubkey> OP_ENDIF OP_CHECKSIG."""
    return (bytes([OP_IF]) + push(pub(revocation)) + bytes([OP_ELSE]) + num(to_self_delay)
            + bytes([OP_CSV, OP_DROP]) + push(pub(delayed)) + bytes([OP_ENDIF, OP_CHECKSIG]))


def cltv_lock(height: int, k: PrivateKey) -> bytes:
    return num(height) + bytes([OP_CLTV, OP_DROP]) + push(pub(k)) + bytes([OP_CHECKSIG])


def sha256_lock(preimage: bytes, k: PrivateKey) -> bytes:
    digest = hashlib.sha256(preimage).digest()
    return bytes([OP_SHA256]) + push(digest) + bytes([OP_EQUALVERIFY]) + push(pub(k)) + bytes([OP_CHECKSIG])


def hash160_lock(preimage: bytes, k: PrivateKey) -> bytes:
    """BOLT3's HTLC preimage check: OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY, where
    payment_hash = SHA256(preimage), so the lock is HASH160(preimage) (OP_SIZE check left out)."""
    return bytes([OP_HASH160]) + push(hash160(preimage)) + bytes([OP_EQUALVERIFY]) + push(pub(k)) + bytes([OP_CHECKSIG])


async def fund(devnet: Devnet, script: bytes, value_sat: int = 100_000) -> OutPoint:
    """Pay ``value_sat`` to ``script`` from the faucet and mine it; returns the outpoint."""
    coins = devnet.ledger.spendable(devnet.faucet.scripthash)
    tx = devnet.faucet.build([TxOut(value_sat, script)], coins, 2, True)
    devnet.broadcast(tx.hex)
    await devnet.mine(1)
    return tx.txid, next(i for i, out in enumerate(tx.outputs) if out.script == script)


def unsigned(outpoint: OutPoint, value_sat: int, *, sequence: int = SEQUENCE_FINAL, locktime: int = 0,
             version: int = 2, outputs: list[TxOut] | None = None) -> Transaction:
    outs = outputs if outputs is not None else [TxOut(value_sat - FEE_SAT, DEST)]
    return Transaction(version=version,
                       vin=[TransactionInput(bytes.fromhex(outpoint[0]), outpoint[1], sequence=sequence)],
                       vout=[TransactionOutput(o.value_sat, Script(o.script)) for o in outs], locktime=locktime)


def signature(tx: Transaction, witness_script: bytes, value_sat: int, k: PrivateKey, index: int = 0) -> bytes:
    digest = tx.sighash_segwit(index, Script(witness_script), value_sat, SIGHASH.ALL)
    return bytes(k.sign(digest, hasher=None)) + bytes([SIGHASH.ALL])


def spend_p2wsh(outpoint: OutPoint, value_sat: int, witness_script: bytes, signers: list[PrivateKey],
                extra: list[bytes] | None = None, *, prefix: list[bytes] | None = None,
                script_in_witness: bytes | None = None, **tx_fields: int) -> ParsedTx:
    """Witness = prefix + signatures + extra + [script]; ``script_in_witness`` overrides the script
    placed in the witness (to test a hash mismatch), the signatures still commit to ``witness_script``."""
    tx = unsigned(outpoint, value_sat, **tx_fields)
    sigs = [signature(tx, witness_script, value_sat, k) for k in signers]
    shown = witness_script if script_in_witness is None else script_in_witness
    tx.vin[0].witness = Witness([*(prefix or []), *sigs, *(extra or []), shown])
    return ParsedTx.from_embit(tx)


def my_p2wpkh(k: PrivateKey) -> bytes:
    return p2wpkh_script(hash160(pub(k)))


def spend_p2wpkh(outpoint: OutPoint, value_sat: int, k: PrivateKey, outputs: list[TxOut] | None = None,
                 **tx_fields: int) -> ParsedTx:
    tx = unsigned(outpoint, value_sat, outputs=outputs, **tx_fields)
    sign_p2wpkh(tx, 0, k, hash160(pub(k)), value_sat)
    return ParsedTx.from_embit(tx)
