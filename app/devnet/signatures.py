"""Input script checks for the script types the devnet verifies: p2wpkh, p2sh-p2wpkh, p2pkh.

Other script types (p2wsh, p2tr, bare p2sh) are accepted without verification.
"""

from coincurve import PublicKey
from embit.script import Script
from embit.transaction import SIGHASH, Transaction

from app.devnet.errors import TxRejected
from app.devnet.hashes import hash160
from app.devnet.transactions import TxOut, p2wpkh_script_code

_BAD_SIG = "mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)"
_BAD_KEY = "mandatory-script-verify-flag-failed (Script failed an OP_EQUALVERIFY operation)"
_BAD_WITNESS = "mandatory-script-verify-flag-failed (Witness program hash mismatch)"
_VALID_SIGHASHES = {SIGHASH.ALL, SIGHASH.NONE, SIGHASH.SINGLE,
                    SIGHASH.ALL | SIGHASH.ANYONECANPAY, SIGHASH.NONE | SIGHASH.ANYONECANPAY,
                    SIGHASH.SINGLE | SIGHASH.ANYONECANPAY}


def verify_input(tx: Transaction, index: int, spent: TxOut) -> None:
    """Raise TxRejected if input ``index`` does not validly spend ``spent``."""
    script = spent.script
    if len(script) == 22 and script[:2] == b"\x00\x14":
        _verify_p2wpkh(tx, index, script[2:], spent.value_sat)
    elif len(script) == 23 and script[:2] == b"\xa9\x14" and script[-1] == 0x87:
        redeem = _single_push(tx.vin[index].script_sig.data)
        if redeem is not None and len(redeem) == 22 and redeem[:2] == b"\x00\x14":
            if hash160(redeem) != script[2:22]:
                raise TxRejected(_BAD_KEY)
            _verify_p2wpkh(tx, index, redeem[2:], spent.value_sat)
    elif len(script) == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        _verify_p2pkh(tx, index, script)


def _verify_p2wpkh(tx: Transaction, index: int, pubkey_hash: bytes, value_sat: int) -> None:
    items = tx.vin[index].witness.items
    if len(items) != 2:
        raise TxRejected(_BAD_WITNESS)
    signature, pubkey = items
    if hash160(pubkey) != pubkey_hash:
        raise TxRejected(_BAD_KEY)
    sighash = _sighash_type(signature)
    digest = tx.sighash_segwit(index, Script(p2wpkh_script_code(pubkey_hash)), value_sat, sighash)
    _check_signature(pubkey, signature[:-1], digest)


def _verify_p2pkh(tx: Transaction, index: int, script: bytes) -> None:
    pushes = _pushes(tx.vin[index].script_sig.data)
    if pushes is None or len(pushes) != 2:
        raise TxRejected(_BAD_KEY)
    signature, pubkey = pushes
    if hash160(pubkey) != script[3:23]:
        raise TxRejected(_BAD_KEY)
    sighash = _sighash_type(signature)
    digest = tx.sighash_legacy(index, Script(script), sighash)
    _check_signature(pubkey, signature[:-1], digest)


def _sighash_type(signature: bytes) -> int:
    if not signature or signature[-1] not in _VALID_SIGHASHES:
        raise TxRejected(_BAD_SIG)
    return signature[-1]


def _check_signature(pubkey: bytes, der: bytes, digest: bytes) -> None:
    try:
        ok = PublicKey(pubkey).verify(der, digest, hasher=None)
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise TxRejected(_BAD_SIG)


def _single_push(script_sig: bytes) -> bytes | None:
    pushes = _pushes(script_sig)
    return pushes[0] if pushes and len(pushes) == 1 else None


def _pushes(script: bytes) -> list[bytes] | None:
    """Split a push-only script into its data pushes; None if it has other opcodes."""
    items: list[bytes] = []
    pos = 0
    while pos < len(script):
        op = script[pos]
        pos += 1
        if 1 <= op <= 75:
            size = op
        elif op == 76 and pos < len(script):
            size = script[pos]
            pos += 1
        elif op == 77 and pos + 1 < len(script):
            size = int.from_bytes(script[pos:pos + 2], "little")
            pos += 2
        else:
            return None
        if pos + size > len(script):
            return None
        items.append(script[pos:pos + size])
        pos += size
    return items
