"""An in-memory Lightning node for window tests: it stands where the chain watcher's Lightning side
(``app.services.ports.LightningNodePort``) stands, so the pages run against the REAL LightningService
(its checks, its one-node rule, its channels_open refusal) over real wallets on SQLite.

`mypy tests/ui/fakes_lightning.py` proves it satisfies LightningNodePort, like the real ChainWatcher.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from app.chain.errors import LightningError
from app.chain.models import (
    ChannelView,
    LightningInvoice,
    LightningNodeInfo,
    LightningPaid,
    LightningPayResult,
)
from app.services.ports import LightningNodePort

NODE_ID = "02" + "ab" * 32
PEER_ID = "03" + "cd" * 32
PEER_URI = f"{PEER_ID}@198.51.100.7:9735"


def channel(n: int, *, state: str = "OPEN", capacity_sat: int = 1_000_000, local_sat: int = 400_000,
            peer_id: str = PEER_ID, initiator: str = "remote") -> ChannelView:
    remote = capacity_sat - local_sat
    return ChannelView(channel_id=f"{n:064x}", short_id=f"{100 + n}x1x0", peer_id=peer_id, state=state,
                       initiator="remote" if initiator == "remote" else "local", capacity_sat=capacity_sat,
                       local_sat=local_sat, remote_sat=remote, can_send_sat=max(0, local_sat - 10_000),
                       can_receive_sat=max(0, remote - 10_000), funding_txid=f"{n:02x}" * 32, closing_txid=None)


class FakeLightningNode:
    """``running`` is the wallet whose node runs; ``channels`` what it has; ``fail_next`` makes the next
    open/close raise (e.g. ``LightningError(..., code="peer_unreachable")``)."""

    def __init__(self, *, listen: str | None = None) -> None:
        self.running: str | None = None
        self.listen = listen
        self.channels: list[ChannelView] = []
        self.opened: list[tuple[str, str, int, int]] = []  # wallet, connect, amount, push
        self.closed: list[tuple[str, bool]] = []  # channel id, force
        self.enabled: list[str] = []
        self.fail_next: LightningError | None = None

    def _fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def lightning_wallet(self) -> str | None:
        return self.running

    async def enable_lightning(self, wallet_id: str, *, password: str | None) -> LightningNodeInfo:
        assert password, "a hot wallet's password comes from the keyring"
        self.enabled.append(wallet_id)
        self.running = wallet_id
        return await self.lightning_info(wallet_id)

    def disable_lightning(self, wallet_id: str) -> None:
        if self.running == wallet_id:
            self.running = None

    async def lightning_info(self, wallet_id: str) -> LightningNodeInfo:
        if wallet_id != self.running:
            raise LightningError("Lightning is off.", code="lightning_off")
        open_ = [c for c in self.channels if c.state == "OPEN"]
        return LightningNodeInfo(wallet_id=wallet_id, node_id=NODE_ID, listen=self.listen, gossip=False,
                                 incoming_allowed=True, can_receive_sat=sum(c.can_receive_sat for c in open_),
                                 can_send_sat=sum(c.can_send_sat for c in open_), channels=tuple(self.channels),
                                 peers=len({c.peer_id for c in open_}))

    async def add_lightning_invoice(self, wallet_id: str, amount_sat: int, *, message: str,
                                    expires_at: datetime) -> LightningInvoice:
        payment_hash = hashlib.sha256(f"{amount_sat}{message}".encode()).hexdigest()
        return LightningInvoice(bolt11=f"lnbcrt{amount_sat}n1fake", payment_hash=payment_hash, expires_at=expires_at)

    async def withdraw_lightning_invoice(self, wallet_id: str, payment_hash: str) -> bool:
        return True

    async def lightning_paid(self, wallet_id: str, payment_hashes: Iterable[str]) -> list[LightningPaid]:
        return []

    async def open_channel(self, wallet_id: str, connect: str, amount_sat: int, *, push_sat: int = 0,
                           password: str | None) -> ChannelView:
        self._fail()
        self.opened.append((wallet_id, connect, amount_sat, push_sat))
        opened = replace(channel(len(self.channels) + 1, state="OPENING", capacity_sat=amount_sat,
                                 local_sat=amount_sat - push_sat, peer_id=connect.partition("@")[0],
                                 initiator="local"), short_id=None)
        self.channels.append(opened)
        return opened

    async def close_channel(self, wallet_id: str, channel_id: str, *, force: bool) -> str:
        self._fail()
        self.closed.append((channel_id, force))
        txid = hashlib.sha256(channel_id.encode()).hexdigest()
        self.channels = [replace(c, state="FORCE_CLOSING" if force else "CLOSING", closing_txid=txid)
                         if c.channel_id == channel_id else c for c in self.channels]
        return txid

    async def lnpay(self, wallet_id: str, bolt11: str, *, password: str | None,
                    timeout_s: float = 60) -> LightningPayResult:
        return LightningPayResult(payment_hash="00" * 32, preimage=None, success=False, error="fake node")

    async def channel_backup(self, wallet_id: str, channel_id: str) -> str:
        return f"channel_backup:{channel_id}"


def _conforms(node: FakeLightningNode) -> None:
    """Never called: the fake satisfies the port the real ChainWatcher satisfies."""
    _n: LightningNodePort = node
