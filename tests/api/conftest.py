"""API tests: services over a real SQLite file (fake chain), the private app through aiohttp_client,
and a real loopback webhook receiver that verifies signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from app.chain.keys import set_network
from app.checkout_server.app import create_app
from app.config import load_settings
from app.db.engine import Database
from app.services.container import build_services
from app.services.delivery.retry import RetryPolicy
from app.services.delivery.webhook_payloads import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from tests.conftest import TEST_VPUB
from tests.fake_lightning import FakeLightningNode
from tests.polling import poll
from tests.services.conftest import FakeChain

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay_s=0.05, max_delay_s=0.2, timeout_s=2.0, poll_s=0.5)


@dataclass
class BalanceChain(FakeChain):
    balances: dict[str, tuple[int, int]] = field(default_factory=dict)

    async def wallet_balance(self, wallet_id: str) -> tuple[int, int]:
        return self.balances.get(wallet_id, (0, 0))


class Stack:
    """Services + database on one data dir; `start()` again after `stop()` = an app restart."""

    def __init__(self, data_dir: Path, *, policy: RetryPolicy = FAST_RETRY, lightning: bool = False) -> None:
        self.settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
        self.policy = policy
        self.chain = BalanceChain()
        self.lightning = FakeLightningNode(deliver=self._emit, listen="127.0.0.1:9735") if lightning else None  # only the node is fake
        self.services: Any = None
        self._db: Database | None = None

    async def start(self) -> Any:
        set_network("regtest")
        self._db = Database(self.settings.db_path)
        await self._db.start()
        svc = build_services(self.settings, self._db, self.chain, webhook_policy=self.policy,
                             lightning_node=self.lightning)
        await svc.rates.load()
        await svc.events.start()
        svc.engine._tick_s = 0.05
        await svc.engine.start()
        svc.fake_chain = self.chain
        await svc.webhooks.start()
        self.services = svc
        return svc

    def _emit(self, event: Any) -> None:
        for callback in list(self.chain.subscribers):
            callback(event)

    async def stop(self) -> None:
        svc, self.services = self.services, None
        await svc.webhooks.stop()
        await svc.engine.stop()
        await svc.events.stop()
        assert self._db is not None
        await self._db.stop()


@asynccontextmanager
async def started_stack(data_dir: Path, **kw: Any) -> AsyncIterator[Stack]:
    """A started Stack (``kw``: Stack's options), stopped on exit unless the test stopped it."""
    stack = Stack(data_dir, **kw)
    await stack.start()
    try:
        yield stack
    finally:
        if stack.services is not None:
            await stack.stop()


@pytest.fixture
async def stack(tmp_path):
    async with started_stack(tmp_path) as stack:
        yield stack


@pytest.fixture
async def ln(tmp_path):
    """A started Stack whose Lightning node is the fake one (``ln.lightning``, tests/fake_lightning.py)."""
    async with started_stack(tmp_path, lightning=True) as stack:
        yield stack


@pytest.fixture
async def ln_client(aiohttp_client, ln):
    return await aiohttp_client(create_app(ln.services, public=False))


@pytest.fixture
async def services(stack):
    return stack.services


@pytest.fixture
async def client(aiohttp_client, services):
    return await aiohttp_client(create_app(services, public=False))


@pytest.fixture
async def admin_key(client, services) -> str:
    created = await services.apikeys.bootstrap()
    return created.key.reveal()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def make_key(services: Any, *scopes: str, store_ids: list[str] | None = None) -> str:
    created = await services.apikeys.create("test", list(scopes), store_ids=store_ids)
    return created.key.reveal()


async def shop(services: Any, **kw: Any) -> Any:
    """A store with the test wallet and a manual USD rate."""
    wallet = await services.wallets.add_wallet("main", TEST_VPUB)
    await services.rates.set_manual_rate("USD", Decimal("50000"))
    return await services.stores.create("Shop", default_currency="USD", wallet_ids=[wallet.id], **kw)


async def wait_for(predicate: Callable[[], Any], timeout_s: float = 10.0, what: str = "condition") -> Any:
    """Poll an async or sync predicate until truthy; bounded."""
    return await poll(predicate, timeout_s=timeout_s, what=what, every_s=0.02)


class Receiver:
    """A real aiohttp server on 127.0.0.1:<port>: verifies the signature of every POST it gets."""

    def __init__(self, secret: str = "", *, statuses: list[int] | None = None, port: int = 0) -> None:
        self.secret = secret
        self.statuses = list(statuses or [])  # answer these first, then 200
        self.received: list[dict[str, Any]] = []
        self.port = port
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.received.append({"body": raw, "valid": verify(self.secret, raw, request.headers.get(SIGNATURE_HEADER, "")),
                              "delivery": request.headers.get(DELIVERY_HEADER)})
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200, text="ok")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def receiver():
    rec = Receiver()
    await rec.start()
    try:
        yield rec
    finally:
        await rec.stop()
