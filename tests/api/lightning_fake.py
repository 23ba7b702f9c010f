"""A stand-in Lightning node satisfying app.services.ports.LightningNodePort (only the node is fake: the
services, the engine and the servers are RedWaves' own). tests/lightning runs Electrum's real node."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
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
PEER_ID = "03" + "cd" * 32
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@dataclass
class Issued:
    invoice: LightningInvoice
    amount_sat: int
    preimage: str
    withdrawn: bool = False
    paid: LightningPaid | None = None


@dataclass
class FakeLightningNode:
    can_receive_sat: int = 5_000_000
    can_send_sat: int = 1_000_000
    running: str | None = None  # the wallet whose node runs
    issued: dict[str, Issued] = field(default_factory=dict)  # payment hash -> what was issued
    channels: list[ChannelView] = field(default_factory=list)
    pay_results: dict[str, LightningPayResult] = field(default_factory=dict)  # bolt11 -> what lnpay answers
    emit: Callable[[ChainEvent], None] | None = None  # the chain's event stream (the engine listens there)
    passwords: list[str | None] = field(default_factory=list)

    # -- LightningNodePort -----------------------------------------------------------------------
    def lightning_wallet(self) -> str | None:
        return self.running

    async def enable_lightning(self, wallet_id: str, *, password: str | None) -> LightningNodeInfo:
        if password is None:
            raise LightningError("Lightning needs a hot wallet.", code="lightning_needs_p2wpkh_hot")
        self.passwords.append(password)
        self.running = wallet_id
        return await self.lightning_info(wallet_id)

    async def lightning_info(self, wallet_id: str) -> LightningNodeInfo:
        self._check(wallet_id)
        return LightningNodeInfo(wallet_id=wallet_id, node_id=NODE_ID, listen="127.0.0.1:9735", gossip=False,
                                 incoming_allowed=True, can_receive_sat=self.can_receive_sat,
                                 can_send_sat=self.can_send_sat, channels=tuple(self.channels), peers=1)

    async def add_lightning_invoice(self, wallet_id: str, amount_sat: int, *, message: str,
                                    expires_at: datetime) -> LightningInvoice:
        self._check(wallet_id)
        preimage = secrets.token_hex(32)
        payment_hash = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        bolt11 = f"lnbcrt{amount_sat * 10}n1p" + "".join(secrets.choice(_BECH32) for _ in range(180))
        invoice = LightningInvoice(bolt11=bolt11, payment_hash=payment_hash, expires_at=expires_at)
        self.issued[payment_hash] = Issued(invoice, amount_sat, preimage)
        return invoice

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

    async def open_channel(self, wallet_id: str, connect: str, amount_sat: int, *, push_sat: int = 0,
                           password: str | None) -> ChannelView:
        self._check(wallet_id)
        if connect.startswith(PEER_ID.replace("cd", "ee")):
            raise LightningError("The peer did not answer.", code="peer_unreachable")
        funding = secrets.token_hex(32)
        channel = ChannelView(channel_id=electrum_channel_id(funding, 0), short_id=None, peer_id=connect.partition("@")[0],
                              state="OPENING", initiator="local", capacity_sat=amount_sat,
                              local_sat=amount_sat - push_sat, remote_sat=push_sat, can_send_sat=0, can_receive_sat=0,
                              funding_txid=funding, closing_txid=None)
        self.channels.append(channel)
        return channel

    async def close_channel(self, wallet_id: str, channel_id: str, *, force: bool) -> str:
        self._check(wallet_id)
        for n, channel in enumerate(self.channels):
            if channel.channel_id == channel_id:
                txid = secrets.token_hex(32)
                self.channels[n] = replace(channel, state="FORCE_CLOSING" if force else "CLOSING", closing_txid=txid)
                return txid
        raise LightningError("No such channel.", code="channel_not_found")

    async def lnpay(self, wallet_id: str, bolt11: str, *, password: str | None,
                    timeout_s: float = 60) -> LightningPayResult:
        self._check(wallet_id)
        if bolt11 in self.pay_results:
            return self.pay_results[bolt11]
        raise LightningError("No route to the payee.", code="payment_failed")

    async def channel_backup(self, wallet_id: str, channel_id: str) -> str:
        return f"channel_backup:{channel_id}"

    # -- the shopper's side ----------------------------------------------------------------------
    def pay(self, payment_hash: str, *, amount_sat: int | None = None) -> LightningPaid:
        """A shopper pays the BOLT11: the node settles it and tells the engine (as the chain watcher does)."""
        issued = self.issued[payment_hash]
        if issued.withdrawn:
            raise AssertionError("the node refuses a withdrawn BOLT11")
        paid = LightningPaid(wallet_id=self.running or "", payment_hash=payment_hash,
                             amount_msat=(amount_sat or issued.amount_sat) * 1000, preimage=issued.preimage,
                             settled_at=datetime.now(UTC))
        issued.paid = paid
        if self.emit is not None:
            self.emit(paid)
        return paid

    def open(self, channel: ChannelView) -> None:
        self.channels.append(channel)

    def _check(self, wallet_id: str) -> None:
        if self.running != wallet_id:
            raise LightningError("Lightning is off.", code="lightning_off")


def electrum_channel_id(funding_txid: str, index: int) -> str:
    """Electrum's channel id: the funding txid's bytes reversed, XOR the output index."""
    return (int.from_bytes(bytes.fromhex(funding_txid)[::-1], "big") ^ index).to_bytes(32, "big").hex()


OPEN_CHANNEL_ID = electrum_channel_id("22" * 32, 1)


def open_channel_view(**kw: object) -> ChannelView:
    """An OPEN channel a peer opened to us (funding 22..22:1), 990,000 sat receivable."""
    base = dict(channel_id=OPEN_CHANNEL_ID, short_id="201x1x0", peer_id=PEER_ID, state="OPEN", initiator="remote",
                capacity_sat=1_000_000, local_sat=0, remote_sat=1_000_000, can_send_sat=0, can_receive_sat=990_000,
                funding_txid="22" * 32, closing_txid=None)
    base.update(kw)
    return ChannelView(**base)  # type: ignore[arg-type]
