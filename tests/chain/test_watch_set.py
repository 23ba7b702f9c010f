"""The watch set of a watch-only wallet (app/chain/watch_set.py) against the devnet over TCP:
exactly what RedWaves hands ChainWatcher.watch, addresses leave with unwatch, and a reopened wallet
subscribes only what is left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.chain.keys import derive_address
from app.chain.watch_set import electrum_address

from .conftest import receive_addresses, wait_until, xpub_for
from .test_watcher import WALLET, connected_watcher, free_port, make_watcher, txids, view, watch_only_desc

__all__ = ["make_watcher"]  # the fixture, shared with test_watcher.py

pytestmark = pytest.mark.slow


async def test_unwatched_address_leaves_and_is_not_subscribed_after_reopen(make_watcher: Any, devnet: Any,
                                                                          chain_datadir: Path) -> None:
    watcher, recorder, desc = await connected_watcher(make_watcher, devnet, up_to_index=5)
    assert watcher.watched_addresses(WALLET) == set(receive_addresses(desc, 5).values())
    closed, kept = derive_address(desc, 2), derive_address(desc, 4)
    paid = await devnet.fund(closed, 20_000)
    await wait_until(lambda: txids(view(watcher, closed)).get(paid, 0) > 0, what="payment verified")

    await watcher.unwatch(WALLET, [closed])
    assert closed not in watcher.watched_addresses(WALLET) and kept in watcher.watched_addresses(WALLET)
    gone = view(watcher, closed)
    assert not gone.complete and gone.outputs == ()  # "not watched", which the engine never reconciles
    # the server still knows the subscription this session: its news are dropped, not re-added
    before = recorder.changed(closed)
    late = await devnet.pay(closed, 7_000)
    seen = await devnet.pay(kept, 8_000)
    await wait_until(lambda: seen in txids(view(watcher, kept)), what="payment to a watched address")
    await wait_until(lambda: watcher.state().synced, what="synced after the payments")
    assert recorder.changed(closed) == before and late not in txids(view(watcher, closed))

    await watcher.stop()
    saved = json.loads((chain_datadir / "regtest" / "wallets" / WALLET).read_text())
    assert saved["wallet_type"] == "imported" and closed not in saved["addresses"] and kept in saved["addresses"]
    assert closed not in saved.get("addr_history", {})

    again, _rec = make_watcher(devnet.server_string)
    await again.start()
    await again.open_wallet(WALLET, desc)
    assert closed not in again.watched_addresses(WALLET)
    await wait_until(lambda: again.state().synced, what="reopened and synced")
    assert seen in txids(again.address_view(WALLET, kept))


async def test_exclusive_watch_keeps_only_the_given_set(make_watcher: Any, devnet: Any) -> None:
    watcher, _recorder, desc = await connected_watcher(make_watcher, devnet, up_to_index=9)
    wanted = receive_addresses(desc, 12, first=7)
    await watcher.watch(WALLET, wanted, exclusive=True)
    assert watcher.watched_addresses(WALLET) == set(wanted.values())
    await wait_until(lambda: view(watcher, wanted[12]).complete, what="new address subscribed")
    await watcher.watch(WALLET, {}, exclusive=True)
    assert watcher.watched_addresses(WALLET) == frozenset()


async def test_a_derivation_that_differs_from_electrums_is_refused(make_watcher: Any) -> None:
    watcher, _recorder = make_watcher(f"127.0.0.1:{free_port()}:t")
    await watcher.start()
    desc = watch_only_desc()
    await watcher.open_wallet(WALLET, desc)
    other = derive_address(watch_only_desc(8), 3)
    with pytest.raises(RuntimeError, match="derivation differs"):
        await watcher.watch(WALLET, {3: other})
    assert watcher.watched_addresses(WALLET) == frozenset()


def test_electrum_reference_derivation_matches_ours_for_every_watch_only_kind() -> None:
    from app.chain.keys import parse_wallet_keys

    single = watch_only_desc()
    cosigners = [xpub_for(bytes([s]) * 32, "m/48'/1'/0'/2'", "p2wsh") for s in (21, 22, 23)]
    multi = parse_wallet_keys(cosigners, "regtest", threshold=2)
    nested = parse_wallet_keys(xpub_for(bytes([5]) * 32, "m/49'/1'/0'", "p2wpkh-p2sh"), "regtest")
    for desc in (single, multi, nested):
        for index in (0, 1, 977):
            assert electrum_address(desc, index) == derive_address(desc, index)


async def test_hot_wallet_watches_its_whole_receive_chain_and_keeps_it(make_watcher: Any, devnet: Any) -> None:
    from app.chain.keys import parse_wallet_keys

    watcher, _recorder = make_watcher(devnet.server_string)
    await watcher.start()
    hot = parse_wallet_keys("abandon " * 11 + "about", "regtest", allow_seed=True)
    await watcher.open_wallet("hot", hot, password="pw")
    await watcher.watch("hot", {30: derive_address(hot, 30)}, exclusive=True)
    chain = watcher.watched_addresses("hot")
    assert {derive_address(hot, i) for i in range(31)} <= chain  # it spends from any of them
    await watcher.unwatch("hot", [derive_address(hot, 3)])
    assert derive_address(hot, 3) in watcher.watched_addresses("hot")
