"""The Devnet: a regtest chain, its faucet and its Electrum server, driven by an async API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from app.devnet.addresses import address_to_script
from app.devnet.blocks import GENESIS_TIME, Block
from app.devnet.electrum_methods import ElectrumMethods
from app.devnet.electrum_server import ElectrumServer
from app.devnet.errors import DevnetError, NotFound
from app.devnet.faucet import DEFAULT_SEED, Faucet, Spendable, estimate_vsize
from app.devnet.ledger import Ledger
from app.devnet.reorgs import plan_reorg
from app.devnet.storage import Snapshot, Storage
from app.devnet.transactions import ParsedTx, TxOut

logger = logging.getLogger(__name__)

DEFAULT_PREMINE_BLOCKS = 200
DEFAULT_FEE_RATE_SAT_VB = 2


class Devnet:
    """All methods run on one asyncio loop; each change is pushed to Electrum subscribers at once."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, datadir: Path | str | None = None,
                 premine_blocks: int = DEFAULT_PREMINE_BLOCKS, fee_rate_sat_vb: int = DEFAULT_FEE_RATE_SAT_VB,
                 seed: bytes = DEFAULT_SEED, clock: Callable[[], float] = time.time) -> None:
        self.ledger = Ledger()
        self.faucet = Faucet(seed)
        self.fee_rate_sat_vb = _positive_int(fee_rate_sat_vb, "fee_rate_sat_vb")
        self._clock = clock
        self._blocks_made = 0
        self._storage = Storage(Path(datadir)) if datadir is not None else None
        self._premine_blocks = premine_blocks
        self.server = ElectrumServer(self.ledger, ElectrumMethods(self.ledger, self), host, port)
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        if self._started:
            return
        snapshot = self._storage.load() if self._storage else None
        if snapshot is not None:
            self._restore(snapshot)
        else:
            self._premine()
        self._save()
        await self.server.start()
        self._started = True
        logger.info("devnet up at height %d, server %s, faucet %s", self.tip_height, self.server_string,
                    self.faucet.address)

    async def stop(self) -> None:
        await self.server.stop()
        self._started = False

    async def __aenter__(self) -> Devnet:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stop_server(self) -> None:
        """Simulate an outage: close the port and drop all clients; state is kept."""
        await self.server.stop()

    async def start_server(self) -> None:
        await self.server.start()

    # -- properties -------------------------------------------------------------------------

    @property
    def tip_height(self) -> int:
        return self.ledger.chain.height

    @property
    def tip_hash(self) -> str:
        return self.ledger.chain.tip.hash

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def server_string(self) -> str:
        return f"{self.server.host}:{self.server.port}:t"

    def status(self) -> dict[str, object]:
        return {"tip_height": self.tip_height, "tip_hash": self.tip_hash, "server": self.server_string,
                "serving": self.server.is_serving, "mempool_size": len(self.ledger.mempool),
                "fee_rate_sat_vb": self.fee_rate_sat_vb, "faucet_address": self.faucet.address,
                "faucet_balance_sat": sum(self.ledger.balance(self.faucet.scripthash))}

    # -- scenario controls ------------------------------------------------------------------

    async def pay(self, address: str, sat: int, rbf: bool = True, fee_rate: int | None = None) -> str:
        out = TxOut(_positive_int(sat, "sat"), address_to_script(address))
        rate = self.fee_rate_sat_vb if fee_rate is None else _positive_int(fee_rate, "fee_rate")
        tx = self.faucet.build([out], self._faucet_coins(), rate, rbf)
        return self._submit(tx)

    async def fund(self, address: str, sat: int) -> str:
        txid = await self.pay(address, sat)
        await self.mine(1)
        return txid

    async def mine(self, n: int = 1, to_address: str | None = None, time: int | None = None) -> list[str]:
        """Mine ``n`` blocks; ``time``: the first one's header timestamp (unix s, may be in the past,
        as a miner's clock may be), the next ones +1 s each. Default: now, after the tip's time."""
        script = address_to_script(to_address) if to_address is not None else self.faucet.script
        first = None if time is None else _positive_int(time, "time")
        hashes = [self._mine_block(script, block_time=None if first is None else first + i).hash
                  for i in range(_positive_int(n, "n"))]
        self._save()
        return hashes

    def broadcast(self, raw_hex: str) -> str:
        """Accept a raw transaction into the mempool (the Electrum broadcast path)."""
        tx = ParsedTx.from_hex(raw_hex)
        if tx.txid in self.ledger.mempool:
            return tx.txid  # like bitcoind: re-broadcasting a mempool tx is not an error
        return self._submit(tx)

    async def drop(self, txid: str) -> list[str]:
        """Evict ``txid`` and its descendants from the mempool, as if they were never seen."""
        removed, touched = self.ledger.evict(txid)
        self._changed(touched, new_tip=False)
        return [entry.txid for entry in removed]

    async def replace(self, txid: str, outputs: Sequence[tuple[str, int]] | None = None,
                      fee: int | None = None) -> str:
        """BIP125-replace a faucet transaction: new outputs, or the same outputs with a higher fee."""
        entry = self.ledger.mempool.get(txid)
        coins = self._own_inputs(entry.tx, entry.spent)
        if outputs is None:
            new_outputs = [o for o in entry.tx.outputs if not self.faucet.owns(o)]
        else:
            new_outputs = [TxOut(_positive_int(sat, "sat"), address_to_script(addr)) for addr, sat in outputs]
        if fee is None:
            fee = self._replacement_fee(txid, len(coins), new_outputs)
        tx = self.faucet.sign_spend(coins, new_outputs, True, self.fee_rate_sat_vb, _positive_int(fee, "fee"))
        return self._submit(tx)

    async def double_spend(self, txid: str, to_address: str, mine: bool = True) -> str:
        """Spend the inputs of faucet tx ``txid`` to ``to_address``, evicting it whatever its RBF flag."""
        entry = self.ledger.mempool.get(txid)
        coins = self._own_inputs(entry.tx, entry.spent)
        script = address_to_script(to_address)
        total = sum(c.out.value_sat for c in coins)
        fee = estimate_vsize(len(coins), [TxOut(0, script)]) * self.fee_rate_sat_vb
        tx = self.faucet.sign_spend(coins, [TxOut(total - fee, script)], False, self.fee_rate_sat_vb, fee)
        new_txid = self._submit(tx, force_evict=True)
        if mine:
            self._mine_block(self.faucet.script, self._with_ancestors(new_txid))
            self._save()
        return new_txid

    async def reorg(self, depth: int, include: Sequence[str] | None = None,
                    new_blocks: int | None = None) -> list[str]:
        """Replace the last ``depth`` blocks by ``new_blocks`` (default depth+1) new ones.

        include=None re-mines every orphaned transaction in the first new block; a list re-mines
        only those, and the other orphaned transactions (and descendants) vanish.
        """
        depth = _positive_int(depth, "depth")
        count = depth + 1 if new_blocks is None else _positive_int(new_blocks, "new_blocks")
        if depth > self.tip_height - 1:
            raise DevnetError(f"cannot reorg {depth} blocks at height {self.tip_height}")
        if count < depth:
            raise DevnetError("new_blocks must be >= depth, or Electrum would not follow the new chain")
        plan = plan_reorg(self.ledger.chain, depth, include)
        touched: set[str] = set()
        for _ in range(depth):
            touched |= self.ledger.chain.disconnect_tip()[1]
        hashes = []
        for index in range(count):
            txs = plan.remine if index == 0 else []
            fees = self._fees(txs)
            block, changed = self.ledger.mine_block(self.faucet.script, self._next_time(), self._extra_nonce(),
                                                    txs, fees)
            hashes.append(block.hash)
            touched |= changed
        removed = self.ledger.mempool.revalidate()
        touched |= {sh for entry in removed for sh in entry.scripthashes}
        touched |= {sh for entry in self.ledger.mempool.entries.values() for sh in entry.scripthashes}
        self._changed(touched, new_tip=True)
        logger.info("reorg: %d blocks replaced by %d, %d txs re-mined, %d dropped", depth, count,
                    len(plan.remine), len(plan.dropped))
        return hashes

    async def set_fee_rate(self, sat_per_vbyte: int) -> None:
        self.fee_rate_sat_vb = _positive_int(sat_per_vbyte, "sat_per_vbyte")
        self._save()

    def transaction(self, txid: str) -> ParsedTx:
        tx = self.ledger.raw_tx(txid)
        if tx is None:
            raise NotFound(f"unknown transaction {txid}")
        return tx

    # -- internals --------------------------------------------------------------------------

    def _submit(self, tx: ParsedTx, force_evict: bool = False) -> str:
        _acceptance, touched = self.ledger.accept(tx, force_evict=force_evict)
        self._changed(touched, new_tip=False)
        return tx.txid

    def _mine_block(self, script: bytes, txs: list[ParsedTx] | None = None, block_time: int | None = None) -> Block:
        fees = self._fees(txs) if txs is not None else None
        when = self._next_time() if block_time is None else block_time
        block, touched = self.ledger.mine_block(script, when, self._extra_nonce(), txs, fees)
        self.server.notify(touched, new_tip=True)
        return block

    def _changed(self, touched: set[str], new_tip: bool) -> None:
        self.server.notify(touched, new_tip)
        self._save()

    def _next_time(self) -> int:
        return max(self.ledger.chain.tip.header.time + 1, int(self._clock()))

    def _extra_nonce(self) -> int:
        self._blocks_made += 1
        return self._blocks_made

    def _fees(self, txs: list[ParsedTx]) -> int:
        """Fees of ``txs`` spending chain coins or earlier outputs in the list."""
        outputs = {(tx.txid, i): out for tx in txs for i, out in enumerate(tx.outputs)}
        utxos = self.ledger.chain.utxos
        total = 0
        for tx in txs:
            spent = [utxos[op].out if op in utxos else outputs[op] for op in tx.inputs]
            total += sum(o.value_sat for o in spent) - tx.output_total_sat
        return total

    def _with_ancestors(self, txid: str) -> list[ParsedTx]:
        entries = self.ledger.mempool.entries
        wanted, stack = set(), [txid]
        while stack:
            current = stack.pop()
            if current not in wanted:
                wanted.add(current)
                stack.extend(entries[current].parents)
        return [e.tx for t, e in entries.items() if t in wanted]

    def _faucet_coins(self) -> list[Spendable]:
        return self.ledger.spendable(self.faucet.scripthash)

    def _own_inputs(self, tx: ParsedTx, spent: list[TxOut]) -> list[Spendable]:
        if not all(self.faucet.owns(out) for out in spent):
            raise DevnetError(f"{tx.txid} spends coins the faucet does not own")
        return [Spendable(op, out, False) for op, out in zip(tx.inputs, spent, strict=True)]

    def _replacement_fee(self, txid: str, n_inputs: int, outputs: list[TxOut]) -> int:
        mempool = self.ledger.mempool
        old = mempool.get(txid)
        old_total = sum(mempool.entries[t].fee_sat for t in mempool.descendants({txid}))
        vsize = estimate_vsize(n_inputs, [*outputs, TxOut(0, self.faucet.script)])
        return max(old_total + vsize, old.fee_sat * vsize // old.tx.vsize + vsize, vsize * self.fee_rate_sat_vb)

    def _premine(self) -> None:
        for height in range(1, self._premine_blocks + 1):
            block, _ = self.ledger.mine_block(self.faucet.script, GENESIS_TIME + 600 * height,
                                              self._extra_nonce(), [], 0)
            assert block.height == height

    def _restore(self, snapshot: Snapshot) -> None:
        for height, raw_hex in enumerate(snapshot.blocks_hex, start=1):
            self.ledger.chain.connect(Block.parse(bytes.fromhex(raw_hex), height))
        for raw_hex in snapshot.mempool_hex:
            try:
                self.ledger.accept(ParsedTx.from_hex(raw_hex))
            except DevnetError as exc:
                logger.warning("dropping saved mempool tx: %s", exc)
        self.fee_rate_sat_vb = snapshot.fee_rate_sat_vb
        self._blocks_made = snapshot.blocks_made

    def _save(self) -> None:
        if self._storage is None:
            return
        chain = self.ledger.chain
        self._storage.save(Snapshot([b.serialize().hex() for b in chain.blocks[1:]],
                                    [e.tx.hex for e in self.ledger.mempool.entries.values()],
                                    self.fee_rate_sat_vb, self._blocks_made))


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DevnetError(f"{name} must be a positive integer, got {value!r}")
    return value
