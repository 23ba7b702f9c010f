"""Connection limits of a listener: header-read and idle timeouts, per-client and total caps.

aiohttp closes idle keep-alive connections (``keepalive_timeout``) but has no header-read timeout,
and it never limits connections per client. So each listener serves through ``GuardedSite``, whose
protocol factory (``ConnectionGuard``) wraps aiohttp's per-connection handler:

- **Header timeout**: a connection that has not sent the blank line ending its first request's
  headers ``header_timeout_s`` after it was accepted gets ``408`` and is closed (slow-loris). After
  a response, the connection is idle: aiohttp's keep-alive timer (``idle_timeout_s``) closes it
  unless a whole new request arrives in time, half a header included.
- **TLS**: the handshake must finish within ``header_timeout_s`` too.
- **Caps**: at most ``max_per_client`` open connections per peer address and ``max_total`` per
  listener; one more is answered ``503`` with ``Retry-After`` and closed before anything is read.
- **WebSockets**: ``WebSocketSlots`` (one per app, ``app[WS_SLOTS]``) caps open sockets per client
  (the real client behind a trusted proxy); the handlers answer 429 beyond it.

Behind Tor every onion shopper arrives from 127.0.0.1, so the per-client caps are shared by all of
them there; pages fall back to polling when their websocket is refused.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

logger = logging.getLogger(__name__)

HEADERS_END = b"\r\n\r\n"
_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_BUSY_ANSWER = (b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n"
                b"Content-Length: 0\r\n\r\n")


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout_s: float = 10.0  # accept -> end of the first request's headers (and the TLS handshake)
    idle_timeout_s: float = 30.0  # keep-alive: between the end of a response and the next request
    max_per_client: int = 100  # open connections from one peer address
    max_total: int = 2000  # open connections on the listener
    max_websockets_per_client: int = 50


DEFAULT_LIMITS = ConnectionLimits()


class ConnectionGuard:
    """The protocol factory of a guarded listener: counts, admits and times its connections."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], limits: ConnectionLimits) -> None:
        self._factory = factory
        self.limits = limits
        self._per_client: dict[str, int] = {}
        self.open = 0
        self.refused = 0
        self.timed_out = 0

    def __call__(self) -> GuardedConnection:
        return GuardedConnection(self._factory(), self)

    def admit(self, client: str) -> bool:
        count = self._per_client.get(client, 0)
        if count >= self.limits.max_per_client or self.open >= self.limits.max_total:
            self.refused += 1
            if self.refused in (1, 10, 100) or self.refused % 1000 == 0:
                logger.warning("connection refused: %s has %d open, %d on the listener (%d refused so far)",
                               client, count, self.open, self.refused)
            return False
        self._per_client[client] = count + 1
        self.open += 1
        return True

    def release(self, client: str) -> None:
        self.open -= 1
        count = self._per_client.get(client, 0) - 1
        if count > 0:
            self._per_client[client] = count
        else:
            self._per_client.pop(client, None)

    def client_count(self, client: str) -> int:
        return self._per_client.get(client, 0)


class GuardedConnection(asyncio.Protocol):
    """aiohttp's handler for one connection, behind an admission check and a header-read timer."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._client: str | None = None  # None: refused (or not connected yet)
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        client = str(peer[0]) if peer else "unknown"
        if not self._guard.admit(client):
            transport.write(_BUSY_ANSWER)
            transport.close()
            return
        self._client, self._transport = client, transport
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._guard.limits.header_timeout_s, self._header_timeout)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._client is None:
            return
        if self._timer is not None:
            seen = self._tail + data
            if HEADERS_END in seen:
                self._timer.cancel()
                self._timer = None
            else:
                self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._client is not None else None

    def pause_writing(self) -> None:
        if self._client is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._client is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._client is None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._guard.release(self._client)
        self._client = None
        self._inner.connection_lost(exc)

    def _header_timeout(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is not None and not transport.is_closing():
            self._guard.timed_out += 1
            logger.debug("closing a connection from %s: no request headers after %.0f s", self._client,
                         self._guard.limits.header_timeout_s)
            transport.write(_TIMEOUT_ANSWER)
            transport.close()


class GuardedSite(web.BaseSite):
    """A TCP site (as aiohttp's TCPSite) whose connections go through a ConnectionGuard."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, limits: ConnectionLimits,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(runner, ssl_context=ssl_context)
        self._bind = (host, port)
        self._tls = ssl_context
        server = runner.server
        assert server is not None
        self.guard = ConnectionGuard(server, limits)

    @property
    def name(self) -> str:
        host, port = self._bind
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        handshake_s = self.guard.limits.header_timeout_s if self._tls is not None else None
        self._server = await loop.create_server(self.guard, *self._bind, ssl=self._tls,
                                                ssl_handshake_timeout=handshake_s)


class WebSocketSlots:
    """Open websockets per client: ``take`` before the upgrade, ``give_back`` when the socket ends."""

    def __init__(self, max_per_client: int = DEFAULT_LIMITS.max_websockets_per_client) -> None:
        self.max_per_client = max_per_client
        self._open: dict[str, int] = {}

    def take(self, client: str) -> bool:
        count = self._open.get(client, 0)
        if count >= self.max_per_client:
            logger.info("websocket refused: %s already has %d open", client, count)
            return False
        self._open[client] = count + 1
        return True

    def give_back(self, client: str) -> None:
        count = self._open.get(client, 0) - 1
        if count > 0:
            self._open[client] = count
        else:
            self._open.pop(client, None)

    def count(self, client: str) -> int:
        return self._open.get(client, 0)


WS_SLOTS: web.AppKey[WebSocketSlots] = web.AppKey("websocket_slots", WebSocketSlots)
