"""RedWaves' Lightning node: which wallet runs it, its channels, and the BOLT11s invoices carry.

One node per RedWaves (docs/lightning.md): Electrum's Lightning on one hot p2wpkh wallet, marked
``wallets.lightning``. Stores opt in (``checkout.lightning``); ``issue`` gives an invoice its BOLT11
when the store opted in, the node runs and it can receive the amount. The payment engine records
settled payments (``LightningPaid``) and withdraws a BOLT11 when the invoice is paid on-chain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import update

from app.chain.errors import ChainNotRunning, LightningError
from app.chain.models import ChannelView, LightningInvoice, LightningNodeInfo, LightningPayResult
from app.core.errors import Conflict, ValidationError
from app.core.lightning import MAX_CHANNEL_SAT, check_bolt11, store_lightning
from app.core.records import Store, Wallet
from app.db.models import WalletRow
from app.lifecycle import cancel_all
from app.services.ports import LightningNodePort
from app.services.wallets.wallets import WalletService
from app.services.writer import Writer

logger = logging.getLogger(__name__)
OPEN_STATES = frozenset({"PREOPENING", "OPENING", "FUNDED", "OPEN", "SHUTDOWN", "CLOSING", "FORCE_CLOSING"})
MAX_CONNECT_CHARS = 300
BACKUP_REFRESH_S = 300.0
MIN_CHANNEL_SAT = 20_000  # Electrum's minimum funding (lnutil.MIN_FUNDING_SAT)


@dataclass(frozen=True)
class LightningStatus:
    """What Settings → Lightning and GET /api/v1/lightning show."""

    wallet_id: str | None  # the node's wallet, or None: Lightning is off
    info: LightningNodeInfo | None  # None while the node is not running
    problem: str | None  # why it is not running, in a sentence
    onion_connect: str | None = None  # nodeid@<shop>.onion:port while it listens and the onion is up

    @property
    def running(self) -> bool:
        return self.info is not None

    @property
    def can_receive_sat(self) -> int:
        return self.info.can_receive_sat if self.info is not None else 0


class LightningService:
    def __init__(self, writer: Writer, wallets: WalletService, node: LightningNodePort | None, *,
                 onion_url: Callable[[], str | None] = lambda: None) -> None:
        self._writer = writer
        self._onion_url = onion_url
        self._wallets = wallets
        self._node = node
        self._problem: str | None = None
        self.on_started: Callable[[], None] | None = None  # the engine's recovery of unrecorded payments
        self._refresher: asyncio.Task[None] | None = None
        self._backups: dict[str, str] = {}  # channel id -> static channel backup, refreshed on every change

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the node of the wallet marked for Lightning (after the wallets are open)."""
        wallet = await self._node_wallet()
        self._refresher = asyncio.create_task(self._refresh_loop(), name="lightning-backups")
        if wallet is None:
            return
        try:
            await self._start_node(wallet)
        except (LightningError, ChainNotRunning) as exc:
            self._problem = str(exc)
            logger.warning("lightning node of wallet %s did not start: %s", wallet.id, exc)
        except Exception:  # noqa: BLE001 - on-chain payments must still start; the window shows the problem
            self._problem = "The Lightning node failed to start; see the log file."
            logger.exception("lightning node of wallet %s did not start", wallet.id)

    async def stop(self) -> None:
        """The node itself stops with Electrum (the chain watcher saves every wallet)."""
        if self._refresher is not None:
            await cancel_all([self._refresher])
            self._refresher = None

    async def _refresh_loop(self) -> None:
        """Channels peers open to the shop reach the static channel backups within BACKUP_REFRESH_S."""
        while True:
            await asyncio.sleep(BACKUP_REFRESH_S)
            if self._node is not None and self._node.lightning_wallet() is not None:
                await self._refresh_backups()

    async def _start_node(self, wallet: Wallet) -> LightningNodeInfo:
        node = self._require_node()
        info = await node.enable_lightning(wallet.id, password=self._wallets.signing_password(wallet.id))
        self._problem = None
        if self.on_started is not None:
            self.on_started()
        await self._refresh_backups()
        logger.info("lightning node running on wallet %s (node id %s…)", wallet.id, info.node_id[:16])
        return info

    # -- the node ------------------------------------------------------------------------------
    async def status(self) -> LightningStatus:
        wallet = await self._node_wallet()
        if wallet is None:
            return LightningStatus(wallet_id=None, info=None, problem=None)
        if self._node is None or self._node.lightning_wallet() != wallet.id:
            return LightningStatus(wallet.id, None, self._problem or "The Lightning node is not running.")
        try:
            info = await self._node.lightning_info(wallet.id)
        except (LightningError, ChainNotRunning) as exc:
            return LightningStatus(wallet.id, None, str(exc))
        return LightningStatus(wallet.id, info, None, onion_connect=self._onion_connect(info))

    def _onion_connect(self, info: LightningNodeInfo) -> str | None:
        """The node on the shop's .onion: the runtime publishes the listen port there too (app/runtime.py)."""
        onion = urlsplit(self._onion_url() or "").hostname
        port = (info.listen or "").rpartition(":")[2]
        return f"{info.node_id}@{onion}:{port}" if onion and port.isdigit() else None

    async def eligible_wallets(self) -> list[Wallet]:
        """Wallets that can run the node: hot (seed) p2wpkh."""
        return [w for w in await self._wallets.list() if w.can_have_lightning]

    async def enable(self, wallet_id: str) -> LightningStatus:
        """Run the node on this wallet (hot, p2wpkh) and remember it; refused while another has channels."""
        wallet = await self._wallets.get(wallet_id)
        if not wallet.can_have_lightning:
            raise ValidationError("Lightning needs a hot wallet (a seed) of the native segwit kind (p2wpkh).",
                                  code="lightning_needs_p2wpkh_hot", field="wallet_id")
        current = await self._node_wallet()
        if current is not None and current.id != wallet_id:
            status = await self.status()
            if status.info is not None and _open_channels(status.info):
                raise Conflict("Close the channels of the current Lightning wallet first.", code="channels_open",
                               field="wallet_id")
            raise Conflict("Lightning runs on another wallet: turn it off there first (one node per RedWaves).",
                           code="lightning_on_other_wallet", field="wallet_id")
        await self._start_node(wallet)
        async with self._writer.transaction() as session:
            await session.execute(update(WalletRow).values(lightning=WalletRow.id == wallet_id))
        return await self.status()

    async def disable(self) -> LightningStatus:
        """No more BOLT11s; refused while channels are open (their money would be out of sight)."""
        status = await self.status()
        if status.wallet_id is None:
            return status
        if status.info is not None and _open_channels(status.info):
            raise Conflict("Close every channel before turning Lightning off.", code="channels_open")
        async with self._writer.transaction() as session:
            await session.execute(update(WalletRow).values(lightning=False))
        if self._node is not None:
            self._node.disable_lightning(status.wallet_id)
        return await self.status()

    async def open_channel(self, connect: str, amount_sat: int, *, push_sat: int = 0) -> ChannelView:
        """Fund a channel to ``nodeid@host:port`` from the node's wallet (broadcast; usable after 3 blocks)."""
        connect = _check_connect(connect)
        _check_amount(amount_sat, "amount_sat", MIN_CHANNEL_SAT, MAX_CHANNEL_SAT)
        _check_amount(push_sat, "push_sat", 0, amount_sat - 1)
        wallet_id = await self._running_wallet()
        channel = await self._require_node().open_channel(wallet_id, connect, amount_sat, push_sat=push_sat,
                                                         password=self._wallets.signing_password(wallet_id))
        logger.info("lightning channel %s… opening with %s… (%d sat, push %d)", channel.channel_id[:12],
                    channel.peer_id[:12], amount_sat, push_sat)
        await self._refresh_backups()
        return channel

    async def close_channel(self, channel_id: str, *, force: bool = False) -> str:
        """Cooperative (or force) close; returns the closing transaction's id."""
        if not isinstance(channel_id, str) or not 1 <= len(channel_id) <= 100:
            raise ValidationError("Name the channel to close.", code="invalid_channel_id", field="channel_id")
        wallet_id = await self._running_wallet()
        txid = await self._require_node().close_channel(wallet_id, channel_id, force=force)
        logger.info("lightning channel %s… closing (%s)", channel_id[:12], "force" if force else "cooperative")
        await self._refresh_backups()
        return txid

    async def pay(self, bolt11: str) -> LightningPayResult:
        """Pay a BOLT11 from the node (hot wallet): the Bitcart daemon's ``lnpay``."""
        invoice = check_bolt11(bolt11)
        wallet_id = await self._running_wallet()
        return await self._require_node().lnpay(wallet_id, invoice, password=self._wallets.signing_password(wallet_id))

    async def channel_backups(self) -> dict[str, str]:
        """Static channel backups (channel id -> Electrum's backup string) of every open channel; kept for
        the encrypted backup (``cached_channel_backups``, read from the backup's worker thread)."""
        status = await self.status()
        if status.info is None or status.wallet_id is None:
            return dict(self._backups)
        node = self._require_node()
        backups: dict[str, str] = {}
        for channel in status.info.channels:
            if channel.state not in OPEN_STATES:
                continue
            try:
                backups[channel.channel_id] = await node.channel_backup(status.wallet_id, channel.channel_id)
            except LightningError as exc:  # backup_unavailable: a peer that opened to us told no address
                logger.info("no static backup of channel %s…: %s", channel.channel_id[:12], exc)
        self._backups = backups
        return dict(backups)

    def cached_channel_backups(self) -> dict[str, str]:
        return dict(self._backups)

    async def _refresh_backups(self) -> None:
        try:
            await self.channel_backups()
        except (LightningError, ChainNotRunning) as exc:
            logger.warning("static channel backups not refreshed: %s", exc)

    # -- invoices ------------------------------------------------------------------------------
    async def issue(self, store: Store, amount_sat: int, *, message: str,
                    expires_at: datetime) -> LightningInvoice | None:
        """A BOLT11 for a new invoice, or None (store not opted in, node not running, too little inbound
        liquidity, or the node refused). Never fails the invoice: on-chain still works."""
        if not store_lightning(store).enabled or self._node is None:
            return None
        wallet_id = self._node.lightning_wallet()
        if wallet_id is None:
            return None
        try:
            info = await self._node.lightning_info(wallet_id)
            if info.can_receive_sat < amount_sat:
                logger.info("no BOLT11 for %d sat: the node can receive %d sat now", amount_sat, info.can_receive_sat)
                return None
            return await self._node.add_lightning_invoice(wallet_id, amount_sat, message=message[:200],
                                                          expires_at=expires_at)
        except (LightningError, ChainNotRunning) as exc:
            logger.warning("no BOLT11 for a new invoice: %s", exc)
            return None

    async def withdraw(self, payment_hash: str) -> bool:
        """The node refuses this BOLT11 from now on (paid on-chain); False if it was already paid."""
        if self._node is None or (wallet_id := self._node.lightning_wallet()) is None:
            return True
        return await self._node.withdraw_lightning_invoice(wallet_id, payment_hash)

    # -- helpers -------------------------------------------------------------------------------
    async def _node_wallet(self) -> Wallet | None:
        return next((w for w in await self._wallets.list() if w.lightning), None)

    async def _running_wallet(self) -> str:
        wallet = await self._node_wallet()
        if wallet is None or self._node is None or self._node.lightning_wallet() != wallet.id:
            raise LightningError("Lightning is off: turn it on in Settings → Lightning first.", code="lightning_off")
        return wallet.id

    def _require_node(self) -> LightningNodePort:
        if self._node is None:
            raise LightningError("The chain is not running, so Lightning cannot start.", code="lightning_off")
        return self._node


def _open_channels(info: LightningNodeInfo) -> list[ChannelView]:
    return [c for c in info.channels if c.state in OPEN_STATES]


def _check_connect(connect: object) -> str:
    text = connect.strip() if isinstance(connect, str) else ""
    node_id, _, address = text.partition("@")
    host, _, port = address.rpartition(":")
    if (len(text) > MAX_CONNECT_CHARS or len(node_id) != 66 or not all(c in "0123456789abcdef" for c in node_id.lower())
            or not host or not port.isdigit() or not 0 < int(port) < 65536):
        raise ValidationError("Give the peer as nodeid@host:port (a 66-character node id).", code="invalid_node_uri",
                              field="connect")
    return text


def _check_amount(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be {low:,} to {high:,} sat.",
                              code=f"invalid_{field}", field=field)
    return value
