"""The Lightning node (admin API only): status, turn on/off, open and close channels.

One node per RedWaves, on one hot p2wpkh wallet (docs/lightning.md); the service's refusals
(ValidationError 422, Conflict / LightningError 409) reach the client as `{"error": {code, message}}`.
"""

from __future__ import annotations

from app.checkout_server.api.operations import Call, Operation
from app.checkout_server.api.schemas.lightning import (
    ChannelIn,
    ChannelOut,
    ClosedOut,
    CloseIn,
    LightningOut,
    LightningSwitchIn,
)
from app.core.errors import ValidationError
from app.services.admin.apikeys import Scope
from app.services.lightning.service import LightningStatus


def _out(call: Call, status: LightningStatus) -> LightningOut:
    settings = call.services.settings
    return LightningOut.of(status, gossip=settings.lightning_gossip, incoming_allowed=settings.lightning_allow_incoming)


async def get_lightning(call: Call) -> LightningOut:
    return _out(call, await call.services.lightning.status())


async def switch_lightning(call: Call) -> LightningOut:
    body = call.body_as(LightningSwitchIn)
    lightning = call.services.lightning
    if not body.enabled:
        if body.wallet_id is not None:
            raise ValidationError("Send either 'wallet_id' (turn on) or 'enabled': false (turn off), not both.",
                                  code="invalid_value", field="wallet_id")
        return _out(call, await lightning.disable())
    if body.wallet_id is None:
        raise ValidationError("Field 'wallet_id' is required to turn Lightning on.", code="missing_field",
                              field="wallet_id")
    return _out(call, await lightning.enable(body.wallet_id))


async def open_channel(call: Call) -> ChannelOut:
    body = call.body_as(ChannelIn)
    channel = await call.services.lightning.open_channel(body.connect, body.amount_sat, push_sat=body.push_sat)
    return ChannelOut.of(channel)


async def close_channel(call: Call) -> ClosedOut:
    body = call.body_as(CloseIn)
    txid = await call.services.lightning.close_channel(call.param("channel_id"), force=body.force)
    return ClosedOut(closing_txid=txid)


def operations() -> list[Operation]:
    tag = "lightning"
    read, write = Scope.LIGHTNING_READ, Scope.LIGHTNING_WRITE
    return [
        Operation("GET", "/lightning", get_lightning, "The Lightning node: status, liquidity, channels", tag, read,
                  LightningOut,
                  description="`can_receive_sat` is what shoppers can pay over Lightning now: an invoice of a store "
                              "with `checkout.lightning` gets a BOLT11 only when its amount fits. `problem` says "
                              "why a chosen node is not running."),
        Operation("POST", "/lightning", switch_lightning, "Turn the Lightning node on or off", tag, write,
                  LightningOut, body=LightningSwitchIn,
                  description="`{\"wallet_id\"}` runs the node on that wallet (hot, p2wpkh: 422 "
                              "`lightning_needs_p2wpkh_hot`; one node per RedWaves: 409 `lightning_on_other_wallet`). "
                              "`{\"enabled\": false}` turns it off (409 `channels_open` while channels are open)."),
        Operation("POST", "/lightning/channels", open_channel, "Open a channel", tag, write, ChannelOut,
                  body=ChannelIn, status=201,
                  description="Funds a channel to `connect` from the node's wallet and broadcasts it; it is usable "
                              "(state OPEN) after 3 blocks. 409 `lightning_off`, `peer_unreachable`, "
                              "`not_enough_funds`; 422 `invalid_node_uri`, `invalid_amount_sat`, `invalid_push_sat`."),
        Operation("POST", "/lightning/channels/{channel_id}/close", close_channel, "Close a channel", tag, write,
                  ClosedOut, body=CloseIn,
                  description="Cooperative close by default (the peer must be online); `force: true` broadcasts "
                              "the latest commitment alone, and the money returns after the channel's timelock. "
                              "409 `channel_not_found`, `peer_unreachable`."),
    ]
