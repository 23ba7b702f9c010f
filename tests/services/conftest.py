"""Services over a real SQLite file; the chain is a small in-memory stand-in implementing ChainPort
(the end-to-end tests in tests/integration use real Electrum against the devnet)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from app.chain.keys import set_network
from app.chain.models import ChainEvent
from app.config import load_settings
from app.core.payments import ObservedOutput
from app.db.engine import Database
from app.services.container import build_services


@dataclass
class ChainState:
    connected: bool = True
    synced: bool = True
    tip_height: int | None = 200
    server: str | None = "fake"
    error: str | None = None


@dataclass
class View:
    address: str
    complete: bool
    outputs: tuple[ObservedOutput, ...]


@dataclass
class FakeChain:
    current: ChainState = field(default_factory=ChainState)
    outputs: dict[str, list[ObservedOutput]] = field(default_factory=dict)
    watched: dict[str, int] = field(default_factory=dict)
    subscribers: list[Callable[[ChainEvent], None]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)  # every address address_views was asked for

    def state(self):
        return self.current

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        self.subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self.subscribers:
                self.subscribers.remove(callback)

        return unsubscribe

    async def open_wallet(self, wallet_id, desc, *, password=None):
        self.watched.setdefault(wallet_id, -1)

    async def watch(self, wallet_id, up_to_index):
        self.watched[wallet_id] = max(self.watched.get(wallet_id, -1), up_to_index)

    async def address_views(self, wallet_id, addresses):
        addresses = list(addresses)
        self.reads.extend(addresses)
        return [View(a, True, tuple(self.outputs.get(a, ()))) for a in addresses]


@pytest.fixture
async def services(tmp_path):
    set_network("regtest")
    settings = load_settings({}, {"data_dir": tmp_path, "network": "regtest"})
    db = Database(settings.db_path)
    await db.start()
    chain = FakeChain()
    svc = build_services(settings, db, chain)
    await svc.rates.load()
    await svc.events.start()
    svc.engine._tick_s = 0.05
    await svc.engine.start()
    svc.fake_chain = chain
    try:
        yield svc
    finally:
        await svc.engine.stop()
        await svc.events.stop()
        await db.stop()
