"""Outbound routing: tor-only mode sends every connection through tor's SOCKS port, never direct.

A SOCKS5 relay on its own thread stands in for tor; a process-wide audit hook records every
``socket.connect`` with the thread that made it, so the test sees the app's own connects only.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import sys
import threading
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp_socks import ProxyConnector

from app.core.errors import RateUnavailable, UserFacingError
from app.net.errors import TorError
from app.net.proxy import (
    OutboundPolicy,
    TorUnavailable,
    client_session,
    electrum_proxy,
    is_onion,
    outbound_connector,
    parse_socks,
)
from app.net.rates import HttpRateSource

_CONNECTS: list[tuple[int, object]] | None = None


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" and _CONNECTS is not None:
        _CONNECTS.append((threading.get_ident(), args[1]))


sys.addaudithook(_audit)


@contextlib.contextmanager
def recorded_connects():
    """Yields a list of the socket.connect target addresses made by the calling thread."""
    global _CONNECTS
    _CONNECTS = []
    mine: list[object] = []
    try:
        yield mine
    finally:
        records, _CONNECTS = _CONNECTS, None
        mine.extend(addr for tid, addr in records if tid == threading.get_ident())


class SocksRelay:
    def __init__(self) -> None:
        self.requests: list[tuple[str, int]] = []
        self.port = 0
        self.thread_id: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socks-relay", daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> SocksRelay:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("SOCKS relay did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _run(self) -> None:
        self.thread_id = threading.get_ident()
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, n_methods = await reader.readexactly(2)
        await reader.readexactly(n_methods)
        writer.write(b"\x05\x00")
        _ver, _cmd, _rsv, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        elif atyp == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        self.requests.append((host, port))
        target_host = "127.0.0.1" if host == "localhost" else host
        up_reader, up_writer = await asyncio.open_connection(target_host, port)
        writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", 0))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


@pytest.fixture
def relay():
    server = SocksRelay().start()
    yield server
    server.stop()


@pytest.fixture
async def target(aiohttp_server):
    hits: list[str | None] = []

    async def hello(request: web.Request) -> web.Response:
        hits.append(request.remote)
        return web.json_response({"bitcoin": {"usd": 50000.5}})

    app = web.Application()
    app.router.add_get("/price", hello)
    server = await aiohttp_server(app)
    return server, hits


async def test_tor_only_goes_through_socks_and_never_direct(relay, target):
    server, hits = target
    url = f"http://localhost:{server.port}/price"
    policy = OutboundPolicy(tor_socks=relay.address, tor_only=True)
    with recorded_connects() as connects:
        async with policy.session(url) as session, session.get(url) as resp:
            assert resp.status == 200
            assert (await resp.json())["bitcoin"]["usd"] == 50000.5
    assert connects and all(addr == ("127.0.0.1", relay.port) for addr in connects), connects
    assert relay.requests == [("localhost", server.port)]  # the name went to the proxy: remote DNS
    assert len(hits) == 1


async def test_tor_only_with_dead_tor_fails_closed(target):
    server, hits = target
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    url = f"http://127.0.0.1:{server.port}/price"
    with recorded_connects() as connects:
        async with client_session(url, tor_socks=f"127.0.0.1:{dead_port}", tor_only=True) as session:
            with pytest.raises(aiohttp.ClientError) as info:
                await session.get(url)
    assert isinstance(info.value, TorUnavailable) and info.value.code == TorError.SOCKS_FAILED
    assert all(addr == ("127.0.0.1", dead_port) for addr in connects), connects
    assert hits == []


async def test_tor_only_without_socks_address_refuses():
    with pytest.raises(TorUnavailable) as info:
        outbound_connector("https://example.com/", tor_socks=None, tor_only=True)
    assert isinstance(info.value, UserFacingError) and info.value.code == "tor_required"
    with pytest.raises(TorUnavailable):
        electrum_proxy(None, tor_only=True)


async def test_routing_rules_without_tor_only(relay):
    direct = outbound_connector("https://example.com/", tor_socks=relay.address, tor_only=False)
    onion = outbound_connector("http://abc.onion/hook", tor_socks=relay.address, tor_only=False)
    try:
        assert not isinstance(direct, ProxyConnector)
        assert isinstance(onion, ProxyConnector)
    finally:
        await direct.close()
        await onion.close()
    with pytest.raises(TorUnavailable):  # an onion webhook without tor never goes direct
        outbound_connector("http://abc.onion/hook", tor_socks=None, tor_only=False)
    assert is_onion("http://xyz.onion./") and not is_onion("http://onion.example/")
    assert parse_socks("socks5:127.0.0.1:9050") == parse_socks("socks5://127.0.0.1:9050") == ("127.0.0.1", 9050)


async def test_rate_source_through_tor_and_down(relay, target):
    server, _hits = target
    url = f"http://localhost:{server.port}/price"
    source = HttpRateSource(url, session_factory=OutboundPolicy(tor_socks=relay.address, tor_only=True)
                            .session_factory(url))
    assert str(await source.get_rate("USD")) == "50000.5"
    assert relay.requests == [("localhost", server.port)]
    down = HttpRateSource(url, session_factory=OutboundPolicy(tor_socks=None, tor_only=True).session_factory(url))
    with pytest.raises(RateUnavailable):
        await down.get_rate("USD")


def test_electrum_goes_through_tor_in_tor_only_mode(tmp_path: Path):
    from app.chain.models import ChainSettings
    from app.chain.runtime import electrum_config

    policy = OutboundPolicy(tor_socks=lambda: "127.0.0.1:9150", tor_only=True)
    proxy = policy.electrum_proxy(configured=None)
    assert proxy == "socks5:127.0.0.1:9150"
    config = electrum_config(ChainSettings(network="regtest", datadir=tmp_path, proxy=proxy))
    assert config.get("proxy") == "socks5:127.0.0.1:9150"
    # without tor-only the merchant's own electrum_proxy setting (or none) stays
    assert OutboundPolicy(tor_socks="127.0.0.1:9150").electrum_proxy(configured=None) is None
