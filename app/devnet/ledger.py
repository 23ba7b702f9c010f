"""Chain + mempool as one state, with the queries the Electrum protocol needs."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from app.devnet.addresses import scripthash
from app.devnet.blocks import Block
from app.devnet.chain import COINBASE_MATURITY, Chain
from app.devnet.faucet import Spendable
from app.devnet.mempool import Acceptance, Mempool, MempoolEntry
from app.devnet.transactions import ParsedTx

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HistoryItem:
    txid: str
    height: int  # > 0 confirmed, 0 mempool, -1 mempool with an unconfirmed parent
    fee_sat: int | None  # mempool entries only


@dataclass(frozen=True, slots=True)
class Unspent:
    txid: str
    vout: int
    height: int
    value_sat: int


class Ledger:
    def __init__(self) -> None:
        self.chain = Chain()
        self.mempool = Mempool(self.chain)

    # -- queries ----------------------------------------------------------------------------

    def history(self, sh: str) -> list[HistoryItem]:
        """Confirmed by (height, position in block), then mempool in acceptance order."""
        items = [HistoryItem(c.txid, c.height, None) for c in self.chain.history.get(sh, ())]
        return items + self.mempool_history(sh)

    def mempool_history(self, sh: str) -> list[HistoryItem]:
        entries = self.mempool.entries
        return [HistoryItem(txid, self.mempool.height_of(txid), entries[txid].fee_sat)
                for txid in self.mempool.by_scripthash.get(sh, ())]

    def status(self, sh: str) -> str | None:
        history = self.history(sh)
        if not history:
            return None
        text = "".join(f"{item.txid}:{item.height}:" for item in history)
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    def balance(self, sh: str) -> tuple[int, int]:
        """(confirmed, unconfirmed delta) like ElectrumX."""
        confirmed = sum(self.chain.utxos[op].out.value_sat for op in self.chain.utxos_by_scripthash.get(sh, ()))
        delta = 0
        for txid in self.mempool.by_scripthash.get(sh, ()):
            entry = self.mempool.entries[txid]
            delta += sum(o.value_sat for o in entry.tx.outputs if scripthash(o.script) == sh)
            delta -= sum(o.value_sat for o in entry.spent if scripthash(o.script) == sh)
        return confirmed, delta

    def unspent(self, sh: str) -> list[Unspent]:
        spenders = self.mempool.spenders
        result = [Unspent(op[0], op[1], self.chain.utxos[op].height, self.chain.utxos[op].out.value_sat)
                  for op in self.chain.utxos_by_scripthash.get(sh, ()) if op not in spenders]
        for txid in self.mempool.by_scripthash.get(sh, ()):
            for vout, out in enumerate(self.mempool.entries[txid].tx.outputs):
                if (txid, vout) not in spenders and scripthash(out.script) == sh:
                    result.append(Unspent(txid, vout, 0, out.value_sat))
        return sorted(result, key=lambda u: (u.height == 0, u.height, u.txid, u.vout))

    def raw_tx(self, txid: str) -> ParsedTx | None:
        entry = self.mempool.entries.get(txid)
        if entry is not None:
            return entry.tx
        found = self.chain.find_tx(txid)
        return found[0].txs[found[1]] if found else None

    def spendable(self, sh: str) -> list[Spendable]:
        """Coins of ``sh`` that the next block could spend (mature, not spent in the mempool)."""
        spenders = self.mempool.spenders
        next_height = self.chain.height + 1
        coins = []
        for op in self.chain.utxos_by_scripthash.get(sh, ()):
            coin = self.chain.utxos[op]
            mature = not coin.is_coinbase or next_height - coin.height >= COINBASE_MATURITY
            if mature and op not in spenders:
                coins.append(Spendable(op, coin.out, True))
        for txid in self.mempool.by_scripthash.get(sh, ()):
            for vout, out in enumerate(self.mempool.entries[txid].tx.outputs):
                if (txid, vout) not in spenders and scripthash(out.script) == sh:
                    coins.append(Spendable((txid, vout), out, False))
        coins.sort(key=lambda c: c.outpoint)
        return coins

    def fee_histogram(self) -> list[tuple[int, int]]:
        """[(fee rate sat/vB, vsize)], fee rate strictly decreasing."""
        buckets: dict[int, int] = {}
        for entry in self.mempool.entries.values():
            rate = entry.fee_sat // max(entry.tx.vsize, 1)
            buckets[rate] = buckets.get(rate, 0) + entry.tx.vsize
        return sorted(buckets.items(), reverse=True)

    # -- changes ----------------------------------------------------------------------------

    def accept(self, tx: ParsedTx, *, force_evict: bool = False) -> tuple[Acceptance, set[str]]:
        acceptance = self.mempool.accept(tx, force_evict=force_evict)
        touched = set(acceptance.entry.scripthashes)
        for entry in acceptance.evicted:
            touched |= entry.scripthashes
        touched |= self._children_heights_changed(acceptance.evicted)
        return acceptance, touched

    def evict(self, txid: str) -> tuple[list[MempoolEntry], set[str]]:
        removed = self.mempool.remove_with_descendants(txid)
        return removed, {sh for entry in removed for sh in entry.scripthashes}

    def mine_block(self, coinbase_script: bytes, time: int, extra_nonce: int,
                   txs: list[ParsedTx] | None = None, fees_sat: int | None = None) -> tuple[Block, set[str]]:
        """Mine ``txs`` (default: the mempool's final entries, in dependency order) into the next block."""
        if txs is None:
            entries = self.mempool.block_candidates()
            txs = [e.tx for e in entries]
            fees_sat = sum(e.fee_sat for e in entries)
        block = self.chain.make_block(txs, fees_sat or 0, coinbase_script, time, extra_nonce)
        touched = self.chain.connect(block)
        removed = self.mempool.remove_for_block(block.txs)
        touched |= {sh for entry in removed for sh in entry.scripthashes}
        touched |= self._children_heights_changed(removed)
        return block, touched

    def _children_heights_changed(self, removed: list[MempoolEntry]) -> set[str]:
        """Mempool children whose height went from -1 to 0 when a parent left the mempool."""
        touched: set[str] = set()
        for entry in removed:
            for child in entry.children:
                if child in self.mempool.entries:
                    touched |= self.mempool.entries[child].scripthashes
        return touched
