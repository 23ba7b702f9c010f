"""The best chain: blocks, a transaction index, the UTXO set and confirmed scripthash history."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.devnet.addresses import scripthash
from app.devnet.blocks import (
    BLOCK_VERSION,
    REGTEST_BITS,
    Block,
    Header,
    compute_merkle_root,
    genesis_block,
    grind,
    witness_root,
)
from app.devnet.errors import DevnetError, NotFound
from app.devnet.hashes import hex_to_hash
from app.devnet.transactions import OutPoint, ParsedTx, TxOut, build_coinbase

logger = logging.getLogger(__name__)

COINBASE_MATURITY = 100
MEDIAN_TIME_SPAN = 11
HALVING_INTERVAL = 150  # regtest
INITIAL_SUBSIDY_SAT = 50 * 100_000_000


@dataclass(frozen=True, slots=True)
class Coin:
    out: TxOut
    height: int
    is_coinbase: bool


@dataclass(frozen=True, slots=True)
class Confirmed:
    height: int
    pos: int
    txid: str


def block_subsidy(height: int) -> int:
    halvings = height // HALVING_INTERVAL
    return 0 if halvings >= 64 else INITIAL_SUBSIDY_SAT >> halvings


class Chain:
    """Blocks from the regtest genesis, with undo data so the tip can be disconnected."""

    def __init__(self) -> None:
        genesis = genesis_block()
        self.blocks: list[Block] = [genesis]
        self.tx_index: dict[str, tuple[int, int]] = {genesis.txs[0].txid: (0, 0)}
        self.utxos: dict[OutPoint, Coin] = {}
        self.utxos_by_scripthash: dict[str, set[OutPoint]] = {}
        self.history: dict[str, list[Confirmed]] = {}
        self._undo: list[list[tuple[OutPoint, Coin]]] = [[]]

    @property
    def height(self) -> int:
        return len(self.blocks) - 1

    @property
    def tip(self) -> Block:
        return self.blocks[-1]

    def block_at(self, height: int) -> Block:
        if not 0 <= height <= self.height:
            raise NotFound(f"height {height} out of range")
        return self.blocks[height]

    def median_time_past(self, height: int | None = None) -> int:
        """BIP113: the median header time of the block at ``height`` (default: the tip) and the
        10 before it."""
        end = self.height if height is None else height
        if not 0 <= end <= self.height:
            raise NotFound(f"height {end} out of range")
        times = sorted(b.header.time for b in self.blocks[max(0, end - MEDIAN_TIME_SPAN + 1):end + 1])
        return times[len(times) // 2]

    def find_tx(self, txid: str) -> tuple[Block, int] | None:
        where = self.tx_index.get(txid)
        if where is None:
            return None
        return self.blocks[where[0]], where[1]

    def make_block(self, txs: list[ParsedTx], fees_sat: int, coinbase_script: bytes, time: int,
                   extra_nonce: int) -> Block:
        """Assemble and grind the next block (not connected yet)."""
        height = self.height + 1
        has_witness = any(tx.tx.is_segwit for tx in txs)
        wroot = witness_root([txs[0], *txs]) if has_witness and txs else None
        coinbase = build_coinbase(height, block_subsidy(height) + fees_sat, coinbase_script,
                                  extra_nonce, wroot)
        all_txs = [coinbase, *txs]
        header = Header(BLOCK_VERSION, hex_to_hash(self.tip.hash), compute_merkle_root(all_txs),
                        time, REGTEST_BITS, 0)
        return Block(grind(header), all_txs, height)

    def connect(self, block: Block) -> set[str]:
        """Append a block whose inputs all exist; returns the scripthashes it touched."""
        if block.header.prev_hash != hex_to_hash(self.tip.hash):
            raise DevnetError("block does not extend the tip")
        touched: set[str] = set()
        undo: list[tuple[OutPoint, Coin]] = []
        height = self.height + 1
        try:
            for pos, tx in enumerate(block.txs):
                self._connect_tx(tx, height, pos, undo, touched)
        except DevnetError:
            self._rollback(block, height, undo)
            raise
        self.blocks.append(block)
        self._undo.append(undo)
        return touched

    def _connect_tx(self, tx: ParsedTx, height: int, pos: int, undo: list[tuple[OutPoint, Coin]],
                    touched: set[str]) -> None:
        if tx.txid in self.tx_index:
            raise DevnetError(f"duplicate transaction {tx.txid}")
        sh_seen: list[str] = []
        if not tx.is_coinbase:
            if len(set(tx.inputs)) != len(tx.inputs) or any(op not in self.utxos for op in tx.inputs):
                raise DevnetError(f"bad-txns-inputs-missingorspent in {tx.txid}")
            for outpoint in tx.inputs:
                coin = self.utxos[outpoint]
                self._remove_utxo(outpoint, coin)
                undo.append((outpoint, coin))
                sh_seen.append(scripthash(coin.out.script))
        for vout, out in enumerate(tx.outputs):
            self._add_utxo((tx.txid, vout), Coin(out, height, tx.is_coinbase))
            sh_seen.append(scripthash(out.script))
        self.tx_index[tx.txid] = (height, pos)
        for sh in dict.fromkeys(sh_seen):
            self.history.setdefault(sh, []).append(Confirmed(height, pos, tx.txid))
            touched.add(sh)

    def _rollback(self, block: Block, height: int, undo: list[tuple[OutPoint, Coin]]) -> None:
        connected = [tx for tx in block.txs if self.tx_index.get(tx.txid, (None,))[0] == height]
        self._undo_txs(connected, height, undo)

    def disconnect_tip(self) -> tuple[Block, set[str]]:
        if self.height == 0:
            raise DevnetError("cannot disconnect the genesis block")
        block = self.blocks.pop()
        touched = self._undo_txs(block.txs, block.height, self._undo.pop())
        return block, touched

    def _undo_txs(self, txs: list[ParsedTx], height: int, undo: list[tuple[OutPoint, Coin]]) -> set[str]:
        """Reverse the effect of ``txs`` (connected in order at ``height``), last first."""
        touched: set[str] = set()
        undo = list(undo)
        for tx in reversed(txs):
            sh_seen = set()
            for vout, out in enumerate(tx.outputs):
                coin = self.utxos.get((tx.txid, vout))
                if coin is not None:
                    self._remove_utxo((tx.txid, vout), coin)
                sh_seen.add(scripthash(out.script))
            if not tx.is_coinbase:
                restored = undo[len(undo) - len(tx.inputs):]
                del undo[len(undo) - len(tx.inputs):]
                for outpoint, coin in reversed(restored):
                    self._add_utxo(outpoint, coin)
                    sh_seen.add(scripthash(coin.out.script))
            self.tx_index.pop(tx.txid, None)
            for sh in sh_seen:
                entries = self.history.get(sh)
                if entries and entries[-1].txid == tx.txid:
                    entries.pop()
                    if not entries:
                        del self.history[sh]
            touched |= sh_seen
        return touched

    def _add_utxo(self, outpoint: OutPoint, coin: Coin) -> None:
        self.utxos[outpoint] = coin
        self.utxos_by_scripthash.setdefault(scripthash(coin.out.script), set()).add(outpoint)

    def _remove_utxo(self, outpoint: OutPoint, coin: Coin) -> None:
        del self.utxos[outpoint]
        sh = scripthash(coin.out.script)
        bucket = self.utxos_by_scripthash[sh]
        bucket.discard(outpoint)
        if not bucket:
            del self.utxos_by_scripthash[sh]
