"""Ask the server for addresses' histories WITHOUT subscribing to them; SPV-check what is mined.

For addresses Electrum no longer watches (closed invoices): ``blockchain.scripthash.get_history``
on the current main interface, ``blockchain.transaction.get`` for each transaction in it (Electrum
checks the raw tx hashes to the txid asked for), then for a transaction the server says is mined
``blockchain.transaction.get_merkle``, checked against OUR header at that height exactly as
Electrum's verifier (``electrum/verifier.py``) does. A transaction claimed mined but not proven
(no header yet, a proof that does not match) is reported unconfirmed (height 0, verified False).

Runs on Electrum's loop (``ChainWatcher.probe_history`` crosses over). Requests are pipelined over
the one connection with at most ``concurrency`` in flight; each has its own timeout, and an
address whose reads fail is reported in ``failed`` (not as an empty history).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class HistoryPayment:
    """A transaction in an address's server history that pays it ``value_sat`` (> 0).

    ``height`` > 0 only when ``verified`` (merkle proof checked against our headers); else 0."""

    address: str
    txid: str
    height: int
    value_sat: int
    verified: bool


@dataclass(frozen=True)
class HistoryProbe:
    """One probe's answer. ``checked``: addresses whose history was read in full (an address there
    with no payment has none); ``failed``: addresses that could not be read now (ask again later).
    ``requests``: server requests this probe sent."""

    checked: tuple[str, ...]
    failed: tuple[str, ...]
    payments: tuple[HistoryPayment, ...]
    tip_height: int | None
    requests: int


class _Probe:
    def __init__(self, network: Network, interface: Interface, *, concurrency: int, timeout_s: float) -> None:
        self._network = network
        self._iface = interface
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._timeout_s = timeout_s
        self.requests = 0

    async def _ask(self, request: Callable[[], Awaitable[T]]) -> T:
        async with self._slots:
            self.requests += 1
            return await asyncio.wait_for(request(), self._timeout_s)

    async def address(self, address: str) -> list[HistoryPayment]:
        scripthash = address_to_scripthash(address)
        history: list[dict[str, object]] = await self._ask(lambda: self._iface.get_history_for_scripthash(scripthash))
        items = [(str(item["tx_hash"]), int(str(item["height"]))) for item in history]
        found = await asyncio.gather(*(self._payment(address, txid, height) for txid, height in items))
        return [payment for payment in found if payment is not None]

    async def _payment(self, address: str, txid: str, claimed_height: int) -> HistoryPayment | None:
        raw: str = await self._ask(lambda: self._iface.get_transaction(txid))
        tx = Transaction(raw)
        value = sum(int(out.value) for out in tx.outputs() if out.address == address)
        if value <= 0:
            return None  # the address spends here, nothing paid to it
        height = await self._proven_height(txid, claimed_height) if claimed_height > 0 else 0
        return HistoryPayment(address=address, txid=txid, height=height, value_sat=value, verified=height > 0)

    async def _proven_height(self, txid: str, claimed_height: int) -> int:
        try:
            merkle: dict[str, object] = await self._ask(
                lambda: self._iface.get_merkle_for_transaction(txid, claimed_height))
        except CodeMessageError:
            return 0  # the server does not stand by its own claim: unconfirmed
        height = int(str(merkle["block_height"]))
        async with self._network.bhi_lock:  # header sync / reorg in progress: wait, as the verifier does
            header = self._network.blockchain().read_header(height)
        try:
            verify_tx_is_in_block(txid, merkle["merkle"], int(str(merkle["pos"])), header, height)
        except MerkleVerificationFailure as exc:  # MissingBlockHeader included: not proven (yet)
            logger.info("history probe: %s not proven at height %d (%s)", txid, height, type(exc).__name__)
            return 0
        return height


async def probe_history(network: Network, addresses: Sequence[str], *, concurrency: int = CONCURRENCY,
                        timeout_s: float = REQUEST_TIMEOUT_S) -> HistoryProbe:
    """Run on Electrum's loop. NotConnected when there is no ready main interface."""
    interface = network.interface
    if interface is None or not interface.is_connected_and_ready():
        raise NotConnected("Not connected to a bitcoin server.")
    probe = _Probe(network, interface, concurrency=concurrency, timeout_s=timeout_s)
    wanted = list(dict.fromkeys(addresses))
    results = await asyncio.gather(*(probe.address(a) for a in wanted), return_exceptions=True)
    checked: list[str] = []
    failed: list[str] = []
    payments: list[HistoryPayment] = []
    for address, result in zip(wanted, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            logger.debug("history probe: an address failed (%s)", type(result).__name__)
            failed.append(address)
        else:
            checked.append(address)
            payments.extend(result)
    tip = network.get_local_height()
    return HistoryProbe(checked=tuple(checked), failed=tuple(failed), payments=tuple(payments),
                        tip_height=tip if tip > 0 else None, requests=probe.requests)
