"""The mempool: acceptance rules (inputs, dust, lock times, fees, scripts, BIP125 replacement) and
eviction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from app.devnet.addresses import scripthash
from app.devnet.chain import COINBASE_MATURITY, Chain
from app.devnet.dust import is_dust
from app.devnet.errors import NotFound, TxRejected
from app.devnet.finality import has_relative_locks, is_final, sequence_locks_met
from app.devnet.signatures import verify_inputs
from app.devnet.transactions import MAX_MONEY_SAT, OutPoint, ParsedTx, TxOut

logger = logging.getLogger(__name__)

MIN_RELAY_FEE_SAT_PER_KVB = 1000


@dataclass(slots=True)
class MempoolEntry:
    tx: ParsedTx
    fee_sat: int
    spent: list[TxOut]
    parents: set[str]
    scripthashes: set[str]
    children: set[str] = field(default_factory=set)

    @property
    def txid(self) -> str:
        return self.tx.txid


@dataclass(frozen=True, slots=True)
class Acceptance:
    entry: MempoolEntry
    evicted: list[MempoolEntry]


class Mempool:
    """Unconfirmed transactions in acceptance order, which is always a topological order."""

    def __init__(self, chain: Chain) -> None:
        self._chain = chain
        self.entries: dict[str, MempoolEntry] = {}
        self.spenders: dict[OutPoint, str] = {}
        self.by_scripthash: dict[str, dict[str, None]] = {}

    def __contains__(self, txid: str) -> bool:
        return txid in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, txid: str) -> MempoolEntry:
        entry = self.entries.get(txid)
        if entry is None:
            raise NotFound(f"transaction {txid} is not in the mempool")
        return entry

    def output(self, outpoint: OutPoint) -> TxOut | None:
        """An output of a mempool transaction (spent or not)."""
        entry = self.entries.get(outpoint[0])
        if entry is None or outpoint[1] >= len(entry.tx.outputs):
            return None
        return entry.tx.outputs[outpoint[1]]

    def height_of(self, txid: str) -> int:
        """Electrum's mempool height: -1 with an unconfirmed parent, else 0."""
        return -1 if self.entries[txid].parents else 0

    # -- acceptance -------------------------------------------------------------------------

    def accept(self, tx: ParsedTx, *, force_evict: bool = False, verify: bool = True) -> Acceptance:
        """Validate and add ``tx``; ``force_evict`` replaces conflicts regardless of BIP125."""
        _check_structure(tx)
        if tx.txid in self.entries:
            raise TxRejected("txn-already-in-mempool")
        if tx.txid in self._chain.tx_index:
            raise TxRejected("Transaction already in block chain")
        if any(is_dust(out) for out in tx.outputs):
            raise TxRejected("dust")
        next_height, cutoff_time = self._chain.height + 1, self._chain.median_time_past()
        if not is_final(tx.tx, next_height, cutoff_time):
            raise TxRejected("non-final")
        spent, coin_heights, parents, conflicts = self._resolve_inputs(tx)
        if not sequence_locks_met(tx.tx, coin_heights, next_height, self._chain.median_time_past):
            raise TxRejected("non-BIP68-final")
        fee_sat = sum(out.value_sat for out in spent) - tx.output_total_sat
        if fee_sat < 0:
            raise TxRejected("bad-txns-in-belowout")
        min_fee = tx.vsize * MIN_RELAY_FEE_SAT_PER_KVB // 1000
        if fee_sat < min_fee:
            raise TxRejected(f"min relay fee not met, {fee_sat} < {min_fee}")
        evicted_ids = self.descendants(conflicts)
        if parents & evicted_ids:
            raise TxRejected(f"bad-txns-spends-conflicting-tx, {tx.txid} spends conflicting transaction")
        if conflicts and not force_evict:
            self._check_replacement(tx, fee_sat, conflicts, evicted_ids)
        if verify:
            verify_inputs(tx.raw, spent)
        evicted = [self._remove(txid) for txid in self._topological(evicted_ids)]
        entry = self._add(tx, fee_sat, spent, parents)
        logger.debug("accepted %s fee=%d evicted=%d", tx.txid, fee_sat, len(evicted))
        return Acceptance(entry, evicted)

    def _resolve_inputs(self, tx: ParsedTx) -> tuple[list[TxOut], list[int], set[str], set[str]]:
        """Spent outputs, their confirmation heights (a mempool parent counts as the next block's),
        the mempool parents and the conflicting mempool spenders."""
        spent: list[TxOut] = []
        heights: list[int] = []
        parents: set[str] = set()
        conflicts: set[str] = set()
        next_height = self._chain.height + 1
        for outpoint in tx.inputs:
            coin = self._chain.utxos.get(outpoint)
            if coin is not None:
                if coin.is_coinbase and next_height - coin.height < COINBASE_MATURITY:
                    raise TxRejected("bad-txns-premature-spend-of-coinbase")
                out = coin.out
                heights.append(coin.height)
            else:
                mempool_out = self.output(outpoint)
                if mempool_out is None:
                    raise TxRejected("bad-txns-inputs-missingorspent")
                out = mempool_out
                heights.append(next_height)
                parents.add(outpoint[0])
            spender = self.spenders.get(outpoint)
            if spender is not None:
                conflicts.add(spender)
            spent.append(out)
        return spent, heights, parents, conflicts

    def _check_replacement(self, tx: ParsedTx, fee_sat: int, conflicts: set[str], evicted: set[str]) -> None:
        for txid in conflicts:
            if not self._signals_rbf(txid):
                raise TxRejected("txn-mempool-conflict")
        old_fees = sum(self.entries[txid].fee_sat for txid in evicted)
        for txid in conflicts:
            old = self.entries[txid]
            if fee_sat * old.tx.vsize <= old.fee_sat * tx.vsize:
                raise TxRejected(f"insufficient fee, rejecting replacement {tx.txid}; new feerate "
                                 f"{fee_sat}/{tx.vsize} <= old feerate {old.fee_sat}/{old.tx.vsize}")
        if fee_sat < old_fees:
            raise TxRejected(f"insufficient fee, rejecting replacement {tx.txid}, less fees than "
                             f"conflicting txs; {fee_sat} < {old_fees}")
        relay = tx.vsize * MIN_RELAY_FEE_SAT_PER_KVB // 1000
        if fee_sat - old_fees < relay:
            raise TxRejected(f"insufficient fee, rejecting replacement {tx.txid}, not enough additional "
                             f"fees to relay; {fee_sat - old_fees} < {relay}")

    def _signals_rbf(self, txid: str) -> bool:
        """BIP125 with inherited signalling: the tx or any unconfirmed ancestor opts in."""
        stack, seen = [txid], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            entry = self.entries[current]
            if entry.tx.signals_rbf:
                return True
            stack.extend(entry.parents)
        return False

    # -- lock times -------------------------------------------------------------------------

    def block_candidates(self) -> list[MempoolEntry]:
        """The entries the next block may hold, in order: final at its height (nLockTime, BIP68),
        and all their mempool parents too."""
        next_height, cutoff_time = self._chain.height + 1, self._chain.median_time_past()
        chosen: dict[str, MempoolEntry] = {}
        for txid, entry in self.entries.items():
            if all(p in chosen for p in entry.parents) and self._final_at(entry.tx, next_height, cutoff_time):
                chosen[txid] = entry
        return list(chosen.values())

    def _final_at(self, tx: ParsedTx, next_height: int, cutoff_time: int) -> bool:
        if not is_final(tx.tx, next_height, cutoff_time):
            return False
        if not has_relative_locks(tx.tx):
            return True
        utxos = self._chain.utxos
        heights = [coin.height if (coin := utxos.get(op)) is not None else next_height for op in tx.inputs]
        return sequence_locks_met(tx.tx, heights, next_height, self._chain.median_time_past)

    # -- bookkeeping ------------------------------------------------------------------------

    def _add(self, tx: ParsedTx, fee_sat: int, spent: list[TxOut], parents: set[str]) -> MempoolEntry:
        shs = {scripthash(out.script) for out in spent} | {scripthash(out.script) for out in tx.outputs}
        entry = MempoolEntry(tx, fee_sat, spent, parents, shs)
        self.entries[tx.txid] = entry
        for outpoint in tx.inputs:
            self.spenders[outpoint] = tx.txid
        for parent in parents:
            self.entries[parent].children.add(tx.txid)
        for sh in shs:
            self.by_scripthash.setdefault(sh, {})[tx.txid] = None
        return entry

    def _remove(self, txid: str) -> MempoolEntry:
        entry = self.entries.pop(txid)
        for outpoint in entry.tx.inputs:
            if self.spenders.get(outpoint) == txid:
                del self.spenders[outpoint]
        for parent in entry.parents:
            if parent in self.entries:
                self.entries[parent].children.discard(txid)
        for child in entry.children:
            if child in self.entries:
                self.entries[child].parents.discard(txid)
        for sh in entry.scripthashes:
            bucket = self.by_scripthash[sh]
            bucket.pop(txid, None)
            if not bucket:
                del self.by_scripthash[sh]
        return entry

    def descendants(self, roots: set[str]) -> set[str]:
        found: set[str] = set()
        stack = list(roots)
        while stack:
            txid = stack.pop()
            if txid in found or txid not in self.entries:
                continue
            found.add(txid)
            stack.extend(self.entries[txid].children)
        return found

    def _topological(self, txids: set[str]) -> list[str]:
        """Children first, so removal never leaves a dangling child."""
        return [txid for txid in reversed(self.entries) if txid in txids]

    def remove_with_descendants(self, txid: str) -> list[MempoolEntry]:
        self.get(txid)
        return [self._remove(t) for t in self._topological(self.descendants({txid}))]

    def remove_for_block(self, txs: list[ParsedTx]) -> list[MempoolEntry]:
        """Drop mined transactions, then anything conflicting with the block (and descendants)."""
        removed: list[MempoolEntry] = []
        mined = [tx.txid for tx in txs if tx.txid in self.entries]
        for txid in self._topological(set(mined)):
            removed.append(self._remove(txid))
        conflicted = {self.spenders[op] for tx in txs if not tx.is_coinbase for op in tx.inputs
                      if op in self.spenders}
        for txid in self._topological(self.descendants(conflicted)):
            removed.append(self._remove(txid))
        return removed

    def revalidate(self) -> list[MempoolEntry]:
        """After a reorg: evict entries whose inputs vanished or that are no longer final at the
        new tip (and their descendants), fix parent links, in order."""
        removed: list[MempoolEntry] = []
        next_height, cutoff_time = self._chain.height + 1, self._chain.median_time_past()
        for txid in list(self.entries):
            entry = self.entries.get(txid)
            if entry is None:
                continue
            ok = all(op in self._chain.utxos or (op[0] in self.entries and op[0] != txid)
                     for op in entry.tx.inputs) and txid not in self._chain.tx_index
            if not ok:
                removed.extend(self.remove_with_descendants(txid))
                continue
            entry.parents = {op[0] for op in entry.tx.inputs if op[0] in self.entries}
            for parent in entry.parents:
                self.entries[parent].children.add(txid)
            if not self._final_at(entry.tx, next_height, cutoff_time):
                removed.extend(self.remove_with_descendants(txid))
        return removed


def _check_structure(tx: ParsedTx) -> None:
    if tx.is_coinbase:
        raise TxRejected("coinbase")
    if not tx.tx.vin:
        raise TxRejected("bad-txns-vin-empty")
    if not tx.tx.vout:
        raise TxRejected("bad-txns-vout-empty")
    if len(set(tx.inputs)) != len(tx.inputs):
        raise TxRejected("bad-txns-inputs-duplicate")
    if any(out.value_sat > MAX_MONEY_SAT for out in tx.outputs) or tx.output_total_sat > MAX_MONEY_SAT:
        raise TxRejected("bad-txns-vout-toolarge")
