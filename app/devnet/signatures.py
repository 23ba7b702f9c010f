"""Input scripts, checked by pycoin's script interpreter with bitcoind's mempool flags.

Everything but taproot is verified: p2pkh, p2sh, p2wpkh, p2sh-p2wpkh, p2wsh (multisig, hash locks,
OP_CHECKLOCKTIMEVERIFY, OP_CHECKSEQUENCEVERIFY, OP_CODESEPARATOR), p2sh-p2wsh and bare scripts.
Spends of witness v1+ outputs (p2tr, anchors) are accepted unverified, as pycoin has no taproot.
Reject reasons are bitcoind's: the standard flags first, then the consensus ones alone, giving
``non-mandatory-script-verify-flag (...)`` or ``mandatory-script-verify-flag-failed (...)``.
"""

from __future__ import annotations

import os
from typing import Any

import coincurve._libsecp256k1 as _bundled_secp256k1

from app.devnet.errors import TxRejected
from app.devnet.transactions import TxOut, is_witness_program

# pycoin reads this once, at import: verify ECDSA with the libsecp256k1 inside coincurve (else its
# pure-Python curve arithmetic makes every signature check ~5x slower).
os.environ.setdefault("PYCOIN_LIBSECP256K1_PATH", _bundled_secp256k1.__file__ or "")

from pycoin.coins.SolutionChecker import ScriptError  # noqa: E402 - after the library path is set
from pycoin.satoshi import flags  # noqa: E402
from pycoin.symbols.btc import network  # noqa: E402

_PycoinTx: Any = network.tx  # pycoin has no type hints

MANDATORY_FLAGS = (flags.VERIFY_P2SH | flags.VERIFY_DERSIG | flags.VERIFY_NULLDUMMY
                   | flags.VERIFY_CHECKLOCKTIMEVERIFY | flags.VERIFY_CHECKSEQUENCEVERIFY
                   | flags.VERIFY_WITNESS)
# bitcoind's STANDARD_SCRIPT_VERIFY_FLAGS that pycoin implements, minus
# DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM (it would refuse the taproot spends bitcoind accepts).
STANDARD_FLAGS = (MANDATORY_FLAGS | flags.VERIFY_STRICTENC | flags.VERIFY_MINIMALDATA
                  | flags.VERIFY_DISCOURAGE_UPGRADABLE_NOPS | flags.VERIFY_CLEANSTACK
                  | flags.VERIFY_MINIMALIF | flags.VERIFY_NULLFAIL | flags.VERIFY_LOW_S
                  | flags.VERIFY_WITNESS_PUBKEYTYPE)

# bitcoind's ScriptErrorString, indexed by ScriptError_t (pycoin.satoshi.errno uses the same numbers)
_SCRIPT_ERRORS = (
    "No error", "unknown error",
    "Script evaluated without error but finished with a false/empty top stack element",
    "OP_RETURN was encountered", "Script is too big", "Push value size limit exceeded",
    "Operation limit exceeded", "Stack size limit exceeded",
    "Signature count negative or greater than pubkey count", "Pubkey count negative or limit exceeded",
    "Script failed an OP_VERIFY operation", "Script failed an OP_EQUALVERIFY operation",
    "Script failed an OP_CHECKMULTISIGVERIFY operation", "Script failed an OP_CHECKSIGVERIFY operation",
    "Script failed an OP_NUMEQUALVERIFY operation", "Opcode missing or not understood",
    "Attempted to use a disabled opcode", "Operation not valid with the current stack size",
    "Operation not valid with the current altstack size", "Invalid OP_IF construction",
    "Negative locktime", "Locktime requirement not satisfied",
    "Signature hash type missing or not understood", "Non-canonical DER signature",
    "Data push larger than necessary", "Only non-push operators allowed in signatures",
    "Non-canonical signature: S value is unnecessarily high", "Dummy CHECKMULTISIG argument must be zero",
    "Public key is neither compressed or uncompressed", "Stack size must be exactly one after execution",
    "OP_IF/NOTIF argument must be minimal",
    "Signature must be zero for failed CHECK(MULTI)SIG operation",
    "NOPx reserved for soft-fork upgrades", "Witness version reserved for soft-fork upgrades",
    "Witness program has incorrect length", "Witness program was passed an empty witness",
    "Witness program hash mismatch", "Witness requires empty scriptSig",
    "Witness requires only-redeemscript scriptSig", "Witness provided for non-witness script",
    "Using non-compressed keys in segwit",
)

# pycoin raises some errors without a ScriptError_t code: their messages, mapped to the code
_CODES_BY_MESSAGE = {
    "nSequence equal to 0xffffffff": 21, "eras differ in CHECKLOCKTIMEVERIFY": 21, "nLockTime too soon": 21,
    "sequence numbers not comparable": 21, "sequence number too small": 21,
    "CHECKSEQUENCEVERIFY: locktime disabled": 21, "top stack item negative on CHECKLOCKTIMEVERIFY": 20,
    "empty stack on CHECKLOCKTIMEVERIFY": 17, "signature is length 0": 22,
}


def verify_inputs(raw_tx: bytes, spent: list[TxOut], *, policy: bool = True) -> None:
    """Raise TxRejected unless every input of ``raw_tx`` validly spends its ``spent`` output.

    ``policy``: bitcoind's mempool rules (standard flags); False: consensus flags only.
    """
    try:
        tx = _PycoinTx.from_bin(raw_tx)
    except Exception as exc:  # noqa: BLE001 - pycoin raises assorted errors on garbage
        raise TxRejected("TX decode failed") from exc
    tx.unspents = [_PycoinTx.TxOut(out.value_sat, out.script) for out in spent]
    for index, out in enumerate(spent):
        if not is_taproot_or_later(out.script):
            _verify(tx, index, policy)


def is_taproot_or_later(script: bytes) -> bool:
    """A witness program of version 1..16 (p2tr, pay-to-anchor, future versions)."""
    return is_witness_program(script) and script[0] != 0


def _verify(tx: Any, index: int, policy: bool) -> None:
    standard = _failure(tx, index, STANDARD_FLAGS) if policy else None
    if policy and standard is None:
        return
    mandatory = _failure(tx, index, MANDATORY_FLAGS)
    if mandatory is not None:
        raise TxRejected(f"mandatory-script-verify-flag-failed ({mandatory})")
    if standard is not None:
        raise TxRejected(f"non-mandatory-script-verify-flag ({standard})")


def _failure(tx: Any, index: int, verify_flags: int) -> str | None:
    """bitcoind's wording of why input ``index`` fails under ``verify_flags``; None if it passes."""
    try:
        tx.check_solution(index, flags=verify_flags)
    except ScriptError as exc:
        code = exc.error_code()
        if code is None and exc.args:
            code = _CODES_BY_MESSAGE.get(str(exc.args[0]), 1)
        return _SCRIPT_ERRORS[code] if isinstance(code, int) and 0 <= code < len(_SCRIPT_ERRORS) \
            else _SCRIPT_ERRORS[1]
    except Exception:  # noqa: BLE001 - pycoin raises assorted errors on malformed scripts
        return _SCRIPT_ERRORS[1]
    return None
