"""Reading the server directly, WITHOUT subscribing: histories, unspent outputs, transactions, and
merkle proofs checked against OUR headers.

Shared by the closed-invoice history check (``history_probe.py``) and payouts (``unspent.py``).
Requests are pipelined over the current main interface with at most ``concurrency`` in flight, each
with its own timeout. A transaction is fetched with ``blockchain.transaction.get`` (Electrum checks
that it hashes to the txid asked for). A height the server claims counts only when
``blockchain.transaction.get_merkle`` matches our header at that height, exactly as Electrum's
verifier (``electrum/verifier.py``) does; otherwise it is 0 (unconfirmed, or not proven yet).
Runs on Electrum's loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from electrum.bitcoin import address_to_scripthash
from electrum.interface import CodeMessageError, Interface  # aiorpcx: the server answered an error
from electrum.network import Network
from electrum.transaction import Transaction
from electrum.verifier import MerkleVerificationFailure, verify_tx_is_in_block

from app.chain.errors import NotConnected

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 10.0
CONCURRENCY = 8
T = TypeVar("T")


class ServerReader:
    """Pipelined, bounded requests over the main interface; ``requests`` counts what was sent."""

    def __init__(self, network: Network, *, concurrency: int = CONCURRENCY,
                 timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        interface = network.interface
        if interface is None or not interface.is_connected_and_ready():
            raise NotConnected("Not connected to a bitcoin server.")
        self._network = network
        self._iface: Interface = interface
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._timeout_s = timeout_s
        self.transactions: dict[str, Transaction] = {}
        self.requests = 0

    async def _ask(self, request: Callable[[], Awaitable[T]]) -> T:
        async with self._slots:
            self.requests += 1
            return await asyncio.wait_for(request(), self._timeout_s)

    async def transaction(self, txid: str) -> Transaction:
        tx = self.transactions.get(txid)
        if tx is None:
            raw: str = await self._ask(lambda: self._iface.get_transaction(txid))  # hash checked by Electrum
            tx = self.transactions[txid] = Transaction(raw)
        return tx

    async def history(self, address: str) -> list[tuple[str, int]]:
        scripthash = address_to_scripthash(address)
        items: list[dict[str, object]] = await self._ask(lambda: self._iface.get_history_for_scripthash(scripthash))
        return [(str(item["tx_hash"]), int(str(item["height"]))) for item in items]

    async def listunspent(self, address: str) -> list[tuple[str, int, int]]:
        scripthash = address_to_scripthash(address)
        items: list[dict[str, object]] = await self._ask(lambda: self._iface.listunspent_for_scripthash(scripthash))
        return [(str(i["tx_hash"]), int(str(i["tx_pos"])), int(str(i["height"]))) for i in items]

    async def proven_height(self, txid: str, claimed_height: int) -> int:
        """``claimed_height`` if the merkle proof matches our header there, else 0."""
        if claimed_height <= 0:
            return 0
        try:
            merkle: dict[str, object] = await self._ask(
                lambda: self._iface.get_merkle_for_transaction(txid, claimed_height))
        except CodeMessageError:
            return 0
        height = int(str(merkle["block_height"]))
        async with self._network.bhi_lock:
            header = self._network.blockchain().read_header(height)
        try:
            verify_tx_is_in_block(txid, merkle["merkle"], int(str(merkle["pos"])), header, height)
        except MerkleVerificationFailure as exc:
            logger.info("server reader: %s not proven at height %d (%s)", txid, height, type(exc).__name__)
            return 0
        return height
