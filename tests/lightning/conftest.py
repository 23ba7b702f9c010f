"""One shop per test module: the real Runtime (SQLite, Electrum in-process with its Lightning node, the
HTTP listeners) on regtest against a devnet on 127.0.0.1, a hot p2wpkh wallet running the node, a store
that offers Lightning, an API key, a webhook receiver that checks signatures, and a shopper
(``tests/lightning_shopper.py``: Debian's Electrum as a separate process) with a channel to the shop.

Module scoped (one event loop per module): a funded shopper with an open channel takes ~20 s to set up.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from app.chain.keys import derive_address, parse_wallet_keys, set_network
from app.devnet import Devnet
from tests.api.conftest import Receiver
from tests.conftest import runtime_with, serving_devnet
from tests.lightning_shopper import ShopperNode, free_port
from tests.polling import poll

set_network("regtest")

CHANNEL_SAT = 15_000_000
SHOPPER_FUNDS_SAT = 40_000_000
MERCHANT_FUNDS_SAT = 40_000_000


def electrum_segwit_seed() -> str:
    """A new Electrum segwit seed: a hot p2wpkh wallet whose node key Electrum derives from it."""
    from electrum.mnemonic import Mnemonic

    return str(Mnemonic("en").make_seed(seed_type="segwit"))


async def wait_async(predicate: Callable[[], Any], *, timeout_s: float = 30.0, what: str = "condition",
                     every_s: float = 0.1) -> Any:
    """Poll a sync or async predicate until truthy; bounded."""
    return await poll(predicate, timeout_s=timeout_s, what=what, every_s=every_s)


async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A blocking shopper call off the loop (the devnet and RedWaves serve on this loop)."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def sat_of(btc_text: object) -> int:
    return int(Decimal(str(btc_text)) * 100_000_000)


async def funded_shopper(node: ShopperNode, devnet: Devnet, sat: int = SHOPPER_FUNDS_SAT) -> ShopperNode:
    await in_thread(node.start)
    await devnet.pay(await in_thread(node.address), sat)
    await devnet.mine(1)
    await wait_async(lambda: in_thread(lambda: sat_of(node.balance().get("confirmed", 0)) >= sat),
                     timeout_s=30, every_s=0.3, what="shopper funded")
    return node


async def shopper_open_states(shopper: ShopperNode) -> list[str]:
    return [c["state"] for c in await in_thread(shopper.channels)]


@dataclass
class Shop:
    """A running shop and its shopper; ``call`` is the REST API with a full-scope key."""

    tmp: Path
    devnet: Devnet
    runtime: Any
    shopper: ShopperNode
    http: aiohttp.ClientSession
    receiver: Receiver
    wallet_id: str
    store_id: str
    listen: str
    seed: str
    open_blocks: int = 0
    open_seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def services(self) -> Any:
        return self.runtime.services

    @property
    def api(self) -> str:
        return self.runtime.urls["private"] + "/api/v1"

    @property
    def checkout_base(self) -> str:
        urls = self.runtime.urls
        return urls.get("public") or urls["private"]

    async def call(self, method: str, path: str, *, ok: bool = True, **kw: Any) -> Any:
        async with self.http.request(method, self.api + path, **kw) as resp:
            body = await resp.json()
            if ok:
                assert resp.status < 300, (resp.status, body)
            return body

    async def new_invoice(self, amount_sat: int, **extra: Any) -> dict[str, Any]:
        invoice: dict[str, Any] = await self.call("POST", f"/stores/{self.store_id}/invoices",
                                                  json={"amount_sat": amount_sat, **extra})
        return invoice

    async def invoice(self, invoice_id: str) -> dict[str, Any]:
        invoice: dict[str, Any] = await self.call("GET", f"/invoices/{invoice_id}")
        return invoice

    async def scrape_bolt11(self, invoice_id: str) -> str:
        """The BOLT11 as a shopper sees it: the checkout page's Lightning tab, over HTTP (no JavaScript)."""
        async with aiohttp.ClientSession() as anon, anon.get(f"{self.checkout_base}/i/{invoice_id}",
                                                             params={"method": "lightning"}) as resp:
            assert resp.status == 200, resp.status
            page = await resp.text()
        found = re.search(r'<textarea id="f-bolt11"[^>]*>([^<]+)</textarea>', page)
        assert found, "no BOLT11 on the checkout page's Lightning tab"
        return html.unescape(found.group(1)).strip()

    async def checkout_status(self, invoice_id: str) -> dict[str, Any]:
        async with aiohttp.ClientSession() as anon, anon.get(f"{self.checkout_base}/i/{invoice_id}/status") as resp:
            assert resp.status == 200, resp.status
            body: dict[str, Any] = await resp.json()
            return body

    async def node_info(self) -> Any:
        status = await self.services.lightning.status()
        assert status.info is not None, status.problem
        return status.info

    async def connect_string(self) -> str:
        return f"{(await self.node_info()).node_id}@{self.listen}"

    async def merchant_open(self, count: int) -> bool:
        info = await self.node_info()
        return sum(c.state == "OPEN" for c in info.channels) >= count

    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook the receiver got, decoded, with whether its signature checked out."""
        return [json.loads(r["body"]) | {"_valid": r["valid"]} for r in self.receiver.received]


async def mine_until_usable(shop: Shop, shopper: ShopperNode, merchant_open: int, *,
                            timeout_s: float = 60) -> tuple[int, float]:
    """Mine one block at a time until the merchant has ``merchant_open`` OPEN channels and the shopper one;
    (blocks mined, seconds from the first block)."""
    started, blocks = time.monotonic(), 0
    deadline = started + timeout_s
    while True:
        if await shop.merchant_open(merchant_open) and "OPEN" in await shopper_open_states(shopper):
            return blocks, time.monotonic() - started
        if time.monotonic() > deadline:
            raise AssertionError(f"channel not usable after {blocks} blocks / {timeout_s}s")
        if blocks < 3:  # Electrum 4.3.4 wants 3 confirmations (lnutil funding depth); then only wait
            await shop.devnet.mine(1)
            blocks += 1
            await asyncio.sleep(0.3)
        else:
            await asyncio.sleep(0.2)


async def _synced(runtime: Any) -> bool:
    state = runtime.chain.state()
    return bool(state.connected and state.synced)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shop]:
    """The shop with a channel the shopper opened to it (15,000,000 sat, usable)."""
    tmp = tmp_path_factory.mktemp("shop")
    async with serving_devnet(110) as devnet:
        receiver = Receiver()
        await receiver.start()
        shopper = ShopperNode(tmp / "s", devnet.server_string, rpc=True)
        listen = f"127.0.0.1:{free_port()}"
        try:
            async with runtime_with(tmp, devnet=False, electrum_server=devnet.server_string, electrum_oneserver=True,
                                    public_enabled=True, public_port=0, public_host="127.0.0.1",
                                    lightning_listen=listen, lightning_allow_incoming=True) as runtime:
                shopper_started = asyncio.create_task(funded_shopper(shopper, devnet))
                services = runtime.services
                await wait_async(lambda: _synced(runtime), timeout_s=30, what="chain synced")
                seed = electrum_segwit_seed()
                hot = await services.wallets.add_hot_wallet("Till", seed, script_type="p2wpkh")
                await services.wallets.watch_range(hot.id, 0, 5)
                desc = parse_wallet_keys(seed, "regtest", allow_seed=True)
                # a change address: receive addresses are the invoices' (index 0 is the first invoice's)
                await devnet.pay(derive_address(desc, 0, change=True), MERCHANT_FUNDS_SAT)
                await services.lightning.enable(hot.id)
                await services.rates.set_manual_rate("USD", Decimal("50000"))
                store = await services.stores.create("LN Shop", default_currency="USD", wallet_ids=[hot.id],
                                                     speed_policy=1, expiry_s=900)
                await services.stores.update(store.id, {"checkout": {"lightning": True}})
                key = (await services.apikeys.bootstrap("e2e")).key.reveal()
                async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as http:
                    made = Shop(tmp, devnet, runtime, shopper, http, receiver, hot.id, store.id, listen, seed)
                    hook = await made.call("POST", f"/stores/{store.id}/webhooks", json={"url": receiver.url})
                    receiver.secret = hook["secret"]
                    await shopper_started
                    await devnet.mine(1)
                    await wait_async(lambda: _confirmed(runtime, hot.id), timeout_s=30, what="merchant funded")
                    await in_thread(shopper.open_channel, await made.connect_string(), CHANNEL_SAT)
                    made.open_blocks, made.open_seconds = await mine_until_usable(made, shopper, 1)
                    print(f"\nchannel (shopper -> shop) usable after {made.open_blocks} blocks, "
                          f"{made.open_seconds:.2f} s")
                    yield made
        finally:
            await in_thread(shopper.stop)
            await receiver.stop()


async def _confirmed(runtime: Any, wallet_id: str) -> bool:
    confirmed, _unconfirmed = await runtime.chain.wallet_balance(wallet_id)
    return bool(confirmed > 0)
