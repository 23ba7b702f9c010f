"""Regtest addresses (bcrt1 / m,n / 2) <-> scriptPubKey, and Electrum scripthashes."""

import hashlib

from embit import base58, bech32

from app.devnet.errors import DevnetError

HRP = "bcrt"
P2PKH_PREFIX = 0x6F
P2SH_PREFIX = 0xC4


class InvalidAddress(DevnetError):
    code = "invalid_address"


def address_to_script(address: str) -> bytes:
    """The scriptPubKey paid by a regtest address; raises InvalidAddress otherwise."""
    if not isinstance(address, str) or not address:
        raise InvalidAddress("address must be a non-empty string")
    if address.lower().startswith(HRP + "1"):
        return _segwit_script(address)
    try:
        payload: bytes = base58.decode_check(address)  # embit has no types
    except Exception as exc:  # noqa: BLE001 - embit raises bare Exception/ValueError
        raise InvalidAddress(f"not a regtest address: {address}") from exc
    if len(payload) != 21:
        raise InvalidAddress(f"not a regtest address: {address}")
    if payload[0] == P2PKH_PREFIX:
        return b"\x76\xa9\x14" + payload[1:] + b"\x88\xac"
    if payload[0] == P2SH_PREFIX:
        return b"\xa9\x14" + payload[1:] + b"\x87"
    raise InvalidAddress(f"not a regtest address: {address}")


def _segwit_script(address: str) -> bytes:
    version, program = bech32.decode(HRP, address)
    if version is None or program is None:
        raise InvalidAddress(f"invalid bech32 address: {address}")
    if version == 0 and len(program) not in (20, 32):
        raise InvalidAddress(f"invalid witness v0 program length: {address}")
    if version == 1 and len(program) != 32:
        raise InvalidAddress(f"invalid taproot program length: {address}")
    opcode = 0 if version == 0 else 0x50 + version
    return bytes([opcode, len(program)]) + bytes(program)


def p2wpkh_script(pubkey_hash: bytes) -> bytes:
    return b"\x00\x14" + pubkey_hash


def p2wpkh_address(pubkey_hash: bytes) -> str:
    address: str = bech32.encode(HRP, 0, list(pubkey_hash))  # embit has no types
    return address


def scripthash(script: bytes) -> str:
    """Electrum protocol scripthash: sha256 of the script, hex in reversed byte order."""
    return hashlib.sha256(script).digest()[::-1].hex()
