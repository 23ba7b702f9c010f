"""A stand-in Lightning node satisfying app.services.ports.LightningNodePort, for service, API and page
tests. It issues real-shaped BOLT11 strings and payment hashes and settles them on request; the real
node (Electrum's, against Debian's Electrum as the payer) is tested in tests/chain and tests/lightning."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.chain.errors import LightningError
from app.chain.models import (
    ChainEvent,
    ChannelView,
    LightningInvoice,
    LightningNodeInfo,
    LightningPaid,
    LightningPayResult,
)

NODE_ID = "02" + "ab" * 32


@dataclass
class Issued:
    amount_sat: int
    preimage: str
    expires_at: datetime
    message: str
    withdrawn: bool = False
    paid: LightningPaid | None = None


@dataclass
class FakeLightningNode:
    deliver: Callable[[ChainEvent], None] | None = None  # where LightningPaid goes (the FakeChain's subscribers)
    wallet_id: str | None = None
    can_receive_sat: int = 1_000_000
    issued: dict[str, Issued] = field(default_factory=dict)
    channels: list[ChannelView] = field(default_factory=list)
    opened: list[tuple[str, int, int]] = field(default_factory=list)
    closed: list[tuple[str, bool]] = field(default_factory=list)
    paid_out: list[str] = field(default_factory=list)

    def lightning_wallet(self) -> str | None:
        return self.wallet_id

    async def enable_lightning(self, wallet_id: str, *, password: str | None) -> LightningNodeInfo:
        self.wallet_id = wallet_id
        return await self.lightning_info(wallet_id)

    def disable_lightning(self, wallet_id: str) -> None:
        if self.wallet_id == wallet_id:
            self.wallet_id = None

    async def lightning_info(self, wallet_id: str) -> LightningNodeInfo:
        self._check(wallet_id)
        return LightningNodeInfo(wallet_id=wallet_id, node_id=NODE_ID, listen=None, gossip=False,
                                 incoming_allowed=True, can_receive_sat=self.can_receive_sat, can_send_sat=50_000,
                                 channels=tuple(self.channels), peers=len(self.channels))

    async def add_lightning_invoice(self, wallet_id: str, amount_sat: int, *, message: str,
                                    expires_at: datetime) -> LightningInvoice:
        self._check(wallet_id)
        preimage = os.urandom(32).hex()
        payment_hash = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        self.issued[payment_hash] = Issued(amount_sat, preimage, expires_at, message)
        bolt11 = f"lnbcrt{amount_sat * 10}n1p" + payment_hash[:40] + "qqqq"
        return LightningInvoice(bolt11=bolt11, payment_hash=payment_hash, expires_at=expires_at)

    async def withdraw_lightning_invoice(self, wallet_id: str, payment_hash: str) -> bool:
        issued = self.issued.get(payment_hash)
        if issued is None:
            return True
        if issued.paid is not None:
            return False
        issued.withdrawn = True
        return True

    async def lightning_paid(self, wallet_id: str, payment_hashes: Iterable[str]) -> list[LightningPaid]:
        return [i.paid for h in payment_hashes if (i := self.issued.get(h)) is not None and i.paid is not None]

    def settle(self, payment_hash: str, *, amount_sat: int | None = None, deliver: bool = True,
               at: datetime | None = None) -> LightningPaid:
        """The payer paid: refused like the real gate once withdrawn or expired (LightningError)."""
        issued = self.issued[payment_hash]
        now = at or datetime.now(UTC)
        if issued.withdrawn or now >= issued.expires_at:
            raise LightningError("The node refused the payment.", code="payment_failed")
        if issued.paid is None:
            issued.paid = LightningPaid(wallet_id=self.wallet_id or "", payment_hash=payment_hash,
                                        amount_msat=(amount_sat or issued.amount_sat) * 1000,
                                        preimage=issued.preimage, settled_at=now)
        if deliver and self.deliver is not None:
            self.deliver(issued.paid)
        return issued.paid

    async def open_channel(self, wallet_id: str, connect: str, amount_sat: int, *, push_sat: int = 0,
                           password: str | None) -> ChannelView:
        self._check(wallet_id)
        self.opened.append((connect, amount_sat, push_sat))
        channel = ChannelView(channel_id=f"{len(self.channels):064x}", short_id=None, peer_id=connect.split("@")[0],
                              state="OPENING", initiator="local", capacity_sat=amount_sat,
                              local_sat=amount_sat - push_sat, remote_sat=push_sat, can_send_sat=0, can_receive_sat=0,
                              funding_txid="aa" * 32, closing_txid=None)
        self.channels.append(channel)
        return channel

    async def close_channel(self, wallet_id: str, channel_id: str, *, force: bool) -> str:
        self._check(wallet_id)
        if not any(c.channel_id == channel_id for c in self.channels):
            raise LightningError("No such channel.", code="channel_not_found")
        self.closed.append((channel_id, force))
        return "bb" * 32

    async def lnpay(self, wallet_id: str, bolt11: str, *, password: str | None,
                    timeout_s: float = 60) -> LightningPayResult:
        self._check(wallet_id)
        self.paid_out.append(bolt11)
        return LightningPayResult(payment_hash="cc" * 32, preimage="dd" * 32, success=True, error=None)

    async def channel_backup(self, wallet_id: str, channel_id: str) -> str:
        return f"channel_backup:{channel_id}"

    def _check(self, wallet_id: str) -> None:
        if self.wallet_id != wallet_id:
            raise LightningError("Lightning is off.", code="lightning_off")
