"""The Bitcart daemon's Lightning commands, answered by RedWaves' one Lightning node (LightningService).

Electrum binds Lightning to a wallet; here the node runs on one hot p2wpkh wallet (docs/lightning.md),
so these commands work for the daemon wallet that IS the node's wallet (loaded by its xpub) and answer
"Lightning not supported in this wallet type" for every other one, as Electrum does for a wallet
without Lightning. Result shapes follow Electrum 4.3.4's commands.py (``nodeid``, ``list_channels``,
``open_channel``, ``close_channel``, ``lnpay``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.chain.errors import LightningError
from app.chain.models import ChannelView, LightningNodeInfo
from app.core.errors import ValidationError
from app.services.compat.bitcart.requests import LightningUnsupported, electrum_satoshis
from app.services.compat.bitcart.wallets import DaemonWallet
from app.services.lightning.service import OPEN_STATES, LightningService

HEX = frozenset("0123456789abcdef")
COIN = Decimal(100_000_000)


def channel_index(channel_id: str, funding_txid: str) -> int:
    """The funding output index: Electrum's channel id is the funding txid (as bytes, reversed) XOR the index."""
    return int(channel_id, 16) ^ int.from_bytes(bytes.fromhex(funding_txid)[::-1], "big")


def channel_point(channel: ChannelView) -> str:
    """Electrum's ``txid:index`` (funding_outpoint.to_str())."""
    return f"{channel.funding_txid}:{channel_index(channel.channel_id, channel.funding_txid)}"


def channel_id_of_point(point: str) -> str:
    """Electrum's ``channel_id_from_funding_tx``: the channel id a ``txid:index`` names."""
    txid, _, index = point.partition(":")
    if len(txid) != 64 or not set(txid.lower()) <= HEX or not index.isdigit() or int(index) > 0xFFFF:
        raise ValidationError("channel_point must be txid:index.", code="invalid_channel_point", field="channel_point")
    value = int.from_bytes(bytes.fromhex(txid)[::-1], "big") ^ int(index)
    return value.to_bytes(32, "big").hex()


def electrum_channel(channel: ChannelView) -> dict[str, Any]:
    """One ``list_channels`` entry. RedWaves does not expose commitment numbers, reserves or unsettled
    HTLC sums, so Electrum's ``*_ctn``, ``*_reserve`` and ``*_unsettled_sent`` keys are absent."""
    return {
        "type": "CHANNEL", "short_channel_id": channel.short_id, "channel_id": channel.channel_id,
        "channel_point": channel_point(channel), "state": channel.state, "remote_pubkey": channel.peer_id,
        "local_balance": channel.local_sat, "remote_balance": channel.remote_sat,
    }


def channel_sat(amount: object, name: str) -> int:
    """Electrum's ``satoshis(amount)`` for channel amounts (BTC as text or a JSON number)."""
    if isinstance(amount, bool) or not isinstance(amount, str | int | Decimal):
        raise ValidationError(f"{name} must be a BTC amount such as 0.001.", code="invalid_amount", field=name)
    try:
        return electrum_satoshis(Decimal(str(amount).strip()))
    except ArithmeticError:
        raise ValidationError(f"{name} must be a BTC amount such as 0.001.", code="invalid_amount",
                              field=name) from None


class DaemonLightning:
    def __init__(self, service: LightningService) -> None:
        self._service = service

    async def running(self) -> bool:
        """``capabilities.lightning`` of the spec: the node runs."""
        return (await self._service.status()).running

    async def node(self, wallet: DaemonWallet) -> LightningNodeInfo:
        status = await self._service.status()
        if status.info is None or status.wallet_id != wallet.wallet_id:
            raise LightningUnsupported("Lightning not supported in this wallet type")
        return status.info

    async def lightning_balance(self, wallet: DaemonWallet) -> str | None:
        """Electrum's ``getbalance()["lightning"]``: our side of the channels, for the node's wallet."""
        status = await self._service.status()
        if status.info is None or status.wallet_id != wallet.wallet_id:
            return None
        local = sum(c.local_sat for c in status.info.channels if c.state in OPEN_STATES)
        return str(Decimal(local) / COIN) if local else None  # Electrum: str(Decimal(l)/COIN), only when non-zero

    async def nodeid(self, wallet: DaemonWallet) -> str:
        info = await self.node(wallet)
        return info.node_id + (f"@{info.listen}" if info.listen else "")

    async def list_channels(self, wallet: DaemonWallet) -> list[dict[str, Any]]:
        return [electrum_channel(c) for c in (await self.node(wallet)).channels]

    async def open_channel(self, wallet: DaemonWallet, connection_string: object, amount: object,
                           push_amount: object = 0) -> str:
        await self.node(wallet)
        funding_sat, push_sat = channel_sat(amount, "amount"), channel_sat(push_amount or 0, "push_amount")
        channel = await self._service.open_channel(str(connection_string or ""), funding_sat, push_sat=push_sat)
        return channel_point(channel)

    async def close_channel(self, wallet: DaemonWallet, channel_point_or_id: object, force: bool = False) -> str:
        """By Electrum's ``txid:index`` (what open_channel returned) or by the channel id."""
        await self.node(wallet)
        text = str(channel_point_or_id or "").strip().lower()
        channel_id = channel_id_of_point(text) if ":" in text else text
        return await self._service.close_channel(channel_id, force=bool(force))

    async def lnpay(self, wallet: DaemonWallet, invoice: object) -> dict[str, Any]:
        """Electrum's ``lnpay`` result; a payment that found no route is ``success: false``, not an error."""
        await self.node(wallet)
        try:
            result = await self._service.pay(str(invoice or ""))
        except LightningError as exc:
            if exc.code != "payment_failed":
                raise
            return {"payment_hash": None, "success": False, "preimage": None, "log": [str(exc)]}
        return {"payment_hash": result.payment_hash, "success": result.success,
                "preimage": result.preimage if result.success else None,
                "log": [result.error] if result.error else []}
