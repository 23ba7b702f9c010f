"""The Electrum connection test against the real devnet (Electrum protocol on 127.0.0.1): TCP, TLS (a
self-signed certificate in front of it), through a SOCKS5 relay with remote DNS, the wrong network, a
closed port and a server that is not Electrum."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.errors import ValidationError
from app.net.electrum_probe import ProbeError, probe
from app.net.tls import ensure_self_signed
from tests.conftest import serving_devnet
from tests.net.test_proxy import SocksRelay


@pytest.fixture
async def devnet() -> AsyncIterator[object]:
    async with serving_devnet(3) as net:
        yield net


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def tls_front(tmp_path: Path, port: int) -> AsyncIterator[tuple[int, str]]:
    """A TLS listener with a self-signed certificate forwarding to 127.0.0.1:port, as Electrum servers run."""
    info = ensure_self_signed(tmp_path / "tls", hosts=["127.0.0.1"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(info.cert_path, info.key_path)

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(forward, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1], info.fingerprint_sha256
    finally:
        server.close()


@contextlib.asynccontextmanager
async def garbage_server(reply: bytes) -> AsyncIterator[int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readline()
            writer.write(reply)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def test_devnet_over_tcp(devnet):
    result = await probe(f"127.0.0.1:{devnet.port}:t", network="regtest", timeout_s=5)
    assert result.software == "RedWaves devnet 0.1"
    assert result.tip_height == devnet.tip_height
    assert result.tls_fingerprint_sha256 is None and not result.via_socks
    assert f"tip {devnet.tip_height:,}" in result.summary()


async def test_devnet_over_tls_reports_the_self_signed_fingerprint(devnet, tmp_path):
    async with tls_front(tmp_path, devnet.port) as (tls_port, fingerprint):
        result = await probe(f"127.0.0.1:{tls_port}:s", network="regtest", timeout_s=5)
    assert result.tls_fingerprint_sha256 == fingerprint
    assert result.tip_height == devnet.tip_height


async def test_through_socks_the_name_goes_to_the_proxy(devnet):
    relay = SocksRelay().start()
    try:
        result = await probe(f"localhost:{devnet.port}:t", network="regtest", socks=relay.address, timeout_s=5)
    finally:
        relay.stop()
    assert result.via_socks and result.tip_height == devnet.tip_height
    assert relay.requests == [("localhost", devnet.port)]  # sent as a name: remote DNS, nothing resolved here


async def test_wrong_network(devnet):
    with pytest.raises(ProbeError) as caught:
        await probe(f"127.0.0.1:{devnet.port}:t", network="mainnet", timeout_s=5)
    assert caught.value.code == "wrong_network" and caught.value.field == "electrum_server"
    assert "serves regtest, not mainnet" in caught.value.message


async def test_tls_to_a_tcp_port_is_a_tls_error(devnet):
    with pytest.raises(ProbeError) as caught:
        await probe(f"127.0.0.1:{devnet.port}:s", network="regtest", timeout_s=5)
    assert caught.value.code in ("tls_failed", "not_electrum")


async def test_closed_port():
    port = _closed_port()
    with pytest.raises(ProbeError) as caught:
        await probe(f"127.0.0.1:{port}:t", network="regtest", timeout_s=5)
    assert caught.value.code == "unreachable" and f"127.0.0.1:{port}" in caught.value.message


async def test_dead_socks_proxy():
    with pytest.raises(ProbeError) as caught:
        await probe("electrum.example:50001:t", network="mainnet", socks=f"127.0.0.1:{_closed_port()}", timeout_s=5)
    assert caught.value.code in ("tor_failed", "unreachable")


@pytest.mark.parametrize("reply", [b"HTTP/1.1 400 Bad Request\r\n\r\n", b"[1, 2]\n", b""])
async def test_garbage_server(reply):
    async with garbage_server(reply) as port:
        with pytest.raises(ProbeError) as caught:
            await probe(f"127.0.0.1:{port}:t", network="regtest", timeout_s=5)
    assert caught.value.code == "not_electrum"


async def test_silent_server_times_out():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()
        finally:
            writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ProbeError) as caught:
            await probe(f"127.0.0.1:{port}:t", network="regtest", timeout_s=0.5)
    finally:
        server.close()
    assert caught.value.code == "timeout"


def test_a_bad_server_string_is_a_field_error():
    with pytest.raises(ValidationError) as caught:
        asyncio.run(probe("electrum.example:50002", network="mainnet"))
    assert caught.value.field == "electrum_server"
