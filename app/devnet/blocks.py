"""Blocks: 80-byte headers, proof of work at regtest difficulty, the regtest genesis block."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from embit import compact
from embit.transaction import Transaction

from app.devnet.hashes import hash_to_hex, merkle_root, sha256d
from app.devnet.transactions import ParsedTx

REGTEST_BITS = 0x207FFFFF
BLOCK_VERSION = 0x20000000
HEADER_SIZE = 80
GENESIS_HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
GENESIS_TIME = 1296688602
GENESIS_COINBASE_HEX = (
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d"
    "0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f"
    "66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe"
    "5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7"
    "ba0b8d578a4c702b6bf11d5fac00000000"
)


def bits_to_target(bits: int) -> int:
    exponent, mantissa = bits >> 24, bits & 0xFFFFFF
    return mantissa << (8 * (exponent - 3))


@dataclass(frozen=True, slots=True)
class Header:
    version: int
    prev_hash: bytes  # internal byte order
    merkle_root: bytes  # internal byte order
    time: int
    bits: int
    nonce: int

    def serialize(self) -> bytes:
        return (self.version.to_bytes(4, "little") + self.prev_hash + self.merkle_root
                + self.time.to_bytes(4, "little") + self.bits.to_bytes(4, "little")
                + self.nonce.to_bytes(4, "little"))

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        if len(raw) != HEADER_SIZE:
            raise ValueError("a header is 80 bytes")
        return cls(int.from_bytes(raw[0:4], "little"), raw[4:36], raw[36:68],
                   int.from_bytes(raw[68:72], "little"), int.from_bytes(raw[72:76], "little"),
                   int.from_bytes(raw[76:80], "little"))


def grind(header: Header) -> Header:
    """Find a nonce meeting the header's target (about two tries at regtest difficulty)."""
    target = bits_to_target(header.bits)
    prefix = header.serialize()[:76]
    for nonce in range(2**32):
        if int.from_bytes(sha256d(prefix + nonce.to_bytes(4, "little")), "little") <= target:
            return Header(header.version, header.prev_hash, header.merkle_root, header.time,
                          header.bits, nonce)
    raise RuntimeError("nonce space exhausted")


@dataclass(slots=True)
class Block:
    header: Header
    txs: list[ParsedTx]
    height: int
    raw_header: bytes = field(init=False)
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.raw_header = self.header.serialize()
        self.hash = hash_to_hex(sha256d(self.raw_header))

    def serialize(self) -> bytes:
        count: bytes = compact.to_bytes(len(self.txs))  # embit has no types
        return self.raw_header + count + b"".join(tx.raw for tx in self.txs)

    @classmethod
    def parse(cls, raw: bytes, height: int) -> Block:
        stream = BytesIO(raw)
        header = Header.parse(stream.read(HEADER_SIZE))
        txs = [ParsedTx.from_embit(Transaction.read_from(stream)) for _ in range(compact.read_from(stream))]
        if stream.read(1):
            raise ValueError("trailing bytes after block")
        return cls(header, txs, height)

    @property
    def txid_leaves(self) -> list[bytes]:
        return [bytes.fromhex(tx.txid)[::-1] for tx in self.txs]


def compute_merkle_root(txs: list[ParsedTx]) -> bytes:
    return merkle_root([bytes.fromhex(tx.txid)[::-1] for tx in txs])


def witness_root(txs: list[ParsedTx]) -> bytes:
    """BIP141 witness merkle root: the coinbase's wtxid counts as zero."""
    leaves = [b"\x00" * 32] + [bytes.fromhex(tx.wtxid)[::-1] for tx in txs[1:]]
    return merkle_root(leaves)


def genesis_block() -> Block:
    coinbase = ParsedTx.from_hex(GENESIS_COINBASE_HEX)
    header = Header(1, b"\x00" * 32, compute_merkle_root([coinbase]), GENESIS_TIME, REGTEST_BITS, 2)
    return Block(header, [coinbase], 0)
