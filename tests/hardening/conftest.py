"""Hardening tests: real services on a SQLite file (fake chain), real listeners on 127.0.0.1.

`serve(public=...)` starts the app through `app.checkout_server.listeners.Listener` (the class the
runtime uses), so connection limits and timeouts apply exactly as in production. `raw_request`
sends bytes a normal HTTP client would refuse to send (``GET //evil.example/x``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from app.checkout_server.app import create_app
from app.checkout_server.listeners import Listener
from tests.checkout.conftest import make_shop
from tests.services.conftest import running_services


@pytest.fixture
async def services(tmp_path) -> AsyncIterator[Any]:
    async with running_services(tmp_path) as svc:
        yield svc


@pytest.fixture
async def shop(services):
    return await make_shop(services)


Serve = Callable[..., Awaitable[Listener]]


@pytest.fixture
async def serve(services) -> AsyncIterator[Serve]:
    started: list[Listener] = []

    async def start(*, public: bool, app: Any = None, **listener_kw: Any) -> Listener:
        listener = Listener(app or create_app(services, public=public), "127.0.0.1", 0,
                            name="public" if public else "private", **listener_kw)
        await listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        await listener.stop()


async def raw_request(port: int, head: str, body: bytes = b"", *, timeout_s: float = 5.0,
                      source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (request line + headers, no blank line) and read the whole answer (Connection: close).

    ``source`` is the client's address: any 127.x.y.z, so one test can be several clients."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(head.rstrip("\r\n").replace("\n", "\r\n").encode() + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout_s)
    finally:
        writer.close()
    header_block, _, payload = raw.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, payload
