"""The daemon listener on 127.0.0.1, port 0, inside the whole app (app_runtime: regtest + devnet)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from app.checkout_server.daemon.app import daemon_listener
from app.checkout_server.listeners import Listener
from app.secrets import SecretStore
from app.services.compat.bitcart.service import (
    DaemonCredentials,
    DaemonParts,
    DaemonService,
    build_daemon_service,
    daemon_credentials,
)


@dataclass
class DaemonHarness:
    runtime: object
    daemon: DaemonService
    listener: Listener
    credentials: DaemonCredentials

    @property
    def url(self) -> str:
        return self.listener.url

    @property
    def login(self) -> str:
        return self.credentials.login

    @property
    def password(self) -> str:
        return self.credentials.password.reveal()


@pytest.fixture
async def daemon_env(app_runtime):
    services = app_runtime.services
    credentials = daemon_credentials(SecretStore(services.settings.network))
    parts = DaemonParts(writer=services.writer, events=services.events, wallets=services.wallets,
                        stores=services.stores, invoices=services.invoices, chain=services.chain,
                        network=services.settings.network)
    daemon = build_daemon_service(parts, credentials, tip_poll_s=0.1)
    await daemon.start()
    listener = daemon_listener(daemon, "127.0.0.1", 0)
    await listener.start()
    try:
        yield DaemonHarness(app_runtime, daemon, listener, credentials)
    finally:
        await listener.stop()
        await daemon.stop()


def _no_fallback_close(_self: object) -> None:
    return None


@asynccontextmanager
async def bitcart_clients(url: str, login: str, password: str) -> AsyncIterator[Callable[..., Any]]:
    """``make(xpub=TEST_VPUB, **overrides)``: the real Bitcart SDK's BTC on the daemon at ``url``; the
    sessions closed on exit.

    The proxies' sessions are closed here, on the test's loop. The SDK's own fallback
    (``RPCProxy.__del__``) is switched off: where the last reference goes away off the loop (a
    thread), it makes a new event loop there and never closes it (an unclosed-socket warning).
    """
    from bitcart import BTC
    from bitcart.providers.jsonrpcrequests import RPCProxy

    RPCProxy.__del__ = _no_fallback_close  # for the session: a proxy may die after this test's teardown

    from tests.conftest import TEST_VPUB

    made = []

    def make(xpub: str = TEST_VPUB, **overrides: Any) -> Any:
        kwargs = {"rpc_url": url, "rpc_user": login, "rpc_pass": password, "xpub": xpub}
        kwargs.update(overrides)
        coin = BTC(**kwargs)
        made.append(coin)
        return coin

    try:
        yield make
    finally:
        for coin in made:
            await coin.server._close()
        # RPCProxy.__del__ schedules another close on the running loop, or creates (and leaks) a new
        # loop if the test's loop is gone: collect the proxies while the loop still runs.
        made.clear()
        gc.collect()
        await asyncio.sleep(0.01)


@pytest.fixture
async def sdk(daemon_env):
    """The real Bitcart SDK pointed at the daemon with the test vpub; its sessions closed afterwards."""
    async with bitcart_clients(daemon_env.url, daemon_env.login, daemon_env.password) as make:
        yield make
