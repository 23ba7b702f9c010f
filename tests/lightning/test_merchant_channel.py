"""The shop's channels through the app's faces (REST): a cooperative close pays the shop's side to its
wallet; the shop opens a channel to the shopper with a push (the shopper's side = the shop's inbound)
and is paid through it; a force close sweeps the shop's side to its wallet after the CSV delay
(144 blocks, the shopper's ``lightning_to_self_delay``), mined through.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.lightning.conftest import Shop, in_thread, mine_until_usable, shopper_open_states, wait_async

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
PAID_BEFORE_CLOSE_SAT = 200_000
PUSHED_CHANNEL_SAT, PUSH_SAT = 2_000_000, 600_000
PAID_THROUGH_PUSH_SAT = 300_000


async def confirmed_balance(shop: Shop) -> int:
    confirmed, _unconfirmed = await shop.runtime.chain.wallet_balance(shop.wallet_id)
    return int(confirmed)


async def rest_channels(shop: Shop) -> list[dict[str, Any]]:
    channels: list[dict[str, Any]] = (await shop.call("GET", "/lightning"))["channels"]
    return channels


async def channel_state(shop: Shop, channel_id: str) -> str:
    return next(c["state"] for c in await rest_channels(shop) if c["channel_id"] == channel_id)


async def pay_invoice(shop: Shop, sat: int) -> dict[str, Any]:
    invoice = await shop.new_invoice(sat)
    assert invoice["bolt11"], f"no BOLT11 for {sat} sat: can receive {(await shop.node_info()).can_receive_sat}"
    paid = await in_thread(shop.shopper.lnpay_rpc, invoice["bolt11"])
    assert paid["success"] is True, paid.get("log")

    async def complete() -> dict[str, Any] | None:
        now = await shop.invoice(invoice["id"])
        return now if now["status"] == "complete" else None

    done: dict[str, Any] = await wait_async(complete, timeout_s=20, what="invoice complete")
    assert [p["method"] for p in done["payments"]] == ["lightning"]
    return done


def sweep_in_mempool(shop: Shop, closing_txid: str) -> str | None:
    """A devnet mempool transaction spending the closing transaction."""
    wanted = {closing_txid, bytes.fromhex(closing_txid)[::-1].hex()}
    for entry in list(shop.devnet.ledger.mempool.entries.values()):
        if any(txin.txid.hex() in wanted for txin in entry.tx.tx.vin):
            return str(entry.txid)
    return None


async def test_cooperative_close_pays_the_shops_side_to_its_wallet(shop: Shop) -> None:
    await pay_invoice(shop, PAID_BEFORE_CLOSE_SAT)
    [theirs] = [c for c in await rest_channels(shop) if c["state"] == "OPEN"]
    assert theirs["initiator"] == "remote" and theirs["local_sat"] == PAID_BEFORE_CLOSE_SAT
    before = await confirmed_balance(shop)
    closed = await shop.call("POST", f"/lightning/channels/{theirs['channel_id']}/close", json={"force": False})
    assert shop.devnet.transaction(closed["closing_txid"]).txid == closed["closing_txid"]
    await shop.devnet.mine(1)
    await wait_async(lambda: _state_in(shop, theirs["channel_id"], {"CLOSED", "REDEEMED"}), timeout_s=30,
                     what="cooperative close mined")
    gained = await wait_async(lambda: _gain(shop, before), timeout_s=30, what="the shop's side in its wallet")
    # the funder (the shopper) pays the closing fee: the shop gets its whole side
    assert PAID_BEFORE_CLOSE_SAT - 5_000 <= gained <= PAID_BEFORE_CLOSE_SAT, gained
    print(f"\ncooperative close: +{gained} sat confirmed in the shop's wallet")


async def test_the_shop_opens_a_channel_with_a_push_and_is_paid_through_it(shop: Shop) -> None:
    assert (await shop.node_info()).can_receive_sat == 0  # the shopper's channel is closed
    shopper_connect = await in_thread(shop.shopper.connect_string)
    refused = await shop.call("POST", "/lightning/channels", ok=False,
                              json={"connect": shopper_connect, "amount_sat": 16_777_216, "push_sat": 0})
    # the REST schema refuses it first (docs/lightning.md's table says amount_too_large: that is the node's code)
    assert refused["error"]["code"] in {"invalid_value", "invalid_amount_sat", "amount_too_large"}, refused
    assert refused["error"].get("field") == "amount_sat", refused
    opened = await shop.call("POST", "/lightning/channels", json={"connect": shopper_connect,
                                                                  "amount_sat": PUSHED_CHANNEL_SAT, "push_sat": PUSH_SAT})
    assert (opened["initiator"], opened["capacity_sat"]) == ("local", PUSHED_CHANNEL_SAT)
    assert shop.devnet.transaction(opened["funding_txid"]).txid == opened["funding_txid"]
    shop.notes["pushed"] = opened["channel_id"]
    blocks, seconds = await mine_until_usable(shop, shop.shopper, 1)
    print(f"\nchannel (shop -> shopper, push {PUSH_SAT}) usable after {blocks} blocks, {seconds:.2f} s")
    info = await shop.node_info()
    # inbound = the shopper's side = the push, less the channel reserve the shop keeps the peer to
    assert PUSH_SAT * 0.9 <= info.can_receive_sat <= PUSH_SAT, info.can_receive_sat
    done = await pay_invoice(shop, PAID_THROUGH_PUSH_SAT)
    assert done["amount_paid_sat"] == PAID_THROUGH_PUSH_SAT
    [channel] = [c for c in await rest_channels(shop) if c["channel_id"] == opened["channel_id"]]
    assert channel["remote_sat"] == PUSH_SAT - PAID_THROUGH_PUSH_SAT
    assert "OPEN" in await shopper_open_states(shop.shopper)


async def test_force_close_sweeps_to_the_wallet_after_the_csv_delay(shop: Shop) -> None:
    channel_id = shop.notes.get("pushed")
    assert channel_id, "needs the channel of the previous test"
    [channel] = [c for c in await rest_channels(shop) if c["channel_id"] == channel_id]
    ours = channel["local_sat"]
    before = await confirmed_balance(shop)
    closed = await shop.call("POST", f"/lightning/channels/{channel_id}/close", json={"force": True})
    forced = closed["closing_txid"]
    await shop.devnet.mine(1)
    await wait_async(lambda: _state_in(shop, channel_id, {"FORCE_CLOSING", "CLOSED", "REDEEMED"}), timeout_s=30,
                     what="force close mined")
    await shop.devnet.mine(142)  # the to_local output is spendable in block closing+144 (CSV 144), not before
    await wait_async(lambda: _tip_seen(shop), timeout_s=30, what="the shop at the devnet's tip")
    assert sweep_in_mempool(shop, forced) is None, "to_local swept before its CSV delay"
    assert await confirmed_balance(shop) == before  # nothing back yet
    await shop.devnet.mine(2)
    swept = await wait_async(lambda: sweep_in_mempool(shop, forced), timeout_s=60, what="to_local sweep broadcast")
    await shop.devnet.mine(1)
    gained = await wait_async(lambda: _gain(shop, before), timeout_s=60, what="the sweep confirmed in the wallet")
    # our side less the commitment fee (we funded it) and the sweep's fee (~54,000 sat at the devnet's fee rate)
    assert ours * 0.9 <= gained < ours, (ours, gained)
    print(f"\nforce close {forced[:12]}…, sweep {swept[:12]}… after 144 blocks: +{gained} of {ours} sat")


async def _state_in(shop: Shop, channel_id: str, states: set[str]) -> bool:
    return await channel_state(shop, channel_id) in states


async def _gain(shop: Shop, before: int) -> int:
    return max(0, await confirmed_balance(shop) - before)


async def _tip_seen(shop: Shop) -> bool:
    return bool(shop.runtime.chain.state().tip_height == shop.devnet.tip_height)
