"""The faucet wallet: one deterministic p2wpkh key, coin selection and signed payments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from coincurve import PrivateKey
from embit.script import Script
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from app.devnet.addresses import p2wpkh_address, p2wpkh_script, scripthash
from app.devnet.errors import DevnetError
from app.devnet.hashes import hash160
from app.devnet.transactions import FINAL_SEQUENCE, RBF_SEQUENCE, OutPoint, ParsedTx, TxOut, sign_p2wpkh

DEFAULT_SEED = b"redwaves-devnet-faucet-v1"
DUST_LIMIT_SAT = 546
_INPUT_VBYTES = 68  # p2wpkh input with a 72-byte signature, rounded up
_OVERHEAD_VBYTES = 11


@dataclass(frozen=True, slots=True)
class Spendable:
    outpoint: OutPoint
    out: TxOut
    confirmed: bool


class InsufficientFunds(DevnetError):
    code = "insufficient_funds"


class Faucet:
    """Holds the devnet's coins; the key is derived from a fixed seed so runs are reproducible."""

    def __init__(self, seed: bytes = DEFAULT_SEED) -> None:
        self._key = PrivateKey(hashlib.sha256(seed).digest())
        self.pubkey_hash = hash160(self._key.public_key.format(compressed=True))
        self.script = p2wpkh_script(self.pubkey_hash)
        self.address = p2wpkh_address(self.pubkey_hash)
        self.scripthash = scripthash(self.script)

    def owns(self, out: TxOut) -> bool:
        return out.script == self.script

    def build(self, outputs: list[TxOut], coins: list[Spendable], fee_rate_sat_vb: int, rbf: bool,
              fee_sat: int | None = None) -> ParsedTx:
        """Pay ``outputs`` from ``coins`` (in preference order), change back to the faucet."""
        target = sum(out.value_sat for out in outputs)
        chosen = _select(coins, target, outputs, fee_rate_sat_vb, fee_sat)
        return self.sign_spend(chosen, outputs, rbf, fee_rate_sat_vb, fee_sat)

    def sign_spend(self, coins: list[Spendable], outputs: list[TxOut], rbf: bool, fee_rate_sat_vb: int,
                   fee_sat: int | None = None) -> ParsedTx:
        """Spend exactly ``coins`` to ``outputs`` plus change (dropped if dust)."""
        total_in = sum(c.out.value_sat for c in coins)
        target = sum(out.value_sat for out in outputs)
        with_change = [*outputs, TxOut(0, self.script)]
        fee = fee_sat if fee_sat is not None else estimate_vsize(len(coins), with_change) * fee_rate_sat_vb
        change = total_in - target - fee
        if change < 0:
            raise InsufficientFunds(f"faucet coins hold {total_in} sat, need {target + fee}")
        final_outputs = list(outputs)
        if change >= DUST_LIMIT_SAT:
            final_outputs.append(TxOut(change, self.script))
        sequence = RBF_SEQUENCE if rbf else FINAL_SEQUENCE
        tx = Transaction(
            version=2,
            vin=[TransactionInput(bytes.fromhex(c.outpoint[0]), c.outpoint[1], sequence=sequence) for c in coins],
            vout=[TransactionOutput(o.value_sat, Script(o.script)) for o in final_outputs],
            locktime=0,
        )
        for index, coin in enumerate(coins):
            sign_p2wpkh(tx, index, self._key, self.pubkey_hash, coin.out.value_sat)
        return ParsedTx.from_embit(tx)


def estimate_vsize(n_inputs: int, outputs: list[TxOut]) -> int:
    return _OVERHEAD_VBYTES + n_inputs * _INPUT_VBYTES + sum(9 + len(o.script) for o in outputs)


def _select(coins: list[Spendable], target: int, outputs: list[TxOut], fee_rate: int,
            fee_sat: int | None) -> list[Spendable]:
    """Smallest single confirmed coin that covers the payment, else accumulate largest first."""
    def need(n: int) -> int:
        if fee_sat is not None:
            return target + fee_sat
        return target + estimate_vsize(n, [*outputs, TxOut(0, b"\x00" * 22)]) * fee_rate

    singles = [c for c in coins if c.out.value_sat >= need(1)]
    if singles:
        confirmed = [c for c in singles if c.confirmed]
        pool = confirmed or singles
        return [min(pool, key=lambda c: c.out.value_sat)]
    chosen: list[Spendable] = []
    for coin in sorted(coins, key=lambda c: (not c.confirmed, -c.out.value_sat)):
        chosen.append(coin)
        if sum(c.out.value_sat for c in chosen) >= need(len(chosen)):
            return chosen
    raise InsufficientFunds(f"the faucet cannot pay {target} sat")
