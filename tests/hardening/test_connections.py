"""Item 6: half-sent headers and idle keep-alive connections are closed; connections and websockets
are capped per client (real listeners and sockets on 127.0.0.1, bounded and timed)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from app.checkout_server.connections import ConnectionLimits
from tests.hardening.conftest import raw_request

FAST = ConnectionLimits(header_timeout_s=0.5, idle_timeout_s=0.5, max_per_client=1000, max_total=1000)


async def _closed_within(reader: asyncio.StreamReader, timeout_s: float) -> bytes:
    """Everything the server sends until it closes the connection (fails after timeout_s)."""
    return await asyncio.wait_for(reader.read(), timeout_s)


async def test_half_sent_headers_are_closed_after_the_header_timeout(serve):
    listener = await serve(public=True, limits=FAST)
    conns = [await asyncio.open_connection("127.0.0.1", listener.port) for _ in range(200)]
    started = time.perf_counter()
    for _reader, writer in conns:
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    lag_started = time.perf_counter()
    status, _h, _b = await raw_request(listener.port, "GET /modal/redwaves.js HTTP/1.1\nHost: 127.0.0.1")
    assert status == 200 and time.perf_counter() - lag_started < 0.3  # others are served meanwhile
    answers = await asyncio.gather(*(_closed_within(reader, 3.0) for reader, _w in conns))
    elapsed = time.perf_counter() - started
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers)
    assert 0.4 < elapsed < 2.5
    assert listener.guard is not None and listener.guard.timed_out == 200
    await asyncio.sleep(0.05)
    assert listener.guard.open == 0
    for _reader, writer in conns:
        writer.close()


async def test_a_byte_a_second_does_not_keep_a_connection(serve):
    listener = await serve(public=True, limits=FAST)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    started = time.perf_counter()

    async def trickle() -> None:
        for byte in b"GET /health HTTP/1.1\r\nHost: x\r\n":
            if writer.is_closing():
                return
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)

    trickler = asyncio.create_task(trickle())
    await _closed_within(reader, 3.0)
    trickler.cancel()
    assert time.perf_counter() - started < 1.5
    writer.close()


async def test_idle_keep_alive_and_a_half_sent_second_request_are_closed(serve, shop):
    listener = await serve(public=True, limits=FAST)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(f"GET /i/{shop.invoice.id}/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3.0)
    assert first.startswith(b"HTTP/1.1 200")
    started = time.perf_counter()
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the next request never completes
    await _closed_within(reader, 3.0)
    assert time.perf_counter() - started < 2.0
    writer.close()


async def test_connections_are_capped_per_client(serve):
    limits = ConnectionLimits(header_timeout_s=5, max_per_client=5, max_total=100)
    listener = await serve(public=True, limits=limits)
    held = [await asyncio.open_connection("127.0.0.1", listener.port, local_addr=("127.0.0.2", 0)) for _ in range(5)]
    await asyncio.sleep(0.05)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port, local_addr=("127.0.0.2", 0))
    refused = await _closed_within(reader, 2.0)
    assert refused.startswith(b"HTTP/1.1 503") and b"Retry-After" in refused
    writer.close()
    status, _h, _b = await raw_request(listener.port, "GET /modal/redwaves.js HTTP/1.1\nHost: x", source="127.0.0.3")
    assert status == 200  # another client is still served
    held[0][1].close()
    await asyncio.sleep(0.1)
    status, _h, _b = await raw_request(listener.port, "GET /modal/redwaves.js HTTP/1.1\nHost: x", source="127.0.0.2")
    assert status == 200  # a freed slot is usable again
    for _r, w in held[1:]:
        w.close()


@pytest.mark.parametrize("public", [True, False])
async def test_websockets_are_capped_per_client(serve, shop, public):
    listener = await serve(public=public)
    url = f"http://127.0.0.1:{listener.port}/i/{shop.invoice.id}/ws"
    greedy = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0), limit=0))
    other = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.3", 0)))
    try:
        sockets = [await greedy.ws_connect(url) for _ in range(50)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await greedy.ws_connect(url)
        assert refused.value.status == 429
        ws = await other.ws_connect(url)  # another client still connects
        assert (await ws.receive_json(timeout=3))["status"] == "pending"
        await ws.close()
        await sockets.pop().close()
        await asyncio.sleep(0.1)
        sockets.append(await greedy.ws_connect(url))  # the slot came back
        await asyncio.gather(*(s.close() for s in sockets))
    finally:
        await greedy.close()
        await other.close()
