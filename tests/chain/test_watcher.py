"""ChainWatcher against the devnet over TCP: real Electrum 4.3.4 code, its own loop thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from app.chain.keys import WalletDescriptor, derive_address, parse_wallet_keys
from app.chain.watcher import (
    AddressesChanged,
    AddressView,
    ChainEvent,
    ChainSettings,
    ChainWatcher,
    ConnectionChanged,
    TipChanged,
)

from .conftest import non_daemon_threads, receive_addresses, wait_until, xpub_for

pytestmark = pytest.mark.slow
WALLET = "shop"


class Recorder:
    """Subscriber: records events and the thread each was delivered on."""

    def __init__(self) -> None:
        self.events: list[ChainEvent] = []
        self.threads: set[int] = set()

    def __call__(self, event: ChainEvent) -> None:
        self.events.append(event)
        self.threads.add(threading.get_ident())

    def changed(self, address: str) -> int:
        return sum(1 for e in self.events if isinstance(e, AddressesChanged) and address in e.addresses)

    def connections(self) -> list[bool]:
        return [e.state.connected for e in self.events if isinstance(e, ConnectionChanged)]

    def tips(self) -> list[int]:
        return [e.height for e in self.events if isinstance(e, TipChanged)]


def watch_only_desc(seed_byte: int = 7) -> WalletDescriptor:
    vpub = xpub_for(bytes([seed_byte]) * 32, "m/84'/1'/0'", "p2wpkh")
    return parse_wallet_keys(vpub, "regtest")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def make_watcher(chain_datadir: Path) -> AsyncIterator[Callable[..., tuple[ChainWatcher, Recorder]]]:
    made: list[ChainWatcher] = []

    def make(server: str | None, **settings: Any) -> tuple[ChainWatcher, Recorder]:
        recorder = Recorder()
        watcher = ChainWatcher(ChainSettings(network="regtest", datadir=chain_datadir, server=server,
                                             oneserver=True, **settings))
        watcher.subscribe(recorder)
        made.append(watcher)
        return watcher, recorder

    try:
        yield make
    finally:
        for watcher in made:
            await watcher.stop()


async def connected_watcher(make: Callable[..., tuple[ChainWatcher, Recorder]], devnet: Any, *,
                            up_to_index: int = 5, **settings: Any) -> tuple[ChainWatcher, Recorder, WalletDescriptor]:
    watcher, recorder = make(devnet.server_string, **settings)
    await watcher.start()
    desc = watch_only_desc()
    await watcher.open_wallet(WALLET, desc)
    await watcher.watch(WALLET, receive_addresses(desc, up_to_index))
    await wait_until(lambda: watcher.state().synced and watcher.state().tip_height == devnet.tip_height,
                     what=f"watcher connected and synced ({watcher.state()}, devnet tip {devnet.tip_height})")
    return watcher, recorder, desc


def view(watcher: ChainWatcher, address: str) -> AddressView:
    return watcher.address_view(WALLET, address)


def txids(v: AddressView) -> dict[str, int]:
    return {o.txid: o.height for o in v.outputs}


async def test_start_offline_is_a_normal_state_and_stop_is_clean(make_watcher: Any) -> None:
    watcher, recorder = make_watcher(f"127.0.0.1:{free_port()}:t")
    await watcher.start()
    await watcher.open_wallet(WALLET, watch_only_desc())
    await watcher.watch(WALLET, receive_addresses(watch_only_desc(), 3))
    await asyncio.sleep(0.3)
    state = watcher.state()
    assert not state.connected and not state.synced and state.error is None
    assert not view(watcher, derive_address(watch_only_desc(), 0)).complete  # never synced
    t0 = time.monotonic()
    await watcher.stop()
    assert time.monotonic() - t0 < 5
    await watcher.stop()  # idempotent
    assert non_daemon_threads() == []
    assert recorder.changed(derive_address(watch_only_desc(), 0)) == 0


async def test_payment_confirmation_and_reorg(make_watcher: Any, devnet: Any) -> None:
    watcher, recorder, desc = await connected_watcher(make_watcher, devnet)
    assert watcher.state().server == devnet.server_string
    assert recorder.connections()[-1] is True
    address = derive_address(desc, 3)
    before = recorder.changed(address)
    connection_events = len(recorder.connections())

    txid = await devnet.pay(address, 50_000)
    await wait_until(lambda: recorder.changed(address) > before, what="AddressesChanged for the payment")
    assert recorder.threads == {threading.get_ident()}  # delivered on our loop, never Electrum's thread
    v = view(watcher, address)
    assert v.complete
    [out] = v.outputs
    assert (out.txid, out.amount_sat, out.height, out.rbf) == (txid, 50_000, 0, True)
    assert devnet.transaction(txid).outputs[out.vout].value_sat == 50_000

    [_block] = await devnet.mine(1)
    mined_height = devnet.tip_height
    await wait_until(lambda: txids(view(watcher, address)).get(txid) == mined_height, what="SPV-verified height")
    assert mined_height in recorder.tips()
    assert watcher.state().tip_height == mined_height
    [batch] = await watcher.address_views(WALLET, [address])
    assert batch == view(watcher, address)
    # No disconnect per payment. (Rarely "synced" still drops once here, right after the wallet's first
    # addresses finish syncing: that costs the engine one extra sweep, not correctness.)
    assert all(recorder.connections()[connection_events:])
    assert len(recorder.connections()) <= connection_events + 1

    # 2-block reorg, tx re-mined in the first new block: its height follows the new chain
    await devnet.reorg(2)
    await wait_until(lambda: txids(view(watcher, address)).get(txid) == mined_height - 1,
                     what="height after reorg")
    await wait_until(lambda: watcher.state().tip_height == devnet.tip_height, what="tip after reorg")

    # reorg that drops it: gone from the server's history, so gone from the view
    await devnet.reorg(devnet.tip_height - (mined_height - 1) + 1, include=[])
    await wait_until(lambda: txid not in txids(view(watcher, address)), what="tx reorged out")


async def test_rbf_redirect_removes_the_output(make_watcher: Any, devnet: Any) -> None:
    watcher, recorder, desc = await connected_watcher(make_watcher, devnet)
    address, elsewhere = derive_address(desc, 2), derive_address(watch_only_desc(9), 0)
    before = recorder.changed(address)
    txid = await devnet.pay(address, 70_000)
    await wait_until(lambda: txid in txids(view(watcher, address)), what="payment seen")
    # the payment's own event first: under load it can follow the direct read, and a redirect that comes
    # before it was ever emitted has nothing to undo (the view never left the last emitted state)
    await wait_until(lambda: recorder.changed(address) > before, what="AddressesChanged for the payment")
    seen = recorder.changed(address)
    new_txid = await devnet.replace(txid, outputs=[(elsewhere, 69_000)])
    await wait_until(lambda: view(watcher, address).complete and not view(watcher, address).outputs,
                     what="redirected payment gone")
    await wait_until(lambda: recorder.changed(address) > seen, what="AddressesChanged for the redirect")
    assert new_txid != txid


async def test_fee_bump_keeps_the_output_under_a_new_txid(make_watcher: Any, devnet: Any) -> None:
    watcher, _recorder, desc = await connected_watcher(make_watcher, devnet)
    address = derive_address(desc, 1)
    txid = await devnet.pay(address, 80_000)
    await wait_until(lambda: txid in txids(view(watcher, address)), what="payment seen")
    bumped = await devnet.replace(txid, fee=5_000)
    await wait_until(lambda: set(txids(view(watcher, address))) == {bumped}, what="bumped tx replaces old")
    [out] = view(watcher, address).outputs
    assert out.amount_sat == 80_000 and out.rbf


async def test_double_spend_removes_the_output(make_watcher: Any, devnet: Any) -> None:
    watcher, _recorder, desc = await connected_watcher(make_watcher, devnet)
    address = derive_address(desc, 4)
    txid = await devnet.pay(address, 90_000, rbf=False)
    await wait_until(lambda: txid in txids(view(watcher, address)), what="payment seen")
    assert view(watcher, address).outputs[0].rbf is False
    await devnet.double_spend(txid, derive_address(watch_only_desc(9), 1))
    await wait_until(lambda: view(watcher, address).complete and not view(watcher, address).outputs,
                     what="double-spent payment gone")


async def test_outputs_to_several_watched_addresses_in_one_event(make_watcher: Any, devnet: Any) -> None:
    watcher, recorder, desc = await connected_watcher(make_watcher, devnet)
    a, b = derive_address(desc, 0), derive_address(desc, 5)
    txid = await devnet.pay(a, 10_000)
    await wait_until(lambda: txid in txids(view(watcher, a)), what="first payment")
    both = await devnet.replace(txid, outputs=[(a, 9_000), (b, 1_000)])
    await wait_until(lambda: any(isinstance(e, AddressesChanged) and {a, b} <= e.addresses
                                 for e in recorder.events), what="one event naming both addresses")
    assert set(txids(view(watcher, b))) == {both}


async def test_server_outage_and_reconnect(make_watcher: Any, devnet: Any) -> None:
    watcher, recorder, desc = await connected_watcher(make_watcher, devnet)
    await devnet.stop_server()
    await wait_until(lambda: not watcher.state().connected, what="disconnected")
    await wait_until(lambda: recorder.connections()[-1] is False, what="ConnectionChanged(disconnected)")
    address = derive_address(desc, 0)
    assert view(watcher, address).outputs == ()  # still readable while offline
    txid = await devnet.pay(address, 20_000)  # happens while we are away
    await devnet.start_server()
    await wait_until(lambda: watcher.state().connected, timeout_s=25, what="reconnected")
    await wait_until(lambda: recorder.connections()[-1] is True, what="ConnectionChanged(connected)")
    await wait_until(lambda: txid in txids(view(watcher, address)), what="missed payment picked up")


async def test_broadcast_fees_and_balance(make_watcher: Any, devnet: Any) -> None:
    watcher, _recorder, desc = await connected_watcher(make_watcher, devnet)
    address = derive_address(desc, 0)
    txid = await devnet.fund(address, 30_000)
    await wait_until(lambda: txids(view(watcher, address)).get(txid, 0) > 0, what="funded and verified")
    assert await watcher.wallet_balance(WALLET) == (30_000, 0)
    estimates = await watcher.fee_estimates()
    assert all(isinstance(k, int) and isinstance(v, int) for k, v in estimates.items())
    # re-broadcasting a known mempool tx returns its txid
    pending = await devnet.pay(derive_address(desc, 1), 1_000)
    assert await watcher.broadcast(devnet.transaction(pending).hex) == pending
    from app.chain.errors import BroadcastFailed

    with pytest.raises(BroadcastFailed):
        await watcher.broadcast("00")


async def test_reopen_keeps_history_and_stop_leaves_no_thread(make_watcher: Any, devnet: Any,
                                                            chain_datadir: Path) -> None:
    watcher, _recorder, desc = await connected_watcher(make_watcher, devnet, up_to_index=30)
    address = derive_address(desc, 30)
    txid = await devnet.fund(address, 40_000)
    await wait_until(lambda: txids(view(watcher, address)).get(txid, 0) > 0, what="verified")
    t0 = time.monotonic()
    await watcher.stop()
    assert time.monotonic() - t0 < 5
    assert non_daemon_threads() == []
    assert (chain_datadir / "regtest" / "wallets" / WALLET).exists()

    again, _rec = make_watcher(f"127.0.0.1:{free_port()}:t")  # offline this time
    await again.start()
    await again.open_wallet(WALLET, desc)
    stored = again.address_view(WALLET, address)
    assert txids(stored).get(txid, 0) > 0 and not stored.complete  # known from the file, not re-synced
    from app.chain.errors import WalletMismatch

    with pytest.raises(WalletMismatch):
        await _open_mismatch(again, chain_datadir)


async def _open_mismatch(watcher: ChainWatcher, datadir: Path) -> None:
    import shutil

    wallets = datadir / "regtest" / "wallets"
    shutil.copy(wallets / WALLET, wallets / "copy")
    await watcher.open_wallet("copy", watch_only_desc(11))


async def test_watch_1000_addresses_is_batch_friendly(make_watcher: Any, devnet: Any) -> None:
    watcher, _recorder, desc = await connected_watcher(make_watcher, devnet)
    t0 = time.monotonic()
    await watcher.watch(WALLET, receive_addresses(desc, 1000))
    elapsed = time.monotonic() - t0
    address = derive_address(desc, 1000)
    await wait_until(lambda: view(watcher, address).complete, what="1,000th address subscribed")
    subscribed = time.monotonic() - t0
    print(f"watch(1000): call {elapsed:.2f} s, last address subscribed after {subscribed:.2f} s")
    assert elapsed < 5
    # the 1,000th can answer before earlier ones: synced once every subscription has answered
    await wait_until(lambda: watcher.state().synced, what="all 1,001 addresses answered")
    txid = await devnet.pay(address, 5_000)
    await wait_until(lambda: txid in txids(view(watcher, address)), what="payment to index 1000")


async def test_hot_wallet_pays_with_its_password(make_watcher: Any, devnet: Any) -> None:
    from app.chain.errors import CannotPay, WrongPassword

    watcher, _recorder = make_watcher(devnet.server_string)
    await watcher.start()
    hot = parse_wallet_keys("abandon " * 11 + "about", "regtest", allow_seed=True)
    await watcher.open_wallet("hot", hot, password="correct horse")
    address = derive_address(hot, 0)
    funding = await devnet.fund(address, 100_000)
    await wait_until(lambda: {o.txid: o.height for o in watcher.address_view("hot", address).outputs}
                     .get(funding, 0) > 0, what="hot wallet funded")
    await wait_until(lambda: watcher.state().synced, what="hot wallet synced")
    merchant_refund = derive_address(watch_only_desc(9), 3)
    with pytest.raises(WrongPassword):
        await watcher.pay_to("hot", [(merchant_refund, 10_000)], fee_rate_sat_vb=2, password="wrong")
    with pytest.raises(CannotPay):
        await watcher.pay_to("hot", [(merchant_refund, 10_000_000)], fee_rate_sat_vb=2, password="correct horse")
    txid = await watcher.pay_to("hot", [(merchant_refund, 10_000)], fee_rate_sat_vb=2, password="correct horse")
    assert any(o.value_sat == 10_000 for o in devnet.transaction(txid).outputs)
    # the file is encrypted: reopening needs the password
    await watcher.stop()
    again, _rec = make_watcher(f"127.0.0.1:{free_port()}:t")
    await again.start()
    with pytest.raises(WrongPassword):
        await again.open_wallet("hot", hot, password="nope")
    await again.open_wallet("hot", hot, password="correct horse")


async def test_multisig_watch_only_wallet(make_watcher: Any, devnet: Any) -> None:
    watcher, recorder = make_watcher(devnet.server_string)
    await watcher.start()
    cosigners = [xpub_for(bytes([s]) * 32, "m/48'/1'/0'/2'", "p2wsh") for s in (21, 22, 23)]
    desc = parse_wallet_keys(cosigners, "regtest", threshold=2)
    await watcher.open_wallet("multi", desc)
    await watcher.watch("multi", receive_addresses(desc, 2))
    address = derive_address(desc, 2)
    txid = await devnet.pay(address, 33_000)
    await wait_until(lambda: txid in {o.txid for o in watcher.address_view("multi", address).outputs},
                     what="multisig payment seen")
    await wait_until(lambda: any(isinstance(e, AddressesChanged) and e.wallet_id == "multi"
                                 and address in e.addresses for e in recorder.events), what="event")
