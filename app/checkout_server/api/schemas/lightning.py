"""The Lightning node: status, channels, turning it on and off, opening and closing channels."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.chain.models import ChannelView
from app.checkout_server.api.schemas.common import Id, RequestModel, ResponseModel, SatAmount
from app.core.lightning import MAX_CHANNEL_SAT
from app.services.lightning.service import MAX_CONNECT_CHARS, MIN_CHANNEL_SAT, LightningStatus


class ChannelOut(ResponseModel):
    channel_id: str = Field(description="Electrum's channel id (hex): name it to close the channel.")
    short_id: str | None = Field(description="`block x tx x output` once the funding transaction is mined.")
    peer_id: str = Field(description="The remote node's id (hex public key).")
    state: str = Field(description="PREOPENING, OPENING, FUNDED, OPEN, SHUTDOWN, CLOSING, FORCE_CLOSING, "
                                   "REDEEMED or CLOSED (Electrum's channel states). Usable when OPEN.")
    initiator: Literal["local", "remote"] = Field(description="Who opened it: this node or the peer.")
    capacity_sat: SatAmount
    local_sat: SatAmount = Field(description="This node's balance in the channel.")
    remote_sat: SatAmount = Field(description="The peer's balance in the channel.")
    can_send_sat: SatAmount
    can_receive_sat: SatAmount = Field(description="Inbound liquidity: what shoppers can pay through it now.")
    funding_txid: str
    closing_txid: str | None

    @classmethod
    def of(cls, channel: ChannelView) -> ChannelOut:
        return cls(channel_id=channel.channel_id, short_id=channel.short_id, peer_id=channel.peer_id,
                   state=channel.state, initiator=channel.initiator, capacity_sat=channel.capacity_sat,
                   local_sat=channel.local_sat, remote_sat=channel.remote_sat, can_send_sat=channel.can_send_sat,
                   can_receive_sat=channel.can_receive_sat, funding_txid=channel.funding_txid,
                   closing_txid=channel.closing_txid)


class LightningOut(ResponseModel):
    wallet_id: str | None = Field(description="The wallet the node runs on (hot, p2wpkh), or null: Lightning is off.")
    running: bool
    node_id: str | None = Field(description="The node's public key (hex) while it runs; peers connect to "
                                            "`node_id@listen`.")
    listen: str | None = Field(description="host:port the node accepts peers on, or null (setting "
                                           "`lightning_listen`).")
    gossip: bool = Field(description="Routing by gossip (false: trampoline and direct peers).")
    incoming_allowed: bool = Field(description="Peers may open channels to this node.")
    can_receive_sat: SatAmount = Field(description="You can receive up to this now (all open channels): an "
                                                   "invoice gets a BOLT11 only when its amount fits.")
    can_send_sat: SatAmount
    peers: int = Field(description="Peers connected now.")
    channels: list[ChannelOut]
    problem: str | None = Field(description="Why the node is not running, in a sentence (null while it runs "
                                            "or when Lightning is off).")

    @classmethod
    def of(cls, status: LightningStatus, *, gossip: bool, incoming_allowed: bool) -> LightningOut:
        """``gossip``/``incoming_allowed``: the settings, shown while the node does not run."""
        info = status.info
        if info is None:
            return cls(wallet_id=status.wallet_id, running=False, node_id=None, listen=None, gossip=gossip,
                       incoming_allowed=incoming_allowed, can_receive_sat=0, can_send_sat=0, peers=0, channels=[],
                       problem=status.problem)
        return cls(wallet_id=status.wallet_id, running=True, node_id=info.node_id, listen=info.listen,
                   gossip=info.gossip, incoming_allowed=info.incoming_allowed, can_receive_sat=info.can_receive_sat,
                   can_send_sat=info.can_send_sat, peers=info.peers,
                   channels=[ChannelOut.of(c) for c in info.channels], problem=status.problem)


class LightningSwitchIn(RequestModel):
    wallet_id: Id | None = Field(default=None, description="Turn the node on on this wallet (hot, p2wpkh).")
    enabled: bool = Field(default=True, description="`false` turns Lightning off (refused while channels are "
                                                    "open: 409 `channels_open`).")


class ChannelIn(RequestModel):
    connect: str = Field(min_length=1, max_length=MAX_CONNECT_CHARS,
                         description="The peer as `nodeid@host:port` (a 66-character hex node id).")
    amount_sat: int = Field(ge=MIN_CHANNEL_SAT, le=MAX_CHANNEL_SAT, description=(
        f"Funding from the node's wallet: {MIN_CHANNEL_SAT:,} to {MAX_CHANNEL_SAT:,} sat (no wumbo channels)."))
    push_sat: int = Field(default=0, ge=0, le=MAX_CHANNEL_SAT, description=(
        "Given to the peer at opening (less than `amount_sat`); gives the channel inbound liquidity at once."))


class CloseIn(RequestModel):
    force: bool = Field(default=False, description=(
        "Force close: broadcast the latest commitment without the peer. The money returns after the "
        "channel's timelock (e.g. 144 blocks); use it only when the peer is gone."))


class ClosedOut(ResponseModel):
    closing_txid: str = Field(description="The closing transaction, broadcast.")
