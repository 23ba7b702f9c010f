"""Lightning figures (issue 23), one command, ~1.5 min on 2 cores:

    .venv/bin/python bench/bench_lightning.py [--payments 50] [--channels 3] [--cli 10]

The real Runtime (SQLite, Electrum in-process with its Lightning node on a hot p2wpkh wallet) against a
devnet on 127.0.0.1, and a shopper = Debian's Electrum 4.3.4 as a separate process
(tests/lightning_shopper.py), driven over its daemon's own JSON-RPC port (no process per call).

(a) payment latency: from the shopper's ``lnpay`` request leaving this process to the shop's
    ``invoice.status_changed`` -> complete outbox event (services.events: the event webhooks, the window
    and the checkout page follow), p50 / p90 / p99 / max over ``--payments`` payments of $0.10-$0.59;
    also the lnpay call's own round trip, and the CLI's extra cost per call (a CLI process per call,
    ``electrum lnpay``, as tests/chain/test_lightning_node.py does) measured on ``--cli`` payments.
(b) channel open -> usable: the shopper opens a 2,000,000 sat channel to the shop (``open_channel``
    until the funding is broadcast), then the devnet mines one block at a time: blocks until both sides
    say OPEN, and seconds from the last block to OPEN on both sides and from the open call to OPEN.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

_HOME = tempfile.mkdtemp(prefix="redwaves-bench-home-")  # the hot wallet's password: a throw-away keyring
os.environ.update({"HOME": _HOME, "XDG_DATA_HOME": f"{_HOME}/.local/share", "XDG_CONFIG_HOME": f"{_HOME}/.config",
                   "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"})
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lightning_shopper import ShopperNode, free_port  # noqa: E402
from tests.polling import poll  # noqa: E402

CHANNEL_SAT = 2_000_000


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _ms(values: list[float]) -> str:
    return (f"p50 {statistics.median(values) * 1000:7.1f} ms  p90 {_pct(values, 0.9) * 1000:7.1f} ms  "
            f"p99 {_pct(values, 0.99) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms  (n={len(values)})")


async def _until(check: Any, timeout_s: float, what: str, every_s: float = 0.05) -> Any:
    return await poll(check, timeout_s=timeout_s, what=what, every_s=every_s, fail=SystemExit)


async def _open_count(services: Any) -> int:
    status = await services.lightning.status()
    return sum(c.state == "OPEN" for c in status.info.channels) if status.info else 0


async def _shopper_open(shopper: ShopperNode) -> int:
    channels = await asyncio.to_thread(shopper.rpc, "list_channels")
    return sum(c.get("state") == "OPEN" for c in channels)


async def main(args: argparse.Namespace) -> None:
    from electrum.mnemonic import Mnemonic

    from app.chain.keys import derive_address, parse_wallet_keys, set_network
    from app.config import load_settings
    from app.devnet import Devnet
    from app.runtime import Runtime

    set_network("regtest")
    tmp = Path(tempfile.mkdtemp(prefix="bench-lightning-"))
    devnet = Devnet(premine_blocks=110)
    await devnet.start()
    shopper = ShopperNode(tmp / "s", devnet.server_string, rpc=True)
    listen = f"127.0.0.1:{free_port()}"
    runtime = Runtime(load_settings({}, {"data_dir": tmp / "data", "network": "regtest", "private_port": 0,
                                         "electrum_server": devnet.server_string, "electrum_oneserver": True,
                                         "lightning_listen": listen, "lightning_allow_incoming": True}))
    try:
        await asyncio.to_thread(shopper.start)
        await devnet.pay(await asyncio.to_thread(shopper.address), 30_000_000)
        await runtime.start()
        services = runtime.services
        await _until(lambda: runtime.chain.state().synced and runtime.chain.state().connected, 30, "chain synced")
        seed = str(Mnemonic("en").make_seed(seed_type="segwit"))
        hot = await services.wallets.add_hot_wallet("Till", seed, script_type="p2wpkh")
        await devnet.pay(derive_address(parse_wallet_keys(seed, "regtest", allow_seed=True), 0, change=True), 1_000_000)
        await devnet.mine(1)
        node = (await services.lightning.enable(hot.id)).info
        await services.rates.set_manual_rate("USD", Decimal("50000"))
        store = await services.stores.create("Bench", default_currency="USD", wallet_ids=[hot.id], speed_policy=1)
        await services.stores.update(store.id, {"checkout": {"lightning": True}})
        await _until(lambda: asyncio.to_thread(lambda: int(Decimal(shopper.balance().get("confirmed", "0")) * 10**8)
                                               >= 30_000_000), 30, "shopper funded", every_s=0.3)
        connect = f"{node.node_id}@{listen}"

        # (b) channel open -> usable
        opens: list[tuple[float, int, float, float]] = []
        for n in range(args.channels):
            started = time.perf_counter()
            await asyncio.to_thread(shopper.rpc, "open_channel", timeout_s=90, connection_string=connect,
                                    amount=str(Decimal(CHANNEL_SAT) / 10**8))
            broadcast_s = time.perf_counter() - started
            blocks, last_block = 0, time.perf_counter()
            while not (await _open_count(services) > n and await _shopper_open(shopper) > n):
                if blocks < 3 or (time.perf_counter() - last_block) > 5:
                    await devnet.mine(1)
                    blocks += 1
                    last_block = time.perf_counter()
                else:
                    await asyncio.sleep(0.02)
                if blocks > 10:
                    raise SystemExit("channel not usable after 10 blocks")
            done = time.perf_counter()
            opens.append((broadcast_s, blocks, done - last_block, done - started))

        # (a) payment latency over the RPC port
        completed: dict[str, float] = {}

        def on_event(event: Any) -> None:
            if event.type == "invoice.status_changed" and event.payload.get("new_status") == "complete":
                completed.setdefault(str(event.invoice_id), time.perf_counter())

        services.events.subscribe(on_event)

        async def pay_once(n: int, via_cli: bool) -> tuple[float, float]:
            invoice = await services.invoices.create(store.id, price=Decimal("0.10") + Decimal(n % 50) / 100)
            assert invoice.bolt11, "no BOLT11: not enough inbound liquidity"
            started = time.perf_counter()
            if via_cli:
                result = await asyncio.to_thread(shopper.lnpay, invoice.bolt11)
            else:
                result = await asyncio.to_thread(shopper.lnpay_rpc, invoice.bolt11)
            returned = time.perf_counter() - started
            if not result.get("success"):
                raise SystemExit(f"payment {n} failed: {result.get('log')}")
            done = await _until(lambda: completed.get(invoice.id), 20, f"invoice {n} complete", every_s=0.005)
            return done - started, returned

        await pay_once(0, False)  # warm-up (route, first HTLC), not counted
        rpc = [await pay_once(n + 1, False) for n in range(args.payments)]
        cli = [await pay_once(n + 1, True) for n in range(args.cli)]
        noop_rpc = [await _timed(lambda: shopper.rpc("version", wallet=False)) for _ in range(10)]
        noop_cli = [await _timed(lambda: shopper.call("version", wallet=False)) for _ in range(10)]

        print(f"Lightning figures: devnet on 127.0.0.1, shop = RedWaves Runtime (Electrum 4.3.4 in-process), "
              f"shopper = Debian Electrum 4.3.4 daemon; {args.payments} payments over a direct channel")
        print(f"(a) lnpay start -> invoice complete event   {_ms([a for a, _ in rpc])}")
        print(f"    lnpay RPC round trip (payer's view)      {_ms([b for _, b in rpc])}")
        print(f"    the same over the CLI (process per call) {_ms([a for a, _ in cli])}")
        print(f"    CLI overhead per call (no-op 'version'): cli p50 {statistics.median(noop_cli) * 1000:.0f} ms vs "
              f"rpc p50 {statistics.median(noop_rpc) * 1000:.1f} ms")
        for n, (broadcast_s, blocks, after_block, total) in enumerate(opens, 1):
            print(f"(b) channel {n}: open_channel -> funding broadcast {broadcast_s:.2f} s; usable after {blocks} "
                  f"blocks, {after_block:.2f} s after the last block; {total:.2f} s open call -> OPEN both sides")
    finally:
        await runtime.stop()
        await asyncio.to_thread(shopper.stop)
        await devnet.stop()


async def _timed(fn: Any) -> float:
    started = time.perf_counter()
    await asyncio.to_thread(fn)
    return time.perf_counter() - started


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=50)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--cli", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
