"""Electrum over a SOCKS5 proxy (the Tor path), with the aiohttp 3.14 + aiohttp-socks 0.12 upgrade.

Electrum bypasses the proxy for loopback servers, so the devnet is reached by a name only the
proxy can resolve (as Tor resolves .onion names).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from app.chain.keys import derive_address
from app.chain.watcher import ChainSettings, ChainWatcher

from .conftest import receive_addresses, wait_until
from .socks5 import Socks5Server
from .test_watcher import WALLET, Recorder, watch_only_desc

pytestmark = pytest.mark.slow
DEVNET_NAME = "devnet.redwaves.test"
WEB_NAME = "web.redwaves.test"


@pytest.fixture
async def socks() -> AsyncIterator[Socks5Server]:
    server = Socks5Server(hosts={DEVNET_NAME: "127.0.0.1", WEB_NAME: "127.0.0.1"})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def web_port() -> AsyncIterator[int]:
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello over socks")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def test_watcher_through_socks5(devnet: Any, socks: Socks5Server, web_port: int,
                                      chain_datadir: Path) -> None:
    recorder = Recorder()
    watcher = ChainWatcher(ChainSettings(network="regtest", datadir=chain_datadir,
                                         server=f"{DEVNET_NAME}:{devnet.port}:t", oneserver=True,
                                         proxy=f"socks5:127.0.0.1:{socks.port}"))
    watcher.subscribe(recorder)
    try:
        await watcher.start()
        desc = watch_only_desc()
        await watcher.open_wallet(WALLET, desc)
        await watcher.watch(WALLET, receive_addresses(desc, 2))
        await wait_until(lambda: watcher.state().synced and watcher.state().tip_height == devnet.tip_height,
                         what="connected through the proxy")
        assert (DEVNET_NAME, devnet.port) in socks.connections  # really went through the proxy
        address = derive_address(desc, 2)
        txid = await devnet.pay(address, 12_345)
        await wait_until(lambda: txid in {o.txid for o in watcher.address_view(WALLET, address).outputs},
                         what="payment seen through the proxy")

        # Electrum's HTTP path (exchange rates, etc.): aiohttp + aiohttp-socks ProxyConnector
        from electrum.network import Network

        text = await watcher._runtime.run(
            Network.async_send_http_on_proxy("get", f"http://{WEB_NAME}:{web_port}/", timeout=10))
        assert text == "hello over socks"
        assert (WEB_NAME, web_port) in socks.connections
    finally:
        await watcher.stop()
    import socket

    # Electrum patches socket.getaddrinfo process-wide while a proxy is set; stop() undoes it
    assert socket.getaddrinfo is getattr(socket, "_getaddrinfo", socket.getaddrinfo)
