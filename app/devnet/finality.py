"""Lock times, as bitcoind checks them for the next block: nLockTime (IsFinalTx with BIP113's
median time past) and BIP68 relative lock times (nSequence of a version >= 2 transaction).

``next_height`` is the height of the block being built; ``cutoff_time`` the median time past of
its parent (the tip). A coin confirmed at height h has BIP68 time ``mtp(h - 1)``; a coin still in
the mempool counts as confirmed at ``next_height``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from embit.transaction import Transaction

LOCKTIME_THRESHOLD = 500_000_000  # below: a block height, else a unix time
SEQUENCE_FINAL = 0xFFFFFFFF
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31
SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22  # set: units of 512 seconds, else blocks
SEQUENCE_LOCKTIME_MASK = 0x0000FFFF
SEQUENCE_LOCKTIME_GRANULARITY = 9


def is_final(tx: Transaction, next_height: int, cutoff_time: int) -> bool:
    """IsFinalTx: nLockTime passed, or every input's nSequence is final."""
    locktime = tx.locktime
    if locktime == 0:
        return True
    if locktime < (next_height if locktime < LOCKTIME_THRESHOLD else cutoff_time):
        return True
    return all(inp.sequence == SEQUENCE_FINAL for inp in tx.vin)


def has_relative_locks(tx: Transaction) -> bool:
    return tx.version >= 2 and any(not inp.sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG for inp in tx.vin)


def sequence_locks_met(tx: Transaction, coin_heights: Sequence[int], next_height: int,
                       mtp: Callable[[int], int]) -> bool:
    """BIP68 CalculateSequenceLocks + EvaluateSequenceLocks for a block at ``next_height``.

    ``coin_heights[i]``: the height the coin spent by input i confirmed at; ``mtp(h)``: the median
    time past of the block at height h (h <= next_height - 1).
    """
    if not has_relative_locks(tx):
        return True
    min_height = min_time = -1
    for inp, coin_height in zip(tx.vin, coin_heights, strict=True):
        sequence = inp.sequence
        if sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            continue
        value = sequence & SEQUENCE_LOCKTIME_MASK
        if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG:
            coin_time = mtp(max(coin_height - 1, 0))
            min_time = max(min_time, coin_time + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1)
        else:
            min_height = max(min_height, coin_height + value - 1)
    return min_height < next_height and min_time < mtp(next_height - 1)
