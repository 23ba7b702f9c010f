"""Fast BIP32 public derivation and address encoding.

Electrum's own path (``bip32.CKD_pub`` + ``bitcoin.pubkey_to_address``) costs ~300 µs per
address, two thirds of it in a generic pure-Python bech32 encoder. RedWaves derives an address
for every invoice, so this module does the same maths with coincurve (libsecp256k1) and a
table-driven bech32 checksum: ~60 µs single-sig. ``tests/chain/test_keys.py`` checks every
script type against Electrum's own wallet addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Protocol

import coincurve
from electrum import bitcoin


class NetConstants(Protocol):
    """The part of an Electrum network-constants class (``constants.BitcoinMainnet``...) read here."""

    SEGWIT_HRP: str
    BIP44_COIN_TYPE: int
    XPUB_HEADERS_INV: Mapping[int, str]  # SLIP-132 version bytes -> xtype
    XPRV_HEADERS_INV: Mapping[int, str]


# -- bech32 (BIP173, witness v0 only: RedWaves never derives taproot) --------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _gen_for(bits: int) -> int:
    out = 0
    for i in range(5):
        if (bits >> i) & 1:
            out ^= _GEN[i]
    return out


# _GEN_TABLE[top5] = XOR of the generators selected by the 5 bits shifted out of the state.
_GEN_TABLE = tuple(_gen_for(b) for b in range(32))
_hrp_state_cache: dict[str, int] = {}


def _polymod_step(chk: int, value: int) -> int:
    top = chk >> 25
    return ((chk & 0x1FFFFFF) << 5 ^ value) ^ _GEN_TABLE[top]


def _hrp_state(hrp: str) -> int:
    state = _hrp_state_cache.get(hrp)
    if state is None:
        state = 1
        for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]:
            state = _polymod_step(state, v)
        _hrp_state_cache[hrp] = state
    return state


def _to_5bit(program: bytes) -> list[int]:
    nbits = len(program) * 8
    groups = -(-nbits // 5)
    value = int.from_bytes(program, "big") << (groups * 5 - nbits)
    return [(value >> (5 * (groups - 1 - i))) & 31 for i in range(groups)]


def segwit_v0_address(hrp: str, program: bytes) -> str:
    data = [0, *_to_5bit(program)]
    chk = _hrp_state(hrp)
    for v in data:
        chk = _polymod_step(chk, v)
    for _ in range(6):
        chk = _polymod_step(chk, 0)
    chk ^= 1
    checksum = [(chk >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


# -- BIP32 -------------------------------------------------------------------------------------


def ckd_pub(parent_pubkey: bytes, chaincode: bytes, index: int) -> tuple[bytes, bytes]:
    """Non-hardened child (pubkey33, chaincode) of a compressed pubkey."""
    if not 0 <= index < 0x80000000:
        raise ValueError(f"non-hardened BIP32 index expected, got {index}")
    digest = hmac.digest(chaincode, parent_pubkey + index.to_bytes(4, "big"), "sha512")
    child = coincurve.PublicKey(parent_pubkey).add(digest[:32])
    return child.format(compressed=True), digest[32:]


def hash160(data: bytes) -> bytes:
    digest: bytes = bitcoin.hash_160(data)
    return digest


def _multisig_script(pubkeys: Sequence[bytes], threshold: int) -> bytes:
    keys = sorted(pubkeys)
    body = b"".join(b"\x21" + k for k in keys)
    return bytes([0x50 + threshold]) + body + bytes([0x50 + len(keys), 0xAE])


def _p2sh(h160: bytes, net: NetConstants) -> str:
    address: str = bitcoin.hash160_to_p2sh(h160, net=net)
    return address


def singlesig_address(script_type: str, pubkey: bytes, net: NetConstants) -> str:
    if script_type == "p2wpkh":
        return segwit_v0_address(net.SEGWIT_HRP, hash160(pubkey))
    if script_type == "p2wpkh-p2sh":
        return _p2sh(hash160(b"\x00\x14" + hash160(pubkey)), net)
    if script_type == "p2pkh":
        address: str = bitcoin.hash160_to_p2pkh(hash160(pubkey), net=net)
        return address
    raise ValueError(f"not a single-signature script type: {script_type}")


def multisig_address(script_type: str, pubkeys: Sequence[bytes], threshold: int, net: NetConstants) -> str:
    script = _multisig_script(pubkeys, threshold)
    if script_type == "p2wsh":
        return segwit_v0_address(net.SEGWIT_HRP, hashlib.sha256(script).digest())
    if script_type == "p2wsh-p2sh":
        redeem = b"\x00\x20" + hashlib.sha256(script).digest()
        return _p2sh(hash160(redeem), net)
    if script_type == "p2sh":
        return _p2sh(hash160(script), net)
    raise ValueError(f"not a multisig script type: {script_type}")
