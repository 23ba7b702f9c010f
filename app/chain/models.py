"""Plain dataclasses app/chain hands to the rest of RedWaves. No Electrum object ever leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from app.core.payments import ObservedOutput


@dataclass(frozen=True)
class ChainSettings:
    """How to reach the chain.

    ``server``: ``"host:port:t"`` (TCP) or ``"host:port:s"`` (TLS); None lets Electrum pick.
    ``oneserver``: talk to ``server`` only (no peer discovery, no auto-switch).
    ``proxy``: ``"socks5:host:port"`` (Tor: ``"socks5:127.0.0.1:9050"``) or None.
    ``network_timeout_s``: per-request timeout; None -> 30 s (45 s behind a proxy). Electrum's
    own default for ``oneserver`` is 600 s, far too long to notice a dead server.
    """

    network: str
    datadir: Path
    server: str | None = None
    oneserver: bool = False
    proxy: str | None = None
    gap_limit: int = 20
    network_timeout_s: float | None = None
    lightning_listen: str = ""  # host:port the Lightning node accepts peers on; "" = do not listen
    lightning_gossip: bool = False  # False: trampoline routing and direct peers, no gossip download
    lightning_allow_incoming: bool = True  # Electrum's use_recoverable_channels off, so peers may open channels


@dataclass(frozen=True)
class ChainState:
    connected: bool
    server: str | None
    tip_height: int | None  # our header chain's tip; None before any header is known
    synced: bool  # connected, and every open wallet caught up (histories, txs, proofs) since the last
    #               (re)connect or open_wallet; per-address freshness is AddressView.complete
    pending_requests: int  # wallet sync requests sent but not answered yet
    error: str | None  # last adapter-level failure, for the status bar; None when healthy


@dataclass(frozen=True)
class AddressView:
    """What the server currently reports for one watched address.

    ``outputs``: outputs of the transactions in the SERVER's current history for the address that
    pay it. ``height`` > 0 only once the merkle proof was checked against our headers (SPV);
    a mined but not yet verified transaction is reported with height 0, like a mempool one.
    ``complete``: the address is subscribed on the current server, its history is fetched and
    every transaction in it is present locally; only then is the view safe to reconcile.
    """

    address: str
    complete: bool
    outputs: tuple[ObservedOutput, ...]


@dataclass(frozen=True)
class TxFee:
    """A transaction's fee (inputs minus outputs) and virtual size (weight / 4, rounded up)."""

    fee_sat: int
    vsize: int


@dataclass(frozen=True)
class AddressesChanged:
    """The view of these watched addresses changed (new, replaced, confirmed, reorged...).

    ``views``: the complete view of each address in ``addresses``, as the tracker computed it to
    decide the change, and ``tip_height`` our header tip at that same moment (one pass on
    Electrum's thread). Empty / None when the sender has no views (then ask ``address_views``).
    """

    addresses: frozenset[str]
    wallet_id: str
    views: tuple[AddressView, ...] = ()
    tip_height: int | None = None


@dataclass(frozen=True)
class TipChanged:
    height: int


@dataclass(frozen=True)
class ConnectionChanged:
    state: ChainState


@dataclass(frozen=True)
class LightningPaid:
    """Electrum fulfilled the HTLC(s) of a payment hash RedWaves issued (app/chain/lightning.py)."""

    wallet_id: str
    payment_hash: str  # hex
    amount_msat: int  # received: the sum of the HTLCs
    preimage: str  # hex
    settled_at: datetime  # UTC, taken on Electrum's thread when it decided to fulfil


@dataclass(frozen=True)
class ChannelView:
    channel_id: str  # hex (Electrum's channel_id)
    short_id: str | None  # "123x1x0" once mined
    peer_id: str  # remote node id, hex
    state: str  # Electrum's ChannelState name: PREOPENING, OPENING, FUNDED, OPEN, SHUTDOWN, CLOSING, ...
    initiator: Literal["local", "remote"]
    capacity_sat: int
    local_sat: int  # our balance
    remote_sat: int
    can_send_sat: int
    can_receive_sat: int
    funding_txid: str
    closing_txid: str | None


@dataclass(frozen=True)
class LightningNodeInfo:
    wallet_id: str
    node_id: str  # hex pubkey
    listen: str | None  # host:port bound, or None
    gossip: bool
    incoming_allowed: bool
    can_receive_sat: int  # inbound liquidity now (all OPEN channels)
    can_send_sat: int
    channels: tuple[ChannelView, ...]
    peers: int


@dataclass(frozen=True)
class LightningInvoice:
    bolt11: str
    payment_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class LightningPayResult:
    payment_hash: str
    preimage: str | None
    success: bool
    error: str | None


ChainEvent = AddressesChanged | TipChanged | ConnectionChanged | LightningPaid
