"""The shop's Lightning node (app/chain/lightning.py) against a shopper running Debian's Electrum as a
separate process (tests/lightning_shopper.py), over the devnet on 127.0.0.1.

Real components end to end: the merchant is a ChainWatcher with a hot p2wpkh (Electrum segwit seed)
wallet, in-process; channels are funded, mined and closed on the devnet; payments are real HTLCs.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.chain.errors import LightningError
from app.chain.keys import derive_address, parse_wallet_keys
from app.chain.models import ChainEvent, LightningPaid
from app.chain.watcher import ChainSettings, ChainWatcher
from tests.lightning_shopper import ShopperNode, free_port
from tests.polling import poll

from .conftest import receive_addresses, wait_until

PASSWORD = "merchant pass"
WALLET = "shop"


def electrum_segwit_seed() -> str:
    from electrum.mnemonic import Mnemonic

    return str(Mnemonic("en").make_seed(seed_type="segwit"))


@dataclass
class Merchant:
    watcher: ChainWatcher
    settings: ChainSettings
    desc: Any
    listen: str
    events: list[ChainEvent]

    async def restart(self) -> float:
        """Stop the watcher (Electrum saves) and start a new one on the same data directory; seconds taken."""
        started = time.monotonic()
        await self.watcher.stop()
        self.watcher = ChainWatcher(self.settings)
        self.watcher.subscribe(self.events.append)
        await self.watcher.start()
        await self.watcher.open_wallet(WALLET, self.desc, password=PASSWORD)
        await self.watcher.enable_lightning(WALLET, password=PASSWORD)
        return time.monotonic() - started

    def paid_events(self) -> list[LightningPaid]:
        return [e for e in self.events if isinstance(e, LightningPaid)]

    async def channel_states(self) -> list[str]:
        info = await self.watcher.lightning_info(WALLET)
        return [c.state for c in info.channels]

    async def connect_string(self) -> str:
        info = await self.watcher.lightning_info(WALLET)
        return f"{info.node_id}@{self.listen}"


async def wait_async(predicate: Any, timeout_s: float = 30.0, what: str = "condition") -> Any:
    return await poll(predicate, timeout_s=timeout_s, what=what, every_s=0.2)


async def shopper_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture
async def merchant(tmp_path: Path, devnet: Any) -> AsyncIterator[Merchant]:
    listen = f"127.0.0.1:{free_port()}"
    settings = ChainSettings(network="regtest", datadir=tmp_path / "merchant", server=devnet.server_string,
                             oneserver=True, lightning_listen=listen, lightning_allow_incoming=True)
    watcher = ChainWatcher(settings)
    events: list[ChainEvent] = []
    watcher.subscribe(events.append)
    await watcher.start()
    merchant: Merchant | None = None
    try:
        desc = parse_wallet_keys(electrum_segwit_seed(), "regtest", allow_seed=True)
        await watcher.open_wallet(WALLET, desc, password=PASSWORD)
        await watcher.watch(WALLET, receive_addresses(desc, 3))
        await devnet.pay(derive_address(desc, 0), 40_000_000)
        await devnet.mine(1)
        await wait_until(lambda: watcher.address_view(WALLET, derive_address(desc, 0)).outputs
                         and all(o.height > 0 for o in watcher.address_view(WALLET, derive_address(desc, 0)).outputs),
                         what="merchant funded")
        merchant = Merchant(watcher, settings, desc, listen, events)
        yield merchant
    finally:
        await (merchant.watcher if merchant is not None else watcher).stop()


async def funded_shopper(node: ShopperNode, devnet: Any, sat: int) -> ShopperNode:
    await asyncio.to_thread(node.start)
    address = await shopper_call(node.address)
    await devnet.pay(address, sat)
    await devnet.mine(1)
    await wait_async(lambda: shopper_call(lambda: int(float(node.balance().get("confirmed", 0)) * 1e8) >= sat),
                     what="shopper funded")
    return node


@asynccontextmanager
async def running_shopper(data_dir: Path, devnet: Any, sat: int) -> AsyncIterator[ShopperNode]:
    """Debian's Electrum as a payer with ``sat`` confirmed; stopped on exit."""
    node = ShopperNode(data_dir, devnet.server_string)
    try:
        yield await funded_shopper(node, devnet, sat)
    finally:
        await asyncio.to_thread(node.stop)


@pytest.fixture
async def shopper(tmp_path: Path, devnet: Any) -> AsyncIterator[ShopperNode]:
    async with running_shopper(tmp_path / "a", devnet, 40_000_000) as node:
        yield node


@pytest.fixture
async def second_shopper(tmp_path: Path, devnet: Any) -> AsyncIterator[ShopperNode]:
    """A second payer: one that never saw the first one pay (Electrum refuses to pay a hash twice itself)."""
    async with running_shopper(tmp_path / "b", devnet, 5_000_000) as node:
        yield node


async def open_states(shopper: ShopperNode) -> list[str]:
    return [c["state"] for c in await shopper_call(shopper.channels)]


async def mine_until_open(devnet: Any, merchant: Merchant, shopper: ShopperNode, count: int) -> float:
    """Mine 3 blocks and wait until ``count`` channels are OPEN on both sides; seconds waited."""
    started = time.monotonic()
    await devnet.mine(3)

    async def both_open() -> bool:
        mine = (await merchant.channel_states()).count("OPEN") >= count
        theirs = (await open_states(shopper)).count("OPEN") >= 1
        return mine and theirs

    await wait_async(both_open, timeout_s=60, what=f"{count} channel(s) OPEN at the merchant, and the payer's")
    return time.monotonic() - started


def test_settings_reach_electrums_config(tmp_path: Path) -> None:
    from app.chain.runtime import electrum_config
    from app.config import ConfigError, load_settings

    settings = load_settings({}, {"data_dir": tmp_path, "network": "regtest", "lightning_listen": "0.0.0.0:9735",
                                  "lightning_gossip": "true", "lightning_allow_incoming": "false"})
    assert (settings.lightning_listen, settings.lightning_gossip, settings.lightning_allow_incoming) == (
        "0.0.0.0:9735", True, False)
    config = electrum_config(ChainSettings(network="regtest", datadir=tmp_path, lightning_listen="0.0.0.0:9735",
                                           lightning_gossip=True, lightning_allow_incoming=False))
    assert (config.get("lightning_listen"), config.get("use_gossip"), config.get("use_recoverable_channels")) == (
        "0.0.0.0:9735", True, True)
    default = electrum_config(ChainSettings(network="regtest", datadir=tmp_path))
    assert (default.get("lightning_listen"), default.get("use_gossip"), default.get("use_recoverable_channels")) == (
        None, False, False)  # no listening, trampoline, incoming channels allowed
    for bad in ("9735", "host:", "host:99999", "bad host:1"):
        with pytest.raises(ConfigError):
            load_settings({}, {"data_dir": tmp_path, "lightning_listen": bad})
    assert load_settings({}, {"data_dir": tmp_path, "lightning_listen": "[::1]:9735"}).lightning_listen == "[::1]:9735"


async def test_watch_only_wallet_gets_no_node(tmp_path: Path, devnet: Any) -> None:
    from .conftest import xpub_for

    watcher = ChainWatcher(ChainSettings(network="regtest", datadir=tmp_path / "w", server=devnet.server_string,
                                         oneserver=True))
    await watcher.start()
    try:
        await watcher.open_wallet("watch", parse_wallet_keys(xpub_for(bytes([5]) * 32, "m/84'/1'/0'", "p2wpkh"),
                                                             "regtest"))
        with pytest.raises(LightningError) as refused:
            await watcher.enable_lightning("watch", password=None)
        assert refused.value.code == "lightning_needs_p2wpkh_hot" and watcher.lightning_wallet() is None
        hot = parse_wallet_keys(electrum_segwit_seed(), "regtest", allow_seed=True)
        await watcher.open_wallet("hot", hot, password=PASSWORD)
        from app.chain.errors import WrongPassword

        with pytest.raises(WrongPassword):
            await watcher.enable_lightning("hot", password="wrong")
        assert watcher.lightning_wallet() is None
    finally:
        await watcher.stop()


@pytest.mark.slow
async def test_lightning_node_against_debian_electrum(merchant: Merchant, shopper: ShopperNode,
                                                      second_shopper: ShopperNode, devnet: Any) -> None:
    watcher = merchant.watcher
    with pytest.raises(LightningError) as off:
        await watcher.lightning_info(WALLET)
    assert off.value.code == "lightning_off"
    info = await watcher.enable_lightning(WALLET, password=PASSWORD)
    assert watcher.lightning_wallet() == WALLET and len(info.node_id) == 66
    assert info.listen == merchant.listen and info.incoming_allowed and not info.gossip
    again = await watcher.enable_lightning(WALLET, password=PASSWORD)  # idempotent
    assert again.node_id == info.node_id

    # (1) the shopper opens a channel to the merchant and pays a BOLT11 RedWaves issued
    with pytest.raises(LightningError) as no_inbound:
        await watcher.add_lightning_invoice(WALLET, 10_000, message="x", expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert no_inbound.value.code == "not_enough_inbound"
    outpoint = await shopper_call(shopper.open_channel, await merchant.connect_string(), 15_000_000)
    assert devnet.transaction(outpoint.split(":")[0])  # funding in the devnet's mempool
    waited = await mine_until_open(devnet, merchant, shopper, 1)
    print(f"channel usable {waited:.2f} s after 3 blocks")
    invoice = await watcher.add_lightning_invoice(WALLET, 25_000, message="coffee",
                                                  expires_at=datetime.now(UTC) + timedelta(minutes=10))
    assert invoice.bolt11.startswith("lnbcrt")
    started = time.monotonic()
    paid = await shopper_call(shopper.lnpay, invoice.bolt11)
    event = await wait_until(lambda: merchant.paid_events(), what="LightningPaid")
    print(f"lnpay -> LightningPaid {time.monotonic() - started:.2f} s")
    assert paid["success"] is True and paid["payment_hash"] == invoice.payment_hash
    assert [(e.payment_hash, e.amount_msat, e.wallet_id) for e in event] == [(invoice.payment_hash, 25_000_000, WALLET)]
    assert hashlib.sha256(bytes.fromhex(event[0].preimage)).hexdigest() == invoice.payment_hash
    assert paid["preimage"] == event[0].preimage
    assert abs((event[0].settled_at - datetime.now(UTC)).total_seconds()) < 30
    paid_record = node_of(watcher).gate_record(invoice.payment_hash)
    assert paid_record is not None and paid_record[2] is not None and len(paid_record[3]) == 1  # the HTLC that paid

    # (2) the gate: a paid hash paid again, a withdrawn BOLT11 and one past RedWaves' deadline are refused
    assert await watcher.withdraw_lightning_invoice(WALLET, invoice.payment_hash) is False  # already paid
    await shopper_call(second_shopper.open_channel, await merchant.connect_string(), 3_000_000)
    await mine_until_open(devnet, merchant, second_shopper, 2)
    node = node_of(watcher)
    assert node.refused == 0
    twice = await shopper_call(second_shopper.lnpay, invoice.bolt11)
    assert twice["success"] is False  # Electrum 4.3.4 alone would fulfil it again (lnpeer.py maybe_fulfill_htlc)
    assert node.refused >= 1
    deadline = await watcher.add_lightning_invoice(WALLET, 7_000, message="deadline",
                                                   expires_at=datetime.now(UTC) + timedelta(minutes=10))
    assert node.gate_record(deadline.payment_hash)[1:] == [0, None, []]
    refused_before = node.refused
    # RedWaves' deadline passed while the BOLT11 still looks valid to the payer (its clock is behind)
    await watcher._runtime.call(node._issued.__setitem__, deadline.payment_hash, [time.time() - 1, 0, None, []])
    assert (await shopper_call(second_shopper.lnpay, deadline.bolt11))["success"] is False
    assert node.refused > refused_before
    refused_before = node.refused
    withdrawn = await watcher.add_lightning_invoice(WALLET, 5_000, message="w",
                                                    expires_at=datetime.now(UTC) + timedelta(minutes=10))
    assert await watcher.withdraw_lightning_invoice(WALLET, withdrawn.payment_hash) is True
    refused = await shopper_call(shopper.lnpay, withdrawn.bolt11)
    assert refused["success"] is False and node.refused > refused_before
    late = await watcher.add_lightning_invoice(WALLET, 6_000, message="late",
                                               expires_at=datetime.now(UTC) + timedelta(seconds=3))
    await asyncio.sleep(3.2)
    expired = await _pay_expired(shopper, late.bolt11)
    assert expired is False
    assert len(merchant.paid_events()) == 1
    assert await watcher.lightning_paid(WALLET, [withdrawn.payment_hash, late.payment_hash, deadline.payment_hash]) == []

    # (3) the merchant opens a channel to the shopper with a push, and is paid through it too
    pushed = await watcher.open_channel(WALLET, shopper.connect_string(), 2_000_000, push_sat=500_000,
                                        password=PASSWORD)
    assert pushed.initiator == "local" and pushed.capacity_sat == 2_000_000
    await mine_until_open(devnet, merchant, shopper, 3)
    second = await watcher.add_lightning_invoice(WALLET, 30_000, message="cake",
                                                 expires_at=datetime.now(UTC) + timedelta(minutes=10))
    assert (await shopper_call(shopper.lnpay, second.bolt11))["success"] is True
    await wait_until(lambda: len(merchant.paid_events()) == 2, what="second LightningPaid")
    request = await shopper_call(shopper.add_request, 12_000, memo="refund", expiry_s=600)
    started = time.monotonic()
    result = await watcher.lnpay(WALLET, request["lightning_invoice"], password=PASSWORD)
    print(f"merchant lnpay {time.monotonic() - started:.2f} s")
    assert result.success and result.preimage and result.error is None
    with pytest.raises(LightningError) as bad:
        await watcher.lnpay(WALLET, "lnbcrt1notaninvoice", password=PASSWORD)
    assert bad.value.code == "invalid_bolt11"
    with pytest.raises(LightningError) as big:
        await watcher.open_channel(WALLET, shopper.connect_string(), 16_777_216, password=PASSWORD)
    assert big.value.code == "amount_too_large"
    stranger = _random_node_id()
    for connect, code in ((stranger, "invalid_node_uri"), ("nodeid@127.0.0.1:9735", "invalid_node_uri"),
                          (f"{stranger}@127.0.0.1:{free_port()}", "peer_unreachable")):
        started = time.monotonic()
        with pytest.raises(LightningError) as refused_open:
            await watcher.open_channel(WALLET, connect, 100_000, password=PASSWORD)
        assert refused_open.value.code == code, connect
        print(f"open_channel {code}: {time.monotonic() - started:.2f} s")

    # (4) after the fact: which hashes are paid
    found = await watcher.lightning_paid(WALLET, [invoice.payment_hash, second.payment_hash, withdrawn.payment_hash])
    assert sorted((p.payment_hash, p.amount_msat) for p in found) == sorted(
        [(invoice.payment_hash, 25_000_000), (second.payment_hash, 30_000_000)])
    assert all(hashlib.sha256(bytes.fromhex(p.preimage)).hexdigest() == p.payment_hash for p in found)
    backup = await watcher.channel_backup(WALLET, pushed.channel_id)
    assert backup.startswith("channel_backup:")

    # (4b) a restart: channels, what was paid and the gate's record come back from the wallet file
    took = await merchant.restart()
    watcher = merchant.watcher
    print(f"merchant restart {took:.2f} s")
    found = await watcher.lightning_paid(WALLET, [invoice.payment_hash, second.payment_hash, withdrawn.payment_hash])
    assert sorted(p.payment_hash for p in found) == sorted([invoice.payment_hash, second.payment_hash])
    started = time.monotonic()
    await wait_async(lambda: _can_receive(watcher, 9_000), timeout_s=60, what="channels re-established after restart")
    print(f"inbound liquidity back {time.monotonic() - started:.2f} s after the restart")
    third = await watcher.add_lightning_invoice(WALLET, 9_000, message="after restart",
                                                expires_at=datetime.now(UTC) + timedelta(minutes=10))
    third_paid = await wait_async(lambda: _lnpay_until_route(shopper, third.bolt11), timeout_s=30,
                                  what="the shopper's channels back after the merchant's restart")
    assert third_paid["success"] is True
    await wait_until(lambda: len(merchant.paid_events()) == 3, what="LightningPaid after restart")
    assert (await shopper_call(shopper.lnpay, withdrawn.bolt11))["success"] is False  # still withdrawn
    assert node_of(watcher).refused >= 1  # by the gate, restored from the wallet file

    # (5) cooperative close of the shopper's channel, force close of ours; the sweep after the CSV delay
    info = await watcher.lightning_info(WALLET)
    shopper_id = await shopper_call(shopper.node_id)
    theirs = next(c for c in info.channels if c.initiator == "remote" and c.peer_id == shopper_id)
    closing = await watcher.close_channel(WALLET, theirs.channel_id, force=False)
    await devnet.mine(1)
    await wait_async(lambda: _channel_state(watcher, theirs.channel_id, {"CLOSED", "REDEEMED"}), what="coop close mined")
    assert devnet.transaction(closing).txid == closing
    before, _unconfirmed = await watcher.wallet_balance(WALLET)
    forced = await watcher.close_channel(WALLET, pushed.channel_id, force=True)
    await devnet.mine(1)
    await wait_async(lambda: _channel_state(watcher, pushed.channel_id, {"CLOSED", "REDEEMED"}), what="force close mined")
    after_close, _ = await watcher.wallet_balance(WALLET)
    started = time.monotonic()
    await devnet.mine(142)  # the sweep may be mined in block closing+144 (CSV 144): not broadcast before
    await asyncio.sleep(1.0)
    assert await _sweep_in_mempool(devnet, forced) is None
    await devnet.mine(2)
    swept = await wait_async(lambda: _sweep_in_mempool(devnet, forced), timeout_s=60, what="to_local sweep broadcast")
    await devnet.mine(1)
    await wait_async(lambda: _confirmed_above(watcher, after_close), timeout_s=60, what="sweep confirmed in the wallet")
    print(f"144 blocks + sweep: {time.monotonic() - started:.2f} s; sweep {swept}")
    after, _ = await watcher.wallet_balance(WALLET)
    assert after > before


async def _lnpay_until_route(shopper: ShopperNode, bolt11: str) -> dict[str, Any] | None:
    """The shopper's payment, or None while its peer connection is not re-established yet."""
    result: dict[str, Any] = await shopper_call(shopper.lnpay, bolt11)
    if not result["success"]:
        await asyncio.sleep(0.5)
        return None
    return result


def _random_node_id() -> str:
    from electrum.ecc import ECPrivkey

    return str(ECPrivkey.generate_random_key().get_public_key_hex(compressed=True))


def node_of(watcher: ChainWatcher) -> Any:
    node = watcher._tracker.wallets[WALLET].lightning
    assert node is not None
    return node


async def _pay_expired(shopper: ShopperNode, bolt11: str) -> bool:
    from tests.lightning_shopper import ElectrumCallFailed

    try:
        result = await shopper_call(shopper.lnpay, bolt11)
    except ElectrumCallFailed as exc:  # the payer's own check: "This invoice has expired"
        return "expired" not in exc.output
    return bool(result["success"])


async def _channel_state(watcher: ChainWatcher, channel_id: str, states: set[str]) -> bool:
    info = await watcher.lightning_info(WALLET)
    return any(c.channel_id == channel_id and c.state in states for c in info.channels)


async def _sweep_in_mempool(devnet: Any, closing_txid: str) -> str | None:
    """A mempool transaction spending the closing transaction (the devnet's own mempool)."""
    wanted = {closing_txid, bytes.fromhex(closing_txid)[::-1].hex()}
    for entry in list(devnet.ledger.mempool.entries.values()):
        if any(txin.txid.hex() in wanted for txin in entry.tx.tx.vin):
            return str(entry.txid)
    return None


async def _confirmed_above(watcher: ChainWatcher, sat: int) -> bool:
    confirmed, _ = await watcher.wallet_balance(WALLET)
    return confirmed > sat


async def _can_receive(watcher: ChainWatcher, sat: int) -> bool:
    info = await watcher.lightning_info(WALLET)
    return info.can_receive_sat >= sat
