"""Ask the server for addresses' histories WITHOUT subscribing to them; SPV-check what is mined.

For addresses Electrum no longer watches (closed invoices): ``blockchain.scripthash.get_history``
on the current main interface, ``blockchain.transaction.get`` for each transaction in it (Electrum
checks the raw tx hashes to the txid asked for), then for a transaction the server says is mined
``blockchain.transaction.get_merkle``, checked against OUR header at that height exactly as
Electrum's verifier (``electrum/verifier.py``) does. A transaction claimed mined but not proven
(no header yet, a proof that does not match) is reported unconfirmed (height 0, verified False).

Runs on Electrum's loop (``ChainWatcher.probe_history`` crosses over), through ``server_reader.py``
(pipelined, bounded requests and the merkle check); an address whose reads fail is reported in
``failed`` (not as an empty history).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from electrum.network import Network

from app.chain.server_reader import CONCURRENCY, REQUEST_TIMEOUT_S, ServerReader

logger = logging.getLogger(__name__)



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


async def _address(reader: ServerReader, address: str) -> list[HistoryPayment]:
    found = await asyncio.gather(*(_payment(reader, address, txid, height)
                                   for txid, height in await reader.history(address)))
    return [payment for payment in found if payment is not None]


async def _payment(reader: ServerReader, address: str, txid: str, claimed_height: int) -> HistoryPayment | None:
    tx = await reader.transaction(txid)
    value = sum(int(out.value) for out in tx.outputs() if out.address == address)
    if value <= 0:
        return None  # the address spends here, nothing paid to it
    height = await reader.proven_height(txid, claimed_height)
    return HistoryPayment(address=address, txid=txid, height=height, value_sat=value, verified=height > 0)


async def probe_history(network: Network, addresses: Sequence[str], *, concurrency: int = CONCURRENCY,
                        timeout_s: float = REQUEST_TIMEOUT_S) -> HistoryProbe:
    """Run on Electrum's loop. NotConnected when there is no ready main interface."""
    reader = ServerReader(network, concurrency=concurrency, timeout_s=timeout_s)  # NotConnected if offline
    wanted = list(dict.fromkeys(addresses))
    results = await asyncio.gather(*(_address(reader, a) for a in wanted), return_exceptions=True)
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
                        tip_height=tip if tip > 0 else None, requests=reader.requests)
