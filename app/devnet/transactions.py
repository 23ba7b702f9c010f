"""Transactions: parsing with txid/wtxid/vsize, coinbase construction, BIP143 p2wpkh signing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from coincurve import PrivateKey
from embit.script import Script, Witness
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from app.devnet.errors import TxRejected
from app.devnet.hashes import hash_to_hex, sha256d

NULL_TXID = b"\x00" * 32
COINBASE_VOUT = 0xFFFFFFFF
RBF_SEQUENCE = 0xFFFFFFFD
FINAL_SEQUENCE = 0xFFFFFFFF
WITNESS_COMMITMENT_HEADER = b"\xaa\x21\xa9\xed"
MAX_MONEY_SAT = 21_000_000 * 100_000_000

OutPoint = tuple[str, int]  # (txid hex, output index)


@dataclass(frozen=True, slots=True)
class TxOut:
    value_sat: int
    script: bytes


class ParsedTx:
    """An immutable, fully parsed transaction with its identifiers cached."""

    def __init__(self, raw: bytes, tx: Transaction) -> None:
        self.raw = raw
        self.tx = tx
        self.txid = hash_to_hex(tx.hash())
        self.wtxid = hash_to_hex(sha256d(raw))

    @classmethod
    def from_raw(cls, raw: bytes) -> ParsedTx:
        try:
            tx = Transaction.parse(raw)
            canonical = tx.serialize() == raw
        except Exception as exc:  # noqa: BLE001 - embit raises assorted errors on garbage
            raise TxRejected("TX decode failed") from exc
        if not canonical:
            raise TxRejected("TX decode failed")
        return cls(raw, tx)

    @classmethod
    def from_hex(cls, text: str) -> ParsedTx:
        try:
            raw = bytes.fromhex(text)
        except (TypeError, ValueError) as exc:
            raise TxRejected("TX decode failed") from exc
        return cls.from_raw(raw)

    @classmethod
    def from_embit(cls, tx: Transaction) -> ParsedTx:
        return cls(tx.serialize(), tx)

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @cached_property
    def is_coinbase(self) -> bool:
        vin = self.tx.vin
        return len(vin) == 1 and vin[0].txid == NULL_TXID and vin[0].vout == COINBASE_VOUT

    @cached_property
    def inputs(self) -> list[OutPoint]:
        return [(inp.txid.hex(), inp.vout) for inp in self.tx.vin]

    @cached_property
    def outputs(self) -> list[TxOut]:
        return [TxOut(out.value, out.script_pubkey.data) for out in self.tx.vout]

    @cached_property
    def weight(self) -> int:
        base = self._base_size() if self.tx.is_segwit else len(self.raw)
        return base * 3 + len(self.raw)

    def _base_size(self) -> int:
        stripped = Transaction(self.tx.version, [
            TransactionInput(i.txid, i.vout, i.script_sig, i.sequence) for i in self.tx.vin
        ], self.tx.vout, self.tx.locktime)
        return len(stripped.serialize())

    @property
    def vsize(self) -> int:
        return (self.weight + 3) // 4

    @cached_property
    def signals_rbf(self) -> bool:
        """BIP125 opt-in: any input with nSequence < 0xfffffffe."""
        return any(inp.sequence < 0xFFFFFFFE for inp in self.tx.vin)

    @property
    def output_total_sat(self) -> int:
        return sum(out.value_sat for out in self.outputs)


def build_coinbase(height: int, value_sat: int, script: bytes, extra_nonce: int,
                   witness_root: bytes | None) -> ParsedTx:
    """A coinbase with a BIP34 height push and, if given, a BIP141 witness commitment."""
    script_sig = _push_int(height) + _push_data(extra_nonce.to_bytes(8, "little")) + _push_data(b"RedWaves")
    inp = TransactionInput(NULL_TXID, COINBASE_VOUT, Script(script_sig), FINAL_SEQUENCE)
    outputs = [TransactionOutput(value_sat, Script(script))]
    if witness_root is not None:
        reserved = b"\x00" * 32
        inp.witness = Witness([reserved])
        commitment = sha256d(witness_root + reserved)
        outputs.append(TransactionOutput(0, Script(b"\x6a\x24" + WITNESS_COMMITMENT_HEADER + commitment)))
    return ParsedTx.from_embit(Transaction(version=2, vin=[inp], vout=outputs, locktime=0))


def _push_data(data: bytes) -> bytes:
    if len(data) > 75:
        raise ValueError("push too long for this helper")
    return bytes([len(data)]) + data


def _push_int(value: int) -> bytes:
    """Minimal CScriptNum push, as BIP34 requires for the height."""
    if value == 0:
        return b"\x00"
    if 1 <= value <= 16:
        return bytes([0x50 + value])
    encoded = value.to_bytes((value.bit_length() + 8) // 8, "little")
    return _push_data(encoded)


def is_witness_program(script: bytes) -> bool:
    """CScript::IsWitnessProgram: OP_0 or OP_1..OP_16, then one push of 2..40 bytes."""
    if not 4 <= len(script) <= 42:
        return False
    if script[0] != 0 and not 0x51 <= script[0] <= 0x60:
        return False
    return script[1] + 2 == len(script)


def p2wpkh_script_code(pubkey_hash: bytes) -> bytes:
    """BIP143 scriptCode of a p2wpkh input (a p2pkh script)."""
    return b"\x76\xa9\x14" + pubkey_hash + b"\x88\xac"


def sign_p2wpkh(tx: Transaction, index: int, key: PrivateKey, pubkey_hash: bytes, value_sat: int) -> None:
    """Sign input ``index`` (SIGHASH_ALL, low-S DER) and set its witness."""
    digest = tx.sighash_segwit(index, Script(p2wpkh_script_code(pubkey_hash)), value_sat, SIGHASH.ALL)
    signature = key.sign(digest, hasher=None) + bytes([SIGHASH.ALL])
    tx.vin[index].witness = Witness([signature, key.public_key.format(compressed=True)])
