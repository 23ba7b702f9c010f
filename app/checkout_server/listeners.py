"""The two listeners, run inside the app's loop with AppRunner + GuardedSite (never run_app).

GuardedSite is aiohttp's TCP site with connection limits (app/checkout_server/connections.py).
"""

from __future__ import annotations

import logging
import ssl
from typing import TYPE_CHECKING

from aiohttp import web

from app.checkout_server.app import create_app
from app.checkout_server.connections import DEFAULT_LIMITS, ConnectionGuard, ConnectionLimits, GuardedSite

if TYPE_CHECKING:
    from app.services.container import Services

logger = logging.getLogger(__name__)


class ListenerError(Exception):
    """A listener could not bind (port in use, bad address); str() says which and why, ``errno`` the OS code."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class Listener:
    def __init__(self, app: web.Application, host: str, port: int, *, name: str,
                 ssl_context: ssl.SSLContext | None = None, limits: ConnectionLimits = DEFAULT_LIMITS) -> None:
        self._app = app
        self.limits = limits  # timeouts and caps (app/checkout_server/connections.py)
        self.guard: ConnectionGuard | None = None  # while started: open / refused / timed-out counts
        self._host = host
        self._port = port
        self.name = name
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def host(self) -> str:
        return self._host

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        return self._ssl

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=2.0,
                                     keepalive_timeout=self.limits.idle_timeout_s)
        await self._runner.setup()
        site = GuardedSite(self._runner, self._host, self._port, ssl_context=self._ssl, limits=self.limits)
        self.guard = site.guard
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ListenerError(f"{self.name} listener cannot bind {self._host}:{self._port}: {exc.strerror}",
                                exc.errno) from None
        addresses = self._runner.addresses  # (host, port, ...) of the one site: the real port when 0 was asked
        self.port = int(addresses[0][1]) if addresses else self._port
        logger.info("%s listener on %s", self.name, self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.port = None
            logger.info("%s listener stopped", self.name)


def private_listener(services: Services, host: str, port: int) -> Listener:
    return Listener(create_app(services, public=False), host, port, name="private")


def public_listener(services: Services, host: str, port: int, ssl_context: ssl.SSLContext | None = None) -> Listener:
    return Listener(create_app(services, public=True), host, port, name="public", ssl_context=ssl_context)


ONION_LIMITS = ConnectionLimits(max_per_client=DEFAULT_LIMITS.max_total,
                                max_websockets_per_client=DEFAULT_LIMITS.max_total // 4)


def onion_listener(services: Services) -> Listener:
    """The loopback listener tor forwards the onion to: shopper routes only, plain HTTP. Every onion
    shopper arrives from 127.0.0.1 through tor, so the per-client caps would make them share one
    client's budget: here only the listener's totals apply."""
    return Listener(create_app(services, public=True), "127.0.0.1", 0, name="onion-target", limits=ONION_LIMITS)
