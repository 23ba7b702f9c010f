"""Bitcoin address validation: bech32 (BIP173, witness v0), bech32m (BIP350, v1+), base58check P2PKH/P2SH.

Pure: ``validate_address(text, network)`` returns the normalised address (bech32 in lower case, base58 as
given) or raises ValidationError with code ``invalid_address`` (not an address: bad characters, checksum,
length, witness program) or ``wrong_network`` (a valid address of another network). Testnet and signet
share prefixes; regtest shares testnet's base58 versions but has its own bech32 prefix ``bcrt``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.core.errors import ValidationError

MAX_ADDRESS_CHARS = 90  # BIP173: a bech32 string is at most 90 characters; base58 addresses are shorter
FIELD = "address"

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class NetworkPrefixes:
    hrp: str
    p2pkh: int
    p2sh: int


PREFIXES: dict[str, NetworkPrefixes] = {
    "mainnet": NetworkPrefixes("bc", 0x00, 0x05),
    "testnet": NetworkPrefixes("tb", 0x6F, 0xC4),
    "signet": NetworkPrefixes("tb", 0x6F, 0xC4),
    "regtest": NetworkPrefixes("bcrt", 0x6F, 0xC4),
}


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_address", field=FIELD)


def _wrong_network(network: str) -> ValidationError:
    return ValidationError(f"This is not a {network} Bitcoin address (it is for another network).",
                           code="wrong_network", field=FIELD)


def _prefixes(network: str) -> NetworkPrefixes:
    try:
        return PREFIXES[network]
    except KeyError:
        raise ValueError(f"unknown network {network!r}") from None


# -- bech32 / bech32m ------------------------------------------------------------------------------

def _polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], int]:
    """(hrp, data without checksum, checksum constant) of a bech32/bech32m string; ValidationError if not one."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise _invalid("The address contains characters an address never has.")
    if text.lower() != text and text.upper() != text:
        raise _invalid("The address mixes upper and lower case.")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > MAX_ADDRESS_CHARS:
        raise _invalid("This is not a Bitcoin address (bad length or separator).")
    if any(c not in _CHARSET for c in text[pos + 1:]):
        raise _invalid("The address contains characters an address never has.")
    hrp = text[:pos]
    data = [_CHARSET.find(c) for c in text[pos + 1:]]
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST):
        raise _invalid("The address has a typo: its checksum does not match.")
    return hrp, data[:-6], const


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> list[int]:
    """Regroup 5-bit groups into bytes, refusing non-zero or too-long padding (BIP173)."""
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise _invalid("This is not a valid Bitcoin address (bad padding).")
    return out


def _segwit(text: str, hrp_wanted: str, network: str) -> str:
    hrp, data, const = bech32_decode(text)
    if hrp not in {p.hrp for p in PREFIXES.values()}:
        raise _invalid("This is not a Bitcoin address.")
    if not data:
        raise _invalid("This is not a Bitcoin address (no witness version).")
    version, program = data[0], _convert_bits(data[1:], 5, 8)
    if version > 16 or not 2 <= len(program) <= 40:
        raise _invalid("This is not a valid Bitcoin address (witness program).")
    if version == 0 and len(program) not in (20, 32):
        raise _invalid("This is not a valid Bitcoin address (witness v0 program length).")
    if (version == 0) != (const == _BECH32_CONST):
        raise _invalid("The address has a typo: its checksum does not match its version (BIP350).")
    if hrp != hrp_wanted:  # only a fully valid address is "of another network"
        raise _wrong_network(network)
    return text.lower()


# -- base58check -----------------------------------------------------------------------------------

def base58check_decode(text: str) -> bytes:
    """The payload (version byte + data) of a base58check string; ValidationError if the checksum fails."""
    number = 0
    for char in text:
        digit = _B58.find(char)
        if digit < 0:
            raise _invalid("The address contains characters an address never has.")
        number = number * 58 + digit
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\x00" * (len(text) - len(text.lstrip("1"))) + raw
    if len(raw) < 5:
        raise _invalid("This is not a Bitcoin address.")
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        raise _invalid("The address has a typo: its checksum does not match.")
    return payload


def _legacy(text: str, prefixes: NetworkPrefixes, network: str) -> str:
    payload = base58check_decode(text)
    if len(payload) != 21:
        raise _invalid("This is not a Bitcoin address (wrong length).")
    version = payload[0]
    if version in (prefixes.p2pkh, prefixes.p2sh):
        return text
    if any(version in (p.p2pkh, p.p2sh) for p in PREFIXES.values()):
        raise _wrong_network(network)
    raise _invalid("This is not a Bitcoin address.")


def validate_address(text: str, network: str) -> str:
    """The normalised address if ``text`` is a valid address of ``network``, else ValidationError."""
    if not isinstance(text, str):
        raise _invalid("The address must be text.")
    text = text.strip()
    if text.lower().startswith("bitcoin:"):
        raise _invalid("Paste the address only, not a bitcoin: link.")
    if not text:
        raise ValidationError("Enter a Bitcoin address.", code="invalid_address", field=FIELD)
    if len(text) > MAX_ADDRESS_CHARS:
        raise _invalid(f"An address has at most {MAX_ADDRESS_CHARS} characters.")
    prefixes = _prefixes(network)
    lowered = text.lower()
    if any(lowered.startswith(p.hrp + "1") for p in PREFIXES.values()):
        return _segwit(text, prefixes.hrp, network)
    return _legacy(text, prefixes, network)
