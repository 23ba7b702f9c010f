"""The daemon's chain queries (balance, history, transactions, fees, info), answered from RedWaves'
own records and ChainWatcher, never by asking a server about arbitrary transactions.

RedWaves only ever sees outputs paying addresses it handed out, so ``get_transaction`` and
``onchain_history`` describe those outputs (see docs/daemon.md, "Differences").
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from app import __version__
from app.chain.keys import parse_wallet_keys
from app.core.errors import AppError, InvalidKey, NotFound, ValidationError
from app.core.limits import MAX_KEY_TEXT_CHARS
from app.core.money import format_btc
from app.db.models import AddressRow, InvoiceRow, PaymentRow
from app.services.compat.bitcart.requests import NotSupported, electrum_amount
from app.services.compat.bitcart.wallets import DaemonWallet
from app.services.ports import ChainPort
from app.services.writer import Writer

_TXID = re.compile(r"[0-9a-fA-F]{64}")
DEFAULT_FEE_TARGET = 2  # Electrum's default fee policy: confirm within 2 blocks
FALLBACK_FEE_SAT_KVB = 1000  # used when the server has not answered estimatefee yet (regtest often)


class InvalidTxHash(ValidationError):
    code = "invalid_tx_hash"


class TransactionNotFound(NotFound):
    code = "transaction_not_found"


class AddressNotWatched(NotFound):
    code = "address_not_watched"


def check_txid(txid: object) -> str:
    if not isinstance(txid, str) or not _TXID.fullmatch(txid):
        raise InvalidTxHash("should be a transaction hash")
    return txid.lower()


def _confirmations(height: int, tip: int | None) -> int:
    return 0 if height <= 0 or tip is None else max(0, tip - height + 1)


class DaemonChain:
    def __init__(self, writer: Writer, chain: ChainPort | None, network: str) -> None:
        self._writer = writer
        self._chain = chain
        self._network = network

    def tip_height(self) -> int | None:
        return self._chain.state().tip_height if self._chain is not None else None

    def synced(self) -> bool:
        state = self._chain.state() if self._chain is not None else None
        return bool(state and state.connected and state.synced)

    def _require_chain(self) -> ChainPort:
        if self._chain is None:
            raise NotSupported("RedWaves runs without a chain connection.")
        return self._chain

    # -- wallet ----------------------------------------------------------------------------------

    async def balance(self, wallet: DaemonWallet) -> dict[str, str]:
        confirmed, unconfirmed = await self._require_chain().wallet_balance(wallet.wallet_id)
        return {"confirmed": electrum_amount(confirmed), "unconfirmed": electrum_amount(unconfirmed),
                "unmatured": electrum_amount(0)}

    async def history(self, wallet: DaemonWallet) -> dict[str, Any]:
        """Electrum's onchain_history shape, from the payments RedWaves recorded for this wallet."""
        rows = await self._payment_rows([InvoiceRow.wallet_id == wallet.wallet_id])
        tip = self.tip_height()
        by_tx: dict[str, dict[str, Any]] = {}
        for payment, address in rows:
            entry = by_tx.setdefault(payment.txid, {
                "txid": payment.txid, "height": payment.height, "confirmations": _confirmations(payment.height, tip),
                "timestamp": int(payment.first_seen_at.timestamp()), "date": _iso(payment.first_seen_at),
                "incoming": True, "label": "", "value_sat": 0, "addresses": []})
            entry["value_sat"] += payment.amount_sat
            entry["addresses"].append(address)
        transactions, balance = [], 0
        for entry in sorted(by_tx.values(), key=lambda e: e["timestamp"]):
            balance += entry["value_sat"]
            entry["bc_value"] = electrum_amount(entry["value_sat"])
            entry["bc_balance"] = electrum_amount(balance)
            transactions.append(entry)
        incoming = sum(e["value_sat"] for e in transactions)
        summary = {"incoming": electrum_amount(incoming), "outgoing": electrum_amount(0),
                   "end_balance": electrum_amount(balance), "start_balance": electrum_amount(0)}
        return {"summary": summary, "transactions": transactions}

    # -- addresses and transactions ---------------------------------------------------------------

    async def address_history(self, address: object) -> list[dict[str, Any]]:
        async with self._writer.read() as session:
            row = await session.scalar(select(AddressRow).where(AddressRow.address == str(address).strip()))
        if row is None:
            raise AddressNotWatched("RedWaves only knows the history of addresses it handed out.")
        views = await self._require_chain().address_views(row.wallet_id, [row.address])
        txs = {o.txid: o.height for view in views for o in view.outputs}
        return [{"tx_hash": txid, "height": height} for txid, height in txs.items()]

    async def transaction(self, txid: object) -> dict[str, Any]:
        txid = check_txid(txid)
        rows = await self._payment_rows([PaymentRow.txid == txid])
        if not rows:
            raise TransactionNotFound("No such mempool or blockchain transaction.")
        tip = self.tip_height()
        height = max(p.height for p, _ in rows)
        outputs = [{"address": address, "value_sats": p.amount_sat, "vout": p.vout,
                    "state": p.state, "accounted": p.accounted} for p, address in rows]
        return {"txid": txid, "height": height, "confirmations": _confirmations(height, tip),
                "rbf": any(p.rbf for p, _ in rows), "outputs": outputs, "partial": True}

    async def tx_status(self, txid: object) -> dict[str, int]:
        return {"confirmations": (await self.transaction(txid))["confirmations"]}

    async def broadcast(self, raw_tx_hex: str) -> str:
        return await self._require_chain().broadcast(raw_tx_hex)

    async def _payment_rows(self, where: Iterable[ColumnElement[bool]]) -> list[tuple[PaymentRow, str]]:
        query = (select(PaymentRow, InvoiceRow.address).join(InvoiceRow, InvoiceRow.id == PaymentRow.invoice_id)
                 .where(*where).order_by(PaymentRow.first_seen_at, PaymentRow.id))
        async with self._writer.read() as session:
            return [(p, address) for p, address in (await session.execute(query)).all()]

    # -- fees, info, keys ------------------------------------------------------------------------

    async def fee_rate_sat_kvb(self, target_blocks: int) -> int | None:
        """Electrum's eta_target_to_fee: the estimate for the nearest target at or above the one asked."""
        estimates = await self._require_chain().fee_estimates()
        if not estimates:
            return None
        later = [t for t in sorted(estimates) if t >= target_blocks]
        return estimates[later[0] if later else max(estimates)]

    async def default_fee(self, size_vbytes: int) -> str:
        rate = await self.fee_rate_sat_kvb(DEFAULT_FEE_TARGET) or FALLBACK_FEE_SAT_KVB
        return format_btc(math.ceil(size_vbytes * rate / 1000))

    def info(self, wallets_loaded: int) -> dict[str, Any]:
        state = self._chain.state() if self._chain is not None else None
        connected = bool(state and state.connected)
        return {
            "version": f"redwaves-{__version__}", "network": self._network, "path": None,
            "server": state.server if state else None, "blockchain_height": state.tip_height if state else None,
            "server_height": state.tip_height if state else None, "connected": connected,
            "auto_connect": False, "spv_nodes": 1 if connected else 0, "default_wallet": None,
            "fee_per_kb": None, "synchronized": bool(state and connected and state.synced),
            "total_wallets": wallets_loaded,
        }

    async def validate_key(self, key: object) -> bool:
        """True for keys RedWaves could restore: public keys (watch-only) and seed phrases (hot).

        Too long is simply False (checked first); the parse (a seed takes ~10 ms) runs off the loop."""
        if not isinstance(key, str) or len(key) > MAX_KEY_TEXT_CHARS:
            return False
        try:
            await asyncio.to_thread(parse_wallet_keys, key, self._network, allow_seed=True)
        except (InvalidKey, ValidationError, AppError):
            return False
        return True


def _iso(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat()
