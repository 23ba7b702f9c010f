"""A payment's fee and size, from its transaction and its inputs' values. Runs on Electrum's loop.

A watch-only wallet holds the paying transaction but rarely its parents: each parent is fetched from
the server (Electrum checks that the returned transaction hashes to the txid asked for, so the input
values are those the txid commits to, not the server's say-so).
"""

from __future__ import annotations

import logging

from electrum.network import Network
from electrum.transaction import Transaction
from electrum.wallet import Abstract_Wallet

from app.chain.models import TxFee

logger = logging.getLogger(__name__)
PARENT_TIMEOUT_S = 10.0


async def tx_fee(wallet: Abstract_Wallet, network: Network, txid: str) -> TxFee | None:
    """None when the transaction or one of its parents cannot be read now (asked again later)."""
    tx = wallet.adb.db.get_transaction(txid)
    if tx is None:
        return None
    parents: dict[str, Transaction] = {}
    total_in = 0
    for txin in tx.inputs():
        prev_txid = txin.prevout.txid.hex()
        parent = parents.get(prev_txid) or wallet.adb.db.get_transaction(prev_txid)
        if parent is None:
            try:
                parent = Transaction(await network.get_transaction(prev_txid, timeout=PARENT_TIMEOUT_S))
            except Exception as exc:  # noqa: BLE001 - any network/parse failure: unknown for now
                logger.debug("fee of %s: parent %s unavailable (%s)", txid, prev_txid, type(exc).__name__)
                return None
        parents[prev_txid] = parent
        total_in += parent.outputs()[txin.prevout.out_idx].value
    fee = total_in - sum(o.value for o in tx.outputs())
    if fee < 0:
        return None
    return TxFee(fee_sat=fee, vsize=Transaction.virtual_size_from_weight(tx.estimated_weight()))
