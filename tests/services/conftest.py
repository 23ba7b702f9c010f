"""Services over a real SQLite file; the chain is a small in-memory stand-in implementing ChainPort
(the end-to-end tests in tests/integration use real Electrum against the devnet)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.chain.history_probe import HistoryProbe
from app.chain.keys import set_network
from app.chain.models import ChainEvent, TxFee
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
    watch_set: dict[str, set[str]] = field(default_factory=dict)  # wallet -> addresses watched now
    subscribers: list[Callable[[ChainEvent], None]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)  # every address address_views was asked for
    fees: dict[str, TxFee] = field(default_factory=dict)  # txid -> fee; others unknown
    estimates: dict[int, int] = field(default_factory=dict)  # target blocks -> sat/kvB
    probed: list[str] = field(default_factory=list)  # every address probe_history was asked about

    def state(self) -> ChainState:
        return self.current

    def subscribe(self, callback: Callable[[ChainEvent], None]) -> Callable[[], None]:
        self.subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self.subscribers:
                self.subscribers.remove(callback)

        return unsubscribe

    async def open_wallet(self, wallet_id: str, desc: object, *, password: str | None = None) -> None:
        self.watched.setdefault(wallet_id, -1)

    async def watch(self, wallet_id: str, addresses: dict[int, str], *, exclusive: bool = False) -> None:
        self.watched[wallet_id] = max([self.watched.get(wallet_id, -1), *addresses])
        self.watch_set.setdefault(wallet_id, set())
        if exclusive:
            self.watch_set[wallet_id].clear()
        self.watch_set[wallet_id].update(addresses.values())

    async def unwatch(self, wallet_id: str, addresses: Iterable[str]) -> None:
        self.watch_set.get(wallet_id, set()).difference_update(addresses)

    async def address_views(self, wallet_id: str, addresses: Iterable[str]) -> list[View]:
        listed = list(addresses)
        self.reads.extend(listed)
        return [View(a, True, tuple(self.outputs.get(a, ()))) for a in listed]

    async def tx_fees(self, wallet_id: str, txids: Iterable[str]) -> dict[str, TxFee]:
        return {txid: self.fees[txid] for txid in txids if txid in self.fees}

    async def fee_estimates(self) -> dict[int, int]:
        return dict(self.estimates)

    async def probe_history(self, addresses: Iterable[str]) -> HistoryProbe:
        """Closed-invoice history checks: every address read, nothing paid (tests/integration has the real one)."""
        listed = tuple(addresses)
        self.probed.extend(listed)
        return HistoryProbe(checked=listed, failed=(), payments=(), tip_height=self.current.tip_height,
                            requests=len(listed))

    # payouts: the fake chain cannot build or sign (tests/chain/test_payouts.py and
    # tests/integration/test_payouts*.py use real Electrum); recorded txs are "unknown" to it.
    async def unspent(self, wallet_id: str, addresses: Any) -> list[Any]:
        return []

    async def build_payout(self, wallet_id: str, outputs: list[tuple[str, int]], fee_rate: Any, **kw: Any) -> Any:
        from app.chain.errors import NotConnected

        raise NotConnected("The fake chain cannot build transactions.")

    async def bump_fee(self, wallet_id: str, raw_tx: str, fee_rate: Any, **kw: Any) -> Any:
        from app.chain.errors import NotConnected

        raise NotConnected("The fake chain cannot build transactions.")

    async def finalize_psbt(self, wallet_id: str, unsigned_b64: str, signed: Any, expected: Any,
                            change_address: str | None) -> Any:
        from app.chain.errors import NotConnected

        raise NotConnected("The fake chain cannot finalize PSBTs.")

    async def hold(self, wallet_id: str, raw_txs: list[str]) -> None:
        return None

    async def tx_status(self, txid: str, addresses: Iterable[str]) -> Any:
        from app.chain.unspent import TxStatus

        return TxStatus(txid=txid, state="unknown")


@asynccontextmanager
async def running_services(data_dir: Path, *, tick_s: float | None = None,
                           lightning_node: Any = None) -> AsyncIterator[Any]:
    """Started services (rates, events, engine) on regtest over a SQLite file in ``data_dir`` and a
    FakeChain (``svc.fake_chain``); ``lightning_node``: a node such as tests/fake_lightning.py's
    (its ``deliver`` is set to the fake chain's subscribers); stopped in reverse order on exit. Used by several test folders and
    bench/bench_connections.py."""
    set_network("regtest")
    settings = load_settings({}, {"data_dir": data_dir, "network": "regtest"})
    settings.network_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_path)
    await db.start()
    chain = FakeChain()
    svc: Any = build_services(settings, db, chain, lightning_node=lightning_node)  # type: ignore[arg-type]
    if lightning_node is not None:
        lightning_node.deliver = lambda event: [callback(event) for callback in list(chain.subscribers)]
    await svc.rates.load()
    await svc.events.start()
    if tick_s is not None:
        svc.engine._tick_s = tick_s
    await svc.engine.start()
    await svc.lightning.start()
    svc.fake_chain = chain
    try:
        yield svc
    finally:
        await svc.lightning.stop()
        await svc.engine.stop()
        await svc.events.stop()
        await db.stop()


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Any]:
    async with running_services(tmp_path, tick_s=0.05) as svc:
        yield svc
