"""A tiny SOCKS5 server for tests: no auth, CONNECT only, loopback only, counts connections."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct


class Socks5Server:
    """``hosts`` maps names the proxy resolves itself (like Tor does for .onion) to loopback."""

    def __init__(self, hosts: dict[str, str] | None = None) -> None:
        self.hosts = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", **(hosts or {})}
        self.port = 0
        self.connections: list[tuple[str, int]] = []
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, nmethods = await reader.readexactly(2)
        await reader.readexactly(nmethods)
        if version != 5:
            return
        writer.write(b"\x05\x00")  # no authentication
        _ver, cmd, _rsv, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        elif atyp == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        target = self.hosts.get(host)
        if cmd != 1 or target != "127.0.0.1":
            writer.write(b"\x05\x02\x00\x01" + b"\x00" * 6)  # not allowed: loopback only
            return
        up_reader, up_writer = await asyncio.open_connection(target, port)
        self.connections.append((host, port))
        writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", port))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()
