"""Hash primitives: double SHA-256, HASH160, merkle trees, hex in Bitcoin's byte order."""

import hashlib

from embit.hashes import hash160 as _hash160


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    digest: bytes = _hash160(data)  # embit has no types
    return digest


def hash_to_hex(digest: bytes) -> str:
    """Internal byte order -> the reversed hex used for txids and block hashes."""
    return digest[::-1].hex()


def hex_to_hash(text: str) -> bytes:
    """Reversed hex (txid, block hash) -> internal byte order."""
    raw = bytes.fromhex(text)
    if len(raw) != 32:
        raise ValueError("a hash is 32 bytes")
    return raw[::-1]


def merkle_root(leaves: list[bytes]) -> bytes:
    """Bitcoin's merkle root (odd levels duplicate their last node)."""
    if not leaves:
        raise ValueError("a merkle tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def merkle_branch(leaves: list[bytes], index: int) -> list[bytes]:
    """The sibling hashes proving ``leaves[index]``, bottom-up (Electrum's ``merkle``)."""
    if not 0 <= index < len(leaves):
        raise IndexError("leaf index out of range")
    branch: list[bytes] = []
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        branch.append(level[index ^ 1])
        index //= 2
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return branch
