"""bitcoind's dust rule (policy.cpp GetDustThreshold, -dustrelayfee=3000 sat/kvB).

An output is dust when it is worth less than the fee, at the dust relay rate, of creating it plus
spending it later: 546 sat for p2pkh, 540 p2sh, 294 p2wpkh, 330 p2wsh and p2tr. OP_RETURN
outputs are never dust. (Electrum's Lightning dust limits, 546/354/294, are all at or above these.)
"""

from __future__ import annotations

from app.devnet.transactions import TxOut, is_witness_program

DUST_RELAY_FEE_SAT_PER_KVB = 3000
MAX_SCRIPT_SIZE = 10_000
_OP_RETURN = 0x6A
_WITNESS_INPUT_VBYTES = 32 + 4 + 1 + 107 // 4 + 4  # outpoint, empty scriptSig, witness discount, nSequence
_LEGACY_INPUT_VBYTES = 32 + 4 + 1 + 107 + 4


def dust_threshold_sat(script: bytes) -> int:
    if (script and script[0] == _OP_RETURN) or len(script) > MAX_SCRIPT_SIZE:
        return 0
    size = 8 + _compact_size_len(len(script)) + len(script)
    size += _WITNESS_INPUT_VBYTES if is_witness_program(script) else _LEGACY_INPUT_VBYTES
    return size * DUST_RELAY_FEE_SAT_PER_KVB // 1000


def is_dust(out: TxOut) -> bool:
    return out.value_sat < dust_threshold_sat(out.script)


def _compact_size_len(n: int) -> int:
    return 1 if n < 0xFD else 3 if n <= 0xFFFF else 5
