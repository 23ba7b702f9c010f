"""One stand-in Lightning node satisfying app.services.ports.LightningNodePort, for the service, API,
daemon, Greenfield, backup, checkout and window tests: only the node is fake (the services, the engine,
the servers and the pages are RedWaves' own). It issues real-shaped BOLT11 strings and payment hashes
and settles them on request, refusing like the real gate once withdrawn or expired; Electrum's real
node (against Debian's Electrum as the payer) is tested in tests/chain and tests/lightning.

Configure it per test: ``can_receive_sat``/``can_send_sat`` (None = summed over the OPEN channels),
``listen``, ``running`` (the wallet whose node runs), ``fail_next`` (the next open/close raises it),
``pay_results`` (what lnpay answers per BOLT11), ``deliver`` (the chain's subscribers: where a settled
payment goes). It records ``enabled``, ``passwords``, ``opened``, ``closed``, ``withdrawn``, ``paid_out``.

`mypy tests/fake_lightning.py` proves it satisfies LightningNodePort, like the real ChainWatcher.
"""

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
from app.services.ports import LightningNodePort

NODE_ID = "02" + "ab" * 32
PEER_ID = "03" + "cd" * 32
PEER_URI = f"{PEER_ID}@198.51.100.7:9735"
UNREACHABLE_PEER_ID = PEER_ID.replace("cd", "ee")  # open_channel to it fails with peer_unreachable
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BOLT11_BODY = 260  # about the length of a real one


@dataclass
class Issued:
    invoice: LightningInvoice
    amount_sat: int
    preimage: str
    message: str
    withdrawn: bool = False
    paid: LightningPaid | None = None

    @property
    def expires_at(self) -> datetime:
        return self.invoice.expires_at


@dataclass
class FakeLightningNode:
    running: str | None = None  # the wallet whose node runs
    can_receive_sat: int | None = 5_000_000  # None: summed over the OPEN channels
    can_send_sat: int | None = None  # None: summed over the OPEN channels
    listen: str | None = None
    deliver: Callable[[ChainEvent], None] | None = None  # where LightningPaid goes (the chain's subscribers)
    fail_next: LightningError | None = None  # the next open_channel/close_channel raises it
    channels: list[ChannelView] = field(default_factory=list)
    pay_results: dict[str, LightningPayResult] = field(default_factory=dict)  # bolt11 -> what lnpay answers
    issued: dict[str, Issued] = field(default_factory=dict)  # payment hash -> what was issued
    enabled: list[str] = field(default_factory=list)
    passwords: list[str | None] = field(default_factory=list)
    opened: list[tuple[str, str, int, int]] = field(default_factory=list)  # wallet, connect, amount, push
    closed: list[tuple[str, bool]] = field(default_factory=list)  # channel id, force
    withdrawn: list[str] = field(default_factory=list)  # payment hashes
    paid_out: list[str] = field(default_factory=list)  # BOLT11s given to lnpay

    # -- LightningNodePort -----------------------------------------------------------------------
    def lightning_wallet(self) -> str | None:
        return self.running

    async def enable_lightning(self, wallet_id: str, *, password: str | None) -> LightningNodeInfo:
        if password is None:
            raise LightningError("Lightning needs a hot wallet.", code="lightning_needs_p2wpkh_hot")
        self.passwords.append(password)
        self.enabled.append(wallet_id)
        self.running = wallet_id
        return await self.lightning_info(wallet_id)

    def disable_lightning(self, wallet_id: str) -> None:
        if self.running == wallet_id:
            self.running = None

    async def lightning_info(self, wallet_id: str) -> LightningNodeInfo:
        self._check(wallet_id)
        open_ = [c for c in self.channels if c.state == "OPEN"]
        receive = sum(c.can_receive_sat for c in open_) if self.can_receive_sat is None else self.can_receive_sat
        send = sum(c.can_send_sat for c in open_) if self.can_send_sat is None else self.can_send_sat
        return LightningNodeInfo(wallet_id=wallet_id, node_id=NODE_ID, listen=self.listen, gossip=False,
                                 incoming_allowed=True, can_receive_sat=receive, can_send_sat=send,
                                 channels=tuple(self.channels), peers=len({c.peer_id for c in open_}))

    async def add_lightning_invoice(self, wallet_id: str, amount_sat: int, *, message: str,
                                    expires_at: datetime) -> LightningInvoice:
        self._check(wallet_id)
        preimage = secrets.token_hex(32)
        payment_hash = hashlib.sha256(bytes.fromhex(preimage)).hexdigest()
        body = "".join(secrets.choice(_BECH32) for _ in range(_BOLT11_BODY))
        invoice = LightningInvoice(bolt11=f"lnbcrt{amount_sat * 10}n1p{body}", payment_hash=payment_hash,
                                   expires_at=expires_at)
        self.issued[payment_hash] = Issued(invoice, amount_sat, preimage, message)
        return invoice

    async def withdraw_lightning_invoice(self, wallet_id: str, payment_hash: str) -> bool:
        self.withdrawn.append(payment_hash)
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
        self._fail()
        if connect.startswith(UNREACHABLE_PEER_ID):
            raise LightningError("The peer did not answer.", code="peer_unreachable")
        self.opened.append((wallet_id, connect, amount_sat, push_sat))
        funding = secrets.token_hex(32)
        opened = ChannelView(channel_id=electrum_channel_id(funding, 0), short_id=None,
                             peer_id=connect.partition("@")[0], state="OPENING", initiator="local",
                             capacity_sat=amount_sat, local_sat=amount_sat - push_sat, remote_sat=push_sat,
                             can_send_sat=0, can_receive_sat=0, funding_txid=funding, closing_txid=None)
        self.channels.append(opened)
        return opened

    async def close_channel(self, wallet_id: str, channel_id: str, *, force: bool) -> str:
        self._check(wallet_id)
        self._fail()
        for n, old in enumerate(self.channels):
            if old.channel_id == channel_id:
                self.closed.append((channel_id, force))
                txid = hashlib.sha256(f"{channel_id}{force}{len(self.closed)}".encode()).hexdigest()
                self.channels[n] = replace(old, state="FORCE_CLOSING" if force else "CLOSING", closing_txid=txid)
                return txid
        raise LightningError("No such channel.", code="channel_not_found")

    async def lnpay(self, wallet_id: str, bolt11: str, *, password: str | None,
                    timeout_s: float = 60) -> LightningPayResult:
        self._check(wallet_id)
        self.paid_out.append(bolt11)
        if bolt11 in self.pay_results:
            return self.pay_results[bolt11]
        raise LightningError("No route to the payee.", code="payment_failed")

    async def channel_backup(self, wallet_id: str, channel_id: str) -> str:
        return f"channel_backup:{channel_id}"

    # -- the payer's side and the test's hands ---------------------------------------------------
    def settle(self, payment_hash: str, *, amount_sat: int | None = None, deliver: bool = True,
               at: datetime | None = None) -> LightningPaid:
        """The payer paid: the node settles and (``deliver``) tells the chain's subscribers, as the chain
        watcher does; refused like the real gate once withdrawn or expired (LightningError)."""
        issued = self.issued[payment_hash]
        now = at or datetime.now(UTC)
        if issued.withdrawn or now >= issued.expires_at:
            raise LightningError("The node refused the payment.", code="payment_failed")
        if issued.paid is None:
            issued.paid = LightningPaid(wallet_id=self.running or "", payment_hash=payment_hash,
                                        amount_msat=(amount_sat or issued.amount_sat) * 1000,
                                        preimage=issued.preimage, settled_at=now)
        if deliver and self.deliver is not None:
            self.deliver(issued.paid)
        return issued.paid

    def open(self, channel: ChannelView) -> None:
        """A channel that is there already (e.g. a peer opened it to us)."""
        self.channels.append(channel)

    def _fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def _check(self, wallet_id: str) -> None:
        if self.running != wallet_id:
            raise LightningError("Lightning is off.", code="lightning_off")


def electrum_channel_id(funding_txid: str, index: int) -> str:
    """Electrum's channel id: the funding txid's bytes reversed, XOR the output index."""
    return (int.from_bytes(bytes.fromhex(funding_txid)[::-1], "big") ^ index).to_bytes(32, "big").hex()


def channel(n: int, *, state: str = "OPEN", capacity_sat: int = 1_000_000, local_sat: int = 400_000,
            peer_id: str = PEER_ID, initiator: str = "remote") -> ChannelView:
    """Channel number ``n`` (id ``f"{n:064x}"``), 10,000 sat reserve on each side."""
    remote = capacity_sat - local_sat
    return ChannelView(channel_id=f"{n:064x}", short_id=f"{100 + n}x1x0", peer_id=peer_id, state=state,
                       initiator="remote" if initiator == "remote" else "local", capacity_sat=capacity_sat,
                       local_sat=local_sat, remote_sat=remote, can_send_sat=max(0, local_sat - 10_000),
                       can_receive_sat=max(0, remote - 10_000), funding_txid=f"{n:02x}" * 32, closing_txid=None)


OPEN_CHANNEL_ID = electrum_channel_id("22" * 32, 1)


def open_channel_view(**kw: object) -> ChannelView:
    """An OPEN channel a peer opened to us (funding 22..22:1), 990,000 sat receivable; ``kw`` replaces fields."""
    base = replace(channel(101, local_sat=0), channel_id=OPEN_CHANNEL_ID, funding_txid="22" * 32)
    return replace(base, **kw)  # type: ignore[arg-type]


def _conforms(node: FakeLightningNode) -> None:
    """Never called: the fake satisfies the port the real ChainWatcher satisfies."""
    _n: LightningNodePort = node
