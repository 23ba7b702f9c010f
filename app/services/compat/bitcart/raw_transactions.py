"""Virtual size of a serialized bitcoin transaction (the daemon's ``get_tx_size``). Pure, no Electrum."""

from __future__ import annotations

import math

from app.core.errors import ValidationError


class MalformedTransaction(ValidationError):
    code = "malformed_transaction"


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.raw):
            raise MalformedTransaction("Not a valid transaction (truncated).")
        chunk = self.raw[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self) -> int:
        first = self.take(1)[0]
        if first < 0xFD:
            return first
        return int.from_bytes(self.take({0xFD: 2, 0xFE: 4, 0xFF: 8}[first]), "little")


def transaction_vsize(raw_hex: str) -> int:
    """ceil(weight / 4) with weight = 3 * size without witness + full size (BIP141)."""
    try:
        raw = bytes.fromhex(raw_hex.strip())
    except (ValueError, AttributeError):
        raise MalformedTransaction("Not a valid transaction (not hex).") from None
    r = _Reader(raw)
    r.take(4)  # version
    segwit = raw[4:6] == b"\x00\x01"
    if segwit:
        r.take(2)
    inputs = r.varint()
    for _ in range(inputs):
        r.take(36)
        r.take(r.varint())
        r.take(4)
    for _ in range(r.varint()):
        r.take(8)
        r.take(r.varint())
    witness_start = r.pos
    if segwit:
        for _ in range(inputs):
            for _ in range(r.varint()):
                r.take(r.varint())
    witness_len = r.pos - witness_start
    r.take(4)  # locktime
    if r.pos != len(raw) or inputs == 0:
        raise MalformedTransaction("Not a valid transaction.")
    base = len(raw) - witness_len - (2 if segwit else 0)
    return math.ceil((base * 3 + len(raw)) / 4)
