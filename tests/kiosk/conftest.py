"""Kiosk test set-up: fakes for widget tests (a store, products, invoices, a POS service with an
in-memory PIN and a controllable clock), a whole runtime on the qasync loop for end-to-end tests, and
screenshots under tests/artifacts/kiosk/."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from app.core.errors import InvalidTransition, StoreNotFound
from app.core.records import Product, Store
from app.core.statuses import InvoiceStatus
from app.services.admin.pos import MemoryPinStorage, PinGuard, PosService
from tests.ui.conftest import _theme, qloop, regtest_settings, run, wait_until  # noqa: F401 - the UI fixtures, reused here
from tests.ui.fakes import FakeEvents, FakeInvoices, FakeSettings

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
SIZES = {"small": (800, 480), "fullhd": (1920, 1080)}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def shot(widget: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path


async def settle(seconds: float = 0.15) -> None:
    await asyncio.sleep(seconds)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_store(**kw: Any) -> Store:
    base = dict(id="sto_k", name="Corner Café", default_currency="USD", speed_policy=1, expiry_s=900,
                monitoring_s=86400, underpaid_tolerance_pct=Decimal(0), rate_source="manual",
                rate_spread_pct=Decimal(0), wallet_ids=("wal_1",))
    return Store(**{**base, **kw})


def make_products() -> list[Product]:
    rows = [("Espresso", "2.50", "Coffee"), ("Cappuccino", "3.80", "Coffee"), ("Flat white", "3.90", "Coffee"),
            ("Croissant", "2.20", "Bakery"), ("Muffin", "2.90", "Bakery"), ("Orange juice", "3.50", "Drinks"),
            ("Tea", "2.00", "Drinks"), ("Bagel", "3.10", "Bakery")]
    return [Product(id=f"prd_{i}", store_id="sto_k", name=n, description="", price=Decimal(p), category=c,
                    image=None, stock=None, archived=False, created_at=T0) for i, (n, p, c) in enumerate(rows)]


class FakeStores:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, store_id: str) -> Store:
        if store_id != self.store.id:
            raise StoreNotFound("Store not found.")
        return self.store


class FakeProducts:
    def __init__(self, products: list[Product]) -> None:
        self.products = products

    async def list(self, store_id: str) -> list[Product]:
        return [p for p in self.products if p.store_id == store_id]


class KioskInvoices(FakeInvoices):
    async def create(self, store_id: str, *, price: str, currency: str | None = None, **kw: Any) -> Any:
        inv = await super().create(store_id, price=price, currency=currency, **kw)
        inv = replace(inv, items=tuple(kw.get("items") or ()), metadata=dict(kw.get("metadata") or {}),
                      expires_at=datetime.now(UTC) + timedelta(minutes=15))
        self.items[inv.id] = inv
        self.created = inv
        return inv

    async def mark(self, invoice_id: str, target: str) -> Any:
        inv = self.items[invoice_id]
        if inv.status != InvoiceStatus.PENDING:
            raise InvalidTransition("Only a pending invoice can be cancelled.")
        inv = replace(inv, status=InvoiceStatus(target))
        self.items[invoice_id] = inv
        return inv

    def pay(self, invoice_id: str, sat: int) -> Any:
        inv = self.items[invoice_id]
        paid = inv.amount_paid_sat + sat
        status = InvoiceStatus.PAID if paid >= inv.amount_due_sat else InvoiceStatus.PENDING
        inv = replace(inv, amount_paid_sat=paid, status=status, paid_at=datetime.now(UTC) if status == InvoiceStatus.PAID else None)
        self.items[invoice_id] = inv
        return inv


@dataclass
class ChainState:
    connected: bool = True
    synced: bool = True
    tip_height: int | None = 101
    server: str | None = "devnet"


class KioskServices:
    def __init__(self, clock: Clock) -> None:
        self.store = make_store()
        self.stores = FakeStores(self.store)
        self.products = FakeProducts(make_products())
        self.invoices = KioskInvoices()
        self.events = FakeEvents()
        self.chain_state: ChainState | None = ChainState()
        self.chain = self
        self.pin_storage = MemoryPinStorage()
        self.extras: dict[str, Any] = {
            "pos": PosService(PinGuard(self.pin_storage, clock=clock, params={"n": 2**4, "r": 8, "p": 1}),
                              self.stores, self.invoices, None)}

    def state(self) -> Any:
        return self.chain_state


@dataclass
class KioskEnv:
    ctx: Any
    services: Any
    clock: Clock
    tmp_path: Path

    @property
    def pos(self) -> PosService:
        return self.services.extras["pos"]


def make_context(tmp_path: Path, services: Any, settings: Any, parent: Any = None) -> Any:
    from app.ui.bridge import EventBridge
    from app.ui.context import UiContext
    from app.ui.icons import app_icon
    from app.ui.tasks import TaskOwner
    from app.ui.tray import TrayNotifier

    chain = getattr(services, "chain", None)
    bridge = EventBridge(services.events, chain.state if chain is not None else None)
    return UiContext(services=services, settings=settings, tasks=TaskOwner("kiosk-test"), bridge=bridge,
                     tray=TrayNotifier(app_icon()), qsettings=QSettings(str(tmp_path / "gui.ini"),
                                                                         QSettings.Format.IniFormat),
                     parent=parent)


@pytest.fixture
def kiosk_env(qloop, qapp, tmp_path) -> Iterator[KioskEnv]:  # noqa: F811 - the fixture
    qapp.setQuitOnLastWindowClosed(False)  # as run_gui: closing the kiosk must not stop the loop
    clock = Clock()
    services = KioskServices(clock)
    ctx = make_context(tmp_path, services, FakeSettings(tmp_path))
    ctx.bridge.start()
    try:
        yield KioskEnv(ctx, services, clock, tmp_path)
    finally:
        _close(qloop, ctx)


def open_test_kiosk(ctx: Any, store_id: str | None, size: tuple[int, int], **options: Any) -> Any:
    from app.ui.kiosk import open_kiosk
    from app.ui.kiosk.window import KioskOptions

    opts = KioskOptions(**{"use_system_printer": False, "sound": False, **options})
    window = open_kiosk(ctx, store_id, fullscreen=False, options=opts)
    window.resize(*size)
    return window


@pytest.fixture
def runtime_env(qloop, qapp, tmp_path) -> Iterator[Any]:  # noqa: F811 - the fixture
    """The real app (SQLite, Electrum in-process, embedded devnet) started on the qasync loop, with a
    UiContext around it: what the kiosk gets inside the GUI."""
    from app.runtime import Runtime

    qapp.setQuitOnLastWindowClosed(False)
    runtime = Runtime(regtest_settings(tmp_path / "data"))
    runtime.start_chain_loop()
    ctx = None
    try:
        run(qloop, runtime.start(), 60)
        ctx = make_context(tmp_path, runtime.services, runtime.settings)
        ctx.bridge.start()
        yield runtime, ctx
    finally:
        if ctx is not None:
            _close(qloop, ctx)
        run(qloop, runtime.stop(), 30)


def _close(loop: Any, ctx: Any) -> None:
    """Close the kiosk (even after a failed test) before the loop goes: no widget outlives its loop."""
    ctx.bridge.stop()
    kiosk = ctx.extras.get("kiosk")
    if kiosk is not None:
        kiosk.unlocked = True
        kiosk.close()
        kiosk.deleteLater()
    run(loop, ctx.tasks.stop(1.0), 5)


__all__ = ["ARTIFACTS", "SIZES", "ChainState", "KioskEnv", "open_test_kiosk", "run", "settle", "shot", "wait_until"]
