"""A wallet's coins at given addresses, asked from the server WITHOUT subscribing; SPV-checked.

For payouts from a watch-only wallet: Electrum's imported wallet watches only the monitored invoices,
so the coins to spend come from RedWaves' own record (every paid invoice address with its derivation
index, and the change addresses of payout transactions). ``blockchain.scripthash.listunspent`` says
which outpoints exist; each parent transaction is fetched with ``blockchain.transaction.get``
(Electrum checks it hashes to the txid asked for), so values and scripts are the ones the txid commits
to, never the server's say-so; a coin the server says is mined gets its height only once the merkle
proof matches OUR header at that height (``server_reader.py``), else height 0.

Also ``tx_status``: where a transaction is now (mined and proven, in the mempool, or not seen), from
the histories of addresses it pays. Runs on Electrum's loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from electrum.interface import CodeMessageError

from app.chain.server_reader import ServerReader

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Utxo:
    """A coin of ours: ``change``/``index`` is its derivation (receive 0 or change 1, index).
    ``height`` > 0 only when SPV-verified; 0 unconfirmed (or mined but not proven yet)."""

    txid: str
    vout: int
    value_sat: int
    address: str
    change: bool
    index: int
    height: int

    @property
    def outpoint(self) -> str:
        return f"{self.txid}:{self.vout}"


@dataclass(frozen=True)
class TxStatus:
    """``state``: 'mined' (height > 0, merkle proof checked), 'mempool' (the server lists it,
    unconfirmed or not proven), 'missing' (in none of the histories read), 'unknown' (could not ask)."""

    txid: str
    state: Literal["mined", "mempool", "missing", "unknown"]
    height: int = 0


async def unspent(reader: ServerReader, addresses: Mapping[str, tuple[bool, int]]) -> list[Utxo]:
    """Coins at ``addresses`` (address -> (change, index)). Raises on any failed read: a coin list
    with holes must not be used to build a payout (it would only pick other coins, but the merchant
    would see a wrong total)."""

    async def one(address: str, change: bool, index: int) -> list[Utxo]:
        found: list[Utxo] = []
        for txid, vout, claimed in await reader.listunspent(address):
            tx = await reader.transaction(txid)
            outputs = tx.outputs()
            if vout >= len(outputs) or outputs[vout].address != address:
                logger.warning("payouts: the server listed %s:%d at an address it does not pay", txid, vout)
                continue
            height = await reader.proven_height(txid, claimed)
            found.append(Utxo(txid=txid, vout=vout, value_sat=int(outputs[vout].value), address=address,
                              change=change, index=index, height=height))
        return found

    results = await asyncio.gather(*(one(a, c, i) for a, (c, i) in addresses.items()))
    return [utxo for coins in results for utxo in coins]


async def tx_status(reader: ServerReader, txid: str, addresses: Sequence[str]) -> TxStatus:
    """Where ``txid`` is, from the histories of ``addresses`` (outputs it pays); then the transaction
    itself (the server may know a tx whose outputs' histories it has not indexed yet)."""
    for address in dict.fromkeys(addresses):
        for item_txid, claimed in await reader.history(address):
            if item_txid == txid:
                height = await reader.proven_height(txid, claimed)
                return TxStatus(txid=txid, state="mined" if height > 0 else "mempool", height=height)
    try:
        await reader.transaction(txid)
    except CodeMessageError:
        return TxStatus(txid=txid, state="missing")
    return TxStatus(txid=txid, state="mempool")
