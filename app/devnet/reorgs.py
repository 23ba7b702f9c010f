"""Reorg planning: which orphaned transactions get re-mined and which vanish."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.devnet.chain import Chain
from app.devnet.errors import DevnetError, NotFound
from app.devnet.transactions import ParsedTx


@dataclass(frozen=True, slots=True)
class ReorgPlan:
    remine: list[ParsedTx]  # in original (dependency) order, for the first new block
    dropped: list[str]  # orphaned txids that vanish


def plan_reorg(chain: Chain, depth: int, include: Sequence[str] | None) -> ReorgPlan:
    """Decide before touching the chain, so a bad ``include`` changes nothing."""
    orphaned_blocks = chain.blocks[len(chain.blocks) - depth:]
    orphan_txs = [tx for block in orphaned_blocks for tx in block.txs[1:]]
    orphan_ids = {tx.txid for block in orphaned_blocks for tx in block.txs}
    if include is not None:
        unknown = [txid for txid in include if txid not in {tx.txid for tx in orphan_txs}]
        if unknown:
            raise NotFound(f"not in the orphaned blocks: {', '.join(unknown)}")
    wanted = None if include is None else set(include)
    kept: set[str] = set()
    remine: list[ParsedTx] = []
    dropped: list[str] = []
    for tx in orphan_txs:
        parents_ok = all(op[0] not in orphan_ids or op[0] in kept for op in tx.inputs)
        if wanted is not None and tx.txid in wanted and not parents_ok:
            raise DevnetError(f"{tx.txid} depends on an orphaned transaction that is not included")
        if parents_ok and (wanted is None or tx.txid in wanted):
            kept.add(tx.txid)
            remine.append(tx)
        else:
            dropped.append(tx.txid)
    return ReorgPlan(remine, dropped)
