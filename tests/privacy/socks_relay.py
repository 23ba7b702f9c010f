"""A recording SOCKS5 relay standing in for tor: CONNECT only, no authentication.

Every destination a client asks for is recorded as (host, port) exactly as asked (a domain name
or an IP address). Domain names are never resolved: they are looked up in ``names`` (a static map
the test gives, e.g. {"electrum.rw.test": "127.0.0.1"}); an unknown name is refused with
"host unreachable". The relay then connects from its own side and copies bytes both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import struct
from collections.abc import Mapping

logger = logging.getLogger(__name__)

_SUCCEEDED, _HOST_UNREACHABLE, _REFUSED, _NOT_SUPPORTED, _ATYP_NOT_SUPPORTED = 0, 4, 5, 7, 8
_HANDSHAKE_TIMEOUT_S = 10.0


class SocksRelay:
    def __init__(self, host: str, *, names: Mapping[str, str] | None = None, port: int = 0) -> None:
        self.host = host
        self.port = port
        self.names = dict(names or {})
        self.destinations: list[tuple[str, int]] = []  # in the order asked, repeats kept
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            upstream = await asyncio.wait_for(self._handshake(reader, writer), _HANDSHAKE_TIMEOUT_S)
            if upstream is not None:
                await _pipe_both(reader, writer, *upstream)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        version, n_methods = await reader.readexactly(2)
        methods = await reader.readexactly(n_methods)
        if version != 5 or 0 not in methods:
            writer.write(b"\x05\xff")
            return None
        writer.write(b"\x05\x00")
        _ver, command, _rsv, atyp = await reader.readexactly(4)
        host = await _read_host(reader, atyp)
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if host is None:
            return _reply(writer, _ATYP_NOT_SUPPORTED)
        if command != 1:
            return _reply(writer, _NOT_SUPPORTED)
        self.destinations.append((host, port))
        target = self.names.get(host.lower().rstrip("."), host)
        try:
            ipaddress.ip_address(target)
        except ValueError:  # a name we do not know: never resolved here
            return _reply(writer, _HOST_UNREACHABLE)
        try:
            upstream = await asyncio.wait_for(asyncio.open_connection(target, port), 5.0)
        except (OSError, TimeoutError):
            return _reply(writer, _REFUSED)
        _reply(writer, _SUCCEEDED)
        return upstream


async def _read_host(reader: asyncio.StreamReader, atyp: int) -> str | None:
    if atyp == 1:
        return socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
    if atyp == 4:
        return socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
    if atyp == 3:
        (length,) = await reader.readexactly(1)
        return (await reader.readexactly(length)).decode("idna")
    return None


def _reply(writer: asyncio.StreamWriter, code: int) -> None:
    writer.write(bytes([5, code, 0, 1]) + b"\x00" * 6)


async def _pipe_both(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter,
                     up_r: asyncio.StreamReader, up_w: asyncio.StreamWriter) -> None:
    try:
        await asyncio.gather(_pipe(client_r, up_w), _pipe(up_r, client_w))
    finally:
        up_w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()
